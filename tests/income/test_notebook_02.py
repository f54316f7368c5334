"""Notebook 02 is built by notebooks/build_02.py and executes without error (cwd = repository)."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_02_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_02.py")], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / "02_income.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "'F6-end': 203.55" in outs and "'F6-mid': 217.33" in outs
    assert "0.8696" in outs and "income.terminal_growth" in outs and "1000 assets" in outs
