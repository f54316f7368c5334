"""Notebook 04 is built by notebooks/build_04.py and executes without error."""
from notebook_run import executed_outputs


def test_notebook_04_executes():
    outs = executed_outputs("build_04.py", "04_ranges_and_public_pricing.ipynb")
    assert "MAR 984.0" in outs
    assert "Σ S1 =" in outs
