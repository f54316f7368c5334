"""Revenue forecasts from history with statsmodels (CAS 2023 art. 21(1): predictability).

Candidates: ETS (statsmodels ``ETSModel``: additive errors, no trend ``A,N,N`` and additive
trend ``A,A,N``) and ARIMA with drift (orders (0,1,1), (1,1,0), (0,1,0)). ``method="auto"``
keeps the candidate with the lowest AIC; ``ets`` / ``arima`` restrict the family. The
projection covers ``periods`` yearly periods with a prediction interval of the stated coverage
(80 % by default). A quarterly or monthly history is projected in its own frequency and summed
to years; the interval of a yearly sum then comes from 2 000 simulated paths (seeded).

Used only for cards that give revenue history instead of a projection. A fit (model
selection by AIC and simulated paths) is the dearest step of an appraisal and a pure function
of its inputs (the fitting is deterministic, the simulations are seeded), so the last
:data:`_CACHE_SIZE` forecasts are kept, keyed by the exact inputs: the engine fits a card's
history once for its own run and again for the replicated run of the range, and a service
sees the same card more than once. Callers get their own copies.
"""
from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from ...core.errors import Issue, RefusedError, ValidationError

__all__ = ["STEPS_PER_YEAR", "Forecast", "forecast_history"]

STEPS_PER_YEAR = {"yearly": 1, "quarterly": 4, "monthly": 12}
_SIMS = 2000


@dataclass(frozen=True)
class Forecast:
    """Projection (per yearly period) with its prediction interval."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str
    aic: float
    coverage: float = 0.8
    candidates: dict[str, float] = field(default_factory=dict)   # model → AIC


_CACHE_SIZE = 256   # forecasts kept (a few kB each)
_CACHE: OrderedDict[tuple[object, ...], Forecast] = OrderedDict()
_LOCK = threading.Lock()


def _sum_blocks(x: np.ndarray, k: int) -> np.ndarray:
    return x.reshape(*x.shape[:-1], -1, k).sum(axis=-1)


def _finish(name: str, res, fc_mean, ci, h_years: int, k: int, alpha: float, simulate) -> Forecast:
    if k == 1:
        return Forecast(np.asarray(fc_mean, float), np.asarray(ci[0], float), np.asarray(ci[1], float),
                        name, float(res.aic), 1 - alpha)
    sims = np.asarray(simulate(), float)           # (h, reps)
    sims = sims.reshape(h_years * k, -1).T          # (reps, h)
    yearly = _sum_blocks(sims, k)                   # (reps, years)
    mean = _sum_blocks(np.asarray(fc_mean, float), k)
    lo, hi = np.quantile(yearly, [alpha / 2, 1 - alpha / 2], axis=0)
    return Forecast(mean, np.minimum(lo, mean), np.maximum(hi, mean), name, float(res.aic), 1 - alpha)


def _ets(y: np.ndarray, h_years: int, k: int, alpha: float, trend: str | None) -> Forecast:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(y, error="add", trend=trend).fit(disp=False)
    h = h_years * k
    fr = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=alpha)
    name = "ets(A,A,N)" if trend else "ets(A,N,N)"
    return _finish(name, res, fr["mean"].to_numpy(), (fr["pi_lower"].to_numpy(), fr["pi_upper"].to_numpy()),
                   h_years, k, alpha,
                   lambda: res.simulate(h, anchor="end", repetitions=_SIMS, rng=np.random.default_rng(7)))


def _arima(y: np.ndarray, h_years: int, k: int, alpha: float, order: tuple[int, int, int]) -> Forecast:
    from statsmodels.tsa.arima.model import ARIMA

    res = ARIMA(y, order=order, trend="t").fit()
    h = h_years * k
    fc = res.get_forecast(h)
    ci = np.asarray(fc.conf_int(alpha=alpha))
    return _finish(f"arima{order}", res, np.asarray(fc.predicted_mean), (ci[:, 0], ci[:, 1]), h_years, k,
                   alpha, lambda: res.simulate(h, anchor="end", repetitions=_SIMS,
                                               rng=np.random.default_rng(7)))


def forecast_history(values, periods: int, method: str = "auto", coverage: float = 0.8,
                     frequency: str = "yearly") -> Forecast:
    """Project ``periods`` yearly values from a history (oldest first).

    Parameters
    ----------
    values : past revenue, oldest first (NaN dropped).
    periods : number of yearly periods to project (``income.periods``).
    method : ``auto`` (lowest AIC among ETS and ARIMA), ``ets`` or ``arima``.
    coverage : coverage of the prediction interval (default 0.80).
    frequency : ``yearly``, ``quarterly`` or ``monthly`` (the history's frequency).

    Raises
    ------
    ValidationError
        fewer than 4 observations, an unknown method or frequency.
    RefusedError
        no candidate model could be fitted.
    """
    y = np.asarray(values, float).ravel()
    y = y[~np.isnan(y)]
    if method not in ("auto", "ets", "arima"):
        raise ValidationError([Issue("income.history.method", method, "auto, ets, arima",
                                     f"预测方法 {method!r} 不支持，可选 auto、ets、arima",
                                     f"forecast method {method!r} is not supported; use auto, ets or arima")])
    if frequency not in STEPS_PER_YEAR:
        raise ValidationError([Issue("income.history.frequency", frequency, "yearly, quarterly, monthly",
                                     f"历史频率 {frequency!r} 不支持", f"history frequency {frequency!r} is not supported")])
    if len(y) < 4:
        raise ValidationError([Issue("income.history.values", list(y), "at least 4 numbers",
                                     f"历史收入至少需要 4 个观测值，当前 {len(y)} 个",
                                     f"at least 4 historical values are needed, got {len(y)}")])
    periods = int(periods)
    if periods < 1:
        raise ValidationError([Issue("income.periods", periods, ">= 1", "预测期数须至少为 1",
                                     "the number of periods must be at least 1")])
    # the coverage's type too: the forecast carries the coverage as given
    key = (y.tobytes(), periods, method, coverage, type(coverage), frequency)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is None:
        hit = _fit(y, periods, method, coverage, frequency)
        with _LOCK:
            _CACHE[key] = hit
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return _copy(hit)


def _copy(fc: Forecast) -> Forecast:
    """The forecast with arrays and candidates of its own (the cached one stays untouched)."""
    return replace(fc, mean=fc.mean.copy(), lower=fc.lower.copy(), upper=fc.upper.copy(),
                   candidates=dict(fc.candidates))


def _fit(y: np.ndarray, periods: int, method: str, coverage: float, frequency: str) -> Forecast:
    """The candidates' fits and the best of them (:func:`forecast_history` without the checks)."""
    k = STEPS_PER_YEAR[frequency]
    alpha = 1 - coverage
    cands: list[Forecast] = []
    jobs = []
    if method in ("auto", "ets"):
        jobs += [lambda: _ets(y, periods, k, alpha, "add"), lambda: _ets(y, periods, k, alpha, None)]
    if method in ("auto", "arima"):
        jobs += [lambda o=o: _arima(y, periods, k, alpha, o) for o in ((0, 1, 1), (1, 1, 0), (0, 1, 0))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for job in jobs:
            try:
                fc = job()
            except Exception:  # noqa: BLE001, S112 - a failed candidate is skipped, the others remain
                continue
            if np.isfinite(fc.aic) and np.isfinite(fc.mean).all():
                cands.append(fc)
    if not cands:
        raise RefusedError("历史收入无法拟合任何预测模型（ETS/ARIMA），请直接提供收益预测",
                           "no forecasting model (ETS/ARIMA) could be fitted to the history; give a projection",
                           field="income.history.values", value=list(map(float, y)), allowed="a forecastable series")
    best = min(cands, key=lambda c: c.aic)
    return Forecast(best.mean, best.lower, best.upper, best.model, best.aic, coverage,
                    {c.model: c.aic for c in cands})
