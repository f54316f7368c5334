"""Revenue forecasts from history with statsmodels (CAS 2023 art. 21(1): predictability).

Exponential smoothing (ETS, additive trend) and ARIMA are fitted; the model with the lower
AIC gives the projection and its prediction interval. Used only for cards that give revenue
history instead of a projection, so a per-asset fit is acceptable here.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Forecast", "forecast_history"]


@dataclass(frozen=True)
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str
    aic: float


def _ets(y: np.ndarray, h: int, alpha: float) -> Forecast:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(y, error="add", trend="add").fit(disp=False)
    fr = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=alpha)
    return Forecast(fr["mean"].to_numpy(), fr["pi_lower"].to_numpy(), fr["pi_upper"].to_numpy(),
                    "ets(A,A,N)", float(res.aic))


def _arima(y: np.ndarray, h: int, alpha: float) -> Forecast:
    from statsmodels.tsa.arima.model import ARIMA

    best = None
    for order in ((0, 1, 1), (1, 1, 0), (0, 1, 0)):
        try:
            res = ARIMA(y, order=order, trend="t").fit()
        except Exception:  # noqa: BLE001 - a failed candidate is skipped, others remain
            continue
        if best is None or res.aic < best[1].aic:
            best = (order, res)
    if best is None:
        raise ValueError("no ARIMA model could be fitted")
    order, res = best
    fc = res.get_forecast(h)
    ci = np.asarray(fc.conf_int(alpha=alpha))
    return Forecast(np.asarray(fc.predicted_mean), ci[:, 0], ci[:, 1], f"arima{order}", float(res.aic))


def forecast_history(values: np.ndarray, periods: int, method: str = "auto",
                     coverage: float = 0.8) -> Forecast:
    """Project ``periods`` future values from a history (oldest first) with an interval of the
    stated coverage. ``method``: ``auto`` (lowest AIC), ``ets`` or ``arima``."""
    y = np.asarray(values, float)
    y = y[~np.isnan(y)]
    if len(y) < 4:
        raise ValueError(f"at least 4 historical values are needed, got {len(y)}")
    alpha = 1 - coverage
    cands = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fn in (("ets", _ets), ("arima", _arima)):
            if method in ("auto", name):
                try:
                    cands.append(fn(y, periods, alpha))
                except Exception:  # noqa: BLE001
                    continue
    if not cands:
        raise ValueError("no forecasting model could be fitted to the history")
    return min(cands, key=lambda c: c.aic)
