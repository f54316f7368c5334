"""The cost approach's typed reads: the trace's row reader and the text test of the override reason."""
import numpy as np
import pandas as pd
import pytest
from cost_cards import random_cards

from valuation.core.portfolio import Portfolio
from valuation.methods.base import _plain
from valuation.methods.cost import approach
from valuation.methods.typed import text_has
from valuation.quality.composite import composite_columns


def test_text_has_means_text_other_than_whitespace():
    vals = np.array(["", "理由", "  ", "\u3000", "x ", "...", " a\t", None], dtype=object)
    assert text_has(vals).tolist() == [False, True, False, False, True, True, True, False]


@pytest.mark.parametrize("seed", [0, 1])
def test_trace_rows_equal_the_frames_rows(seed):
    pf = Portfolio.from_cards(random_cards(20, seed))
    p = approach.resolve_params(None)
    rows = np.arange(0, 20, 3)
    keys = [pf.index[i] for i in rows]
    plain = lambda d: {k: {c: _plain(v) for c, v in r.items()} for k, r in d.items()}  # noqa: E731
    rc = approach.replacement_cost(pf, p)
    frame = pd.DataFrame(rc, index=pf.index)
    assert plain(approach._row_dicts(rc, rows, keys)) == plain(frame.iloc[rows].to_dict(orient="index"))
    q = composite_columns(pf, errors="mark", library=p["quality_library"])
    qf = pd.DataFrame(q, index=pf.index)   # (the quality columns' table, built at this edge)
    assert plain(approach._row_dicts(q, rows, keys)) == plain(qf.iloc[rows].to_dict(orient="index"))


def test_stream_reads_periods_one_to_the_last_by_hand():
    """``typed.stream``: a stream as (assets × periods 1..w), NaN after an asset's last period;
    a growth stream (rates from period 2) with period 1 missing."""
    import numpy as np

    from valuation.core.portfolio import Portfolio
    from valuation.methods import typed

    def card(aid, income):
        return {"asset": {"asset_id": aid, "name": aid}, "engagement": {"valuation_date": "2025-06-30"},
                "income": {"model": "direct", "discount_rate": 0.1, "periods": 3, "income": income}}

    pf = Portfolio.from_cards([card("A", {"base": 100.0, "growth": [0.1, 0.2]}), card("B", [1.0, 2.0, 3.0])])
    s = typed.stream(pf, "income.income")
    np.testing.assert_allclose(s, [[100.0, 110.0, 132.0], [1.0, 2.0, 3.0]])   # 100·1.1 = 110, 110·1.2 = 132
    g = typed.stream(pf, "income.income.growth")
    assert g.shape == (2, 3) and np.isnan(g[:, 0]).all() and np.isnan(g[1]).all()
    np.testing.assert_allclose(g[0, 1:], [0.1, 0.2])
    assert typed.stream(pf, "income.revenue") is None


@pytest.mark.parametrize("seed", [0, 3])
def test_delta_basis_read_by_code_is_the_label(seed):
    # the δ basis masks come from the enum codes; each equals comparing the labels, and the
    # appraisal without them (labels compared) gives the same columns exactly
    import dataclasses

    from valuation.methods.cost.inputs import basis_masks

    pf = Portfolio.from_cards(random_cards(25, seed))
    ap = approach.COST
    p = ap.params(None)
    x = ap.inputs(pf, p)
    masks = basis_masks(x)
    assert x.basis_is is not None and set(masks) == {"quality", "life", "combined", "expert", "given"}
    for b, m in masks.items():
        assert m.tolist() == (x.basis == b).tolist()
    assert sum(m.astype(int) for m in masks.values()).tolist() == [1] * 25      # one basis each
    a = ap.value(x, p).columns()
    b = ap.value(dataclasses.replace(x, basis_is=None), p).columns()
    for k in a:
        assert np.array_equal(np.asarray(a[k]), np.asarray(b[k]), equal_nan=np.asarray(a[k]).dtype.kind == "f"), k


def test_select_delta_by_labels_equals_by_masks():
    """The kernel picks δ per asset by its basis label, or by the masks the engine passes from
    the codes; both give the same δ (by hand: quality → δ_q, life → δ_life, combined →
    δ_q × δ_life = 0.9 × 0.5, expert, given; an unknown basis → NaN). Exact."""
    import numpy as np

    from valuation.methods.cost import select_delta

    basis = np.array(["quality", "life", "combined", "expert", "given", "?"], dtype=object)
    d_q, d_l = np.full(6, 0.9), np.full(6, 0.5)
    d_x, d_g = np.full(6, 0.7), np.full(6, 0.3)
    want = np.array([0.9, 0.5, 0.45, 0.7, 0.3, np.nan])
    by_labels = select_delta(basis, d_q, d_l, d_x, d_g)
    masks = {b: basis == b for b in ("quality", "life", "combined", "expert", "given")}
    by_masks = select_delta(np.zeros(6), d_q, d_l, d_x, d_g, is_basis=masks)
    np.testing.assert_allclose(by_labels, want, rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_masks, want, rtol=0, atol=1e-15)
