"""The accounting inputs of a portfolio as arrays, and the refusals of bad ones.

The ``accounting`` section of the card (``core/schema.py``) is validated field by field by the
schema (types, bounds: a negative cost or a life ≤ 0 is refused there). What needs several
fields at once is checked here, for all assets together, and reported in the project's error
shape (:class:`~valuation.core.errors.Issue`: field, value, allowed, zh and en):

* a missing date (acquisition date; the date available for use of a purchased or otherwise
  acquired intangible, without which amortisation has no start, CAS 6 art. 17);
* available for use, or a balance-sheet date, before the resource was acquired;
* no cost at all (neither ``capitalised_cost`` nor cost lines);
* a research-phase cost line marked ``capitalise`` (CAS 6 art. 8), a development line marked
  ``capitalise`` without the five criteria (CAS 6 art. 9), or a ``capitalised_cost`` above what
  the cost lines allow to capitalise (it would capitalise research or unqualified development);
* units of production without the total and used units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue
from ..core.schema import field_by_path
from ..core.validate import issue_for, missing_issue

__all__ = ["Inputs", "read_inputs", "refusals", "COST_TOLERANCE"]

#: capitalised_cost may exceed the eligible cost lines by rounding only (0.5 fen)
COST_TOLERANCE = 0.005

_A = "accounting_"


@dataclass(frozen=True)
class Inputs:
    """One entry per asset (arrays aligned with ``ids``)."""

    ids: np.ndarray
    present: np.ndarray            # the asset carries an accounting section
    intent: np.ndarray             # object: own_use | sale | None
    acquired_by: np.ndarray        # object: purchase | self_developed | other | None
    acquired: np.ndarray           # datetime64[D]
    bs_date: np.ndarray            # datetime64[D] (default: the valuation date)
    available: np.ndarray          # datetime64[D], NaT = not yet available for use
    capitalised_given: np.ndarray  # float, NaN when not given
    criteria_met: np.ndarray       # bool: all five CAS 6 art. 9 criteria
    life: np.ndarray               # float years, NaN = indefinite
    residual: np.ndarray
    method: np.ndarray             # object: straight_line | units
    convention: np.ndarray         # object: months | days
    units_total: np.ndarray
    units_used: np.ndarray
    units_per_year: list[np.ndarray]
    prior_impairment: np.ndarray
    selling_price: np.ndarray
    selling_costs: np.ndarray
    costs_to_complete: np.ndarray
    disposal_costs: np.ndarray
    price_change: np.ndarray
    planned: np.ndarray
    actual: np.ndarray
    rights_shortened: np.ndarray
    data_obsolete: np.ndarray
    rights_end: np.ndarray         # datetime64[D]
    update_frequency: np.ndarray
    declared_indicators: np.ndarray  # object: "a; b" text of asset.impairment_indicators
    price_mode: np.ndarray         # market.price_mode (fair value needs a one-off price)
    recognised_as: np.ndarray      # asset.recognised_as as typed on the card (or None)
    income_basis: np.ndarray       # income.income_basis (CAS 8 art. 11: value in use is pre-tax)
    research: np.ndarray           # Σ cost lines by phase
    development: np.ndarray
    acquisition: np.ndarray
    has_lines: np.ndarray
    research_capitalise: np.ndarray    # first offending line per asset, -1 when none
    development_capitalise: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _floats(a: pd.DataFrame, col: str, default: float = np.nan) -> np.ndarray:
    if col not in a.columns:
        return np.full(len(a), default)
    x = pd.to_numeric(a[col], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(x), default, x) if not np.isnan(default) else x


def _objects(a: pd.DataFrame, col: str) -> np.ndarray:
    if col not in a.columns:
        return np.full(len(a), None, dtype=object)
    return a[col].to_numpy(dtype=object, na_value=None)


def _dates(a: pd.DataFrame, col: str) -> np.ndarray:
    if col not in a.columns:
        return np.full(len(a), np.datetime64("NaT"), dtype="datetime64[D]")
    return pd.to_datetime(a[col], errors="coerce").to_numpy(dtype="datetime64[D]")


def _bools(a: pd.DataFrame, col: str) -> np.ndarray:
    if col not in a.columns:
        return np.zeros(len(a), dtype=bool)
    return a[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _line_sums(records: dict[str, pd.DataFrame] | None, ids: np.ndarray
               ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Cost lines summed per asset and phase (np.bincount over the asset positions), whether an
    asset has lines, and the item number of its first research / development line marked
    ``capitalise`` (-1: none)."""
    n = len(ids)
    lines = (records or {}).get("accounting.costs")
    pos_of = pd.Index(ids)
    sums = {p: np.zeros(n) for p in ("research", "development", "acquisition")}
    has_lines = np.zeros(n, bool)
    r_cap = np.full(n, -1)
    d_cap = np.full(n, -1)
    if lines is not None and len(lines):
        pos = pos_of.get_indexer(lines["asset_id"].astype(object))
        ok = pos >= 0
        amt = pd.to_numeric(lines["amount"], errors="coerce").fillna(0.0).to_numpy(float)
        phase = lines["phase"].astype(object).to_numpy()
        cap = (lines["capitalise"].astype("boolean").fillna(False).to_numpy(bool)
               if "capitalise" in lines.columns else np.zeros(len(lines), bool))
        has_lines[pos[ok]] = True
        for p in sums:
            m = ok & (phase == p)
            sums[p] = np.bincount(pos[m], weights=amt[m], minlength=n).astype(float)
        # the item number of the line within its asset (for the error's field path)
        item = lines.groupby(lines["asset_id"].astype(object), sort=False).cumcount().to_numpy()
        for arr, p in ((r_cap, "research"), (d_cap, "development")):
            bad = np.flatnonzero(ok & cap & (phase == p))[::-1]   # reversed: the first one wins
            arr[pos[bad]] = item[bad]
    return sums, has_lines, r_cap, d_cap


def read_inputs(assets: pd.DataFrame, series: dict[str, pd.DataFrame] | None = None,
                records: dict[str, pd.DataFrame] | None = None) -> Inputs:
    """The accounting inputs of the assets of a :class:`~valuation.core.portfolio.Portfolio`
    (``pf.assets``, ``pf.series``, ``pf.records``), vectorised over the assets."""
    n = len(assets)
    ids = np.asarray(assets.index, dtype=object)
    acc_cols = [c for c in assets.columns if c.startswith(_A)]
    # a section is present when it says something: the defaulted booleans and a balance-sheet
    # date set for a whole run do not make one
    keyed = [c for c in acc_cols if c not in (
        _A + "development_criteria_met", _A + "indicators_rights_term_shortened",
        _A + "indicators_data_obsolete", _A + "balance_sheet_date")
        and not c.startswith(_A + "development_criteria_")]
    present = assets[keyed].notna().any(axis=1).to_numpy(bool) if keyed else np.zeros(n, bool)
    sums, has_lines, r_cap, d_cap = _line_sums(records, ids)
    pos_of = pd.Index(ids)
    crit_cols = [_A + "development_criteria_" + k for k in
                 ("technical_feasibility", "intention", "economic_benefits", "resources", "measurable")]
    all_five = np.logical_and.reduce([_bools(assets, c) for c in crit_cols])
    per_year_fr = (series or {}).get("accounting.units.per_year")
    per_year: list[np.ndarray] = [np.zeros(0)] * n
    if per_year_fr is not None and len(per_year_fr):
        vals = per_year_fr.reindex(pos_of).to_numpy(float)
        per_year = [row[~np.isnan(row)] for row in vals]
    bs = _dates(assets, _A + "balance_sheet_date")
    vd = _dates(assets, "valuation_date")
    return Inputs(
        ids=ids, present=present,
        intent=_objects(assets, _A + "intent"), acquired_by=_objects(assets, _A + "acquired_by"),
        acquired=_dates(assets, _A + "acquisition_date"),
        bs_date=np.where(np.isnat(bs), vd, bs),
        available=_dates(assets, _A + "available_for_use"),
        capitalised_given=_floats(assets, _A + "capitalised_cost"),
        criteria_met=_bools(assets, _A + "development_criteria_met") | all_five,
        life=_floats(assets, _A + "useful_life_years"),
        residual=_floats(assets, _A + "residual_value", 0.0),
        method=np.where(_objects(assets, _A + "amortisation_method") == None,  # noqa: E711
                        "straight_line", _objects(assets, _A + "amortisation_method")),
        convention=np.where(_objects(assets, _A + "amortisation_convention") == None,  # noqa: E711
                            "months", _objects(assets, _A + "amortisation_convention")),
        units_total=_floats(assets, _A + "units_total"),
        units_used=_floats(assets, _A + "units_used"),
        units_per_year=per_year,
        prior_impairment=_floats(assets, _A + "accumulated_impairment", 0.0),
        selling_price=_floats(assets, _A + "expected_selling_price"),
        selling_costs=_floats(assets, _A + "selling_costs", 0.0),
        costs_to_complete=_floats(assets, _A + "costs_to_complete", 0.0),
        disposal_costs=_floats(assets, _A + "disposal_costs", 0.0),
        price_change=_floats(assets, _A + "indicators_comparable_price_change"),
        planned=_floats(assets, _A + "indicators_planned"),
        actual=_floats(assets, _A + "indicators_actual"),
        rights_shortened=_bools(assets, _A + "indicators_rights_term_shortened"),
        data_obsolete=_bools(assets, _A + "indicators_data_obsolete"),
        rights_end=_dates(assets, "rights_term_end"),
        update_frequency=_objects(assets, "update_frequency"),
        declared_indicators=_objects(assets, "impairment_indicators"),
        price_mode=_objects(assets, "market_price_mode"),
        recognised_as=_objects(assets, "recognised_as"),
        income_basis=_objects(assets, "income_income_basis"),
        research=sums["research"], development=sums["development"],
        acquisition=sums["acquisition"], has_lines=has_lines,
        research_capitalise=r_cap, development_capitalise=d_cap)


def eligible_cost(inp: Inputs) -> np.ndarray:
    """What the cost lines allow to capitalise: acquisition-phase costs, plus development-phase
    costs when the five criteria are met (CAS 6 arts. 9, 12–13) or when the resource is held for
    sale (processing costs are inventory cost, CAS 1 / 财会〔2023〕11号 三)."""
    sale = inp.intent == "sale"
    return inp.acquisition + np.where(inp.criteria_met | sale, inp.development, 0.0)


def _iso(d: Any) -> str | None:
    return None if np.isnat(d) else str(d)


def refusals(inp: Inputs) -> list[list[Issue]]:
    """Per asset, the cross-field problems of its accounting section (empty list: none).

    The conditions are arrays over all assets; messages are built only for the assets that
    have a problem."""
    out: list[list[Issue]] = [[] for _ in range(len(inp))]
    elig = eligible_cost(inp)
    p = inp.present
    own_use = inp.intent == "own_use"
    given = inp.capitalised_given
    with np.errstate(invalid="ignore"):
        masks = {
            "intent": p & (inp.intent == None),  # noqa: E711 - elementwise on an object array
            "acquired_by": p & (inp.acquired_by == None),  # noqa: E711
            "acquisition_date": p & np.isnat(inp.acquired),
            "balance_sheet_date": p & np.isnat(inp.bs_date),
            "available_missing": p & own_use & np.isin(inp.acquired_by, ("purchase", "other"))
            & np.isnat(inp.available),
            "available_early": p & ~np.isnat(inp.available) & ~np.isnat(inp.acquired)
            & (inp.available < inp.acquired),
            "bs_early": p & ~np.isnat(inp.bs_date) & ~np.isnat(inp.acquired) & (inp.bs_date < inp.acquired),
            "no_cost": p & np.isnan(given) & ~inp.has_lines,
            "research_capitalise": p & (inp.research_capitalise >= 0),
            "development_capitalise": p & (inp.development_capitalise >= 0) & ~inp.criteria_met & own_use,
            "above_eligible": p & inp.has_lines & (given > elig + COST_TOLERANCE),
            "units": p & (inp.method == "units") & (np.isnan(inp.units_total) | np.isnan(inp.units_used)),
        }
    bad = np.logical_or.reduce(list(masks.values()))
    for i in np.flatnonzero(bad):
        out[i] = _issues_of(inp, i, {k: bool(m[i]) for k, m in masks.items()}, float(elig[i]))
    return out


def _missing(path: str) -> Issue:
    return missing_issue(field_by_path(path), path)  # type: ignore[arg-type]


def _issues_of(inp: Inputs, i: int, m: dict[str, bool], elig: float) -> list[Issue]:
    """The issues of asset ``i`` given which conditions of :func:`refusals` hold."""
    iss = [_missing(f"accounting.{k}") for k in ("intent", "acquired_by", "acquisition_date",
                                                  "balance_sheet_date") if m[k]]
    avail = field_by_path("accounting.available_for_use")
    if m["available_missing"]:
        iss.append(issue_for(avail, "accounting.available_for_use", None,
                             reason_zh="外购或其他方式取得的无形资产须给出达到预定用途日（摊销自可供使用时起，企业会计准则第6号第十七条）",
                             reason_en="a purchased or otherwise acquired intangible needs the date it is available "
                                       "for use (amortisation starts then, CAS 6 art. 17)",
                             allowed_zh="日期 YYYY-MM-DD", allowed_en="a date YYYY-MM-DD"))
    if m["available_early"]:
        acq = _iso(inp.acquired[i])
        iss.append(issue_for(avail, "accounting.available_for_use", _iso(inp.available[i]),
                             reason_zh=f"早于取得/开始开发日期 {acq}", reason_en=f"before the acquisition date {acq}",
                             allowed_zh=f"不早于 {acq} 的日期", allowed_en=f"a date on or after {acq}"))
    if m["bs_early"]:
        acq = _iso(inp.acquired[i])
        iss.append(issue_for(field_by_path("accounting.balance_sheet_date"), "accounting.balance_sheet_date",
                             _iso(inp.bs_date[i]),
                             reason_zh=f"早于取得/开始开发日期 {acq}：该日尚未持有此数据资源",
                             reason_en=f"before the acquisition date {acq}: the resource was not held then",
                             allowed_zh=f"不早于 {acq} 的日期（默认为评估基准日）",
                             allowed_en=f"a date on or after {acq} (default: the valuation date)"))
    if m["no_cost"]:
        iss.append(_missing("accounting.capitalised_cost"))
    cap = field_by_path("accounting.costs[].capitalise")
    if m["research_capitalise"]:
        k = int(inp.research_capitalise[i])
        iss.append(issue_for(cap, f"accounting.costs[{k}].capitalise", True,
                             reason_zh="研究阶段支出不得资本化（企业会计准则第6号第八条 CAS6.art8）",
                             reason_en="research-phase expenditure may not be capitalised (CAS 6 art. 8, CAS6.art8)",
                             allowed_zh="false（研究阶段支出计入当期损益）",
                             allowed_en="false (research-phase costs are expensed)"))
    if m["development_capitalise"]:
        k = int(inp.development_capitalise[i])
        iss.append(issue_for(cap, f"accounting.costs[{k}].capitalise", True,
                             reason_zh="开发阶段支出未同时满足五项条件，不得资本化（企业会计准则第6号第九条 CAS6.art9）",
                             reason_en="development-phase expenditure without all five criteria may not be "
                                       "capitalised (CAS 6 art. 9, CAS6.art9)",
                             allowed_zh="false，或先满足并填写 development_criteria_met",
                             allowed_en="false, or meet and state development_criteria_met"))
    if m["above_eligible"]:
        iss.append(issue_for(field_by_path("accounting.capitalised_cost"), "accounting.capitalised_cost",
                             float(inp.capitalised_given[i]),
                             reason_zh=f"超过可资本化金额 {elig:,.2f}：研究阶段支出及不满足条件的开发支出须费用化"
                                       "（企业会计准则第6号第八条、第九条）",
                             reason_en=f"above the capitalisable {elig:,.2f}: research-phase costs and development "
                                       "costs without the five criteria are expensed (CAS 6 arts. 8-9)",
                             allowed_zh=f"不超过 {elig:,.2f}", allowed_en=f"at most {elig:,.2f}"))
    if m["units"]:
        iss.append(_missing("accounting.units.total" if np.isnan(inp.units_total[i]) else "accounting.units.used"))
    return iss
