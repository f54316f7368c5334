"""Vectorised validation of flat portfolio tables (one row per asset; docs/INTERCHANGE.md
"Portfolio tables"): typed columns and every issue with its row, asset and column."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .errors import Issue
from .gate import IDENTIFIER_PATHS, table_text_issues
from .schema import Field, column_of, fields_for
from .validate_values import (
    DATE_MAX,
    DATE_MIN,
    issue_for,
    missing_issue,
    unknown_issue,
)

# ------------------------------------------------------------------ tables
_STREAM_COL = re.compile(r"^(?P<base>.+?)_(?P<n>\d+)$")


def table_columns(kind: str = "card") -> dict[str, Field]:
    """Scalar columns a portfolio table may carry (numbered stream/list columns excluded)."""
    return {f.column: f for f in fields_for(kind)
            if not f.in_records and f.kind not in ("records", "matrix", "stream", "list_number")}


def _series_fields(kind: str = "card") -> dict[str, Field]:
    return {f.column: f for f in fields_for(kind) if f.kind in ("stream", "list_number")}


_IDENT_COLUMNS = frozenset(column_of(p) for p in IDENTIFIER_PATHS if "[]" not in p)


def validate_table(df: pd.DataFrame, kind: str = "card") -> tuple[pd.DataFrame, list[Issue]]:
    """Vectorised validation of a flat portfolio table (one row per asset).

    Returns the coerced table (typed columns) and every issue found, each naming its row,
    asset and column. Numbered columns ``income_revenue_1..n`` carry explicit streams;
    ``income_revenue_base`` / ``income_revenue_growth`` (or ``_growth_1..``) carry a stream
    given as a first amount with growth; ``income_history_values_1..`` carry lists.
    """
    issues: list[Issue] = []
    cols = table_columns(kind)
    sfields = _series_fields(kind)
    ids = df["asset_id"].astype("str") if "asset_id" in df.columns else pd.Series(
        [None] * len(df), dtype="str")
    ids_list = ids.tolist()
    out: dict[str, Any] = {}
    for c in df.columns:
        if c in cols:
            continue
        m = _STREAM_COL.match(str(c))
        base = m.group("base") if m else None
        ok = False
        for root, f in sfields.items():
            if c == root + "_base" or c == root + "_growth" or c == root + "_terminal_growth":
                ok = f.kind == "stream"
            elif base is not None and (base == root or base == root + "_growth"):
                ok = True
            if ok:
                break
        if not ok:
            issues.append(unknown_issue(str(c), None, known=list(cols)[:40]))
    n = len(df)
    # a section's required fields are required only on rows that carry that section
    sec_rows: dict[str, np.ndarray] = {}
    for sec in ("cost", "income", "market"):
        present = [c for c in df.columns if str(c).startswith(sec + "_")]
        sec_rows[sec] = (df[present].notna().any(axis=1).to_numpy() if present else np.zeros(n, bool))
    for c, f in cols.items():
        sec = f.path.split(".")[0]
        if c not in df.columns:
            if f.required and (sec not in sec_rows or sec_rows[sec].any()):
                issues.append(missing_issue(f, c))
            continue
        s = df[c]
        out[c] = _coerce_column(f, c, s, ids_list, issues, sec_rows.get(sec))
    # numbered numeric columns: numeric, finite
    for c in df.columns:
        if c in cols:
            continue
        s = df[c]
        x = pd.to_numeric(s, errors="coerce")
        bad = x.isna() & s.notna()
        if not pd.api.types.is_numeric_dtype(s):
            bad &= (s.astype("str").str.strip() != "")
        for r in np.flatnonzero(bad.to_numpy()):
            issues.append(issue_for(None, str(c), s.iloc[r], row=int(r), asset_id=ids_list[r],
                                    allowed_zh="数值", allowed_en="a number"))
        out[c] = x.astype(float)
    # control characters and lone surrogates in identifier columns (the input gate)
    issues += table_text_issues({c: df[c].tolist() for c in df.columns if c in _IDENT_COLUMNS and (
        df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))}, ids_list)
    from .signs import check_table  # negative revenue / loss without the explicit field (issue 17)

    check_table(out, ids_list, issues)
    # duplicate ids
    if "asset_id" in df.columns:
        dup = ids.duplicated(keep="first") & ids.notna()
        for r in np.flatnonzero(dup.to_numpy()):
            issues.append(Issue(field="asset_id", value=ids_list[r], allowed="unique ids",
                                message_zh=f"第 {r + 1} 行：资产编号 {ids_list[r]!r} 重复（与前面的行相同）",
                                message_en=f"row {r + 1}: duplicate asset_id {ids_list[r]!r}",
                                row=int(r), asset_id=ids_list[r]))
    return pd.DataFrame(out, index=pd.RangeIndex(n)), issues


def _coerce_column(f: Field, c: str, s: pd.Series, ids: list, issues: list[Issue],
                   rows_needing: np.ndarray | None = None) -> pd.Series:
    present = s.notna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        present = present & (_as_str(s).str.strip() != "")
    pres = present.to_numpy(dtype=bool)
    if f.required:
        need = ~pres if rows_needing is None else (~pres & rows_needing)
        for r in np.flatnonzero(need):
            issues.append(missing_issue(f, c, row=int(r), asset_id=ids[r]))
    k = f.kind
    if k in ("int", "number"):
        x = pd.to_numeric(s, errors="coerce").astype(float)
        xv = x.to_numpy()
        bad = pres & ~np.isfinite(xv)
        ok = pres & np.isfinite(xv)
        if k == "int":
            bad |= ok & (np.floor(np.where(ok, xv, 0)) != np.where(ok, xv, 0))
        inb = np.ones(len(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            if f.minimum is not None:
                inb &= (xv > f.minimum) if f.exclusive_minimum else (xv >= f.minimum)
            if f.maximum is not None:
                inb &= (xv < f.maximum) if f.exclusive_maximum else (xv <= f.maximum)
        bad |= ok & ~inb
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        xv = np.where(bad, np.nan, xv)
        if f.default is not None:
            xv = np.where(~pres, float(f.default), xv)
        return pd.Series(xv, index=s.index)
    if k == "bool":
        if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            return s.astype(bool)
        t = _as_str(s).str.strip().str.lower()
        mapping = {"true": True, "1": True, "yes": True, "是": True, "y": True, "1.0": True,
                   "false": False, "0": False, "no": False, "否": False, "n": False, "0.0": False}
        v = t.map(mapping)
        bad = pres & v.isna().to_numpy()
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        res = v.astype("boolean")
        if f.default is not None:
            res = res.fillna(bool(f.default)).astype(bool)
        return res
    if k == "date":
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return s
        t = _as_str(s).str.strip().str.slice(0, 10)
        d = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
        out_of_range = ((d < pd.Timestamp(DATE_MIN)) | (d > pd.Timestamp(DATE_MAX))).to_numpy(bool)
        d = d.mask(out_of_range)
        bad = pres & d.isna().to_numpy()
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        return d
    if k == "enum":
        t = _as_str(s).str.strip()
        bad = pres & ~t.isin(list(f.allowed or ())).to_numpy(dtype=bool)
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        t = t.where(pres & ~bad)
        if f.default is not None:
            t = t.where(pres, f.default)
        return t
    if k == "list_str":
        return _as_str(s).where(present)
    # str
    t = _as_str(s).str.strip()
    if f.pattern:
        okp = t.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
        for r in np.flatnonzero(pres & ~okp):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r],
                                    allowed_zh=f"匹配 {f.pattern}", allowed_en=f"matching {f.pattern}"))
    res = t.where(pres)
    if f.default is not None:
        res = res.where(pres, f.default)
    return res


def _as_str(s: pd.Series) -> pd.Series:
    """Text view of a column in pandas' ``str`` dtype (missing stays missing)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is np.nan:
        return s
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # 1.0 → "1" so numeric codes in spreadsheets compare as text
        out = s.map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
        return out.astype("str")
    return s.astype("str")


def column_for_path(path: str) -> str:
    return column_of(path)
