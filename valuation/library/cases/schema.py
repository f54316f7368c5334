"""Case schema of the case library: columns, price modes and units, the one comparability
rule (:func:`same_unit_mask`) and row validation (see the package docstring)."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import Issue, ValidationError
from ...core.schema import ENUMS

CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "title", "category", "industry", "records", "fields", "size_bytes",
    "update_frequency", "rights_type", "exclusivity", "price_mode", "price_unit", "price", "date",
    "region", "evidence_type", "source", "licence", "quality", "platform", "url", "provenance")
REQUIRED_COLUMNS = ("case_id", "rights_type", "price_mode", "date", "evidence_type")
NUMERIC_COLUMNS = ("records", "fields", "size_bytes", "price", "quality")
TEXT_COLUMNS = tuple(c for c in CASE_COLUMNS if c not in NUMERIC_COLUMNS)

PRICE_MODES: tuple[str, ...] = ENUMS["price_mode"]
PRICED_MODES: tuple[str, ...] = ("one_off", "subscription_year", "per_call")
PRICE_UNITS: dict[str, str] = {"one_off": "CNY", "subscription_year": "CNY/year",
                               "per_call": "CNY/call", "free": "", "negotiated": ""}
MODE_LABELS = {"one_off": ("一次性买断（每次购买）", "one-off (per purchase)"),
               "subscription_year": ("订阅（每年）", "subscription (per year)"),
               "per_call": ("按次调用（每次）", "per call"), "free": ("免费", "free"),
               "negotiated": ("面议", "negotiated")}

#: Recommended category keys (the AWS Marketplace taxonomy used by DaDaDa, in snake case).
CATEGORIES: tuple[str, ...] = (
    "financial_services", "public_sector", "telecommunications", "manufacturing",
    "retail_marketing", "transport", "environmental", "resources", "media_entertainment",
    "healthcare", "other")
AWS_CATEGORY: dict[str, str] = {
    "Financial Services Data": "financial_services", "Public Sector Data": "public_sector",
    "Telecommunications Data": "telecommunications", "Manufacturing Data": "manufacturing",
    "Retail, Location & Marketing Data": "retail_marketing", "Automotive Data": "transport",
    "Environmental Data": "environmental", "Resources Data": "resources",
    "Media & Entertainment Data": "media_entertainment",
    "Healthcare & Life Sciences Data": "healthcare", "Other": "other"}

_CASE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,80}$")
_ENUM_COLS = {"update_frequency": ENUMS["update_frequency"], "rights_type": ENUMS["rights_type"],
              "exclusivity": ENUMS["exclusivity"], "price_mode": PRICE_MODES,
              "evidence_type": ENUMS["evidence_type"], "provenance": ("real", "synthetic")}
#: provenance of a case: ``real`` evidence (imported listings, transactions, appraisals) or
#: ``synthetic`` (generated for demonstrations and tests; never evidence for a conclusion)
PROVENANCES = ("real", "synthetic")


# --------------------------------------------------------------------------- frames & units
def price_unit_of(mode: Any) -> str:
    """Unit of a price mode (``one_off`` → ``CNY``, ``subscription_year`` → ``CNY/year``,
    ``per_call`` → ``CNY/call``; free / negotiated → ``""``)."""
    return PRICE_UNITS.get(str(mode), "")


def _blank(s: pd.Series) -> pd.Series:
    """Text column with blanks as NaN, as pandas "str" dtype."""
    t = s.astype("str")
    t = t.str.strip()
    return t.mask(t.isin(["", "nan", "None", "NaN", "<NA>"]))


def cases_frame(data: pd.DataFrame | Iterable[Mapping[str, Any]] | None) -> pd.DataFrame:
    """Coerce rows to the case schema (no validation): every column of :data:`CASE_COLUMNS`
    (missing ones empty), numbers as float (≤ 0 sizes → NaN), text as "str", ``price_unit``
    filled from the mode when empty; extra columns are kept after the schema's."""
    if data is None:
        df = pd.DataFrame()
    elif isinstance(data, pd.DataFrame):
        df = data.copy()
    else:
        df = pd.DataFrame(list(data))
    n = len(df)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    src = df.reset_index(drop=True)
    for c in CASE_COLUMNS:
        if c in NUMERIC_COLUMNS:
            v = pd.to_numeric(src[c], errors="coerce").astype(float) if c in src.columns \
                else pd.Series(np.full(n, np.nan))
            if c in ("records", "fields", "size_bytes"):
                v = v.where(v > 0)
            out[c] = v.to_numpy(float)
        else:
            if c in src.columns:
                out[c] = _blank(src[c]).to_numpy()
            else:
                out[c] = pd.Series([np.nan] * n, dtype="str").to_numpy()
            out[c] = out[c].astype("str")
    if n:
        unit = out["price_mode"].map(lambda m: PRICE_UNITS.get(m, np.nan) if isinstance(m, str) else np.nan)
        unit = unit.mask(unit == "")
        out["price_unit"] = out["price_unit"].fillna(unit.astype("str"))
    if n:   # missing provenance: rows that say they are synthetic are, imported evidence is real
        synth = out["source"].fillna("").str.lower().str.startswith("synthetic") | \
            out["case_id"].fillna("").str.startswith("SYN-")
        out["provenance"] = out["provenance"].fillna(pd.Series(np.where(synth, "synthetic", "real"), dtype="str"))
    for c in src.columns:
        if c not in CASE_COLUMNS:
            out[c] = src[c].to_numpy()
    return out


def same_unit_mask(cases: pd.DataFrame, price_mode: str, price_unit: str | None = None,
                   rights_type: str | None = None) -> np.ndarray:
    """Cases comparable in price with a subject of ``price_mode`` (and ``rights_type``):
    same mode, same unit, a positive finite price. Free and negotiated never match."""
    unit = price_unit if price_unit is not None else price_unit_of(price_mode)
    if price_mode not in PRICED_MODES:
        return np.zeros(len(cases), dtype=bool)
    p = cases["price"].to_numpy(float)
    m = (cases["price_mode"].to_numpy(object) == price_mode) & \
        (cases["price_unit"].fillna("").to_numpy(object) == unit) & np.isfinite(p) & (p > 0)
    if rights_type is not None:
        m &= cases["rights_type"].to_numpy(object) == rights_type
    return m


def priced_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """The rows that can serve as price evidence (priced mode, unit of that mode, price > 0)."""
    c = cases_frame(cases)
    unit_ok = c["price_unit"].fillna("").to_numpy(object) == c["price_mode"].map(
        lambda m: PRICE_UNITS.get(m, "?") if isinstance(m, str) else "?").to_numpy(object)
    p = c["price"].to_numpy(float)
    keep = c["price_mode"].isin(PRICED_MODES).to_numpy(bool) & unit_ok & np.isfinite(p) & (p > 0)
    return c.loc[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- validation
def _issue(col: str, value: Any, allowed: str, zh: str, en: str, row: int | None,
           case_id: Any = None) -> Issue:
    cid = None if case_id is None or (isinstance(case_id, float) and math.isnan(case_id)) else str(case_id)
    where_zh = f"案例第 {row + 1} 行" + (f"（{cid}）" if cid else "") if row is not None else "案例"
    where_en = f"case row {row + 1}" + (f" ({cid})" if cid else "") if row is not None else "case"
    return Issue(field=col, value=None if isinstance(value, float) and math.isnan(value) else value,
                 allowed=allowed, message_zh=f"{where_zh}：{zh}", message_en=f"{where_en}: {en}",
                 row=row, asset_id=cid)


def case_issues(cases: pd.DataFrame) -> list[Issue]:
    """Every problem of every row (vectorised checks), each naming column, value and what is
    allowed, in Chinese and English. ``cases`` should come from :func:`cases_frame`."""
    c = cases
    issues: list[Issue] = []
    ids = c["case_id"].to_numpy(object)

    def add(mask: np.ndarray, col: str, allowed: str, zh: str, en: str) -> None:
        for i in np.flatnonzero(mask):
            v = c[col].iloc[i]
            issues.append(_issue(col, v, allowed, zh.format(v=v), en.format(v=v), int(i), ids[i]))

    for col in REQUIRED_COLUMNS:
        add(c[col].isna().to_numpy(bool), col, "required", f"缺少必填字段 {col}",
            f"required field {col} is missing")
    cid = c["case_id"]
    bad_id = cid.notna() & ~cid.fillna("").str.match(_CASE_ID.pattern)
    add(bad_id.to_numpy(bool), "case_id", "letters, digits and . _ : - (1–80)",
        "案例编号 {v!r} 只能包含字母、数字和 . _ : -", "case_id {v!r} may only hold letters, digits and . _ : -")
    dup = cid.notna() & cid.duplicated(keep="first")
    add(dup.to_numpy(bool), "case_id", "unique ids", "案例编号 {v!r} 重复", "duplicate case_id {v!r}")
    for col, allowed in _ENUM_COLS.items():
        bad = c[col].notna() & ~c[col].isin(allowed)
        add(bad.to_numpy(bool), col, ", ".join(allowed), f"{col} 的值 {{v!r}} 无效，允许：{'、'.join(allowed)}",
            f"{col} value {{v!r}} is not allowed; allowed: {', '.join(allowed)}")
    mode = c["price_mode"].to_numpy(object)
    price = c["price"].to_numpy(float)
    priced = np.isin(mode, PRICED_MODES)
    add(priced & ~(np.isfinite(price) & (price > 0)), "price", "a number > 0 (CNY per unit)",
        "计价方式为有价格的方式，价格须为大于 0 的数值（元/计价单位），现为 {v!r}",
        "a priced mode needs a price > 0 (CNY per unit); got {v!r}")
    unpriced = np.isin(mode, ("free", "negotiated"))
    add(unpriced & np.isfinite(price) & (price != 0), "price", "empty for free / negotiated",
        "免费或面议案例不得有价格，现为 {v!r}", "free or negotiated cases carry no price; got {v!r}")
    want = np.array([PRICE_UNITS.get(m, None) if isinstance(m, str) else None for m in mode], dtype=object)
    unit = c["price_unit"].fillna("").to_numpy(object)
    known = np.array([w is not None for w in want])
    bad_unit = known & (unit != np.where(known, want, "").astype(object))
    for i in np.flatnonzero(bad_unit):
        issues.append(_issue("price_unit", unit[i], repr(want[i]),
                             f"计价方式 {mode[i]} 的计价单位须为 {want[i]!r}，现为 {unit[i]!r}（不同单位的价格不可比较）",
                             f"price_unit of mode {mode[i]} must be {want[i]!r}, got {unit[i]!r} "
                             "(prices in other units are never compared)", int(i), ids[i]))
    for col in ("records", "fields", "size_bytes"):
        v = c[col].to_numpy(float)
        add(np.isfinite(v) & (v <= 0), col, "> 0 or empty", f"{col} 须大于 0（未知请留空），现为 {{v!r}}",
            f"{col} must be > 0 (leave unknown empty); got {{v!r}}")
    q = c["quality"].to_numpy(float)
    add(np.isfinite(q) & ((q < 0) | (q > 100)), "quality", "0 ≤ quality ≤ 100",
        "质量得分须在 0–100，现为 {v!r}", "quality must be within 0–100; got {v!r}")
    d = c["date"]
    parsed = pd.to_datetime(d, format="%Y-%m-%d", errors="coerce")
    add((d.notna() & parsed.isna()).to_numpy(bool), "date", "ISO date YYYY-MM-DD",
        "日期 {v!r} 不是 ISO 日期 YYYY-MM-DD", "date {v!r} is not an ISO date YYYY-MM-DD")
    issues.sort(key=lambda x: (x.row if x.row is not None else -1))
    return issues


def validate_cases(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Typed, validated case frame; raises :class:`ValidationError` listing every issue."""
    c = cases_frame(data)
    iss = case_issues(c)
    if iss:
        raise ValidationError(iss)
    return c


def _row_issue_messages(c: pd.DataFrame) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for it in case_issues(c):
        if it.row is None or (it.field == "case_id" and it.allowed == "unique ids"):
            continue
        zh, en = out.get(it.row, ("", ""))
        out[it.row] = ((zh + "；" if zh else "") + it.message_zh, (en + "; " if en else "") + it.message_en)
    return out
