"""Importing cases from tables: prices written as text, the import report that accounts for
every input row, and the generic CSV / Excel / Parquet importer with a column mapping."""
from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import Issue, ValidationError
from .schema import CASE_COLUMNS, PRICED_MODES, _row_issue_messages, cases_frame

SKIP_REASONS: dict[str, tuple[str, str]] = {
    "negotiated": ("面议，无价格", "negotiation: no price"),
    "free": ("免费，无价格", "free: no price"),
    "zero_price": ("价格为 0 或负数", "price is 0 or negative"),
    "unparseable_price": ("价格无法解析", "price cannot be parsed"),
    "unknown_price_mode": ("计价方式无法识别", "unknown price mode"),
    "currency": ("币种不是人民币", "currency is not CNY/RMB"),
    "duplicate": ("与已导入案例重复（同一案例编号）", "duplicate of a case already imported (same case_id)"),
    "duplicate_listing": ("重复挂牌（同一交易所、提供方、标题、价格与计价方式），不是独立证据",
                          "duplicate listing (same exchange, provider, title, price and mode): not independent evidence"),
    "invalid": ("不符合案例库字段要求", "does not meet the case schema"),
    "unit_conflict": ("价格文本的计价单位与计价方式不符（不同单位的价格不可比较）",
                      "the unit in the price text contradicts the price mode (prices in other units are never compared)"),
}
_CNY = ("CNY", "RMB", "人民币", "元", "¥", "￥")

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
    if suf in (".xlsx", ".xlsm", ".xls", ".parquet"):
        from ...core.reading import reader_errors

        try:
            if suf == ".parquet":
                return pd.read_parquet(p)
            return pd.read_excel(p, engine="calamine")  # as batch/io: fast, no openpyxl warnings
        except reader_errors() as e:   # not a workbook / not Parquet
            kind = "Parquet" if suf == ".parquet" else "Excel"
            raise ValidationError([Issue(str(p), p.name, f"an {kind} file" if kind == "Excel" else "a Parquet file",
                                         f"文件 {p} 不是可读的 {kind} 文件（{type(e).__name__}: {str(e)[:120]}）",
                                         f"{p} is not a readable {kind} file ({type(e).__name__}: "
                                         f"{str(e)[:120]})")]) from e
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
    if mapping is None:
        m: dict[str, Any] = {}
    elif isinstance(mapping, Mapping):
        m = dict(mapping)
    else:
        from ..safe_load import load_document

        m = load_document(Path(mapping), as_json=str(mapping).lower().endswith(".json")) or {}
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


def _mapped(raw: pd.DataFrame, m: Mapping[str, Any], defs: Mapping[str, Any]) -> pd.DataFrame:
    """The case columns of one file: renamed by the mapping, source values mapped, empty cells
    filled with the defaults."""
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
    return out


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
        out = _mapped(raw, m, defs)
        ok = np.ones(len(out), dtype=bool)
        if "price" in out.columns:
            parsed = [parse_price_text(v) if pd.notna(v) else (math.nan, None) for v in out["price"]]
            pv = np.array([p[0] for p in parsed], dtype=float)
            pm = [p[1] for p in parsed]
            if "price_mode" not in out.columns:
                out["price_mode"] = pd.Series([np.nan] * len(out), dtype=object, index=out.index)
            mode = out["price_mode"].astype(object).to_numpy()
            given = mode.copy()
            mode = np.array([pm[i] if (not isinstance(mode[i], str) or not mode[i]) and pm[i] else mode[i]
                             for i in range(len(out))], dtype=object)
            cur = raw[m["columns"].get("currency", "currency")].astype("str").str.strip().str.upper() \
                if m["columns"].get("currency", "currency") in raw.columns else None
            out["price_mode"] = mode
            had = out["price"].notna().to_numpy(bool) & (out["price"].astype("str").str.strip() != "").to_numpy(bool)
            unpriced = np.isin(mode, ("free", "negotiated"))
            for i in range(len(out)):
                code, detail = None, str(out["price"].iloc[i])
                if cur is not None and isinstance(cur.iloc[i], str) and cur.iloc[i] not in ("", "NAN", "NONE") \
                        and cur.iloc[i] not in _CNY:
                    code, detail = "currency", f"currency {raw[m['columns'].get('currency', 'currency')].iloc[i]}"
                elif pm[i] and isinstance(given[i], str) and given[i] and given[i] != pm[i]:
                    code, detail = "unit_conflict", f"{out['price'].iloc[i]} → {pm[i]} ≠ price_mode {given[i]}"
                elif mode[i] == "negotiated":
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
                                  "reason_zh": zh, "reason_en": en, "detail": detail})
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
