"""Reconciliation edge cases found by the schemathesis run of the service."""
import json
import warnings
from pathlib import Path

from valuation import api

ROOT = Path(__file__).resolve().parents[2]


def test_explanation_survives_an_overflowing_driver_swing():
    """Costs near the float maximum make the driver's swing non-finite: the art. 24 text still
    names the largest driver and says why no relative swing is given (was a TypeError → 500)."""
    c = json.loads((ROOT / "examples" / "cards" / "E02_admin_registry_governance.json").read_text("utf-8"))
    c["cost"].pop("lines", None)
    c["cost"]["components"] = {"preliminary": 1.7e308, "direct": 1.7e308}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = api.appraise(c, library="seed").to_dict()
    ex = r["explanation"]
    assert ex["largest_driver"] and "δ" in ex["largest_driver"]
    assert ex["largest_driver_detail"]["swing_pct"] is None
    assert "no relative swing" in ex["reason_en"] and "不计算相对变动" in ex["reason_zh"]
