"""A new active version in the model or indicators library changes the numbers of appraisals
on that snapshot — and nothing else does (docs/DESIGN.md: every run records the library snapshot it
used, so the snapshot must be what the numbers come from).

Real SQLite store seeded from the shipped libraries; hand-computed expectations."""
import json
from pathlib import Path

import pytest

from valuation import api
from valuation.core.errors import ValuationError
from valuation.core.portfolio import Portfolio
from valuation.methods import cost as cost_method
from valuation.methods import income as income_method

ROOT = Path(__file__).resolve().parents[2]
E02 = json.loads((ROOT / "examples/cards/E02_admin_registry_governance.json").read_text("utf-8"))
E01 = json.loads((ROOT / "examples/cards/E01_soe_transport_licensing.json").read_text("utf-8"))


@pytest.fixture()
def store(tmp_path):
    return api.open_library(f"sqlite:///{tmp_path / 'lib.db'}", init=True)


def _edit(store, library, key, change):
    e = store.get(library, key)
    content = change(json.loads(json.dumps(e.content)))
    store.put(library, key, content, author="tester", note="test edit", base_version=e.version)


def _without_snapshot(d):
    d = json.loads(json.dumps(d, default=str))
    d["provenance"].pop("library_snapshot")
    return d


def test_seeded_store_gives_the_seed_numbers(store):
    for card in (E01, E02):
        assert _without_snapshot(api.appraise(card, library=store).to_dict()) == \
            _without_snapshot(api.appraise(card, library="seed").to_dict())


def test_indicator_weights_of_the_library_are_used(store):
    """E02 dimension scores (90, 88, 86, 89, 84, 92); the library's accuracy weight set to 0.5,
    the other five kept at 1/6 → normalised 1/8 each and 3/8 for accuracy:
    Q = (90 + 88 + 89 + 84 + 92)/8 + 86 × 3/8 = 701/8 = 87.625 (seed: 529/6 = 88.1667).
    E02's cost approach has δ = Q/100, so the cost estimate scales by 87.625 / (529/6)."""
    before = api.appraise(E02, library=store)
    sid = store.snapshot_id()

    def heavier(c):
        c["weight"] = 0.5
        return c
    _edit(store, "indicators", "GBT36344.accuracy", heavier)
    assert store.snapshot_id() != sid
    after = api.appraise(E02, library=store)
    assert after.provenance["library_snapshot"] == store.snapshot_id()
    d0, d1 = before.methods["cost"]["details"], after.methods["cost"]["details"]
    assert d0["quality_score"] == pytest.approx(529 / 6, rel=1e-12)
    assert d1["quality_score"] == pytest.approx(87.625, rel=1e-12)
    assert after.methods["cost"]["estimate"] == pytest.approx(
        before.methods["cost"]["estimate"] * 87.625 / (529 / 6), rel=1e-12)
    step = next(s for s in after.methods["cost"]["trace"] if s["step"] == "quality_weights")
    assert step["inputs"]["accuracy"] == pytest.approx(3 / 8, rel=1e-12)
    assert "指标库" in step["formula"]


def test_piecewise_default_scale_of_the_library_is_used(store):
    """Sub-indicator measures scored by the library's default scale: make piecewise the default
    and a card scored from A/B moves to the banded score."""
    card = json.loads(json.dumps(E02))
    q = card["asset"]["quality"]
    q.pop("accuracy")
    q["indicators"] = [{"indicator": "accuracy.content_correctness", "a": 93, "b": 100}]
    linear = api.appraise(card, library=store).methods["cost"]["details"]["quality_score"]
    # linear: s = 93; piecewise (0.90 ≤ X' < 0.95 → 80)
    assert linear == pytest.approx((90 + 88 + 93 + 89 + 84 + 92) / 6, rel=1e-12)

    def default(flag):
        def f(c):
            c["default"] = flag
            return c
        return f
    _edit(store, "indicators", "GBT36344.scale.linear", default(False))
    _edit(store, "indicators", "GBT36344.scale.piecewise", default(True))
    banded = api.appraise(card, library=store).methods["cost"]["details"]["quality_score"]
    assert banded == pytest.approx((90 + 88 + 80 + 89 + 84 + 92) / 6, rel=1e-12)


def test_cost_model_defaults_of_the_library_are_used(store):
    """A library profit rate equals the same rate passed as a parameter (the card has none)."""
    def profit(c):
        c["parameters"]["profit_rate"]["default"] = 0.1
        return c
    seed_est = api.appraise(E02, library=store).methods["cost"]["estimate"]
    _edit(store, "models", "cost.cas", profit)
    got = api.appraise(E02, library=store).methods["cost"]["estimate"]
    direct = cost_method.appraise(Portfolio.from_card(E02), {"profit_rate": 0.1}).frame.iloc[0]["estimate"]
    assert got == pytest.approx(direct, rel=1e-12)
    assert got > seed_est * 1.05


def test_income_model_defaults_of_the_library_are_used(store):
    """The library's discount-rate spread equals the same spread passed as a parameter."""
    model = E01["income"]["model"]
    key = f"income.{model}"

    def wider(c):
        c["parameters"]["discount_rate"]["distribution"]["sd"] = 0.3
        return c
    before = api.appraise(E01, library=store).methods["income"]
    _edit(store, "models", key, wider)
    after = api.appraise(E01, library=store).methods["income"]
    direct = income_method.appraise(Portfolio.from_card(E01), {"rate_dist": {model: {
        "type": "relative_normal", "sd": 0.3}}}).frame.iloc[0]
    assert after["estimate"] == pytest.approx(before["estimate"], rel=1e-12)
    assert after["low"] == pytest.approx(direct["low"], rel=1e-12)
    assert after["high"] == pytest.approx(direct["high"], rel=1e-12)
    assert after["high"] - after["low"] > (before["high"] - before["low"]) * 1.5


@pytest.mark.parametrize("key,change,field", [
    ("GBT36344.accuracy", {"weight": -0.2}, "weight"),
    ("GBT36344.accuracy.duplicate_rate", {"weight": "heavy"}, "weight"),
    ("GBT36344.scale.piecewise", {"bands": [{"min": 1.5, "score": 100}]}, "bands"),
])
def test_unusable_indicator_edits_are_refused_and_nothing_is_stored(store, key, change, field):
    sid = store.snapshot_id()
    e = store.get("indicators", key)
    with pytest.raises(ValuationError) as ei:
        store.put("indicators", key, {**e.content, **change}, author="tester", base_version=e.version)
    err = ei.value
    text = str(err) + json.dumps(getattr(err, "to_dict", lambda: {})(), ensure_ascii=False, default=str)
    assert key in text and field in text
    assert store.snapshot_id() == sid
    assert store.get("indicators", key).version == e.version
