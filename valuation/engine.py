"""The appraisal pipeline over a portfolio: methods → reconciliation and range → risk flags.

Pure: a function of (portfolio, library snapshot, as-of date). The faces reach it through
:mod:`valuation.api`; batch revaluation runs it on partitions. A single appraisal is the
same code on a portfolio of one (docs/DESIGN.md §3).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .core.citations import citations
from .core.portfolio import Portfolio
from .core.result import Result, clean
from .core.result_columns import Reconciled
from .core.snapshot import LibrarySnapshot
from .methods.base import Approach, MethodResult
from .methods.finite import (
    NEGATIVE_EN,
    NEGATIVE_ZH,
    OVERFLOW_EN,
    OVERFLOW_ZH,
    finite_amounts,
    guard_columns,
)
from .methods.registry import APPROACHES, params_of
from .pricing.reconcile import reconcile_columns
from .rules.engine import compile_rules, flags_for
from .rules.facts import fact_arrays

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Evaluation", "evaluate", "reconciled", "rule_hits", "ruleset_of", "run_method"]


def run_method(name: str, pf: Portfolio, snap: LibrarySnapshot, *, trace: bool = False
               ) -> MethodResult:
    """Run one registered approach over the whole portfolio (:mod:`valuation.methods.registry`);
    an approach that cannot run for an asset reports it as not applicable with the reason —
    never an invented number."""
    return _run(APPROACHES[name], pf, snap, trace)


def _run(ap: Approach, pf: Portfolio, snap: LibrarySnapshot, trace: bool) -> MethodResult:
    """The approach with the snapshot's parameters, then the guards every approach shares:
    finite amounts, a negative value only for a stated loss-making asset (issue 17), and "not
    applicable" where the card has no section for it — on the result's arrays."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # caught below, as reasons
        res = ap.appraise(pf, params_of(ap, snap), trace=trace)
    table = pf.columns
    app, est = res.flag("applicable"), res.num("estimate")
    # an overflow or NaN is "not applicable", never a number
    amounts = [est] + [res.num(c) for c in ("low", "high") if c in res.columns]
    res = res.refused(app & ~finite_amounts(*amounts), OVERFLOW_ZH, OVERFLOW_EN, "overflow")
    # a negative value only for a stated loss-making asset
    loss = np.array(table["income_loss_making"], dtype=bool) if "income_loss_making" in table \
        else np.zeros(len(pf), bool)
    app, est = res.flag("applicable"), res.num("estimate")
    with np.errstate(invalid="ignore"):
        res = res.refused(app & (est < 0) & ~loss, NEGATIVE_ZH, NEGATIVE_EN, "negative")
    flag = f"has_{ap.section}"
    missing = ~np.asarray(table[flag], dtype=bool) if flag in table else np.ones(len(pf), bool)
    return res.refused(missing, "评估请求未提供该方法所需的数据（该部分缺失）",
                       "the request has no section for this approach", first=True)


def _evidence(methods: Mapping[str, Mapping[str, Any]], snapshot_id: Any, row: Mapping[str, Any]
              ) -> tuple[dict[str, Any], int | None]:
    """Coverage basis of the ranges and the real comparables behind the market value (issue 16).

    The guided range of the reconciled value is a Monte Carlo over the models library's
    parameter distributions (or their analytic mixture): its coverage is *assumed*; the Monte
    Carlo standard error of each bound is stated (``mc_se_low``, ``mc_se_high``). A market range calibrated by
    split-conformal on the case library (``range_basis = conformal_cv``) is *measured* on n
    out-of-fold cases (see ``valuation backtest`` for the hold-out figures)."""
    mk = methods.get("market") or {}
    det = mk.get("details") or {}
    applicable = bool(mk.get("applicable"))
    n_real = int(det.get("n_real_comparables") or 0) if applicable else None
    market = None
    if applicable and det.get("range_basis") == "conformal_cv":
        market = {"basis": "measured", "method": "split-conformal on residuals with the row, listing family or provider left out (5-fold CV, GroupKFold)", "n": int(det.get("conformal_n") or 0),
                  "dataset": f"case library {snapshot_id}"}
    elif applicable:
        market = {"basis": "assumed", "method": str(det.get("range_basis") or "")}
    guided = {"basis": "assumed", "method": str(row.get("range_method") or ""),
              "mc_se_low": clean(row.get("low_se")), "mc_se_high": clean(row.get("high_se"))}
    return {"guided_range": guided, "market_range": market}, n_real


@dataclass
class Evaluation:
    """Everything computed for a portfolio."""

    reconciled: Reconciled                      # estimate, low, high, coverage, <m>_* as arrays
    methods: dict[str, MethodResult]
    flags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshot_id: str = ""

    @property
    def frame(self) -> pd.DataFrame:
        """The reconciled frame (the edge form for the batch writer, reports and the
        dashboard's tables), built on first use (:attr:`Reconciled.frame`)."""
        return self.reconciled.frame

    def result(self, asset_id: str, *, input_hash: str = "", seed: int | None = None) -> Result:
        # the reconciled values, read from the arrays: every number goes through clean();
        # valuation_date is ISO text already (Reconciled.row)
        row = self.reconciled.row(asset_id)
        methods: dict[str, dict[str, Any]] = {}
        warnings: list[dict[str, Any]] = []
        for m, mr in self.methods.items():
            r = mr.row(asset_id)
            d = {"estimate": r.get("estimate"), "low": r.get("low"), "high": r.get("high"),
                 "weight": clean(row.get(f"{m}_weight")), "applicable": bool(r.get("applicable")),
                 "reason_zh": r.get("reason_zh") or "", "reason_en": r.get("reason_en") or "",
                 "details": {k: v for k, v in r.items() if k not in
                             ("estimate", "low", "high", "applicable", "reason_zh", "reason_en")},
                 "trace": mr.traces.get(asset_id, [])}
            d["reason"] = d["reason_zh"]
            methods[m] = d
            for w in mr.warnings.get(asset_id, []):
                warnings.append({"method": m, **w})
        flags = self.flags.get(asset_id, [])
        final = not any(f.get("severity") == "blocker" for f in flags)
        prov = {"engine_version": __version__, "library_snapshot": self.snapshot_id,
                "input_hash": input_hash,
                "valuation_date": row.get("valuation_date"),
                "random_seed": seed}
        est = clean(row.get("estimate"))
        basis, n_real = _evidence(methods, self.snapshot_id, row)
        return Result(asset_id=str(asset_id), estimate=est, low=clean(row.get("low")),
                      high=clean(row.get("high")), coverage=clean(row.get("coverage")),
                      currency=str(row.get("currency") or "CNY"), methods=methods, flags=flags,
                      provenance=prov, final=final,
                      explanation=self.explanations.get(asset_id, {}), warnings=warnings,
                      status="ok" if est is not None and row_ok(row) else "no_estimate",
                      coverage_basis=basis, n_real_comparables=n_real)


def row_ok(row: Mapping[str, Any]) -> bool:
    """``status: ok`` needs a finite estimate, low and high (issue 17)."""
    return all(clean(row.get(k)) is not None for k in ("estimate", "low", "high"))


def reconciled(pf: Portfolio, results: Mapping[str, MethodResult], snap: LibrarySnapshot,
               explain: bool = False) -> tuple[Reconciled, dict[str, dict[str, Any]]]:
    """The approaches' ``results`` reconciled into a guided price range (docs/DESIGN.md §1)
    and, with ``explain``, its explanation per asset. The step
    :func:`evaluate` takes; public for the batch, which takes the same steps without the
    flags' messages (:func:`valuation.batch.partition.evaluate_columns`)."""
    cols, expl = reconcile_columns(pf, dict(results), snap, explain=explain)
    # a conclusion only with a finite estimate, low and high
    return Reconciled(guard_columns(cols), pf.index, pf.columns), expl


def rule_hits(pf: Portfolio, rec: Reconciled, results: Mapping[str, MethodResult],
              snap: LibrarySnapshot, as_of: _dt.date | None) -> tuple[Any, dict[str, np.ndarray], Any]:
    """``(rule set, facts, hits)``: the snapshot's compiled rules evaluated on the facts of the
    typed asset table and the results' arrays (no result frame is built; only the facts the
    rules read or show), the hits as positions. The step :func:`evaluate` takes before the
    flags' messages; public for the batch, which keeps only the codes."""
    ruleset = ruleset_of(snap)
    facts = fact_arrays(pf.columns, rec, methods={m: mr.columns for m, mr in results.items()}, as_of=as_of,
                        names=ruleset.facts)
    return ruleset, facts, ruleset.evaluate(facts, len(pf))


def _flags(pf: Portfolio, rec: Reconciled, results: Mapping[str, MethodResult],
           snap: LibrarySnapshot, as_of: _dt.date | None) -> dict[str, list[dict[str, Any]]]:
    ruleset, facts, hits = rule_hits(pf, rec, results, snap, as_of)
    return _cite(flags_for(facts, pf.columns.ids, hits, ruleset), snap)


def _cite(flags: dict[str, list[dict[str, Any]]], snap: LibrarySnapshot
          ) -> dict[str, list[dict[str, Any]]]:
    """Give each flag ``citations`` beside its ``references`` codes: the cited documents by
    title and article from the snapshot's standards library (《数据资产评估指导意见》第二十四条 /
    Guidance on Data Asset Appraisal, art. 24; ``docs/DOMAIN.md`` §1). One list per snapshot
    and distinct reference tuple, shared by the flags that cite it (read it, do not change it)."""
    sid = snap.snapshot_id
    for fl in flags.values():
        for f in fl:
            key = (sid, tuple(f.get("references") or ()))
            c = _CITATIONS.get(key)
            if c is None:
                if len(_CITATIONS) > 4096:
                    _CITATIONS.clear()
                c = _CITATIONS[key] = citations(key[1], snap.standards)
            f["citations"] = c
    return flags


_CITATIONS: dict[tuple[str, tuple[str, ...]], list[dict[str, str]]] = {}


_RULESETS: dict[str, Any] = {}


def ruleset_of(snap: LibrarySnapshot) -> Any:
    """The snapshot's rules compiled (:func:`valuation.rules.engine.compile_rules`), once per
    snapshot id: the flags of :func:`evaluate` and of a batch partition come from it."""
    rs = _RULESETS.get(snap.snapshot_id)
    if rs is None:
        rs = compile_rules(snap.rules)
        if len(_RULESETS) > 32:
            _RULESETS.clear()
        _RULESETS[snap.snapshot_id] = rs
    return rs


def evaluate(pf: Portfolio, snap: LibrarySnapshot, *, trace: bool = False,
             explain: bool = False, as_of: _dt.date | None = None) -> Evaluation:
    """Appraise every asset of a portfolio with every applicable approach, reconcile, range
    and flag. Vectorised: one call per registered approach (in the registry's order) for
    the whole portfolio."""
    results = {name: _run(ap, pf, snap, trace) for name, ap in APPROACHES.items()}
    rec, explanations = reconciled(pf, results, snap, explain)
    flags = _flags(pf, rec, results, snap, as_of)
    return Evaluation(reconciled=rec, methods=results, flags=flags, explanations=explanations,
                      snapshot_id=snap.snapshot_id)
