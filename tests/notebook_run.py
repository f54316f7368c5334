"""Build a notebook from its script and execute it: the one procedure every notebook test runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def executed_outputs(build: str, notebook: str) -> str:
    """Run ``notebooks/<build>`` (which writes ``notebooks/<notebook>``), execute the notebook
    from its own folder ``notebooks/`` — the working directory Jupyter gives a notebook opened
    there — and return all its code-cell outputs as one text (stream text and ``text/plain``
    results)."""
    subprocess.run([sys.executable, str(ROOT / "notebooks" / build)], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    return "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
