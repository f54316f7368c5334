"""Reconciliation of the approaches into one conclusion per asset (CAS 2023 art. 24): the
engine's entry point (:func:`reconcile_columns`, arrays) and the frames faces ask for
(:func:`combine`, :func:`weights_for`).

The work is split by concept: weights by purpose and value type (:mod:`.weights`), the
conclusion and its range (:mod:`.combine`, :mod:`.uncertainty`), the Monte Carlo draws and
tornados in one run of each approach (:mod:`.together`, on perturbed inputs:
:mod:`.perturbed`), the art. 24 explanation (:mod:`.explain`) and the frames handed back
(:mod:`valuation.core.result_frames`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
from ..core.result_frames import frame_of
from ..methods.base import MethodFn, MethodResult
from .combine import approach_table, asset_keys_of, combine_columns, names_of
from .config import reconcile_config
from .explain import PURPOSE_ZH, VALUE_TYPE_ZH, explain
from .together import evaluate_together
from .uncertainty import default_params
from .weights import LABELS, METHODS, default_methods, weights

__all__ = [
    "LABELS",
    "METHODS",
    "PURPOSE_ZH",
    "VALUE_TYPE_ZH",
    "combine",
    "default_methods",
    "explain",
    "reconcile_columns",
    "weights_for",
]

_explain = explain      # (``reconcile_columns``' flag of that name hides the function)


def weights_for(pf: Portfolio, applicable: Any, config: Mapping[str, Any] | None = None,
                names: tuple[str, ...] = METHODS) -> tuple[Any, Any]:
    """Weights (assets × approaches) and per-asset metadata (source, rule reason, notes) as
    frames; ``applicable``: a frame of booleans (assets × approaches).

    Raises
    ------
    RefusedError
        When a card overrides weights without ``engagement.weights_reason``, or its weights
        sum to 0.
    """
    cfg = config if config is not None else reconcile_config()
    app = applicable.reindex(index=pf.index, columns=list(names)).fillna(False).to_numpy(bool)
    Wn, meta = weights(pf, app, cfg, names)
    return (frame_of({m: Wn[:, j] for j, m in enumerate(names)}, pf.index), frame_of(meta, pf.index))


def combine(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any = None, *,
            config: Mapping[str, Any] | None = None, methods: Mapping[str, MethodFn] | None = None,
            range_method: str | None = None, draws: int | None = None) -> Any:
    """One row per asset (:func:`.combine.combine_columns`): the conclusion, its guided range
    and each approach's value, range, weight and reasons — as a frame on the portfolio's index:
    the faces' adapter (``facade/analysis.py``'s sensitivity of the conclusion); the engine
    reads the arrays (:func:`reconcile_columns`)."""
    cfg = config if config is not None else reconcile_config(snap)
    cols, _ = combine_columns(pf, results, snap, cfg, methods=methods, range_method_=range_method, draws=draws)
    return frame_of(cols, pf.index)


def reconcile_columns(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any = None, *,
                      explain: bool = False, config: Mapping[str, Any] | None = None,
                      methods: Mapping[str, MethodFn] | None = None, range_method: str | None = None,
                      draws: int | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Engine entry point: (reconciled columns as arrays in the portfolio's order,
    :func:`.combine.combine_columns`; {asset_id: art. 24 explanation} when ``explain``).
    Without ``methods``, ``results`` must be the snapshot's approaches run on ``pf`` (as
    :func:`valuation.engine.evaluate` runs them): the explanation reads its unperturbed runs
    from them instead of running the approaches again."""
    cfg = config if config is not None else reconcile_config(snap)
    fns = dict(methods) if methods is not None else None
    names = names_of(results)
    table = approach_table(pf, results, names)
    weighted = weights(pf, table.app, cfg, names)
    mc: dict[str, Any] = {}
    tor: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    params = keys = None
    if explain:
        params = default_params(cfg, getattr(snap, "models", None))
        reuse = fns is None
        if fns is None:
            fns = default_methods(snap, tuple(results))
        keys = asset_keys_of(pf) if len(pf) else None
        mc, tor = evaluate_together(pf, results, snap, cfg, fns, range_method, draws, table.app, weighted[0],
                                    reuse, keys=keys, params=params)
    cols, meta = combine_columns(pf, results, snap, cfg, methods=fns, range_method_=range_method, draws=draws,
                                 evaluated=mc, table=table, weighted=weighted, keys=keys, params=params)
    if not explain:
        return cols, {}
    return cols, _explain(pf, results, None, methods=fns, config=cfg, snap=snap, meta=meta, _tornados=tor,
                          _columns=cols, _params=params)
