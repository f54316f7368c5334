"""Notebook 06 is built by notebooks/build_06.py and executes without error."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_06_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_06.py")], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / "06_batch_revaluation.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "rows, 2 rejected" in outs          # the bad value and the duplicate id
    assert "still high premium after revaluation" in outs
    assert "HIGH_PREMIUM" in outs
