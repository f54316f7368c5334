"""Reconciliation edge cases found by the schemathesis run of the service."""
import json
import warnings
from pathlib import Path

from valuation import api

ROOT = Path(__file__).resolve().parents[2]


def test_explanation_survives_an_overflowing_driver_swing():
    """Costs near the float maximum overflow (was a TypeError → 500). Since issue 17 an overflowing
    approach is not applicable with the reason, so there is no conclusion — and no error."""
    c = json.loads((ROOT / "examples" / "cards" / "E02_admin_registry_governance.json").read_text("utf-8"))
    c["cost"].pop("lines", None)
    c["cost"]["components"] = {"preliminary": 1.7e308, "direct": 1.7e308}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = api.appraise(c, library="seed").to_dict()
    assert r["status"] == "no_estimate" and r["estimate"] is None and r["high"] is None
    assert not r["methods"]["cost"]["applicable"] and "overflow" in r["methods"]["cost"]["reason_en"]
    assert isinstance(r["explanation"], dict)