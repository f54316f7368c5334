"""Notebook 05 is built by notebooks/build_05.py and executes (cwd = repository)."""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_05_executes():
    subprocess.run([sys.executable, str(ROOT / "notebooks" / "build_05.py")], check=True, cwd=ROOT)
    nb = nbformat.read(ROOT / "notebooks" / "05_risk_flags.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "'BELOW_90', 'HIGH_PREMIUM'" in outs
    assert "ADMIN_GUARANTEE blocker" in outs and "final: False" in outs
    assert "refused:" in outs and "accepted:" in outs
