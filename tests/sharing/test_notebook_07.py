"""Notebook 07 is built by notebooks/build_07.py and executes without error."""
from notebook_run import executed_outputs


def test_notebook_07_executes():
    outs = executed_outputs("build_07.py", "07_revenue_sharing.ipynb")
    assert "sum = 12,000,000.00" in outs
    assert "SHARE_NON_TAX_REVENUE" in outs and "non_tax_revenue" in outs
    assert "exported ledger.xlsx 8 rows" in outs
