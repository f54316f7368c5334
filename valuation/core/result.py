"""Immutable results (docs/DESIGN.md §8): estimate, range, per-method values, flags, provenance."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Result", "METHOD_NAMES", "METHOD_LABELS", "clean"]

METHOD_NAMES = ("cost", "income", "market")
METHOD_LABELS = {"cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
                 "market": ("市场法", "Market approach")}


def clean(v: Any) -> Any:
    """JSON-safe plain values (NaN → None, numpy → Python, timestamps → ISO)."""
    t = type(v)
    # the common leaves first (a result has thousands): what the checks below return for them
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        return v if _isfinite(v) else None
    if t is dict:
        return _clean_dict(v)
    if t is list:
        return _clean_list(v)
    return _clean_other(v)


_isfinite = math.isfinite


def _clean_dict(d: dict) -> dict[str, Any]:
    """``{str(k): clean(x) for k, x in d.items()}`` with the plain leaves (most of a result's
    ~800 values) handled in the loop, not by a call each."""
    out = {}
    for k, x in d.items():
        t = type(x)
        if t is str or t is float and _isfinite(x) or t is int or t is bool or x is None:
            pass
        elif t is dict:
            x = _clean_dict(x)
        elif t is list:
            x = _clean_list(x)
        elif t is float:
            x = None
        else:
            x = _clean_other(x)
        out[k if type(k) is str else str(k)] = x
    return out


def _clean_list(v: list) -> list[Any]:
    """``[clean(x) for x in v]``, the plain leaves handled in the loop (see :func:`_clean_dict`)."""
    out: list[Any] = []
    add = out.append
    for x in v:
        t = type(x)
        if t is str or t is float and _isfinite(x) or t is int or t is bool or x is None:
            add(x)
        elif t is dict:
            add(_clean_dict(x))
        elif t is list:
            add(_clean_list(x))
        elif t is float:
            add(None)
        else:
            add(_clean_other(x))
    return out


def _clean_other(v: Any) -> Any:
    import numpy as np

    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, np.ndarray):
        return [clean(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if v is pd.NaT:
        return None
    return v


def evidence_lines(basis: Mapping[str, Any], n_real: int | None, zh: bool,
                   money: Any = None) -> list[str]:
    """Where the coverage of the ranges comes from and how many real comparables stand behind
    the market value (issue 16; the back-test table in README). ``money`` formats amounts."""
    fmt = money or (lambda x: f"{x:,.2f}")
    out = []
    g = basis.get("guided_range") or {}
    if g:
        if g.get("basis") == "measured":
            out.append(f"  区间覆盖率依据：实测（{g.get('dataset')}，n = {g.get('n')}）" if zh else
                       f"  coverage basis: measured ({g.get('dataset')}, n = {g.get('n')})")
        else:
            out.append("  区间覆盖率依据：假定（模型库中的参数分布）" if zh else
                       "  coverage basis: assumed (parameter distributions of the models library)")
        se_lo, se_hi = g.get("mc_se_low"), g.get("mc_se_high")
        if se_lo is not None and se_hi is not None:
            out.append(f"  蒙特卡洛标准误：下限 ±{fmt(se_lo)}，上限 ±{fmt(se_hi)}" if zh else
                       f"  Monte Carlo standard error: low ±{fmt(se_lo)}, high ±{fmt(se_hi)}")
    m = basis.get("market_range") or {}
    if m.get("basis") == "measured":
        out.append(f"  市场法区间覆盖率：实测（{m.get('method')}，{m.get('dataset')}，n = {m.get('n')}）" if zh else
                   f"  market range coverage: measured ({m.get('method')}, {m.get('dataset')}, n = {m.get('n')})")
    if n_real is not None:
        out.append(f"  市场法依据的真实可比案例：{n_real} 个" if zh else
                   f"  real comparables behind the market value: {n_real}")
    return out


@dataclass(frozen=True, repr=False)
class Result:
    """The appraisal of one asset, as every face shows it."""

    asset_id: str
    estimate: float | None
    low: float | None
    high: float | None
    coverage: float | None
    currency: str
    methods: dict[str, dict[str, Any]]
    flags: list[dict[str, Any]]
    provenance: dict[str, Any]
    final: bool = True
    explanation: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    #: how the coverage of the ranges is known (issue 16): ``{"guided_range": {"basis":
    #: "assumed" | "measured", ...}, "market_range": {...} | None}``
    coverage_basis: dict[str, Any] = field(default_factory=dict)
    #: real comparables standing behind the market value (None: market approach not applicable)
    n_real_comparables: int | None = None

    def fields(self) -> dict[str, Any]:
        """The result's own values under the keys of :meth:`to_dict`, not cleaned (shared, not
        copied: read them, do not change them)."""
        return {
            "asset_id": self.asset_id, "status": self.status, "estimate": self.estimate,
            "low": self.low, "high": self.high, "coverage": self.coverage,
            "currency": self.currency, "final": self.final, "methods": self.methods,
            "flags": self.flags, "warnings": self.warnings, "explanation": self.explanation,
            "provenance": self.provenance, "coverage_basis": self.coverage_basis,
            "n_real_comparables": self.n_real_comparables,
        }

    def to_dict(self) -> dict[str, Any]:
        return clean(self.fields())

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def to_frame(self) -> pd.DataFrame:
        row: dict[str, Any] = {"asset_id": self.asset_id, "estimate": self.estimate, "low": self.low,
                               "high": self.high, "coverage": self.coverage,
                               "currency": self.currency, "final": self.final,
                               "flags": ";".join(f["code"] for f in self.flags)}
        for m, d in self.methods.items():
            for k in ("estimate", "low", "high", "weight", "applicable"):
                row[f"{m}_{k}"] = d.get(k)
        row.update({f"provenance_{k}": v for k, v in self.provenance.items()})
        return pd.DataFrame([clean(row)]).set_index("asset_id")

    def to_text(self, lang: str = "zh", unit: str = "wan") -> str:
        """The result as lines of text, amounts in 万元 (``unit="wan"``) or 元 (``"yuan"``)
        through :mod:`valuation.core.formatting`, flags with the documents they cite."""
        from .result_text import to_text
        return to_text(self, lang, unit)

    def summary(self, lang: str = "zh", unit: str = "wan") -> str:
        """A statsmodels-like text table: conclusion, range and provenance, one row per
        approach (applicable, estimate, low, high, weight), then the flags and their clauses."""
        from .result_text import summary
        return summary(self, lang, unit)

    def to_html(self, lang: str = "zh", unit: str = "wan") -> str:
        from .result_text import to_html
        return to_html(self, lang, unit)

    def _repr_html_(self) -> str:  # Jupyter
        return self.to_html()

    def __repr__(self) -> str:
        from .result_text import short_repr
        return short_repr(self)
