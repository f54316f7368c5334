"""Notebook 06 is built by notebooks/build_06.py and executes without error."""
from notebook_run import executed_outputs


def test_notebook_06_executes():
    outs = executed_outputs("build_06.py", "06_batch_revaluation.ipynb")
    assert "rows, 2 rejected" in outs          # the bad value and the duplicate id
    assert "still high premium after revaluation" in outs
    assert "HIGH_PREMIUM" in outs
