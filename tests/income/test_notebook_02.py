"""Notebook 02 is built by notebooks/build_02.py and executes without error (cwd = notebooks/, as Jupyter opens it)."""
from notebook_run import executed_outputs


def test_notebook_02_executes():
    outs = executed_outputs("build_02.py", "02_income.ipynb")
    assert "'F6-end': 203.55" in outs and "'F6-mid': 217.33" in outs
    assert "0.8696" in outs and "income.terminal_growth" in outs and "1000 assets" in outs
