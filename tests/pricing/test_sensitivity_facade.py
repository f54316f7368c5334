"""``api.sensitivity`` (the dashboard's tornado of the conclusion): the point it swings around
is the appraisal's own conclusion, and each parameter's swing brackets it (CAS 2023 art. 27).
It reads the reconciled columns as arrays (``facade/analysis.py``, no pricing frame)."""
import json
from pathlib import Path

import numpy as np
import pytest

from valuation import api

CARDS = Path(__file__).resolve().parents[2] / "examples" / "cards"


@pytest.mark.parametrize("name", ["E01_soe_transport_licensing.json", "E03_enterprise_ecommerce.json"])
def test_sensitivity_swings_around_the_conclusion(name):
    card = json.loads((CARDS / name).read_text("utf-8"))
    s = api.sensitivity(card, lang="en")
    est = api.appraise(card).estimate
    # the same reconciliation of the same runs: equal to rounding (1e-12 relative)
    assert s["base"] == pytest.approx(est, rel=1e-12)
    t = s["tornado"]
    assert len(t) >= 2 and t["parameter"].map(lambda x: isinstance(x, str) and x.isascii()).all()
    lo = np.minimum(t["low_value"], t["high_value"])
    hi = np.maximum(t["low_value"], t["high_value"])
    # monotone in each parameter, nominal inside its plausible range → the base lies between
    assert (lo <= s["base"] * (1 + 1e-9)).all() and (hi >= s["base"] * (1 - 1e-9)).all()
    assert (hi > lo).any()                                        # something moves
