"""What the income approach keeps between calls gives what working it out again gives: the
model-library defaults (re-read when a file changes) and the history forecasts (fitted once per
distinct input, each caller with its own copy)."""
import os
import shutil

from valuation.core.models import models_dir
from valuation.methods import income
from valuation.methods.income import default_params


def test_default_params_follow_the_files(tmp_path, monkeypatch):
    shutil.copytree(models_dir(), tmp_path / "models")
    monkeypatch.setenv("VALUATION_SEED_ROOT", str(tmp_path))
    first = default_params()
    assert first["risk_free"] == 0.0175
    # a caller changing its copy changes nothing for the next caller
    first["rate_dist"]["direct"]["sd"] = 99.0
    first["coverage"] = 0.5
    again = default_params()
    assert again["rate_dist"]["direct"]["sd"] != 99.0 and again["coverage"] == 0.8
    # a changed file is read again (its mtime set apart, whatever the clock's resolution)
    path = tmp_path / "models" / "income_discount.yaml"
    path.write_text(path.read_text("utf-8").replace("risk_free: {default: 0.0175", "risk_free: {default: 0.021"),
                    "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    assert default_params()["risk_free"] == 0.021
    # a removed model file is no longer read (the folder changed)
    (tmp_path / "models" / "income_direct.yaml").unlink()
    os.utime(tmp_path / "models", ns=(st.st_atime_ns, st.st_mtime_ns + 20_000_000_000))
    assert default_params()["rate_dist"]["direct"] == income.params.FALLBACK["rate_dist"]["direct"]
    # no folder: the fallbacks
    monkeypatch.setenv("VALUATION_SEED_ROOT", str(tmp_path / "absent"))
    assert default_params() == {**income.params.FALLBACK, "rate_dist": dict(income.params.FALLBACK["rate_dist"])}
