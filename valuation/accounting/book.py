"""The books of a portfolio: classification, cost, amortisation, impairment — all assets at once.

Pure: inputs are the portfolio's tables and the engine's income and market estimates per asset
(value in use and fair value come from the engine on the same card and library snapshot;
:func:`valuation.api.book` and the batch run supply them). Nothing here values an asset.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue
from .amortise import CONVENTION_TEXT, accumulated, consumed_share, schedule
from .classify import DEVELOPMENT, EXPENSE, INTANGIBLE, INVENTORY, classify
from .cost import measure
from .flags import flag_codes, flag_masks, flags_for
from .impairment import (
    impairment_loss,
    inventory_write_down,
    net_realisable_value,
    recoverable_amount,
)
from .indicators import indicators
from .inputs import Inputs, read_inputs, refusals

__all__ = ["Books", "book_portfolio", "ANSWER_FIGURES", "SOURCE_LABELS", "LINE_LABELS"]

#: figures of the answer, in order (absent ones are null)
ANSWER_FIGURES = ("cost", "expensed", "accumulated_amortisation", "carrying_amount_before_impairment",
                  "value_in_use", "fair_value_less_costs_of_disposal", "net_realisable_value",
                  "recoverable_amount", "impairment_loss", "carrying_amount")
SOURCE_LABELS = {"purchase": ("外购", "Purchased"), "self_developed": ("自行开发", "Self-developed"),
                 "other": ("其他方式取得", "Other")}
INVENTORY_SOURCE_ZH = {"purchase": "外购", "self_developed": "自行加工", "other": "其他方式取得"}
LINE_LABELS = {INTANGIBLE: ("无形资产——其中：数据资源", "Intangible assets - of which: data resources"),
               INVENTORY: ("存货——其中：数据资源", "Inventories - of which: data resources"),
               DEVELOPMENT: ("开发支出——其中：数据资源", "Development expenditure - of which: data resources"),
               EXPENSE: ("当期损益（不入表）", "Profit or loss (not on the balance sheet)")}
#: the market approach's price is the fair value of the whole asset only for one-off prices
FAIR_VALUE_PRICE_MODES = (None, "one_off")


@dataclass
class Books:
    """Per-asset figures (``cols``, arrays aligned with ``inputs.ids``), the impairment
    indicators and the refusals (``issues[i]`` non-empty: asset ``i`` was refused)."""

    inputs: Inputs
    cols: dict[str, np.ndarray]
    indicators: dict[str, np.ndarray]
    issues: list[list[Issue]]
    _masks: dict[str, np.ndarray] | None = None

    @property
    def flag_masks(self) -> dict[str, np.ndarray]:
        """Which asset raises which books flag (computed once)."""
        if self._masks is None:
            self._masks = flag_masks(self.cols, self.indicators)
        return self._masks

    def position(self, asset_id: str) -> int:
        return int(np.flatnonzero(self.inputs.ids == asset_id)[0])

    def answer(self, i: int, *, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer for asset ``i`` (issue 22 shape; absent figures None)."""
        c, inp = self.cols, self.inputs
        out: dict[str, Any] = {"asset_id": str(inp.ids[i]), "classification": c["classification"][i]}
        for k in ANSWER_FIGURES:
            v = float(c[k][i])
            out[k] = None if np.isnan(v) else v
        cls = c["classification"][i]
        out["schedule"] = (schedule(cost=float(c["cost"][i]), residual=float(inp.residual[i]),
                                    life=float(inp.life[i]), method=str(inp.method[i]),
                                    convention=str(inp.convention[i]), available=inp.available[i],
                                    bs_date=inp.bs_date[i], units_total=float(inp.units_total[i]),
                                    units_used=float(inp.units_used[i]),
                                    units_per_year=inp.units_per_year[i],
                                    prior_impairment=float(inp.prior_impairment[i]),
                                    loss=float(c["impairment_loss"][i]))
                           if cls == INTANGIBLE else [])
        out["disclosure"] = self.disclosure(i)
        out["flags"] = flags_for(c, self.indicators, i, self.flag_masks)
        out["trace"] = self.trace(i)
        out["provenance"] = {**(provenance or {}), "balance_sheet_date": _iso(inp.bs_date[i]),
                             "amortisation_convention": _convention(inp, i),
                             "value_in_use_from": "income approach (CAS 8 art. 6)",
                             "fair_value_from": "market approach, one-off price (CAS 8 art. 6)"}
        return out

    def disclosure(self, i: int) -> dict[str, Any]:
        """This asset's line of the 财会〔2023〕11号 presentation and disclosure tables."""
        c, inp = self.cols, self.inputs
        cls = c["classification"][i]
        src = inp.acquired_by[i]
        sz, se = SOURCE_LABELS.get(src, ("", ""))
        if cls == INVENTORY:
            sz = INVENTORY_SOURCE_ZH.get(src, sz)
        lz, le = LINE_LABELS.get(cls, ("", ""))
        allowance = float(c["impairment_allowance"][i])
        return {"balance_sheet_line_zh": lz, "balance_sheet_line_en": le, "category": cls,
                "source": src, "source_zh": sz, "source_en": se,
                "cost": _num(c["cost"][i]), "accumulated_amortisation": _num(c["accumulated_amortisation"][i]),
                "impairment_allowance": _num(allowance), "carrying_amount": _num(c["carrying_amount"][i]),
                "expensed": _num(c["expensed"][i]),
                "appraisal_used": bool(cls in (INTANGIBLE, DEVELOPMENT, INVENTORY)
                                       and not np.isnan(c["recoverable_amount"][i])
                                       or cls == INVENTORY and not np.isnan(c["net_realisable_value"][i])),
                "references": ["CASBE2023-11.disclosure"]}

    def trace(self, i: int) -> list[dict[str, Any]]:
        """Every figure with its formula, inputs and clauses."""
        from .trace import trace_for

        return trace_for(self, i)

    def register(self) -> pd.DataFrame:
        """Impairment register: one row per asset with an accounting section (or refused)."""
        c, inp = self.cols, self.inputs
        keep = inp.present
        refused = np.array([bool(x) for x in self.issues])
        tested = (c["classification"] == INTANGIBLE) | (c["classification"] == DEVELOPMENT)
        fr = pd.DataFrame({
            "asset_id": inp.ids, "status": np.where(refused, "refused", "ok"),
            "classification": c["classification"], "source": inp.acquired_by,
            "balance_sheet_date": np.where(np.isnat(inp.bs_date), None,
                                           np.datetime_as_string(inp.bs_date, unit="D")),
            **{k: c[k] for k in ANSWER_FIGURES},
            "impairment_allowance": c["impairment_allowance"], "basis": c["basis"],
            "indicators": flag_codes({k: m & tested for k, m in self.indicators.items()}),
            "flags": flag_codes(self.flag_masks),
            "reason_zh": ["；".join(x.message_zh for x in iss) for iss in self.issues],
            "reason_en": ["; ".join(x.message_en for x in iss) for iss in self.issues],
        })
        return fr[keep].reset_index(drop=True)


def _num(v: Any) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v


def _iso(d: Any) -> str | None:
    return None if np.isnat(d) else str(np.datetime64(d, "D"))


def _convention(inp: Inputs, i: int) -> dict[str, str]:
    key = "units" if inp.method[i] == "units" else str(inp.convention[i])
    zh, en = CONVENTION_TEXT[key]
    return {"key": key, "zh": zh, "en": en}


def book_portfolio(assets: pd.DataFrame, series: dict[str, pd.DataFrame] | None,
                   records: dict[str, pd.DataFrame] | None, income_estimate: np.ndarray,
                   market_estimate: np.ndarray) -> Books:
    """Book every asset of a portfolio (``pf.assets``, ``pf.series``, ``pf.records``).

    ``income_estimate`` / ``market_estimate``: the engine's approaches per asset (NaN where not
    applicable), aligned with ``assets.index``.
    """
    inp = read_inputs(assets, series, records)
    issues = refusals(inp)
    ok = inp.present & np.array([not x for x in issues], dtype=bool)
    n = len(inp)
    cost, expensed, from_lines = measure(inp)
    cls = classify(inp.intent, inp.acquired_by, inp.available, inp.bs_date, cost)
    cls = np.where(ok, cls, None).astype(object)
    intang, dev, inv = cls == INTANGIBLE, cls == DEVELOPMENT, cls == INVENTORY
    tested = intang | dev
    share = np.where(intang, consumed_share(inp.method, inp.convention, inp.available, inp.bs_date,
                                            inp.life, inp.units_total, inp.units_used), 0.0)
    acc = np.where(intang, accumulated(cost, inp.residual, share), np.where(dev | inv, 0.0, np.nan))
    before = np.where(tested | inv, cost - acc - inp.prior_impairment, np.nan)
    income = np.asarray(income_estimate, float)
    market = np.asarray(market_estimate, float)
    one_off = np.isin(inp.price_mode, FAIR_VALUE_PRICE_MODES)
    fair = np.where(one_off, market, np.nan)
    viu = np.where(tested, income, np.nan)
    fvlcd = np.where(tested, fair - inp.disposal_costs, np.nan)
    rec, basis = recoverable_amount(viu, fvlcd)
    loss_i = np.where(tested, impairment_loss(before, rec), np.nan)
    # inventory (CAS 1): NRV from the stated selling price, else the market approach's one-off price
    price = np.where(np.isnan(inp.selling_price), fair, inp.selling_price)
    nrv = np.where(inv, net_realisable_value(price, inp.costs_to_complete, inp.selling_costs), np.nan)
    need, charge, inv_carrying = inventory_write_down(cost, nrv, inp.prior_impairment)
    loss = np.where(inv, charge, loss_i)
    carrying = np.where(inv, inv_carrying, before - np.nan_to_num(loss_i))
    allowance = np.where(inv, need, np.where(tested, inp.prior_impairment + np.nan_to_num(loss_i), np.nan))
    basis = np.where(inv, np.where(np.isnan(nrv), "", "net_realisable_value"), np.where(tested, basis, ""))
    nan = np.full(n, np.nan)
    cols = {
        "classification": cls,
        "cost": np.where(ok & (cls != EXPENSE), cost, np.where(ok, 0.0, nan)),
        "expensed": np.where(ok, expensed, nan),
        "accumulated_amortisation": np.where(ok, acc, nan),
        "carrying_amount_before_impairment": np.where(ok, before, nan),
        "value_in_use": np.where(ok, viu, nan), "fair_value_less_costs_of_disposal": np.where(ok, fvlcd, nan),
        "net_realisable_value": np.where(ok, nrv, nan), "recoverable_amount": np.where(ok, rec, nan),
        "impairment_loss": np.where(ok & (tested | inv), loss, nan),
        "carrying_amount": np.where(ok, carrying, nan), "impairment_allowance": np.where(ok, allowance, nan),
        "basis": np.where(ok, basis, "").astype(object), "share": share, "fair_value": fair,
        "selling_price_used": price, "cost_from_lines": from_lines,
        "useful_life_years": inp.life, "research": inp.research, "criteria_met": inp.criteria_met,
        "recognised_as": inp.recognised_as, "income_basis": inp.income_basis,
    }
    ind = indicators(inp, np.where(tested, rec, np.nan), np.where(tested, before, np.nan))
    return Books(inp, cols, ind, issues)


def book_for_evaluation(pf: Any, methods: dict[str, Any], *, strict: bool = True) -> Books:
    """Book a portfolio with the engine's results on it (``methods``: the evaluation's
    ``MethodResult`` per approach; the income and market estimates where applicable).

    ``strict``: raise :class:`~valuation.core.errors.ValidationError` when an asset has no
    accounting section or its section is refused (single cards); otherwise refused assets are
    reported in the register with their reasons.
    """
    from ..core.errors import ValidationError
    from ..core.schema import field_by_path
    from ..core.validate import missing_issue

    est = {}
    for m in ("income", "market"):
        fr = methods[m].frame.reindex(pf.assets.index)
        e = pd.to_numeric(fr["estimate"], errors="coerce").to_numpy(float)
        a = fr["applicable"].astype("boolean").fillna(False).to_numpy(bool)
        est[m] = np.where(a, e, np.nan)
    books = book_portfolio(pf.assets, pf.series, pf.records, est["income"], est["market"])
    if strict:
        for i in range(len(books.inputs)):
            if not books.inputs.present[i]:
                f = field_by_path("accounting.intent")
                raise ValidationError([missing_issue(f, "accounting.intent")])  # type: ignore[arg-type]
            if books.issues[i]:
                raise ValidationError(books.issues[i])
    return books
