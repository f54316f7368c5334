"""The case library (案例库): case schema, unit handling and importers.

A *case* is one piece of market evidence — a transaction, a listing or a finished appraisal —
used by the market approach (中评协〔2023〕17号 art. 23; DOMAIN.md §4.4) and as a regression test.

Schema (one row per case, :data:`CASE_COLUMNS`)
-----------------------------------------------
==================  ===========================================================================
case_id             unique id (letters, digits and ``. _ : -``)
title               product / dataset name
category            product category (snake-case key, see :data:`CATEGORIES`; free text allowed)
industry            the source's own category or industry (free text)
records, fields     scale: number of records / fields (> 0; unknown = empty, never 0)
size_bytes          size in bytes (> 0; unknown = empty)
update_frequency    ``real-time`` … ``no-update`` (``ENUMS["update_frequency"]``)
rights_type         ``holding`` | ``processing_use`` | ``product_operation`` (三权分置)
exclusivity         ``exclusive`` | ``sole`` | ``non_exclusive``
price_mode          ``one_off`` | ``subscription_year`` | ``per_call`` | ``free`` | ``negotiated``
price_unit          implied by the mode (:data:`PRICE_UNITS`): ``CNY`` per purchase,
                    ``CNY/year``, ``CNY/call``; empty for free / negotiated
price               CNY per unit (> 0 for the three priced modes; empty for free / negotiated)
date                ISO date of the evidence
region              area covered or where traded
evidence_type       ``transaction`` | ``listing`` | ``appraisal``
source, licence     where the row comes from and under which licence
quality             composite quality score 0–100 (optional)
platform, url       exchange / channel and the page of the evidence
==================  ===========================================================================

Unit rule: a price is only ever compared with prices of the same ``price_mode`` and
``price_unit`` — a yearly subscription is a cost per year, a per-call price a cost per call, a
one-off price a cost per purchase (order); free and negotiated rows carry no price at all.
:func:`same_unit_mask` is the one place that decides comparability.

Importers return an :class:`ImportReport` that accounts for every input row
(``imported + skipped == total``), each skipped row with a reason code and a sentence in
Chinese and English:

* :func:`import_table` — generic CSV / Excel / Parquet with a column mapping (dict or YAML);
* :func:`import_dadada` — the DaDaDa listings of Chinese data exchanges (the five exchange
  files and ``derived_cn_priced_listings.csv``).

DaDaDa conventions (documented choices, see ``case_library/DATA_CARD.md``)
--------------------------------------------------------------------------
* modes: ``one-off`` → ``one_off``; ``subscription`` → ``subscription_year`` (the files already
  hold the 12-month cost: 88 元/月 is stored as 1056); ``usage-based`` → ``per_call``;
  ``negotiation`` → ``negotiated`` (no price, skipped); ``free`` → ``free`` (skipped);
* **Guiyang "元/次"**: Guiyang labels every price "per time"; for datasets it is the price of one
  order (one delivery), e.g. 2,880,000 元/次 for a stock history. A Guiyang ``usage-based`` row
  priced at or above ``guiyang_order_min_price`` (default 100 元) is therefore a one-off
  purchase (``one_off``, CNY per order); cheaper ones (0.1–88 元 queries) stay ``per_call``;
* evidence type = ``listing`` (exchange list prices, not deals); rights type
  ``product_operation`` and ``non_exclusive`` (a listed data product licensed to many buyers)
  — both importer arguments; date = the snapshot date of the crawl (2024-08-17) unless given;
* ``volume``/``size``/``dimension`` of 0 mean unknown and become empty.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue, ValidationError
from ..core.schema import ENUMS

__all__ = [
    "AWS_CATEGORY",
    "CASE_COLUMNS",
    "CATEGORIES",
    "DADADA_SNAPSHOT_DATE",
    "PRICED_MODES",
    "PRICE_MODES",
    "PRICE_UNITS",
    "REQUIRED_COLUMNS",
    "SKIP_REASONS",
    "ImportReport",
    "case_issues",
    "cases_frame",
    "cases_frame_from_store",
    "import_dadada",
    "import_table",
    "load_mapping",
    "parse_price_text",
    "price_unit_of",
    "priced_cases",
    "read_table",
    "same_unit_mask",
    "store_items",
    "validate_cases",
]

CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "title", "category", "industry", "records", "fields", "size_bytes",
    "update_frequency", "rights_type", "exclusivity", "price_mode", "price_unit", "price", "date",
    "region", "evidence_type", "source", "licence", "quality", "platform", "url")
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
              "evidence_type": ENUMS["evidence_type"]}

SKIP_REASONS: dict[str, tuple[str, str]] = {
    "negotiated": ("面议，无价格", "negotiation: no price"),
    "free": ("免费，无价格", "free: no price"),
    "zero_price": ("价格为 0 或负数", "price is 0 or negative"),
    "unparseable_price": ("价格无法解析", "price cannot be parsed"),
    "unknown_price_mode": ("计价方式无法识别", "unknown price mode"),
    "currency": ("币种不是人民币", "currency is not CNY/RMB"),
    "duplicate": ("与已导入案例重复（同一案例编号）", "duplicate of a case already imported (same case_id)"),
    "invalid": ("不符合案例库字段要求", "does not meet the case schema"),
}
DADADA_SNAPSHOT_DATE = "2024-08-17"


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


# --------------------------------------------------------------------------- prices in text
_NUM = r"([0-9][0-9,]*(?:\.[0-9]+)?)"
_PRICE_RE = re.compile(r"^\s*(?:￥|¥|RMB|CNY)?\s*" + _NUM + r"\s*(万)?\s*(?:元|RMB|CNY)?\s*"
                       r"(?:/\s*(?:" + _NUM + r")?\s*(次|条|月|年|季|天|日|单|份|个)?)?\s*$")


def parse_price_text(text: Any) -> tuple[float, str | None]:
    """Parse a price string into (CNY per unit, price mode implied by the unit or None).

    ``"0.50元/次"`` → (0.5, per_call); ``"10元/100次"`` → (0.1, per_call); ``"88.00元/月"`` →
    (1056, subscription_year); ``"1000000元/年"`` → (1e6, subscription_year); ``"3万元"`` →
    (30000, None); ``"1,000"`` → (1000, None). Unparseable → (nan, None)."""
    if text is None:
        return math.nan, None
    if isinstance(text, (int, float, np.integer, np.floating)):
        return (float(text), None) if math.isfinite(float(text)) else (math.nan, None)
    m = _PRICE_RE.match(str(text))
    if not m:
        return math.nan, None
    try:
        v = float(m.group(1).replace(",", ""))
        per = float(m.group(3).replace(",", "")) if m.group(3) else 1.0
    except ValueError:
        return math.nan, None
    if m.group(2):
        v *= 10_000
    if per <= 0:
        return math.nan, None
    unit = m.group(4)
    if unit in ("次", "条"):
        return v / per, "per_call"
    if unit == "月":
        return v * 12 / per, "subscription_year"
    if unit == "季":
        return v * 4 / per, "subscription_year"
    if unit == "年":
        return v / per, "subscription_year"
    if unit in ("天", "日"):
        return v * 365 / per, "subscription_year"
    return v / per, None


# --------------------------------------------------------------------------- import report
@dataclass
class ImportReport:
    """What an import did with every input row: ``imported`` (case frame) and ``skipped``
    (``file, row, title, reason, reason_zh, reason_en, detail``); ``total`` rows were read."""

    total: int
    imported: pd.DataFrame
    skipped: pd.DataFrame
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n_imported(self) -> int:
        return len(self.imported)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)

    @property
    def balanced(self) -> bool:
        return self.n_imported + self.n_skipped == self.total

    def counts(self) -> dict[str, int]:
        """Skipped rows per reason code."""
        if not len(self.skipped):
            return {}
        return {str(k): int(v) for k, v in self.skipped["reason"].value_counts().sort_index().items()}

    def summary(self, lang: str = "zh") -> str:
        zh = lang != "en"
        lines = [(f"读取 {self.total} 行：导入 {self.n_imported} 行，跳过 {self.n_skipped} 行"
                  if zh else f"read {self.total} rows: imported {self.n_imported}, skipped {self.n_skipped}")]
        for code, n in self.counts().items():
            zh_t, en_t = SKIP_REASONS.get(code, (code, code))
            lines.append(f"  - {code}: {n}  ({zh_t if zh else en_t})")
        if len(self.imported):
            by = self.imported.groupby("price_mode").size()
            lines.append(("按计价方式：" if zh else "by price mode: ") +
                         ", ".join(f"{k} {v}" for k, v in by.items()))
        lines.extend(self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "imported": self.n_imported, "skipped": self.n_skipped,
                "skipped_by_reason": self.counts(), "files": list(self.files)}


def _skip_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["file", "row", "title", "reason", "reason_zh", "reason_en", "detail"]
    return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame({c: [] for c in cols})


def _finish(candidates: pd.DataFrame, meta: pd.DataFrame, skips: list[dict[str, Any]], total: int,
            files: list[str], notes: list[str] | None = None) -> ImportReport:
    """Validate candidate rows; invalid and duplicate ones become skipped rows."""
    c = cases_frame(candidates)
    msgs = _row_issue_messages(c)
    keep = np.ones(len(c), dtype=bool)
    dup = c["case_id"].notna() & c["case_id"].duplicated(keep="first")
    for i in range(len(c)):
        if dup.iloc[i]:
            code, det = "duplicate", str(c["case_id"].iloc[i])
        elif i in msgs:
            code, det = "invalid", msgs[i][1]
        else:
            continue
        keep[i] = False
        zh, en = SKIP_REASONS[code]
        if code == "invalid":
            zh, en = f"{zh}：{msgs[i][0]}", f"{en}: {msgs[i][1]}"
        skips.append({"file": meta["file"].iloc[i], "row": int(meta["row"].iloc[i]),
                      "title": c["title"].iloc[i], "reason": code, "reason_zh": zh,
                      "reason_en": en, "detail": det})
    imported = c.loc[keep].reset_index(drop=True)
    sk = _skip_frame(skips)
    if len(sk):
        sk = sk.sort_values(["file", "row"], kind="stable").reset_index(drop=True)
    rep = ImportReport(total=total, imported=imported, skipped=sk, files=files, notes=notes or [])
    assert rep.balanced, "import report must account for every row"
    return rep


# --------------------------------------------------------------------------- tables & mappings
def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read CSV (UTF-8, UTF-8-BOM or GB18030), Excel (first sheet) or Parquet."""
    p = Path(path)
    suf = p.suffix.lower()
    if suf in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(p)
    if suf == ".parquet":
        return pd.read_parquet(p)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(p, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
    raise ValidationError([Issue(str(p), None, "UTF-8 or GB18030 CSV",
                                 f"文件 {p} 编码无法识别", f"cannot decode {p}")])


def load_mapping(mapping: Mapping[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """A column mapping as ``{"columns": {case_col: source_col}, "values": {case_col:
    {source_value: value}}, "defaults": {case_col: value}, "price_text": bool}``.

    Accepts that structure, a flat ``{case_col: source_col}`` dict, or a YAML file holding
    either. Unknown case columns are refused."""
    import yaml

    if mapping is None:
        m: dict[str, Any] = {}
    elif isinstance(mapping, Mapping):
        m = dict(mapping)
    else:
        text = Path(mapping).read_text(encoding="utf-8")
        m = yaml.safe_load(text) or {}
        if not isinstance(m, dict):
            raise ValidationError([Issue(str(mapping), None, "a YAML mapping",
                                         f"映射文件 {mapping} 必须是映射", f"mapping file {mapping} must be a mapping")])
    if not any(k in m for k in ("columns", "values", "defaults", "price_text")):
        m = {"columns": m}
    cols = dict(m.get("columns") or {})
    bad = [k for k in list(cols) + list(m.get("values") or {}) + list(m.get("defaults") or {})
           if k not in CASE_COLUMNS]
    if bad:
        raise ValidationError([Issue("mapping", k, ", ".join(CASE_COLUMNS),
                                     f"映射中的目标列 {k!r} 不是案例库字段", f"mapping target {k!r} is not a case column")
                               for k in bad])
    return {"columns": cols, "values": dict(m.get("values") or {}),
            "defaults": dict(m.get("defaults") or {}), "price_text": bool(m.get("price_text", True))}


def _gen_ids(prefix: str, frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    parts = frame[list(keys)].astype("str").fillna("").agg("|".join, axis=1)
    return prefix + parts.map(lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest()[:10])


def import_table(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                 mapping: Mapping[str, Any] | str | os.PathLike[str] | None = None, *,
                 defaults: Mapping[str, Any] | None = None, id_prefix: str = "CASE-") -> ImportReport:
    """Import cases from CSV / Excel / Parquet files with a column mapping.

    Columns not in the mapping are taken by their own name when it is a case column.
    ``values`` maps source values (e.g. ``{price_mode: {一次性: one_off}}``); ``defaults``
    fills empty cells. Price cells may be text (``"88元/月"``, ``"0.5元/次"``): they are parsed
    with :func:`parse_price_text`, and a unit that implies a mode fills an empty mode. Rows
    without ``case_id`` get ``id_prefix`` + a hash of the row. Free / negotiated rows, zero or
    unparseable prices, duplicates and rows failing :func:`case_issues` are skipped with reasons.
    """
    m = load_mapping(mapping)
    defs = {**m["defaults"], **(defaults or {})}
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    frames, metas, skips, total = [], [], [], 0
    for f in files:
        raw = read_table(f)
        total += len(raw)
        out = pd.DataFrame(index=raw.index)
        for col in CASE_COLUMNS:
            srcc = m["columns"].get(col, col)
            if srcc in raw.columns:
                out[col] = raw[srcc].to_numpy()
        for col, vmap in m["values"].items():
            if col in out.columns:
                out[col] = out[col].map(lambda v, vm=vmap: vm.get(v, vm.get(str(v), v)) if pd.notna(v) else v)
        for col, v in defs.items():
            if col not in out.columns:
                out[col] = v
            else:
                out[col] = out[col].where(out[col].notna() & (out[col].astype("str").str.strip() != ""), v)
        ok = np.ones(len(out), dtype=bool)
        if "price" in out.columns:
            parsed = [parse_price_text(v) if pd.notna(v) else (math.nan, None) for v in out["price"]]
            pv = np.array([p[0] for p in parsed], dtype=float)
            pm = [p[1] for p in parsed]
            if "price_mode" not in out.columns:
                out["price_mode"] = pd.Series([np.nan] * len(out), dtype=object, index=out.index)
            mode = out["price_mode"].astype(object).to_numpy()
            mode = np.array([pm[i] if (not isinstance(mode[i], str) or not mode[i]) and pm[i] else mode[i]
                             for i in range(len(out))], dtype=object)
            out["price_mode"] = mode
            had = out["price"].notna().to_numpy(bool) & (out["price"].astype("str").str.strip() != "").to_numpy(bool)
            unpriced = np.isin(mode, ("free", "negotiated"))
            for i in range(len(out)):
                code = None
                if mode[i] == "negotiated":
                    code = "negotiated"
                elif mode[i] == "free":
                    code = "free"
                elif had[i] and not np.isfinite(pv[i]):
                    code = "unparseable_price"
                elif isinstance(mode[i], str) and mode[i] in PRICED_MODES and not (pv[i] > 0):
                    code = "zero_price"
                if code:
                    ok[i] = False
                    zh, en = SKIP_REASONS[code]
                    skips.append({"file": str(f), "row": int(i) + 1, "title": out["title"].iloc[i]
                                  if "title" in out.columns else None, "reason": code,
                                  "reason_zh": zh, "reason_en": en, "detail": str(out["price"].iloc[i])})
            out["price"] = np.where(unpriced, np.nan, pv)
        if "case_id" not in out.columns:
            out["case_id"] = np.nan
        need = out["case_id"].isna().to_numpy(bool)
        if need.any():
            gen = _gen_ids(id_prefix, out.assign(_f=str(Path(f).name)),
                           ["_f"] + [c for c in ("title", "url", "platform", "price_mode", "price", "date")
                                     if c in out.columns])
            out["case_id"] = out["case_id"].astype(object).where(~need, gen)
        frames.append(out.loc[ok])
        metas.append(pd.DataFrame({"file": str(f), "row": np.flatnonzero(ok) + 1}))
    cand = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    meta = pd.concat(metas, ignore_index=True) if metas else pd.DataFrame({"file": [], "row": []})
    return _finish(cand, meta, skips, total, [str(f) for f in files])


# --------------------------------------------------------------------------- DaDaDa
_DADADA_MODES = {"one-off": "one_off", "subscription": "subscription_year", "usage-based": "per_call",
                 "negotiation": "negotiated", "free": "free"}
_DADADA_FREQ = {"no-update": "no-update", "daily": "daily", "monthly": "monthly",
                "real-time": "real-time", "irregular": "irregular", "yearly": "yearly",
                "weekly": "weekly", "quarterly": "quarterly", "hourly": "real-time",
                "on-demand": "irregular"}
_PLATFORM_CODE = {"Shanghai": "SH", "Guiyang": "GY", "Beijing": "BJ", "Zhejiang": "ZJ",
                  "Canton": "GZ", "Guangzhou": "GZ"}


def _platform_code(p: Any) -> str:
    s = str(p) if isinstance(p, str) else ""
    for k, v in _PLATFORM_CODE.items():
        if k in s:
            return v
    return "XX"


def _num_col(raw: pd.DataFrame, name: str) -> np.ndarray:
    if name not in raw.columns:
        return np.full(len(raw), np.nan)
    return pd.to_numeric(raw[name], errors="coerce").to_numpy(float, copy=True)


def _txt_col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name not in raw.columns:
        return pd.Series([np.nan] * len(raw), dtype="str")
    return _blank(raw[name].astype("str").str.replace(r"[\r\n]+", " ", regex=True))


def import_dadada(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
                  date: str = DADADA_SNAPSHOT_DATE, rights_type: str = "product_operation",
                  exclusivity: str = "non_exclusive", guiyang_order_min_price: float = 100.0
                  ) -> ImportReport:
    """Import DaDaDa listing files (the five exchange files or ``derived_cn_priced_listings.csv``).

    Every row is either imported (a priced listing) or skipped with its reason: negotiation
    (no price), free, price 0, unparseable price, unknown mode, non-CNY currency, duplicate
    (same platform, url, title, mode and price as a row already imported) or invalid. See the
    module docstring for the conventions (Guiyang per-order prices, subscription per year)."""
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    frames, metas, skips, total = [], [], [], 0
    notes: list[str] = []
    n_orders = 0
    for f in files:
        raw = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
        n = len(raw)
        total += n
        derived = "price_rmb" in raw.columns
        title = _txt_col(raw, "title")
        platform = _txt_col(raw, "platform")
        mode_raw = _txt_col(raw, "price_mode").str.lower()
        mode = mode_raw.map(lambda v: _DADADA_MODES.get(v, np.nan) if isinstance(v, str) else np.nan)
        mode = mode.to_numpy(object, copy=True)
        price = _num_col(raw, "price_rmb" if derived else "price")
        text = raw["raw_price_text"] if "raw_price_text" in raw.columns else \
            (raw["price"] if "price" in raw.columns else pd.Series([None] * n))
        # a price cell that is not a plain number is parsed as text (e.g. "88元/月")
        for i in np.flatnonzero(~np.isfinite(price)):
            v = text.iloc[i]
            if isinstance(v, str) and v.strip():
                pv, pm = parse_price_text(v)
                price[i] = pv
                if pm and not isinstance(mode[i], str):
                    mode[i] = pm
        bad_text = np.zeros(n, dtype=bool)
        if derived:  # cross-check the stored price against the original text
            for i in range(n):
                pv, _ = parse_price_text(text.iloc[i])
                if np.isfinite(pv) and np.isfinite(price[i]) and price[i] > 0 and \
                        abs(pv - price[i]) > 0.01 * max(pv, price[i]):
                    bad_text[i] = True
        gy = (platform.fillna("").str.contains("Guiyang").to_numpy(bool)) & (mode == "per_call") & \
            np.isfinite(price) & (price >= guiyang_order_min_price)
        mode = np.where(gy, "one_off", mode)
        n_orders += int(gy.sum())
        cur = _txt_col(raw, "currency").str.upper()
        ok = np.ones(n, dtype=bool)
        for i in range(n):
            code = None
            if isinstance(cur.iloc[i], str) and cur.iloc[i] not in ("RMB", "CNY"):
                code = "currency"
            elif mode[i] == "negotiated":
                code = "negotiated"
            elif mode[i] == "free":
                code = "free"
            elif not isinstance(mode[i], str):
                code = "unknown_price_mode"
            elif not np.isfinite(price[i]):
                code = "unparseable_price"
            elif price[i] <= 0:
                code = "zero_price"
            if code:
                ok[i] = False
                zh, en = SKIP_REASONS[code]
                skips.append({"file": str(f), "row": i + 1, "title": title.iloc[i], "reason": code,
                              "reason_zh": zh, "reason_en": en,
                              "detail": f"{mode_raw.iloc[i]} {text.iloc[i] if derived else price[i]}"})
        aws = _txt_col(raw, "category_aws")
        cat = aws.map(lambda v: AWS_CATEGORY.get(v, "other") if isinstance(v, str) else "other")
        own = _txt_col(raw, "category_src" if derived else "category")
        size = _num_col(raw, "size_bytes" if derived else "size")
        out = pd.DataFrame({
            "title": title, "category": cat.astype("str"), "industry": own,
            "records": _num_col(raw, "volume"), "fields": _num_col(raw, "dimension"), "size_bytes": size,
            "update_frequency": _txt_col(raw, "update_frequency").map(
                lambda v: _DADADA_FREQ.get(v, np.nan) if isinstance(v, str) else np.nan).astype("str"),
            "rights_type": rights_type, "exclusivity": exclusivity, "price_mode": mode,
            "price": price, "date": date,
            "region": _txt_col(raw, "coverage"), "evidence_type": "listing",
            "source": f"DaDaDa (ZJU-DIVER/DaDaDa) {Path(f).name}", "licence": "Apache-2.0",
            "quality": np.nan, "platform": platform, "url": _txt_col(raw, "url"),
        })
        out["price_note"] = np.where(gy, "Guiyang 元/次 on a dataset = price per order → one_off", "")
        if derived:
            out["price_text"] = text.to_numpy()
            out["price_note"] = np.where(bad_text, "price_rmb differs from raw_price_text; price_rmb kept",
                                         out["price_note"])
        codes = platform.map(_platform_code).fillna("XX")
        ids = _gen_ids("", out.assign(_m=out["price_mode"].astype("str")),
                       ["platform", "url", "title", "_m", "price"])
        out.insert(0, "case_id", ("DDD-" + codes + "-" + ids).to_numpy())
        frames.append(out.loc[ok])
        metas.append(pd.DataFrame({"file": str(f), "row": np.flatnonzero(ok) + 1}))
    if n_orders:
        notes.append(f"贵阳“元/次”数据集价格按每单一次性买断处理 / Guiyang per-order prices mapped to one_off: {n_orders}")
    cand = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    meta = pd.concat(metas, ignore_index=True) if metas else pd.DataFrame({"file": [], "row": []})
    return _finish(cand, meta, skips, total, [str(f) for f in files], notes)


# --------------------------------------------------------------------------- store
def store_items(cases: pd.DataFrame) -> list[dict[str, Any]]:
    """Items for ``Store.put_many("cases", ...)`` (key = case_id; content = the row, NaN → null)."""
    c = cases_frame(cases)
    recs = c.to_dict(orient="records")
    out = []
    for r in recs:
        doc = {k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v) for k, v in r.items()}
        out.append({"key": str(doc["case_id"]), "content": doc, "status": "active"})
    return out


def cases_frame_from_store(store: Any) -> pd.DataFrame:
    """The active cases of a library store as a typed case frame (``store.frame("cases")``)."""
    df = store.frame("cases")
    return cases_frame(df if df is not None else None)
