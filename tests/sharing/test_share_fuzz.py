"""Random specs through api.share: an answer whose cents add up to the distributable amount,
or a ValuationError naming a field — never another exception."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import api
from valuation.core.errors import ValuationError

METHODS = ["cost_share", "agreement", "shapley", "banzhaf", "least_core", "nucleolus", "hybrid"]
MONEY = st.floats(0, 1e7, allow_nan=False)


@st.composite
def specs(draw):
    n = draw(st.integers(1, 5))
    ids = [f"P{i}" for i in range(n)]
    parts = []
    for i in ids:
        p = {"id": i, "name": i, "role": draw(st.sampled_from(["collection", "processing", "circulation"])),
             "input_cost": draw(MONEY),
             "holder_type": draw(st.sampled_from(["enterprise", "soe", "administrative", "public_institution"]))}
        if draw(st.booleans()):
            p["agreed_share"] = draw(st.floats(0, 1))
        if draw(st.integers(0, 4)) == 0:
            p["floor"] = draw(MONEY)
        if draw(st.integers(0, 4)) == 0:
            p["cap"] = draw(MONEY)
        parts.append(p)
    cv = [{"members": list(S), "value": draw(MONEY)} for k in range(1, n + 1) for S in itertools.combinations(ids, k)]
    spec = {"arrangement_id": "F", "distributable": draw(MONEY), "method": draw(st.sampled_from(METHODS)),
            "surplus_method": draw(st.sampled_from(["shapley", "banzhaf", "least_core", "nucleolus"])),
            "participants": parts, "coalition_values": cv}
    return spec


@settings(max_examples=150, deadline=None)
@given(specs())
def test_share_answers_or_refuses_by_field(spec):
    try:
        r = api.share(spec, library="seed")
    except ValuationError as e:
        d = e.to_dict()
        assert d["message_zh"] and d["message_en"]
        assert d.get("issues") or d.get("field")
        return
    cents = sum(round(s["amount"] * 100) for s in r["shares"])
    assert cents == round(spec["distributable"] * 100)
    assert all(s["amount"] >= 0 for s in r["shares"])
    for p, s in zip(spec["participants"], r["shares"]):
        assert s["amount"] >= p.get("floor", 0) - 0.01 and s["amount"] <= p.get("cap", float("inf")) + 0.01
