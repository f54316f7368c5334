"""The hedonic prediction interval of ``hedonic_interval = normal`` (market approach, docs/DOMAIN.md
§4; the formula in :mod:`valuation.methods.market.hedonic`): ln P̂ ± t_q·sd with t_q the Student-t
quantile of the fit's residual degrees of freedom."""
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from valuation.library.cases import cases_frame
from valuation.library.cases.table import case_table
from valuation.methods.market.features import raw_feature_arrays
from valuation.methods.market.hedonic import HedonicModel
from valuation.methods.market.params import resolve_params

ROOT = Path(__file__).resolve().parents[2]


def test_t_interval_uses_students_quantile_of_the_residual_df():
    cases = cases_frame(pd.read_csv(ROOT / "case_library" / "cases.csv"))
    p = dict(resolve_params(None), hedonic_interval="normal", coverage=0.8)
    h = HedonicModel(p).fit(case_table(cases))
    fit = h.fits_["one_off"]
    subjects = case_table(cases).take(np.flatnonzero(cases["price_mode"].to_numpy() == "one_off")[:5])
    feats = raw_feature_arrays(subjects, list(p["hedonic_categorical"]), [])
    got = h.predict_columns(feats, np.full(5, "one_off", dtype=object), 0.8)
    # the reference: scipy.stats' t quantile at 0.5 + 0.8/2 = 0.9 (the engine computes it with
    # scipy.special.stdtrit, which is what stats.t.ppf evaluates); for df = ∞ it would be 1.2816
    t = stats.t.ppf(0.9, fit.df_resid)
    assert 1.28 < t < 1.35 and fit.df_resid > 20
    mu, sd = got["mean_log"], got["sd_pred"]
    np.testing.assert_allclose(got["low"], np.exp(mu - t * sd), rtol=1e-15)
    np.testing.assert_allclose(got["high"], np.exp(mu + t * sd), rtol=1e-15)
    # and differs from the default empirical interval (a test that could not tell them apart
    # would not test the t branch)
    emp = HedonicModel(dict(p, hedonic_interval="empirical")).fit(case_table(cases))
    assert not np.allclose(emp.predict_columns(feats, np.full(5, "one_off", dtype=object), 0.8)["low"],
                           got["low"])
