"""Notebook 01 is built by notebooks/build_01.py and executes, printing the F1/F3/F4 figures."""
from notebook_run import executed_outputs


def test_notebook_01_executes():
    outs = executed_outputs("build_01.py", "01_cost_and_quality.ipynb")
    assert "CR = 0.0118" in outs and "lambda_max = 6.0732" in outs
    assert "Q = 87.4357" in outs
    assert "P (exact) = 137.71" in outs and "= 137.72" in outs
    assert "0.3299" in outs and "CR = " in outs and "0.10" in outs
