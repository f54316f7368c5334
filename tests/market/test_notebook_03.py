"""Notebook 03 is built by notebooks/build_03.py and executes without error."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_03_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_03.py")], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / "03_market.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "P = 128.60" in outs and "spread = 1.3045" in outs
    assert "coverage" in outs and "skipped 2" in outs
