"""Notebook 03 is built by notebooks/build_03.py and executes without error."""
from notebook_run import executed_outputs


def test_notebook_03_executes():
    outs = executed_outputs("build_03.py", "03_market.ipynb")
    assert "P = 128.60" in outs and "spread = 1.3045" in outs
    assert "coverage" in outs and "skipped 2" in outs
