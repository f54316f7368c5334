"""The cost approach over a portfolio: ``appraise(pf, params=None, *, trace=False)``.

CAS model (中评协〔2023〕17号 art. 22 and annex, docs/DOMAIN.md §2.2–2.3)::

    P = C × δ
    C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + 合理利润率) + 相关税费
    δ = Q / Q_benchmark | n_r / (n_u + n_r) | δ_q × δ_life | 1 − (d_func + d_econ) | given,
        0 < δ ≤ 1 (δ > 1 only with cost.adjustment.override and a written reason → warning)

Literature model (``cost.variant = "literature"``, docs/DOMAIN.md §2.4; labelled NOT the CAS model)::

    P = TC × (1 + R) × U,  U = α β (1 + l)(1 − r),  TC = sum of the five components

Conventions (documented choices, not regulation):

* opportunity cost, when not given, = ``cost_opportunity_rate`` × (前期 + 直接 + 间接)
  (F1: 5 % × 250 = 12.5); rate from the card, else the model default 0;
* reasonable profit ``cost_profit_rate`` (default 0) applies to the pre-tax cost including
  the opportunity cost; taxes are added after it;
* a category given both as a component total and as cost lines is the sum of both (warning);
* rounding ``exact`` keeps full precision; ``publication`` rounds the composite quality score to
  2 decimals before δ_q is formed (F1: 137.71 / 229.52 exact, 137.72 / 229.53 publication);
* ``low``/``high``: a simple band from δ only — δ_low = δ(1 − z·sd), δ_high = min(δ(1 + z·sd),
  max(δ, δ_max)), sd = the relative sd of the model's δ distribution (10 %), z for the model's
  coverage (80 %). The guided range proper (all parameters, Monte Carlo) is the pricing layer's.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ...core.models import load_model_file, models_dir
from ...core.portfolio import column_floats, column_list, column_values, frame_of_arrays
from ...quality.composite import composite_columns
from ...quality.library import quality_library
from ..base import LazyWarnings, MethodResult, nan_to_num, step
from .kernel import (
    COMPONENT_LABELS,
    COMPONENTS,
    component_arrays,
    component_totals,
    delta_expert,
    delta_life,
    delta_quality,
    literature_value,
    opportunity_cost,
    replacement_cost_value,
    select_delta,
)

__all__ = ["CLAUSES", "appraise", "default_params", "replacement_cost", "resolve_params"]

CLAUSES = ["CAS2023.art22", "CAS2023.annex.cost"]
_BUILTIN = {"profit_rate": 0.0, "opportunity_rate": 0.0, "quality_benchmark": 100.0,
            "delta_relative_sd": 0.10, "coverage": 0.80, "delta_max": 1.0, "quality_decimals": 2,
            "quality_scale": "linear", "quality_weights": None,
            "literature_return_rate": 0.0, "literature_circulation": 1.0, "literature_scarcity": 0.0,
            "literature_risk": 0.0, "literature_relative_sd": 0.10}


def _defaults_of(cas: Mapping[str, Any], lit: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter defaults of the ``cost.cas`` and ``cost.literature`` model entries."""
    out: dict[str, Any] = {}
    cas = cas.get("parameters") or {}
    for k in ("profit_rate", "opportunity_rate", "quality_benchmark", "coverage", "delta_max"):
        if isinstance(cas.get(k), Mapping) and cas[k].get("default") is not None:
            out[k] = cas[k]["default"]
    sd = ((cas.get("delta") or {}).get("distribution") or {}).get("sd")
    if sd is not None:
        out["delta_relative_sd"] = sd
    if isinstance(cas.get("quality_rounding_publication"), Mapping):
        out["quality_decimals"] = cas["quality_rounding_publication"].get("default", 2)
    lit = lit.get("parameters") or {}
    for k in ("return_rate", "circulation", "scarcity", "risk"):
        if isinstance(lit.get(k), Mapping) and lit[k].get("default") is not None:
            out[f"literature_{k}"] = lit[k]["default"]
    sd = ((lit.get("utility") or {}).get("distribution") or {}).get("sd")
    if sd is not None:
        out["literature_relative_sd"] = sd
    return out


@lru_cache(maxsize=1)
def _model_defaults() -> tuple[tuple[str, Any], ...]:
    try:
        out = _defaults_of(load_model_file(models_dir() / "cost_cas.yaml"),
                           load_model_file(models_dir() / "cost_literature.yaml"))
    except (OSError, ValueError):  # pragma: no cover - models/ shipped with the repository
        out = {}
    return tuple(out.items())


def default_params() -> dict[str, Any]:
    """Parameters of ``models/cost_cas.yaml`` / ``cost_literature.yaml`` (built-ins if absent)."""
    return {**_BUILTIN, **dict(_model_defaults())}


def resolve_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults ← the snapshot's library entries ← flat overrides.

    ``params`` may carry ``models`` (``{id: entry}`` of the model library, as
    :meth:`~valuation.core.snapshot.LibrarySnapshot.params_for` gives: ``cost.cas`` and
    ``cost.literature`` replace the file defaults) and ``indicators`` (the indicators library:
    quality weights, bands and default scale, :func:`~valuation.quality.library.quality_library`);
    any other key overrides one parameter (None keeps the default). The result holds the
    parsed indicators library under ``quality_library``.
    """
    params = dict(params or {})
    models = params.pop("models", None)
    indicators = params.pop("indicators", None)
    p = default_params()
    if isinstance(models, Mapping) and ("cost.cas" in models or "cost.literature" in models):
        cas, lit = models.get("cost.cas"), models.get("cost.literature")
        p.update(_defaults_of(cas if isinstance(cas, Mapping) else {}, lit if isinstance(lit, Mapping) else {}))
    lib = quality_library(indicators)
    p["quality_library"] = lib
    if indicators:
        p["quality_scale"] = lib.scale
    p.update({k: v for k, v in params.items() if v is not None})
    return p


def _col(a: pd.DataFrame, name: str, fill: float = np.nan) -> np.ndarray:
    # straight from the block (~20 columns a call at ~30 µs each as a Series)
    return column_floats(a, name) if name in a.columns else np.full(len(a), fill)


def _str(a: pd.DataFrame, name: str) -> np.ndarray:
    if name not in a.columns:
        return np.full(len(a), "", dtype=object)
    if len(a) <= 64:
        # Arrow text by Arrow's to_pylist (missing → None): pandas' to_numpy spends ~50 µs
        # filling the missing values of a one-row column
        vals = column_list(a, name)
        if all(type(v) is str or v is None or (type(v) is float and v != v) for v in vals):
            out = np.empty(len(vals), dtype=object)   # text as is, missing → "" (as pd.isna below)
            out[:] = [v if type(v) is str else "" for v in vals]
            return out
    x = a[name].to_numpy(dtype=object)
    return np.where(pd.isna(x), "", x).astype(object)


def _flag(a: pd.DataFrame, name: str, fill: bool) -> np.ndarray:
    """``a[name].to_numpy(bool)`` (``fill`` everywhere when the column is absent)."""
    if name not in a.columns:
        return np.full(len(a), fill)
    v = column_values(a, name)
    return v if isinstance(v, np.ndarray) and v.dtype == np.bool_ else a[name].to_numpy(bool)


def _days_between(a: pd.DataFrame, start: str, end: str) -> np.ndarray:
    """``(a[end] − a[start]).dt.days`` as floats (NaN where either is missing); numpy for the
    datetime64 columns of a portfolio (floored whole days, as ``.dt.days``), pandas otherwise."""
    s, e = column_values(a, start), column_values(a, end)
    if isinstance(s, np.ndarray) and isinstance(e, np.ndarray) and s.dtype.kind == e.dtype.kind == "M":
        with np.errstate(all="ignore"):   # NaT rows are masked below
            d = ((e - s) // np.timedelta64(1, "D")).astype(float)
        d[np.isnat(s) | np.isnat(e)] = np.nan
        return d
    return (a[end] - a[start]).dt.days.to_numpy(float)


def _has_text(x: np.ndarray) -> np.ndarray:
    """Whether each value has text other than whitespace (pandas ``str.strip() != ""``).

    A few values are decided in Python when that cannot differ from pandas' whitespace
    rules: "" has none, a value with a letter or digit has some; anything else (say, only
    punctuation or exotic spaces) goes through pandas."""
    if len(x) <= 64:
        vals = x.tolist()
        if all(type(v) is str and (v == "" or any(ch.isalnum() for ch in v)) for v in vals):
            return np.array([v != "" for v in vals], dtype=bool)
    return pd.Series(x, dtype="str").str.strip().ne("").to_numpy(bool)


def replacement_cost(pf, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Resolved components and C per asset: columns ``cost_<component>``, ``profit_rate``,
    ``replacement_cost``, ``total_cost`` (sum of the five, the literature TC), ``has_cost_data``,
    ``has_lines``, ``double_count_risk``, ``opportunity_rate``, ``opportunity_measured``."""
    return pd.DataFrame(_replacement_cost_columns(pf, resolve_params(params)), index=pf.index)


def _replacement_cost_columns(pf, p: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The columns of :func:`replacement_cost` as arrays, for resolved parameters ``p``."""
    a = pf.assets
    lines = pf.records.get("cost.lines") if hasattr(pf, "records") else None
    comp0 = np.column_stack([_col(a, f"cost_{c}") for c in COMPONENTS]) if len(a) else np.zeros((0, len(COMPONENTS)))
    if lines is None or not len(lines):
        comp, both, has_lines = component_arrays(comp0, pf.index)
    else:   # cost lines: indexed and grouped by pandas
        piv = a["cost_price_index_valuation"] if "cost_price_index_valuation" in a.columns \
            else pd.Series(np.nan, index=pf.index)
        fr, both, has_lines = component_totals(pd.DataFrame(comp0, index=pf.index, columns=list(COMPONENTS)),
                                               lines, piv)
        comp = fr.to_numpy(float)
    has_data = ~np.isnan(comp).all(axis=1)
    comp_of = {c: comp[:, j] for j, c in enumerate(COMPONENTS)}
    rate = _col(a, "cost_opportunity_rate")
    rate = np.where(np.isnan(rate), float(p["opportunity_rate"]), rate)
    opp_given = comp_of["opportunity"]
    opp = opportunity_cost(comp_of["preliminary"], comp_of["direct"], comp_of["indirect"], opp_given, rate)
    profit = _col(a, "cost_profit_rate")
    profit = np.where(np.isnan(profit), float(p["profit_rate"]), profit)
    vals = {c: nan_to_num(comp_of[c]) for c in COMPONENTS}
    vals["opportunity"] = opp
    c = replacement_cost_value(vals["preliminary"], vals["direct"], vals["indirect"], opp, vals["taxes"], profit)
    cols: dict[str, Any] = {f"cost_{k}": np.where(has_data, x, np.nan) for k, x in vals.items()}
    cols.update(profit_rate=profit, opportunity_rate=np.where(np.isnan(opp_given), rate, np.nan),
                opportunity_measured=~np.isnan(opp_given) | (rate > 0),
                replacement_cost=np.where(has_data, c, np.nan),
                total_cost=np.where(has_data, sum(vals.values()), np.nan),
                has_cost_data=has_data, has_lines=has_lines, double_count_risk=both)
    return cols


class _Verdict:
    """Applicability per asset as arrays (first reason wins), turned into frame columns at the end."""

    def __init__(self, n: int):
        self.zh = np.full(n, "", dtype=object)
        self.en = np.full(n, "", dtype=object)

    def add(self, mask: np.ndarray, zh: np.ndarray | str, en: np.ndarray | str) -> None:
        m = np.asarray(mask, bool) & (self.zh == "")
        if m.any():
            self.zh[m] = zh if isinstance(zh, str) else np.asarray(zh, dtype=object)[m]
            self.en[m] = en if isinstance(en, str) else np.asarray(en, dtype=object)[m]

    @property
    def applicable(self) -> np.ndarray:
        return self.zh == ""


def _msg(mask: np.ndarray, values: np.ndarray, template: str) -> np.ndarray:
    """Per-row message ``template.format(v=value)`` built only for the rows in ``mask``."""
    out = np.full(len(values), "", dtype=object)
    for i in np.flatnonzero(mask):
        out[i] = template.format(v=values[i])
    return out


def appraise(pf, params: Mapping[str, Any] | None = None, *, trace: bool = False) -> MethodResult:
    """Cost approach P = C × δ for every asset of ``pf`` (see module docstring).

    Parameters
    ----------
    pf : Portfolio. Uses ``cost_*`` columns, ``cost.lines`` records, quality columns /
        records / matrices, ``rounding``, ``has_cost``, ``has_income``.
    params : overrides of :func:`default_params` (``profit_rate``, ``opportunity_rate``,
        ``quality_benchmark`` are fallbacks when the card has none; ``delta_relative_sd``,
        ``coverage``, ``delta_max``, ``quality_decimals``, ``quality_scale``,
        ``quality_weights``, ``literature_*``).
    trace : build the per-asset calculation steps with formulas and clauses.

    Returns
    -------
    MethodResult ``cost`` with columns estimate, low, high, applicable, reason_zh, reason_en,
    model, replacement_cost, delta, delta_basis, delta_quality, delta_life, delta_low,
    delta_high, quality_score, quality_basis, utility, profit_rate, cost_preliminary …
    cost_taxes.
    """
    p = resolve_params(params)
    a = pf.assets
    n = len(pf)
    v = _Verdict(n)
    rc = _replacement_cost_columns(pf, p)   # arrays: frames of one card cost more than the sums
    c = rc["replacement_cost"]
    tc = rc["total_cost"]

    lit = _str(a, "cost_variant") == "literature"
    basis = _str(a, "cost_adjustment_basis")
    basis = np.where(basis == "", "quality", basis)
    q = composite_columns(pf, p.get("quality_weights"), scale=str(p["quality_scale"]), errors="mark",
                         library=p["quality_library"])
    qs = q["quality_score"]
    pub = _str(a, "rounding") == "publication"
    qs_used = np.where(pub, np.round(qs, int(p["quality_decimals"])), qs)
    bench = _col(a, "cost_adjustment_quality_benchmark")
    bench = np.where(np.isnan(bench), float(p["quality_benchmark"]), bench)
    d_q = delta_quality(qs_used, bench)
    nu, nr = _col(a, "cost_adjustment_years_used"), _col(a, "cost_adjustment_years_remaining")
    d_l = delta_life(nu, nr)
    d_f, d_e = _col(a, "cost_adjustment_functional_obsolescence"), _col(a, "cost_adjustment_economic_obsolescence")
    d_x = delta_expert(d_f, d_e)
    d_g = _col(a, "cost_adjustment_value")
    delta = select_delta(basis, d_q, d_l, d_x, d_g)

    # literature model (NOT the CAS model)
    def lit_param(col: str, key: str) -> np.ndarray:
        x = _col(a, col)
        return np.where(np.isnan(x), float(p[key]), x)
    l_r = lit_param("cost_literature_return_rate", "literature_return_rate")
    l_alpha = _col(a, "cost_literature_quality")
    l_alpha = np.where(np.isnan(l_alpha), d_q, l_alpha)
    l_beta = lit_param("cost_literature_circulation", "literature_circulation")
    l_l = lit_param("cost_literature_scarcity", "literature_scarcity")
    l_risk = lit_param("cost_literature_risk", "literature_risk")
    p_lit, u = literature_value(tc, l_r, l_alpha, l_beta, l_l, l_risk)

    est = np.where(lit, p_lit, c * delta)
    cov = float(p["coverage"])
    z = float(special.ndtri(0.5 + cov / 2))
    sd = float(p["delta_relative_sd"])
    dmax = float(p["delta_max"])
    d_lo = np.maximum(delta * (1 - z * sd), 0.0)
    d_hi = np.minimum(delta * (1 + z * sd), np.maximum(delta, dmax))
    lsd = float(p["literature_relative_sd"])
    # ---- applicability (first reason wins)
    has_cost = _flag(a, "has_cost", True)
    v.add(~has_cost, "评估请求未包含成本法数据（cost 部分缺失），成本法不适用",
             "the request has no cost section: the cost approach is not applicable")
    v.add(~rc["has_cost_data"],
             "未提供形成数据资产的成本（五项成本或成本明细均为空），无法确定重置成本（第二十二条）",
             "no cost of forming the data asset is given (no component totals, no cost lines): the "
             "replacement cost cannot be determined (art. 22)")
    v.add(~(c > 0) & ~lit | ~(tc > 0) & lit, "成本合计为 0，无法以成本法评估（第二十二条）",
             "the costs add up to 0: the cost approach cannot value the asset (art. 22)")
    prob_zh = q["problem_zh"]
    prob_en = q["problem_en"]
    need_q = (np.isin(basis, ["quality", "combined"]) & ~lit) | (lit & np.isnan(_col(a, "cost_literature_quality")))
    no_q = need_q & np.isnan(qs)
    v.add(no_q & (prob_zh != ""),
             "价值调整系数需要数据质量评分，但质量输入有误：" + prob_zh.astype(str).astype(object),
             "δ needs the quality score but the quality input is invalid: " + prob_en.astype(str).astype(object))
    v.add(no_q, "价值调整系数以数据质量为依据，但卡片未给出质量评分（GB/T 36344 六个维度、子指标或综合得分，第十七条）",
             "δ rests on data quality but the card gives no quality score (GB/T 36344 dimensions, "
             "sub-indicators or a composite score; art. 17)")
    need_life = np.isin(basis, ["life", "combined"]) & ~lit
    v.add(need_life & np.isnan(d_l),
             "价值调整系数以剩余经济寿命为依据，但缺少已使用年限或剩余经济寿命（或二者之和为 0）",
             "δ rests on the remaining economic life but years used or years remaining is missing (or both are 0)")
    v.add(~lit & (basis == "expert") & np.isnan(d_x),
             "调整依据为专家评价，但未给出功能性或经济性贬值率", "basis 'expert' but no functional or economic obsolescence is given")
    v.add(~lit & (basis == "given") & np.isnan(d_g), "调整依据为“给定”，但未给出 δ 值（cost.adjustment.value）",
             "basis 'given' but no δ value is given (cost.adjustment.value)")
    nonpos = ~lit & ~(delta > 0) & ~np.isnan(delta)
    v.add(nonpos, _msg(nonpos, delta, "价值调整系数 δ = {v:.4f} ≤ 0，不合理（应 0 < δ ≤ 1）"),
          _msg(nonpos, delta, "value adjustment coefficient δ = {v:.4f} ≤ 0 is not meaningful (0 < δ ≤ 1 expected)"))
    override = _flag(a, "cost_adjustment_override", False)
    reason = _str(a, "cost_adjustment_override_reason")
    has_reason = _has_text(reason)
    over = ~lit & (delta > dmax)
    m = over & ~override
    v.add(m, _msg(m, delta, "价值调整系数 δ = {v:.4f} > " + f"{dmax:g}" + "：成本法无法证明价值高于重置成本（第二十二条）；"
                  "如确有依据，请设置 cost.adjustment.override 并在 cost.adjustment.override_reason 中说明理由"),
          _msg(m, delta, "value adjustment coefficient δ = {v:.4f} > " + f"{dmax:g}" + ": the cost approach cannot "
                  "evidence a value above replacement cost (art. 22); if truly justified set cost.adjustment.override "
                  "and give cost.adjustment.override_reason"))
    m = over & override & ~has_reason
    v.add(m, _msg(m, delta, "δ = {v:.4f} > 1 已设置 override，但缺少理由（cost.adjustment.override_reason）"),
          _msg(m, delta, "δ = {v:.4f} > 1 with override but without a reason (cost.adjustment.override_reason)"))

    app = v.applicable
    low = np.where(lit, p_lit * max(1 - z * lsd, 0.0), c * d_lo)
    high = np.where(lit, p_lit * (1 + z * lsd), c * d_hi)
    cols: dict[str, Any] = {
        "estimate": np.where(app, est, np.nan), "low": np.where(app, low, np.nan),
        "high": np.where(app, high, np.nan), "applicable": app, "reason_zh": v.zh, "reason_en": v.en,
        "model": np.where(lit, "literature", "cas").astype(object),
        "replacement_cost": c, "delta": np.where(lit, np.nan, delta),
        "delta_basis": np.where(lit, "", basis).astype(object), "delta_quality": d_q, "delta_life": d_l,
        "delta_low": np.where(lit, np.nan, d_lo), "delta_high": np.where(lit, np.nan, d_hi),
        "quality_score": qs_used, "quality_basis": q["quality_basis"],
        "utility": np.where(lit, u, np.nan), "profit_rate": rc["profit_rate"]}
    for k in COMPONENTS:
        cols[f"cost_{k}"] = rc[f"cost_{k}"]
    fr = frame_of_arrays(cols, pf.index)   # = pd.DataFrame(cols, index=pf.index), text converted at once
    warnings = LazyWarnings(lambda: _warnings(pf, fr, rc, lit, delta, over & override & has_reason, reason, nr, app))
    traces: dict[str, list] = {}
    if trace:
        idx_app = np.flatnonzero(app)
        ctx = _TraceContext(pf, rc, q, cols, idx_app)
        for i in idx_app:
            traces[pf.index[i]] = _trace(i, ctx, p, lit, basis, qs, qs_used, pub, bench, nu, nr,
                                         d_q, d_l, d_f, d_e, d_x, d_g, delta, est, fr, z, sd,
                                         (l_r, l_alpha, l_beta, l_l, l_risk, u), reason)
    return MethodResult("cost", fr, traces, dict(p, coverage=cov), warnings)


_W_CORR = {"code": "COST_VALUE_CORRELATION", "severity": "warning",
           "message_zh": "该数据资产能够产生收入，其价值与成本的相关性可能较弱；成本法结果须结合收益法、市场法分析（第二十二条第一款）",
           "message_en": "this data asset generates income, so its value may correlate weakly with its cost; weigh the "
                         "cost approach against the income and market approaches (art. 22(1))",
           "references": ["CAS2023.art22", "CAS2023.art24"]}
_W_LIT = {"code": "LITERATURE_MODEL", "severity": "warning",
          "message_zh": "使用文献模型 P = TC × (1 + R) × U，不是中评协〔2023〕17号的成本法模型 P = C × δ",
          "message_en": "literature model P = TC × (1 + R) × U in use — NOT the CAS 2023 cost model P = C × δ",
          "references": ["LIT.cost_tc"]}
_W_DOUBLE = {"code": "COST_DOUBLE_COUNT_RISK", "severity": "warning",
             "message_zh": "同一成本类别既给出合计又给出明细，已相加；请确认没有重复计算",
             "message_en": "a cost category is given both as a total and as lines; they were added — check for double counting",
             "references": ["CAS2023.art22"]}
_W_OPP = {"code": "OPPORTUNITY_COST_NOT_MEASURED", "severity": "info",
          "message_zh": "未给出机会成本或机会成本率，机会成本按 0 计（第二十二条列有机会成本）",
          "message_en": "no opportunity cost or rate given; opportunity cost counted as 0 (art. 22 lists it)",
          "references": ["CAS2023.art22", "ENG.default"]}


def _warnings(pf, fr, rc, lit, delta, overridden, reason, nr, app) -> dict[str, list[dict[str, Any]]]:
    a = pf.assets
    ids = pf.index.tolist()   # a boolean mask of an Arrow-backed Index costs ~0.1 ms a call
    out: dict[str, list[dict[str, Any]]] = {}

    def add(mask, w):
        for i in np.flatnonzero(np.asarray(mask, bool) & app).tolist():
            out.setdefault(ids[i], []).append(w)

    has_income = _flag(a, "has_income", False)
    add(has_income, _W_CORR)
    add(lit, _W_LIT)
    add(rc["double_count_risk"], _W_DOUBLE)
    add(~rc["opportunity_measured"] & ~lit, _W_OPP)
    if "rights_term_end" in a.columns and "valuation_date" in a.columns:   # (no set of ~120 labels)
        years_left = _days_between(a, "valuation_date", "rights_term_end") / 365.25
        add((nr > years_left + 1e-9) & ~lit, {
            "code": "LIFE_EXCEEDS_RIGHTS_TERM", "severity": "warning",
            "message_zh": "剩余经济寿命超过剩余权利期限；除非续期有据，应以权利期限为上限",
            "message_en": "the remaining economic life exceeds the remaining rights term; cap it at the term unless "
                          "renewal is documented", "references": ["CAS2023.art14", "CAS2023.art22"]})
    for i in np.flatnonzero(overridden & app).tolist():
        out.setdefault(ids[i], []).append({
            "code": "DELTA_OVER_1", "severity": "warning",
            "message_zh": f"δ = {delta[i]:.4f} > 1，已按理由接受：{reason[i]}",
            "message_en": f"δ = {delta[i]:.4f} > 1 accepted by override: {reason[i]}",
            "references": ["CAS2023.art22"]})
    return out


def _row_dicts(cols: Mapping[str, np.ndarray], rows: np.ndarray, keys: list, columns: list | None = None) -> dict:
    """Per traced asset, ``{column: value}`` of the result columns (arrays), with the Python
    values ``DataFrame.to_dict(orient="index")`` of their frame gives for numeric and boolean
    columns (text columns give their ``str``; a missing text is None here where the frame
    would give NaN — both are shown as null in a trace)."""
    names = list(cols) if columns is None else list(columns)
    vals = [np.asarray(cols[c]).tolist() for c in names]
    return {k: dict(zip(names, [v[i] for v in vals], strict=True)) for k, i in zip(keys, rows, strict=True)}


class _TraceContext:
    """Per-asset rows of the result tables for the traced assets, computed once (fast lookups)."""

    def __init__(self, pf, rc, q, fr, rows):
        self.index = pf.index.to_numpy(dtype=object)
        rows = np.asarray(rows, dtype=int)
        keys = [self.index[i] for i in rows]
        self.rc = _row_dicts(rc, rows, keys)
        self.q = _row_dicts(q, rows, keys)
        self.fr = _row_dicts(fr, rows, keys, ["low", "high", "delta_low", "delta_high"])
        self.lines: dict[str, dict[str, float]] = {}
        self.n_lines: dict[str, int] = {}
        ln = pf.records.get("cost.lines")
        if ln is not None and len(ln):
            keys = set(keys)
            ln = ln[ln["asset_id"].isin(keys)]
            g = ln.groupby([ln["asset_id"].astype("str"), ln["category"].astype("str")])["amount"].sum()
            for (aid, cat), v in g.items():
                self.lines.setdefault(aid, {})[cat] = float(v)
            self.n_lines = ln.groupby(ln["asset_id"].astype("str")).size().to_dict()
        self.piv = None
        if "cost_price_index_valuation" in pf.assets.columns:
            piv = column_values(pf.assets, "cost_price_index_valuation")
            self.piv = piv if isinstance(piv, np.ndarray) else pf.assets["cost_price_index_valuation"].to_numpy()


def _trace(i, ctx, p, lit, basis, qs, qs_used, pub, bench, nu, nr, d_q, d_l, d_f, d_e, d_x, d_g,
           delta, est, fr, z, sd, litp, reason) -> list:
    aid = ctx.index[i]
    r = ctx.rc[aid]
    s = []
    if bool(r["has_lines"]):
        s.append(step("cost_lines", "成本明细换算至基准日并按类别汇总", "Cost lines indexed to the valuation date, summed per category",
                      "Σ 金额 × 分摊比例 × (I_基准日 / I_发生时)",
                      {"lines": int(ctx.n_lines.get(str(aid), 0)),
                       "I_valuation": None if ctx.piv is None else ctx.piv[i],
                       **ctx.lines.get(str(aid), {})},
                      {k: r[f"cost_{k}"] for k in COMPONENTS if k != "opportunity"},
                      ["CAS2023.art22", "CAS2023.art16", "CAS2023.annex.cost"],
                      note_zh="分组求和前的金额为原始金额；换算与分摊后计入各类别",
                      note_en="inputs are raw amounts per category; indexing and allocation are applied before summing"))
    for k in ("preliminary", "direct", "indirect"):
        s.append(step(f"cost_{k}", COMPONENT_LABELS[k][0], COMPONENT_LABELS[k][1].capitalize(), f"{COMPONENT_LABELS[k][0]} = Σ 该类成本",
                      {}, r[f"cost_{k}"], ["CAS2023.art22", "CAS2023.art16"], unit="currency"))
    opp_rate = r["opportunity_rate"]
    s.append(step("cost_opportunity", "机会成本", "Opportunity cost",
                  "给定" if np.isnan(opp_rate) else "OC = r × (前期费用 + 直接成本 + 间接成本)",
                  {"r": opp_rate, "base": r["cost_preliminary"] + r["cost_direct"] + r["cost_indirect"]},
                  r["cost_opportunity"], ["CAS2023.art22", "CAS2023.art16"] + ([] if not np.isnan(opp_rate) and opp_rate > 0
                                                                             else ["ENG.default"]), unit="currency",
                  note_zh="" if bool(r["opportunity_measured"]) else "未给出机会成本或机会成本率，按 0 计",
                  note_en="" if bool(r["opportunity_measured"]) else "no opportunity cost or rate given: counted as 0"))
    s.append(step("cost_taxes", "相关税费", "Related taxes", "不可抵扣税费", {}, r["cost_taxes"],
                  ["CAS2023.art22"], unit="currency"))
    if lit[i]:
        l_r, l_alpha, l_beta, l_l, l_risk, u = (x[i] for x in litp)
        note_zh, note_en = "文献模型，不是中评协〔2023〕17号的成本法模型", "literature model — NOT the CAS 2023 cost model"
        s.append(step("total_cost", "总成本 TC（文献模型）", "Total cost TC (literature model)", "TC = Σ 五项成本",
                      {k: r[f"cost_{k}"] for k in COMPONENTS}, r["total_cost"], ["LIT.cost_tc"], unit="currency",
                      note_zh=note_zh, note_en=note_en))
        s.append(step("utility", "数据效用 U（文献模型）", "Data utility U (literature model)", "U = α × β × (1 + l) × (1 − r)",
                      {"α": l_alpha, "β": l_beta, "l": l_l, "r": l_risk}, u, ["LIT.cost_tc"], note_zh=note_zh, note_en=note_en))
        s.append(step("value", "评估值（文献模型，非协会模型）", "Value (literature model, NOT the CAS model)",
                      "P = TC × (1 + R) × U", {"TC": r["total_cost"], "R": l_r, "U": u}, est[i], ["LIT.cost_tc"],
                      unit="currency", note_zh=note_zh, note_en=note_en))
        return s
    s.append(step("replacement_cost", "重置成本 C", "Replacement cost C",
                  "C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + 合理利润率) + 相关税费",
                  {**{COMPONENT_LABELS[k][0]: r[f"cost_{k}"] for k in COMPONENTS}, "合理利润率": r["profit_rate"]},
                  r["replacement_cost"], ["CAS2023.art22", "CAS2023.annex.cost", "CAS2023.art16"]
                  + (["CAS2019.guide9"] if r["profit_rate"] > 0 else []), unit="currency",
                  note_zh="合理利润按税前成本（含机会成本）计，税费不计利润", note_en="profit on the pre-tax cost incl. opportunity cost; none on taxes"))
    b = basis[i]
    if b in ("quality", "combined"):
        qi = ctx.q[aid]
        src = qi["weights_source"]
        w_inputs = {d: qi[f"w_{d}"] for d in ("normativeness", "completeness", "accuracy", "consistency",
                                              "timeliness", "accessibility")}
        if src == "ahp":
            w_inputs.update(lambda_max=qi["ahp_lambda_max"], CI=qi["ahp_ci"], RI=1.24, CR=qi["ahp_cr"],
                            override_reason=qi["ahp_override_reason"])
        s.append(step("quality_weights", "质量维度权重", "Quality dimension weights",
                      {"ahp": "w = 判断矩阵主特征向量（归一化）；CI = (λmax − n)/(n − 1)；CR = CI/RI < 0.10",
                       "card": "卡片给定权重，Σ w = 1", "argument": "参数给定权重，Σ w = 1",
                       "library": "w_j = 指标库维度权重（按其和归一化）",
                       "default": "w_j = 1/6（工程默认，非标准规定）"}[src],
                      w_inputs, [w_inputs[d] for d in list(w_inputs)[:6]],
                      ["GBT36344", "CAS2023.art17"] + (["ENG.default"] if src == "default" else [])))
        s.append(step("quality_score", "数据质量综合得分 Q", "Composite quality score Q",
                      "Q = Σ w_j × s_j" if qi["quality_basis"] != "given" else "Q 给定（asset.quality.score）",
                      {**{d: qi[f"s_{d}"] for d in ("normativeness", "completeness", "accuracy", "consistency",
                                                    "timeliness", "accessibility")}, "basis": qi["quality_basis"],
                       "Q": qs[i], "rounding": "publication" if pub[i] else "exact"},
                      qs_used[i], ["GBT36344", "CAS2023.art17", "CAS2023.art16"],
                      note_zh=f"发布舍入：Q 先保留 {int(p['quality_decimals'])} 位小数再使用" if pub[i] else "精确模式：Q 不舍入",
                      note_en=f"publication rounding: Q rounded to {int(p['quality_decimals'])} decimals before use"
                      if pub[i] else "exact mode: Q not rounded"))
        s.append(step("delta_quality", "质量调整系数 δ_q", "Quality coefficient δ_q", "δ_q = Q / Q_基准",
                      {"Q": qs_used[i], "Q_benchmark": bench[i]}, d_q[i], ["CAS2023.art22", "GBT36344"]))
    if b in ("life", "combined"):
        s.append(step("delta_life", "剩余经济寿命系数 δ_life", "Remaining-life coefficient δ_life",
                      "δ_life = n_r / (n_u + n_r)", {"n_u": nu[i], "n_r": nr[i]}, d_l[i], ["CAS2023.art22"]))
    if b == "expert":
        s.append(step("delta_expert", "专家评价调整系数", "Expert-scored coefficient", "δ = 1 − (d_func + d_econ)",
                      {"d_func": d_f[i], "d_econ": d_e[i]}, d_x[i], ["CAS2023.art22", "CAS2019.guide9"]))
    note_zh = note_en = ""
    if delta[i] > 1:
        note_zh, note_en = f"δ > 1 按理由接受：{reason[i]}", f"δ > 1 accepted by override: {reason[i]}"
    s.append(step("delta", "价值调整系数 δ", "Value adjustment coefficient δ",
                  {"quality": "δ = δ_q", "life": "δ = δ_life", "combined": "δ = δ_q × δ_life",
                   "expert": "δ = 1 − (d_func + d_econ)", "given": "δ 给定"}[str(b)],
                  {"basis": b, "value_given": d_g[i]} if b == "given" else {"basis": b}, delta[i],
                  ["CAS2023.art22", "CAS2023.annex.cost"], note_zh=note_zh, note_en=note_en))
    s.append(step("value", "成本法评估值", "Cost approach value", "P = C × δ",
                  {"C": r["replacement_cost"], "δ": delta[i]}, est[i], ["CAS2023.annex.cost", "CAS2023.art22"],
                  unit="currency"))
    s.append(step("range", "成本法简易区间（仅 δ 的不确定性）", "Simple band of the cost approach (δ uncertainty only)",
                  "δ_low = δ(1 − z·sd), δ_high = min(δ(1 + z·sd), max(δ, δ_max)); [C × δ_low, C × δ_high]",
                  {"z": z, "sd": sd, "coverage": p["coverage"], "delta_low": ctx.fr[aid]["delta_low"],
                   "delta_high": ctx.fr[aid]["delta_high"]},
                  [ctx.fr[aid]["low"], ctx.fr[aid]["high"]], ["ENG.default", "CAS2023.art22"], unit="currency",
                  note_zh="指导价区间由定价层综合全部参数确定", note_en="the guided range is set by the pricing layer over all parameters"))
    return s
