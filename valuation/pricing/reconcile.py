"""Reconciliation of the approaches into one conclusion per asset (CAS 2023 art. 24): the
engine's entry point (:func:`reconcile_columns`, arrays; a face that wants a frame builds it
from them at its edge).

The work is split by concept: weights by purpose and value type (:mod:`.weights`), the
conclusion and its range (:mod:`.combine`, :mod:`.uncertainty`), the Monte Carlo draws and
tornados in one run of each approach (:mod:`.together`, on perturbed inputs:
:mod:`.perturbed`) and the art. 24 explanation (:mod:`.explain`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
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
    "default_methods",
    "explain",
    "reconcile_columns",
]

_explain = explain      # (``reconcile_columns``' flag of that name hides the function)


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
    return cols, _explain(pf, results, methods=fns, config=cfg, snap=snap, meta=meta, _tornados=tor,
                          _columns=cols, _params=params)
