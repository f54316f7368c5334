"""Notebook 04 is built by notebooks/build_04.py and executes without error."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_04_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_04.py")], check=True, cwd=ROOT,
                   capture_output=True)
    nb = nbformat.read(ROOT / "notebooks" / "04_ranges_and_public_pricing.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "MAR 984.0" in outs
    assert "Σ S1 =" in outs
