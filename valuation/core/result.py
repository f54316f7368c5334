"""Immutable results (DESIGN.md §8): estimate, range, per-method values, flags, provenance."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from collections.abc import Mapping
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


def evidence_lines(basis: Mapping[str, Any], n_real: int | None, zh: bool) -> list[str]:
    """Where the coverage of the ranges comes from and how many real comparables stand behind
    the market value (issue 16; docs/ benchmark table in README)."""
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
            out.append(f"  蒙特卡洛标准误：下限 ±{se_lo:,.2f}，上限 ±{se_hi:,.2f}" if zh else
                       f"  Monte Carlo standard error: low ±{se_lo:,.2f}, high ±{se_hi:,.2f}")
    m = basis.get("market_range") or {}
    if m.get("basis") == "measured":
        out.append(f"  市场法区间覆盖率：实测（{m.get('method')}，{m.get('dataset')}，n = {m.get('n')}）" if zh else
                   f"  market range coverage: measured ({m.get('method')}, {m.get('dataset')}, n = {m.get('n')})")
    if n_real is not None:
        out.append(f"  市场法依据的真实可比案例：{n_real} 个" if zh else
                   f"  real comparables behind the market value: {n_real}")
    return out


@dataclass(frozen=True)
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

    def to_text(self, lang: str = "zh") -> str:
        zh = lang != "en"
        L = []
        cur = self.currency

        def money(x: Any) -> str:
            return "—" if x is None else f"{x:,.2f} {cur}"

        L.append(("资产 " if zh else "Asset ") + self.asset_id)
        L.append(("结论（估计值）: " if zh else "Conclusion (estimate): ") + money(self.estimate))
        if self.low is not None:
            cov = f"{self.coverage:.0%}" if self.coverage else ""
            L.append((f"指导价区间（覆盖率 {cov}）: " if zh else f"Guided range ({cov} coverage): ")
                     + f"{money(self.low)} – {money(self.high)}")
        L.extend(evidence_lines(self.coverage_basis, self.n_real_comparables, zh))
        for m, d in self.methods.items():
            lab = METHOD_LABELS.get(m, (m, m))[0 if zh else 1]
            if d.get("applicable"):
                w = d.get("weight")
                L.append(f"  {lab}: {money(d.get('estimate'))}" +
                         (f"  (权重 {w:.0%})" if zh and w is not None else
                          f"  (weight {w:.0%})" if w is not None else ""))
            else:
                L.append(f"  {lab}: " + ("不适用 — " if zh else "not applicable — ") +
                         str(d.get("reason_zh" if zh else "reason_en") or ""))
        for f in self.flags:
            L.append(f"  [{f.get('severity')}] {f.get('code')}: " +
                     str(f.get("message_zh" if zh else "message_en")))
        if not self.final:
            L.append("存在阻断性风险标记，结果不得作为最终结论。" if zh else
                     "A blocker flag is present: the result may not be presented as final.")
        p = self.provenance
        L.append(("来源: " if zh else "Provenance: ") +
                 f"engine {p.get('engine_version')}, library {p.get('library_snapshot')}, "
                 f"input {str(p.get('input_hash'))[:12]}, {p.get('valuation_date')}")
        return "\n".join(L)

    def to_html(self, lang: str = "zh") -> str:
        import html
        return "<pre>" + html.escape(self.to_text(lang)) + "</pre>"
