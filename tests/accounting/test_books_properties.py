"""Invariants of the books (hypothesis): amortisation never exceeds the amortisable amount and
grows with time; a schedule amortises exactly cost − residual − impairment over the life; the
impairment loss is never negative and leaves the carrying amount at the recoverable amount."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.accounting.amortise import consumed_share, schedule
from valuation.accounting.impairment import impairment_loss, recoverable_amount

money = st.floats(min_value=0, max_value=1e10, allow_nan=False)
dates = st.dates(min_value=np.datetime64("2000-01-01").astype(object),
                 max_value=np.datetime64("2040-12-31").astype(object))


@settings(max_examples=200, deadline=None)
@given(available=dates, d1=st.integers(0, 8000), d2=st.integers(0, 8000),
       life=st.floats(min_value=0.25, max_value=50), conv=st.sampled_from(["months", "days"]))
def test_share_is_monotone_and_bounded(available, d1, d2, life, conv):
    av = np.datetime64(available, "D")
    at = np.array([av + np.timedelta64(min(d1, d2), "D"), av + np.timedelta64(max(d1, d2), "D")])
    s = consumed_share(np.full(2, "straight_line", object), np.full(2, conv, object), np.full(2, av), at,
                       np.full(2, life), np.full(2, np.nan), np.full(2, np.nan))
    assert 0 <= s[0] <= s[1] <= 1


@settings(max_examples=100, deadline=None)
@given(available=dates, cost=st.floats(min_value=1, max_value=1e9), res_share=st.floats(0, 0.5),
       life=st.floats(min_value=0.5, max_value=20), conv=st.sampled_from(["months", "days"]),
       bs_days=st.integers(0, 9000), loss_share=st.floats(0, 1))
def test_schedule_amortises_exactly_the_amortisable_amount(available, cost, res_share, life, conv, bs_days,
                                                            loss_share):
    av = np.datetime64(available, "D")
    bs = av + np.timedelta64(bs_days, "D")
    residual = cost * res_share
    s_bs = float(consumed_share(np.array(["straight_line"], object), np.array([conv], object), np.array([av]),
                                np.array([bs]), np.array([life]), np.array([np.nan]), np.array([np.nan]))[0])
    carrying_bs = cost - (cost - residual) * s_bs
    loss = max(carrying_bs - residual, 0.0) * loss_share
    rows = schedule(cost=cost, residual=residual, life=life, method="straight_line", convention=conv,
                    available=av, bs_date=bs, units_total=np.nan, units_used=np.nan,
                    units_per_year=np.zeros(0), prior_impairment=0.0, loss=loss)
    total = sum(r["amortisation"] for r in rows)
    assert all(r["amortisation"] >= -1e-6 * cost for r in rows)
    if s_bs < 1:     # the life ends after the balance-sheet date: the last row is the end of life
        assert np.isclose(total + loss, cost - residual, rtol=1e-9, atol=1e-6)
        assert np.isclose(rows[-1]["carrying_amount"], residual, rtol=1e-9, atol=1e-6)


@given(st.lists(st.tuples(money, st.one_of(money, st.just(np.nan)), st.one_of(money, st.just(np.nan))),
                min_size=1, max_size=30))
def test_loss_never_negative_and_carrying_lands_on_recoverable(rows):
    carrying, viu, fv = (np.array(x, float) for x in zip(*rows))
    rec, _ = recoverable_amount(viu, fv)
    loss = impairment_loss(carrying, rec)
    assert (loss >= 0).all()
    hit = loss > 0
    # float cancellation: tolerance relative to the carrying amount (1e-9 of it)
    assert np.all(np.abs(carrying[hit] - loss[hit] - rec[hit]) <= 1e-9 * np.maximum(carrying[hit], 1.0))
    assert np.all(np.isnan(rec) | (rec >= np.fmin(viu, fv)) | np.isnan(np.fmin(viu, fv)))
