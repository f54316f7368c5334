"""Declared facts that rules may read, and the vectorised builder of the facts table.

Each fact has a type (``number``, ``bool``, ``category``) and a Chinese and English
description. The table is built for all assets at once (no Python loop over assets) from the
portfolio's asset table and the appraisal results; a fact that an approach has not produced
is missing (NaN for numbers, ``""`` for categories, False for booleans), so rules run before
every approach is present. The assets are read from the typed asset table
(:class:`~valuation.core.columns.AssetTable`, ``Portfolio.columns``); the result is a plain
``{fact: ndarray}`` mapping (no frame: a face that wants one builds it at its edge).

Formulas (docs/DOMAIN.md §7.1, §7.3)::

    premium_ratio        = (estimate − book_value) / book_value           增值率 (book_value > 0)
    impairment_ratio     = (book_value − estimate) / book_value           减值率
    change_since_previous = (estimate − previous_value) / previous_value
    method_spread        = max_m P_m / min_m P_m − 1                      over applicable approaches (≥ 2)
    max_method_gap       = (max_m P_m − min_m P_m) / estimate             art. 24: difference vs the conclusion
    proposed_price_ratio = proposed_price / estimate                      12号令 90 % rule
    declared_ratio       = declared_value / estimate
    life_vs_rights       = life_requested − rights_years_remaining        CAS 2023 art. 21(7)
    days_since_valuation = as_of − valuation_date (days)                  12号令: 1-year validity
    cap_ratio            = price / cap                                    65号: price ≤ cap
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Collection, Mapping
from functools import cache, partial
from typing import Any

import numpy as np

from ..core.calendar import calendar_years
from ..core.columns import AssetTable, text_has
from .runtime import _missing

__all__ = ["FACTS", "fact_types", "fact_arrays", "describe_facts", "empty_facts", "METHODS"]

#: a table of result columns: a ``{column: ndarray}`` mapping (``MethodResult.columns``, the
#: reconciled columns), each 1-D array aligned row for row with the assets
Columns = Mapping[str, Any]

METHODS = ("cost", "income", "market")

# name: (type, zh, en)
FACTS: dict[str, tuple[str, str, str]] = {
    # conclusion and book values
    "estimate": ("number", "评估结论（点估计）", "reconciled estimate"),
    "low": ("number", "指导价区间下限", "low end of the guided range"),
    "high": ("number", "指导价区间上限", "high end of the guided range"),
    "book_value": ("number", "账面价值", "book value"),
    "premium_ratio": ("number", "增值率 =（评估值 − 账面价值）/ 账面价值", "appreciation ratio (estimate − book) / book"),
    "impairment_ratio": ("number", "减值率 =（账面价值 − 评估值）/ 账面价值", "impairment ratio (book − estimate) / book"),
    "n_impairment_indicators": ("number", "减值迹象个数（企业会计准则第8号）", "number of CAS 8 impairment indicators"),
    "previous_value": ("number", "上次评估值", "previous value"),
    "change_since_previous": ("number", "较上次评估的变动率 =（评估值 − 上次）/ 上次", "change since the previous value"),
    # approaches
    "n_methods": ("number", "适用的评估方法个数", "number of applicable approaches"),
    "cost_used": ("bool", "成本法适用", "cost approach applicable"),
    "income_used": ("bool", "收益法适用", "income approach applicable"),
    "market_used": ("bool", "市场法适用", "market approach applicable"),
    "cost_estimate": ("number", "成本法结果", "cost approach estimate"),
    "income_estimate": ("number", "收益法结果", "income approach estimate"),
    "market_estimate": ("number", "市场法结果", "market approach estimate"),
    "method_spread": ("number", "各方法结果离散度 = 最大/最小 − 1", "spread of approach results, max/min − 1"),
    "max_method_gap": ("number", "方法结果最大差异 /评估结论", "(max − min) of approach results / estimate"),
    # market approach
    "n_comparables": ("number", "可比案例个数", "number of comparables"),
    "market_synthetic_cases": ("number", "市场法所用合成（非真实）案例个数", "synthetic (not real) cases behind the market value"),
    "comparable_spread": ("number", "调整后可比价格 最大/最小", "max/min of adjusted comparable prices"),
    "x1_max": ("number", "质量调整系数 X1 最大值", "largest quality coefficient X1"),
    "market_coeff_max": ("number", "单项调整系数最大值（X1–X5）", "largest single adjustment coefficient (X1–X5)"),
    "market_coeff_min": ("number", "单项调整系数最小值（X1–X5）", "smallest single adjustment coefficient (X1–X5)"),
    # income approach
    "discount_rate": ("number", "折现率", "discount rate"),
    "growth": ("number", "预测期最高增长率", "highest forecast growth rate"),
    "terminal_growth": ("number", "永续增长率", "terminal growth rate"),
    "split_rate": ("number", "分成率", "split rate"),
    "royalty_rate": ("number", "许可费率", "royalty rate"),
    "life": ("number", "采用的收益期（年）", "economic life used (years)"),
    "life_bound": ("category", "收益期由何者限定（periods/rights/contract/legal/timeliness/product/attrition）",
                   "what bounded the economic life (periods, rights, contract, legal, timeliness, product, attrition)"),
    "life_requested": ("number", "卡片申报的收益期（年）", "income period on the card (years)"),
    "rights_years_remaining": ("number", "剩余权利期限（年）", "remaining rights term (years)"),
    "life_vs_rights": ("number", "申报收益期 − 剩余权利期限（年；续期有据时为空）",
                       "income period on the card − remaining rights term (years; empty when renewal is documented)"),
    "terminal_beyond_rights": ("bool", "有限权利期限下仍计永续价值", "terminal value beyond a finite rights term"),
    # cost approach, quality
    "delta": ("number", "成本法价值调整系数 δ", "cost approach coefficient δ"),
    "delta_override": ("bool", "δ>1 已声明覆盖理由", "δ > 1 override declared"),
    "quality_score": ("number", "数据质量综合得分", "composite quality score"),
    # asset and engagement
    "use_category": ("category", "使用类别（public_governance/public_welfare/industry/sector）", "use category"),
    "holder_type": ("category", "主体类型（enterprise/soe/administrative/public_institution）", "holder type"),
    "purpose": ("category", "评估目的", "purpose"),
    "value_type": ("category", "价值类型", "value type"),
    "rights_type": ("category", "权利类型", "rights type"),
    "public_data": ("bool", "是否公共数据", "public data"),
    "pledged": ("bool", "是否已质押/担保", "pledged or used as a guarantee"),
    "fiscal_revenue": ("bool", "授权收入计入财政收入", "licence income booked as fiscal revenue"),
    "proposed_price": ("number", "拟交易/收费价格", "proposed transaction or licence price"),
    "proposed_price_ratio": ("number", "拟交易价格 / 评估结论", "proposed price / estimate"),
    "declared_value": ("number", "申报/入账价值", "declared or booked value"),
    "declared_ratio": ("number", "申报价值 / 评估结论", "declared value / estimate"),
    "days_since_valuation": ("number", "距评估基准日天数", "days since the valuation date"),
    "loss_making": ("bool", "卡片声明为亏损资产（income.loss_making）", "loss-making asset stated on the card"),
    # public-data pricing (65号)
    "price": ("number", "实际收费标准", "actual price charged"),
    "cap": ("number", "上限收费标准", "price cap"),
    "cap_ratio": ("number", "实际价格 / 上限", "price / cap"),
    "mar_ratio": ("number", "Σ上限×销量 / 最高准许收入", "Σ cap × volume / maximum allowed revenue"),
}


def fact_types() -> dict[str, str]:
    """``{fact: "number" | "bool" | "category"}``."""
    return {k: v[0] for k, v in FACTS.items()}


def describe_facts(lang: str = "zh") -> list[dict[str, str]]:
    """The declared facts as rows ``{fact, type, description}`` (a face makes its table)."""
    return [{"fact": k, "type": t, "description": zh if lang != "en" else en}
            for k, (t, zh, en) in FACTS.items()]


def empty_facts(n: int) -> dict[str, np.ndarray]:
    """Facts of n assets with every fact missing (NaN / "" / False) — the neutral starting
    point (tests and examples set the facts they need)."""
    return {k: _missing(t, n) for k, (t, _, _) in FACTS.items()}


# ----------------------------------------------------------------------------- readers
def _to_float(x: Any) -> float:
    """A number as float; anything else (None, NaN, text, pandas' NA) is missing — what
    ``pandas.to_numeric(errors="coerce")`` gives for the values a result column holds."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return np.nan


def _floats(values: Any) -> np.ndarray:
    """A result column as floats, missing NaN (:func:`_to_float` of each value)."""
    a = np.asarray(values)
    if a.dtype.kind in "fiub":
        return a.astype(float, copy=False)
    if a.dtype.kind == "O":
        try:
            # one cast for the whole column: numpy converts each object as float() does and None
            # to NaN — the values :func:`_to_float` gives — so only a column holding something
            # float() refuses (text, pandas' NA) goes value by value
            return a.astype(float).ravel()
        except (TypeError, ValueError):
            pass
    vals = a.ravel().tolist()
    if a.dtype.kind == "O":
        # a column of text (a label column read as a number): one float() per distinct text,
        # coded by first appearance; only when every value is text (a number equal to another
        # — 0.0 and -0.0 — would share its code but not its sign), else value by value
        try:
            first = dict.fromkeys(vals)       # the distinct values in order of appearance
        except TypeError:                     # (an unhashable value)
            first = {None: None}
        if all(type(k) is str for k in first):
            pos = {k: i for i, k in enumerate(first)}
            codes = np.fromiter(map(pos.__getitem__, vals), dtype=np.intp, count=len(vals))
            return np.array([_to_float(k) for k in pos], dtype=float)[codes]
    return np.array([_to_float(x) for x in vals], dtype=float)


def _truthy(x: Any) -> bool:
    """A stored flag: missing (None, NaN, NA) is False."""
    if x is None or (type(x) is float and x != x):
        return False
    try:
        return bool(x)
    except TypeError:   # pandas' NA refuses bool()
        return False


def _bools(values: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.dtype == bool:
        return a
    if a.dtype.kind in "fiu":
        return np.nan_to_num(a.astype(float)) != 0
    return np.array([_truthy(x) for x in a.ravel().tolist()], dtype=bool)


def _count_items(texts: np.ndarray) -> np.ndarray:
    """Items of a "; "-joined text column (missing or blank → 0; counted where given)."""
    out = np.zeros(len(texts))
    given = np.flatnonzero(np.not_equal(texts, None))
    out[given] = [0.0 if not t.strip() else t.strip().count("; ") + 1.0 for t in texts[given].tolist()]
    return out


def _first(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise first non-NaN (the one array itself when given one: facts are read, never
    written)."""
    out = arrays[0]
    for a in arrays[1:]:
        out = np.where(np.isnan(out), a, out)
    return out


class _Reader:
    """The columns of one result table as arrays, each converted once (absent: missing)."""

    def __init__(self, cols: Columns | None, n: int, what: str):
        self.cols, self.n = cols, n
        self.names = frozenset(cols) if cols is not None else frozenset()
        self._num: dict[str, np.ndarray] = {}
        self.what = what

    def __contains__(self, col: str) -> bool:
        return col in self.names

    def _read(self, col: str) -> Any:
        v = self.cols[col]   # type: ignore[index]
        if len(v) != self.n:
            raise ValueError(f"{self.what}.{col}: {len(v)} rows, the assets are {self.n} "
                             "(result columns are aligned row for row with the assets)")
        return v

    def num(self, col: str) -> np.ndarray:
        """The column as floats (NaN when absent); the cached array must not be written."""
        out = self._num.get(col)
        if out is None:
            out = self._num[col] = _floats(self._read(col)) if col in self else np.full(self.n, np.nan)
        return out

    def bool(self, col: str) -> np.ndarray:
        return _bools(self._read(col)) if col in self else np.zeros(self.n, bool)

    def text(self, col: str) -> np.ndarray:
        """The column as an object array of str, "" where absent or missing (categories)."""
        if col not in self:
            return np.full(self.n, "", dtype=object)
        out = np.array(self._read(col), dtype=object)
        out[np.equal(out, None)] = ""
        return out


class _Sources:
    """Where the facts of :func:`fact_arrays` are read: the asset table, the reconciled
    results and each approach's own result columns (all aligned with the assets)."""

    def __init__(self, table: AssetTable, results: Columns | None, methods: Mapping[str, Columns] | None):
        self.table, self.n = table, len(table)
        self.res = _Reader(results, self.n, "results")   # no results: every result column is missing
        self.mfr = {k: _Reader(v, self.n, k) for k, v in (methods or {}).items()}

    def num(self, col: str) -> np.ndarray:
        """A number column of the asset table."""
        return self.table.floats(col)

    def mtext(self, m: str, col: str) -> np.ndarray:
        """An approach's text column: its own results, else ``<m>_<col>`` of the reconciled
        results ("" where neither has it)."""
        fr = self.mfr.get(m)
        return fr.text(col) if fr is not None and col in fr else self.res.text(f"{m}_{col}")

    def mcol(self, m: str, col: str, *alts: str) -> np.ndarray:
        """An approach's column: its own results, else ``<m>_<col>`` of the reconciled
        results, else plain (first non-NaN; absent columns are all NaN and skipped)."""
        fr, res = self.mfr.get(m), self.res
        own, rec = fr.names if fr is not None else frozenset(), res.names
        found = []
        for c in (col, *alts):
            if c in own:
                found.append(fr.num(c))              # type: ignore[union-attr]
            if f"{m}_{c}" in rec:
                found.append(res.num(f"{m}_{c}"))
            if c in rec:
                found.append(res.num(c))
        return _first(*found) if found else np.full(self.n, np.nan)

    def applicable(self, m: str) -> tuple[np.ndarray, bool]:
        fr, res = self.mfr.get(m), self.res
        if fr is not None and "applicable" in fr:
            return fr.bool("applicable"), True
        if f"{m}_applicable" in res:
            return res.bool(f"{m}_applicable"), True
        est = fr.num("estimate") if fr is not None else res.num(f"{m}_estimate")
        return ~np.isnan(est), False


def _approach_facts(src: _Sources, est: np.ndarray) -> dict[str, Any]:
    """Which approaches apply, their estimates, and how far they lie apart (art. 24)."""
    n = src.n
    used: dict[str, np.ndarray] = {}
    known: dict[str, bool] = {}
    m_est: dict[str, np.ndarray] = {}
    for m in METHODS:
        ok, kn = src.applicable(m)
        used[m], known[m] = ok, kn
        e = src.mfr[m].num("estimate") if m in src.mfr else src.res.num(f"{m}_estimate")
        m_est[m] = np.where(ok, e, np.nan)
    E = np.array([m_est[m] for m in METHODS]).reshape(len(METHODS), n)   # approaches × assets
    with np.errstate(all="ignore"):     # (NaN and ≤ 0 estimates take no part; ratios over 0 → NaN)
        E = np.where(E > 0, E, np.nan)
        two = (~np.isnan(E)).sum(axis=0) >= 2
        mx, mn = np.fmax.reduce(E, axis=0), np.fmin.reduce(E, axis=0)   # (NaN ignored)
        spread = np.where(two, mx / mn - 1, np.nan)
        gap = np.where(two & (est > 0), (mx - mn) / est, np.nan)
    n_methods = np.array([used[m] for m in METHODS]).reshape(len(METHODS), n).sum(axis=0).astype(float)
    return {"used": used, "m_est": m_est, "spread": spread, "gap": gap, "n_methods": n_methods,
            "inc_gate": used["income"] if known["income"] else np.ones(n, bool)}


def _days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whole days from ``start`` to ``end`` (datetime64[D]) as floats, NaN where either is
    missing."""
    with np.errstate(all="ignore"):   # NaT rows are masked below
        d = (end - start).astype("timedelta64[D]").astype(float)
    d[np.isnat(start) | np.isnat(end)] = np.nan
    return d


#: the facts :func:`_rights_facts` gives
_RIGHTS_FACTS = ("life_requested", "rights_years_remaining", "life_vs_rights", "terminal_beyond_rights")


def _rights_facts(src: _Sources, vd: np.ndarray, inc_gate: np.ndarray) -> dict[str, np.ndarray]:
    """The remaining rights term (from the income results, else the card's dates), the life
    asked for, and whether a terminal value reaches beyond the rights (issue 17)."""
    n, t, res = src.n, src.table, src.res
    rights_card = calendar_years(vd, t["rights_term_end"])   # counted as the income approach counts it
    rights = _first(src.mcol("income", "rights_years_remaining"), rights_card)
    life_req = _first(src.mcol("income", "life_requested"), src.num("income_periods"))
    # a renewal counts only with its evidence named on the card (methods/income/term.py)
    renew = t["rights_renewal_documented"] & text_has(t["rights_renewal_evidence"])
    tbr = np.zeros(n, bool)
    for fr, c in ((src.mfr.get("income"), "terminal_beyond_rights"), (res, "income_terminal_beyond_rights"),
                  (res, "terminal_beyond_rights")):
        if fr is not None and c in fr:
            tbr |= fr.bool(c)
    return {"life_requested": life_req, "rights_years_remaining": rights,
            "life_vs_rights": np.where(renew, np.nan, life_req - rights),
            "terminal_beyond_rights": tbr & inc_gate}


def _days_since(vd: np.ndarray, as_of: _dt.date | str | None) -> np.ndarray:
    """Days from the valuation date to ``as_of`` (a date or ISO text; default today)."""
    return _days_between(vd, np.datetime64(_dt.date.today() if as_of is None else as_of, "D"))


def fact_arrays(table: AssetTable, results: Columns | None = None, *,
                methods: Mapping[str, Columns] | None = None,
                as_of: _dt.date | str | None = None,
                names: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """Facts for every asset, vectorised: ``{fact: array}`` in the order of :data:`FACTS`
    (numbers float, booleans bool, categories object arrays of text, "" missing); with
    ``names`` only those facts (e.g. :attr:`valuation.rules.engine.RuleSet.facts`, the facts
    a rule set's conditions, ``applies_to`` and messages read), each computed as for all.

    Parameters
    ----------
    table : the asset table (``Portfolio.columns``): ``book_value``, ``previous_value``,
        ``proposed_price``, ``declared_value``, ``holder_type``, ``use_category``, ``pledged``,
        ``fiscal_revenue``, ``public_data``, ``valuation_date``, ``rights_term_end``, ...
    results : the reconciled result columns, aligned with ``table`` (a ``{column: array}``
        mapping, e.g. the engine's ``Reconciled``), with any of: ``estimate``, ``low``, ``high``; per
        approach ``<m>_estimate`` and ``<m>_applicable`` (m = cost, income, market); and
        approach details either prefixed (``income_life``) or plain: ``n_comparables``,
        ``comparable_spread`` (or ``spread``), ``x1_max``, ``coeff_max``, ``coeff_min``,
        ``discount_rate``, ``growth_max``, ``split_rate``, ``life``, ``life_bound``,
        ``life_requested``, ``rights_years_remaining``, ``terminal_beyond_rights``,
        ``delta``, ``quality_score``, ``price``, ``cap``, ``cap_ratio``, ``mar_ratio``.
        Absent columns give missing facts.
    methods : optional ``{approach: result columns}`` (``MethodResult.columns``); approach
        details are read from these first.
    as_of : date for ``days_since_valuation`` (default: today).
    """
    src = _Sources(table, results, methods)
    t, res, mcol, num = table, src.res, src.mcol, src.num
    est, book, prev = res.num("estimate"), num("book_value"), num("previous_value")
    proposed, declared = num("proposed_price"), num("declared_value")
    # what several facts share, made on first use (a rule set reads ~40 of the ~56 facts)
    ap = cache(lambda: _approach_facts(src, est))
    gate = lambda x: np.where(ap()["inc_gate"], x, np.nan)  # noqa: E731 - income facts only where income applies
    rights = cache(lambda: _rights_facts(src, t["valuation_date"], ap()["inc_gate"]))
    price, cap = res.num("price"), res.num("cap")
    make: dict[str, Callable[[], Any]] = {
        "estimate": lambda: est, "low": lambda: res.num("low"), "high": lambda: res.num("high"),
        "book_value": lambda: book, "premium_ratio": lambda: np.where(book > 0, (est - book) / book, np.nan),
        "impairment_ratio": lambda: np.where(book > 0, (book - est) / book, np.nan),
        # CAS 8 impairment indicators: a list_str column is "; "-joined text
        "n_impairment_indicators": lambda: _count_items(t["impairment_indicators"]),
        "previous_value": lambda: prev,
        "change_since_previous": lambda: np.where(prev > 0, (est - prev) / prev, np.nan),
        "n_methods": lambda: ap()["n_methods"],
        **{f"{m}_used": partial(lambda m: ap()["used"][m], m) for m in METHODS},
        **{f"{m}_estimate": partial(lambda m: ap()["m_est"][m], m) for m in METHODS},
        "method_spread": lambda: ap()["spread"], "max_method_gap": lambda: ap()["gap"],
        **{f: partial(mcol, "market", c) for f, c in (
            ("n_comparables", "n_comparables"), ("market_synthetic_cases", "n_synthetic_comparables"))},
        "comparable_spread": lambda: mcol("market", "comparable_spread", "spread"),
        **{f: partial(mcol, "market", c) for f, c in (
            ("x1_max", "x1_max"), ("market_coeff_max", "coeff_max"), ("market_coeff_min", "coeff_min"))},
        "discount_rate": lambda: gate(mcol("income", "discount_rate")),
        "growth": lambda: gate(mcol("income", "growth_max", "growth")),
        "terminal_growth": lambda: gate(_first(mcol("income", "terminal_growth"), num("income_terminal_growth"))),
        "split_rate": lambda: gate(mcol("income", "split_rate")),
        "royalty_rate": lambda: gate(_first(mcol("income", "royalty_rate"), num("income_royalty_rate"))),
        "life": lambda: gate(mcol("income", "life")),
        "life_bound": lambda: np.where(ap()["inc_gate"], src.mtext("income", "life_bound"), ""),
        **{k: partial(lambda k: rights()[k], k) for k in _RIGHTS_FACTS},
        "delta": lambda: mcol("cost", "delta"), "delta_override": lambda: t["cost_adjustment_override"],
        "quality_score": lambda: _first(mcol("cost", "quality_score"), num("quality_score")),
        **{c: partial(t.text, c) for c in ("use_category", "holder_type", "purpose", "value_type", "rights_type")},
        **{c: partial(t.__getitem__, c) for c in ("public_data", "pledged", "fiscal_revenue")},
        "proposed_price": lambda: proposed, "proposed_price_ratio": lambda: np.where(est > 0, proposed / est, np.nan),
        "declared_value": lambda: declared, "declared_ratio": lambda: np.where(est > 0, declared / est, np.nan),
        "days_since_valuation": lambda: _days_since(t["valuation_date"], as_of),
        "loss_making": lambda: t["income_loss_making"],
        "price": lambda: price, "cap": lambda: cap,
        "cap_ratio": lambda: _first(res.num("cap_ratio"), np.where(cap > 0, price / cap, np.nan)),
        "mar_ratio": lambda: res.num("mar_ratio"),
    }
    want = FACTS if names is None else [k for k in FACTS if k in names]
    with np.errstate(all="ignore"):   # a ratio over 0, NaN or a tiny base is NaN / ±inf, no warning
        return {k: make[k]() for k in want}
