"""The discounting kernel on plain arrays (assets × periods), independent of portfolios.
Tolerances: closed forms 1e-12 relative; 4-decimal textbook factors exact to 1e-12."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.errors import RefusedError
from valuation.methods.income.kernel import discount, exponents, life_weights, publication_rate


def test_level_stream_is_the_closed_form_annuity_for_many_assets_at_once():
    i = np.array([0.05, 0.10, 0.16, 0.30])
    n = np.array([1, 3, 5, 8])
    F = np.where(np.arange(8)[None, :] < n[:, None], 250.0, np.nan)   # NaN padded
    res = discount(F, i)
    annuity = 250.0 * (1 - (1 + i) ** -n) / i
    np.testing.assert_allclose(res.value, annuity, rtol=1e-12)
    np.testing.assert_allclose(res.pv_terminal, 0.0)


def test_gordon_terminal_value_is_the_perpetuity_of_the_last_flow():
    F = np.array([[100.0, 100.0, 100.0]])
    res = discount(F, np.array([0.1]), terminal_growth=np.array([0.0]))
    # level perpetuity: 100 / 0.1 = 1000 in total
    assert res.value[0] == pytest.approx(1000.0, rel=1e-12)
    res = discount(F, np.array([0.1]), terminal_growth=np.array([0.04]))
    assert res.pv_terminal[0] == pytest.approx(100 * 1.04 / 0.06 / 1.1 ** 3, rel=1e-12)


def test_g_not_below_i_refused_naming_both_rates():
    F = np.array([[100.0, 100.0], [100.0, 100.0]])
    res = discount(F, np.array([0.1, 0.08]), terminal_growth=np.array([0.03, 0.08]))
    assert list(res.terminal_refused) == [False, True] and np.isnan(res.value[1]) and np.isfinite(res.value[0])
    with pytest.raises(RefusedError) as e:
        discount(F, np.array([0.1, 0.08]), terminal_growth=np.array([0.03, 0.08]), strict=True)
    err = e.value
    assert err.field == "income.terminal_growth" and err.value == 0.08
    assert "g = 8.0000%" in err.message_en and "i = 8.0000%" in err.message_en
    assert "永续增长率" in err.message_zh and "折现率" in err.message_zh


def test_partial_first_period_and_mid_period_exponents():
    f = np.array([0.5, 1.0])
    tau_end = exponents(3, f, np.array([False, False]))
    tau_mid = exponents(3, f, np.array([True, True]))
    np.testing.assert_allclose(tau_end, [[0.5, 1.5, 2.5], [1, 2, 3]])
    np.testing.assert_allclose(tau_mid, [[0.25, 1.0, 2.0], [0.5, 1.5, 2.5]])


def test_life_weights_cut_a_fractional_last_period_pro_rata():
    w = life_weights(np.array([2.5, 1.25, 10.0]), 4, np.array([1.0, 0.5, 1.0]))
    np.testing.assert_allclose(w, [[1, 1, 0.5, 0], [1, 0.75, 0, 0], [1, 1, 1, 1]])


def test_publication_mode_uses_textbook_factors():
    """Textbook 5-year table at 15 %: 0.8696, 0.7561, 0.6575, 0.5718, 0.4972."""
    F = np.array([[100.0, 120.0, 130.0, 130.0, 110.0]])
    res = discount(F, np.array([0.15]), publication=np.array([True]))
    np.testing.assert_allclose(res.factors[0], [0.8696, 0.7561, 0.6575, 0.5718, 0.4972], atol=0)
    expected = 100 * 0.8696 + 120 * 0.7561 + 130 * 0.6575 + 130 * 0.5718 + 110 * 0.4972
    assert res.value[0] == pytest.approx(expected, abs=1e-9)        # 412.226
    assert discount(F, np.array([0.15])).value[0] != pytest.approx(expected, abs=1e-4)
    assert publication_rate(np.array([0.123456]))[0] == pytest.approx(0.1235)



@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=8), st.floats(0.03, 0.5), st.floats(0.0, 0.3),
       st.floats(-0.02, 0.025), st.floats(0.05, 1.0), st.booleans(), st.booleans())
def test_higher_rate_never_raises_value_with_tail_partial_period_and_rounding(flows, i, bump, g, f, mid, pub):
    F = np.array([flows])
    kw = {"first_fraction": np.array([f]), "mid": np.array([mid]), "terminal_growth": np.array([g]),
          "publication": np.array([pub])}
    lo = discount(F, np.array([i]), **kw).value[0]
    hi = discount(F, np.array([i + bump]), **kw).value[0]
    assert hi <= lo + 1e-9 * max(1.0, abs(lo))
