"""A field of the interchange format and the constants around it (docs/INTERCHANGE.md).

:class:`Field` is one row of the ONE schema table (:data:`valuation.core.schema.FIELDS`);
:data:`ENUMS` are the allowed values of its enumerations; :data:`MAX_ITEMS` bounds its lists
(docs/SECURITY.md "Bounded work"); :func:`column_of` names its flat table column.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENUMS: dict[str, tuple[str, ...]] = {
    "holder_type": ("enterprise", "soe", "administrative", "public_institution"),
    "rights_type": ("holding", "processing_use", "product_operation"),
    "exclusivity": ("exclusive", "sole", "non_exclusive"),
    "use_category": ("public_governance", "public_welfare", "industry", "sector"),
    "update_frequency": ("real-time", "daily", "weekly", "monthly", "quarterly", "yearly",
                         "irregular", "no-update"),
    "rounding": ("exact", "publication"),
    "purpose": ("transfer", "licensing", "financing", "pledge", "accounting", "impairment_test",
                "capital_contribution", "public_pricing", "internal_management", "other"),
    "value_type": ("market", "investment", "in_use", "liquidation", "other"),
    "benefit_type": ("economic", "service_potential", "social"),
    "acquisition": ("original", "derived"),
    "recognised_as": ("intangible", "inventory", "none"),
    "cost_category": ("preliminary", "direct", "indirect", "opportunity", "taxes"),
    "cost_basis": ("quality", "life", "combined", "expert", "given"),
    "cost_variant": ("cas", "literature"),
    "income_model": ("direct", "split", "excess", "incremental", "royalty"),
    "timing": ("end", "mid"),
    "tax_basis": ("pre_tax", "post_tax"),
    "split_method": ("given", "equivalent_investment", "marginal"),
    "discount_method": ("build_up", "wacc"),
    "contributory_class": ("working_capital", "fixed_assets", "workforce", "other_intangibles"),
    "history_frequency": ("yearly", "quarterly", "monthly"),
    "forecast_method": ("auto", "ets", "arima"),
    "price_mode": ("one_off", "subscription_year", "per_call", "free", "negotiated"),
    "weighting": ("equal", "inverse_adjustment"),
    "evidence_type": ("transaction", "listing", "appraisal"),
    "charge_unit": ("per_call", "per_period", "per_product", "per_volume"),
    "incremental_kind": ("revenue", "cost_saving"),
    # accounting section (入表, 财会〔2023〕11号; CAS 6/1/8)
    "holding_intent": ("own_use", "sale"),
    "acquired_by": ("purchase", "self_developed", "other"),
    "cost_phase": ("research", "development", "acquisition"),
    "amortisation_method": ("straight_line", "units"),
    "amortisation_convention": ("months", "days"),
}

# Keys allowed inside a stream given as an object (docs/INTERCHANGE.md "Income streams").
STREAM_KEYS = ("base", "growth", "terminal_growth")


@dataclass(frozen=True)
class Field:
    """One row of the schema table.

    ``path`` is the dotted JSON path (``asset.rights.type``; items of a records list use
    ``cost.lines[].amount``). ``column`` is the flat column of portfolio tables.
    """

    path: str
    kind: str
    label_zh: str
    label_en: str
    help_zh: str = ""
    help_en: str = ""
    unit: str = ""
    enum: str | None = None          # key into ENUMS
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    required: bool = False
    default: Any = None
    nullable: bool = True
    doc: str = "card"
    pattern: str | None = None
    template: bool = True            # appears in blank portfolio templates

    @property
    def max_items(self) -> int | None:
        """Most items a list field may hold (:data:`MAX_ITEMS`; None for scalars)."""
        if self.kind not in _LIST_KINDS:
            return None
        return MAX_ITEMS.get(self.path, DEFAULT_MAX_ITEMS)

    @property
    def allowed(self) -> tuple[str, ...] | None:
        return ENUMS[self.enum] if self.enum else None

    @property
    def column(self) -> str:
        return column_of(self.path)

    @property
    def in_records(self) -> bool:
        return "[]." in self.path

    def allowed_text(self, lang: str = "zh") -> str:
        """What is allowed, for error messages."""
        if self.allowed:
            return ", ".join(self.allowed)
        kinds_zh = {"str": "文本", "int": "整数", "number": "数值", "bool": "true/false",
                    "date": "日期 YYYY-MM-DD（1900-01-01 至 2199-12-31）", "stream": "数值列表或 {base, growth, terminal_growth}",
                    "records": "对象列表", "matrix": "数值方阵", "list_str": "文本列表",
                    "list_number": "数值列表"}
        kinds_en = {"str": "text", "int": "an integer", "number": "a number", "bool": "true/false",
                    "date": "a date YYYY-MM-DD (1900-01-01 to 2199-12-31)",
                    "stream": "a list of numbers or {base, growth, terminal_growth}",
                    "records": "a list of objects", "matrix": "a square matrix of numbers",
                    "list_str": "a list of text", "list_number": "a list of numbers"}
        base = (kinds_en if lang == "en" else kinds_zh)[self.kind]
        lo = hi = ""
        if self.minimum is not None:
            lo = ("> " if self.exclusive_minimum else ">= ") + _num(self.minimum)
        if self.maximum is not None:
            hi = ("< " if self.exclusive_maximum else "<= ") + _num(self.maximum)
        bounds = " and ".join(b for b in (lo, hi) if b) if lang == "en" else " 且 ".join(
            b for b in (lo, hi) if b)
        if self.max_items is not None:      # bounded work (docs/SECURITY.md)
            bounds = f"({'at most' if lang == 'en' else '至多'} {self.max_items})"
        return f"{base} {bounds}".strip()


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def column_of(path: str) -> str:
    """Flat column name of a path: ``asset.rights.type`` → ``rights_type``,
    ``engagement.valuation_date`` → ``valuation_date``, ``cost.components.direct`` →
    ``cost_direct``, ``income.discount.risk_free`` → ``income_discount_risk_free``."""
    p = path.replace("[]", "")
    for prefix in ("asset.", "engagement.", "product.period.", "product."):
        if p.startswith(prefix):
            p = p[len(prefix):]
            break
    p = p.replace("components.", "")
    return p.replace(".", "_")


def F(path: str, kind: str, zh: str, en: str, help_zh: str = "", help_en: str = "", **kw: Any) -> Field:
    return Field(path, kind, zh, en, help_zh, help_en, **kw)


# Bounded work (docs/SECURITY.md "Bounded work"): the lists that drive computation are capped so
# that the largest card the table allows costs about one second of CPU (benchmarks/bench_limits.py
# prints the figure). A forecast from history (statsmodels ETS/ARIMA chosen by AIC) is the
# dearest step, whatever its length; a per-period list never needs more entries than
# the 50 periods ``income.periods`` allows.
DEFAULT_MAX_ITEMS = 50
MAX_ITEMS: dict[str, int] = {
    "income.scenarios": 50, "income.history.values": 100, "market.comparables": 200,
    "cost.lines": 500, "asset.quality.indicators": 100, "income.contributory": 20,
    "asset.quality.ahp_matrix": 10, "product.items": 1000,
}
_LIST_KINDS = frozenset({"records", "list_number", "list_str", "stream", "matrix"})
#: Cards per synchronous HTTP batch, and cards with a revenue history among them (each
#: forecast a statsmodels fit, the dearest step): more become a background run (service
#: settings ``max_batch``, ``max_batch_forecasts`` default to these).
BATCH_MAX_CARDS, BATCH_MAX_FORECASTS = 1000, 1

# Top-level sections of each document; any other key is an unknown field.
SECTIONS = {"card": ("asset", "engagement", "cost", "income", "market", "accounting"), "product": ("product",)}
