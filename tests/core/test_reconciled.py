"""The reconciled evaluation carries arrays (issue 20): ``Evaluation.reconciled`` is a
``{column: ndarray}`` mapping; one asset's ``Result`` and the risk facts are read from it and
the pandas frame is built only when a face asks (``Evaluation.frame``). The frame, when built,
holds the same values as the arrays and the rows; the conclusion guard works on the columns."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import api, engine
from valuation.core.portfolio import Portfolio
from valuation.core.result import clean
from valuation.methods.finite import (
    CONCLUSION_OVERFLOW_EN,
    CONCLUSION_OVERFLOW_ZH,
    MAX_AMOUNT,
    guard_columns,
)

CARDS = sorted((Path(__file__).resolve().parents[2] / "examples" / "cards").glob("*.json"))
SNAP = api.snapshot("seed")


def _cards() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in CARDS]


def test_one_appraisal_builds_no_reconciled_frame():
    # the single-appraisal path (evaluate, then Result and to_dict) reads the arrays only
    card = _cards()[0]
    pf = Portfolio.from_cards([card])
    ev = engine.evaluate(pf, SNAP, explain=True)
    r = ev.result(pf.index[0]).to_dict()
    assert r["estimate"] is not None
    assert ev.reconciled._frame is None          # no frame was built for it
    fr = ev.frame                                # a face asks: built now, once
    assert ev.reconciled._frame is fr and ev.frame is fr


def test_result_rows_equal_the_edge_frame():
    # every example card in one portfolio: what Result reads from the arrays equals the
    # values of the frame a face gets (numbers to the bit, text, date as ISO)
    pf = Portfolio.from_cards(_cards())
    ev = engine.evaluate(pf, SNAP)
    fr = ev.frame
    assert list(fr.columns[-2:]) == ["valuation_date", "currency"]
    assert list(fr.columns[:-2]) == list(ev.reconciled)
    for aid in pf.index:
        res = ev.result(aid)
        row = fr.loc[aid]
        for k in ("estimate", "low", "high", "coverage"):
            assert getattr(res, k) == clean(float(row[k])), (aid, k)
        for m in res.methods:
            assert res.methods[m]["weight"] == clean(float(row[f"{m}_weight"])), (aid, m)
        assert res.currency == row["currency"]
        assert res.provenance["valuation_date"] == row["valuation_date"].date().isoformat()
        assert res.coverage_basis["guided_range"]["method"] == row["range_method"]


def test_arrays_are_the_frame_columns():
    pf = Portfolio.from_cards(_cards())
    ev = engine.evaluate(pf, SNAP)
    fr = ev.frame
    for k, v in ev.reconciled.items():
        got = fr[k].to_numpy()
        if v.dtype.kind == "f":
            assert np.array_equal(got.astype(float), v, equal_nan=True), k
        else:
            assert [x if isinstance(x, str) or not pd.isna(x) else "" for x in got.tolist()] \
                == [x if x is not None else "" for x in v.tolist()], k


def test_guard_refuses_a_conclusion_beyond_finite_amounts():
    # row 0 fine; row 1 estimate 2e18 > MAX_AMOUNT 1e18 → refused; row 2 high = inf → refused;
    # row 3 no estimate (NaN) → left as it is, without a reason
    cols = {"estimate": np.array([1.0, 2e18, 5.0, np.nan]), "low": np.array([0.5, 1.0, 4.0, np.nan]),
            "high": np.array([2.0, 3e18, np.inf, np.nan]),
            "reason_zh": np.array(["", "", "", "无"], dtype=object),
            "reason_en": np.array(["", "", "", "none"], dtype=object)}
    before = {k: v.copy() for k, v in cols.items()}
    out = guard_columns(cols)
    assert out["estimate"][0] == 1.0 and out["low"][0] == 0.5 and out["high"][0] == 2.0
    for i in (1, 2):
        assert all(math.isnan(out[c][i]) for c in ("estimate", "low", "high"))
        assert out["reason_zh"][i] == CONCLUSION_OVERFLOW_ZH and out["reason_en"][i] == CONCLUSION_OVERFLOW_EN
    assert out["reason_zh"][3] == "无" and out["reason_zh"][0] == ""
    for k, v in before.items():                   # the given arrays are not changed
        assert np.array_equal(cols[k], v, equal_nan=True) if v.dtype.kind == "f" else list(cols[k]) == list(v)
    fine = {k: v[:1] for k, v in cols.items()}
    assert guard_columns(fine) is fine            # nothing refused: the columns themselves


_amount = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e18, -1e18, 1.0000001e18]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_amount, _amount, _amount), min_size=1, max_size=8))
def test_guard_leaves_only_finite_conclusions(rows):
    # invariant: after the guard, a row keeps its conclusion only when estimate, low and high
    # are all finite with |x| ≤ MAX_AMOUNT, and then unchanged; a refused row has all three
    # NaN and the overflow reason; a row without an estimate is left as it was
    est, lo, hi = (np.array(c, dtype=float) for c in zip(*rows))
    n = len(rows)
    out = guard_columns({"estimate": est, "low": lo, "high": hi,
                         "reason_zh": np.full(n, "", dtype=object), "reason_en": np.full(n, "", dtype=object)})
    for i in range(n):
        ok = all(math.isfinite(x) and abs(x) <= MAX_AMOUNT for x in (est[i], lo[i], hi[i]))
        if math.isnan(est[i]):
            assert math.isnan(out["estimate"][i]) and out["reason_zh"][i] == ""
            assert np.array_equal(out["low"][i], lo[i], equal_nan=True)
        elif ok:
            assert (out["estimate"][i], out["low"][i], out["high"][i]) == (est[i], lo[i], hi[i])
            assert out["reason_zh"][i] == ""
        else:
            assert all(math.isnan(out[c][i]) for c in ("estimate", "low", "high"))
            assert out["reason_zh"][i] == CONCLUSION_OVERFLOW_ZH
