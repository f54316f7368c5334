"""The market approach compares enum codes where it reads the typed containers: the explicit
comparables left out (art. 23: same price mode and rights type), the X5 levels (annex) and
what a subject's price mode says give what the labels give (CAS 2023 art. 23 and annex;
docs/DOMAIN.md §4)."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.portfolio import Portfolio
from valuation.methods.market.approach import MARKET

BASE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "cards" /
                   "E01_soe_transport_licensing.json").read_text(encoding="utf-8"))


def _card(aid: str, mode: str | None, rights: str, excl: str | None, comps: list[dict]) -> dict:
    c = json.loads(json.dumps(BASE))
    c["asset"]["asset_id"] = aid
    c["asset"]["rights"]["type"] = rights
    if excl is None:
        c["asset"]["rights"].pop("exclusivity", None)
    else:
        c["asset"]["rights"]["exclusivity"] = excl
    if mode is None:
        c["market"].pop("price_mode", None)
    else:
        c["market"]["price_mode"] = mode
    c["market"]["comparables"] = comps
    return c


def _comp(i: int, mode: str | None = "one_off", rights: str | None = "product_operation",
          excl: str | None = "non_exclusive", ev: str | None = "transaction", price: float = 1e6) -> dict:
    c = {"case_id": f"C{i}", "price": price, "quality": 85, "date_index": 100, "records": 1e8}
    for k, v in (("price_mode", mode), ("rights_type", rights), ("exclusivity", excl), ("evidence_type", ev)):
        if v is not None:
            c[k] = v
    return c


def test_left_out_and_x5_levels_by_hand():
    # subject: one_off, product_operation, non_exclusive (X5 level 0.90), evidence transaction
    # (0.90, the parameter subject_evidence). Comparables: per_call (other price mode: left out),
    # processing_use (other rights type: left out), no price mode and no rights type (kept: a
    # missing value is not a different one), sole + listing (kept): X5 = (0.90 / 0.95) ×
    # (0.90 / 1.00) = 0.852631578947…; exclusive + appraisal: X5 = (0.90 / 1.00) × (0.90 / 0.95)
    # — the same number by another route. Tolerance 1e-15 relative (two divisions and a product).
    comps = [_comp(0, mode="per_call"), _comp(1, rights="processing_use"), _comp(2, mode=None, rights=None),
             _comp(3, excl="sole", ev="listing"), _comp(4, excl="exclusive", ev="appraisal")]
    pf = Portfolio.from_cards([_card("A", "one_off", "product_operation", "non_exclusive", comps)])
    params = MARKET.params()
    inputs = MARKET.inputs(pf, params)
    assert inputs.codes is not None and inputs.codes.comparables is not None
    work = MARKET.value(inputs, params).work
    pairs = work["pairs"]
    assert work["_n_excluded"] == 2
    assert pairs["case_id"].tolist() == ["C2", "C3", "C4"]
    x5 = 0.90 / 0.95 * 0.90 / 1.00
    assert pairs["x5"] == pytest.approx([1.0, x5, 0.90 / 1.00 * 0.90 / 0.95], rel=1e-15)
    assert sorted(work["excluded"]["why"].tolist()) == ["price_mode", "rights_type"]


_MODE = st.sampled_from([None, "one_off", "subscription_year", "per_call", "free", "negotiated"])
_RIGHTS = st.sampled_from(["holding", "processing_use", "product_operation"])
_EXCL = st.sampled_from([None, "exclusive", "sole", "non_exclusive"])
_COMP = st.fixed_dictionaries({
    "mode": _MODE, "rights": st.one_of(st.none(), _RIGHTS), "excl": _EXCL,
    "ev": st.sampled_from([None, "transaction", "listing", "appraisal"]), "price": st.floats(1.0, 1e7)})
_ASSET = st.tuples(_MODE, _RIGHTS, _EXCL, st.lists(_COMP, max_size=5))


@settings(max_examples=40, deadline=None)
@given(st.lists(_ASSET, min_size=1, max_size=5))
def test_codes_give_what_the_labels_give(assets):
    # the same portfolio valued comparing enum codes (what the engine does) and comparing the
    # labels (the back-test's path, codes=None): every result column and every pair equal, NaN
    # where NaN (exactly: the same floats looked up another way)
    cards = [_card(f"A{i}", mode, rights, excl,
                   [_comp(j, c["mode"], c["rights"], c["excl"], c["ev"], c["price"]) for j, c in enumerate(comps)])
             for i, (mode, rights, excl, comps) in enumerate(assets)]
    pf = Portfolio.from_cards(cards)
    params = MARKET.params()
    inputs = MARKET.inputs(pf, params)
    assert inputs.codes is not None
    coded = MARKET.value(inputs, params)
    plain = MARKET.value(dataclasses.replace(inputs, codes=None), params)
    a, b = coded.columns(), plain.columns()
    assert list(a) == list(b)
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.dtype == y.dtype, k
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k
    pa, pb = coded.work["pairs"], plain.work["pairs"]
    assert list(pa) == list(pb)
    for k in pa:
        x, y = np.asarray(pa[k]), np.asarray(pb[k])
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k
    assert coded.work["_n_excluded"] == plain.work["_n_excluded"]


def test_pair_weights_take_the_scheme_as_text_or_as_booleans():
    # subject 0: inverse adjustment over Σ|ln X| = 0.2 and 0.1 → weights 1/3, 2/3 (by hand);
    # subject 1: equal → 1/2 each; the same with True/False per pair for inverse_adjustment
    from valuation.methods.market import grid

    subj = np.array([0, 0, 1, 1])
    tot = np.array([0.2, 0.1, 0.3, 0.05])
    text = np.array(["inverse_adjustment"] * 2 + ["equal"] * 2, dtype=object)
    w = grid.pair_weights(subj, tot, text)
    assert w == pytest.approx([1 / 3, 2 / 3, 0.5, 0.5], rel=1e-15)
    assert np.array_equal(grid.pair_weights(subj, tot, text == "inverse_adjustment"), w)
