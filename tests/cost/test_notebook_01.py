"""Notebook 01 is built by notebooks/build_01.py and executes, printing the F1/F3/F4 figures."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_01_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_01.py")], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / "01_cost_and_quality.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "CR = 0.0118" in outs and "lambda_max = 6.0732" in outs
    assert "Q = 87.4357" in outs
    assert "P (exact) = 137.71" in outs and "= 137.72" in outs
    assert "0.3299" in outs and "CR = " in outs and "0.10" in outs
