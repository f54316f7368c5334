"""Notebook 05 is built by notebooks/build_05.py and executes (cwd = notebooks/, as Jupyter opens it)."""
from notebook_run import executed_outputs


def test_notebook_05_executes():
    outs = executed_outputs("build_05.py", "05_risk_flags.ipynb")
    assert "'BELOW_90', 'HIGH_PREMIUM'" in outs
    assert "ADMIN_GUARANTEE blocker" in outs and "final: False" in outs
    assert "refused:" in outs and "accepted:" in outs
    # the summary table: approaches, the blocker, its documents by title (财资〔2024〕1号)
    assert "Data asset appraisal result" in outs and "Final:            no" in outs
    assert "cites: Ministry of Finance, Notice on Strengthening the Management of Data Assets" in outs
