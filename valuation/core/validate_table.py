"""Vectorised validation of flat portfolio tables (one row per asset; docs/INTERCHANGE.md
"Portfolio tables"): typed columns and every issue with its row, asset and column."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .errors import Issue
from .frames import label_codes
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
    out, issues, _ = validate_columns(df, kind)
    return pd.DataFrame({c: s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array for c, s in out.items()},
                        index=pd.RangeIndex(len(df))), issues


def validate_columns(df: pd.DataFrame, kind: str = "card"
                     ) -> tuple[dict[str, pd.Series], list[Issue], dict[str, np.ndarray]]:
    """:func:`validate_table` without its frame: the coerced columns (read by position), every
    issue, and which rows give each section (:func:`section_rows`) — what
    :meth:`~valuation.core.portfolio.Portfolio.from_table` reads, each made once."""
    issues: list[Issue] = []
    cols = table_columns(kind)
    sfields = _series_fields(kind)
    ids = _astype_str(df["asset_id"]) if "asset_id" in df.columns else pd.Series([None] * len(df), dtype="str")
    ids_list = _RowIds(ids)
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
    # a section's required fields are required only on rows that carry that section
    sec_rows = section_rows(df)
    for c, f in cols.items():
        sec = f.path.split(".")[0]
        if c not in df.columns:
            if f.required and (sec not in sec_rows or sec_rows[sec].any()):
                issues.append(missing_issue(f, c))
            continue
        s = df[c]
        out[c] = coerce_column(f, c, s, ids_list, issues, sec_rows.get(sec))
    # numbered numeric columns: numeric, finite
    for c in df.columns:
        if c in cols:
            continue
        s = df[c]
        if _is_number(s):
            out[c] = pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
            continue
        x = pd.to_numeric(s, errors="coerce")
        bad = x.isna() & s.notna()
        if not pd.api.types.is_numeric_dtype(s):
            bad &= (s.astype("str").str.strip() != "")
        for r in np.flatnonzero(bad.to_numpy()):
            issues.append(issue_for(None, str(c), s.iloc[r], row=int(r), asset_id=ids_list[r],
                                    allowed_zh="数值", allowed_en="a number"))
        out[c] = x.astype(float)
    # control characters and lone surrogates in identifier columns (the input gate)
    # (a column whose text is all printable holds none of them: not handed over value by value)
    issues += table_text_issues({c: df[c].tolist() for c in df.columns if c in _IDENT_COLUMNS and (
        df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)) and not _printable(df[c])}, ids_list)
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
    return out, issues, sec_rows


class _RowIds:
    """The rows' asset ids as the issues name them (``ids[r]``), a Python list made on first
    use: a table without issues never makes it (one Python string per row of an Arrow column)."""

    def __init__(self, ids: pd.Series):
        self._ids, self._list = ids, None

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, r: int) -> Any:
        if self._list is None:
            self._list = self._ids.tolist()
        return self._list[r]


def _astype_str(s: pd.Series) -> pd.Series:
    """``s.astype("str")``, the column itself when it is "str" already (its storage kept: an
    Arrow-stored column is not copied into Python strings — the values are the same)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is np.nan:
        return s
    return s.astype("str")


def _printable(s: pd.Series) -> bool:
    """Whether the text of a column (its str values, joined) is all printable — then the input
    gate (:func:`~valuation.core.gate.table_text_issues`) finds nothing in it: every character
    it refuses is non-printable (tests/core/test_hostile_cli_api.py). Arrow-stored text is
    joined by Arrow (``binary_join``), without making a Python string of each value."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(s.array)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        if _printable_ascii(arr):
            return True
        arr = pc.drop_null(arr)
        large = pa.types.is_large_string(arr.type)
        lists = (pa.LargeListArray if large else pa.ListArray).from_arrays(
            pa.array([0, len(arr)], pa.int64() if large else pa.int32()), arr)
        text = pc.binary_join(lists, pa.scalar("", arr.type))[0].as_py()
    else:
        text = "".join([v for v in s.tolist() if type(v) is str])
    return text.isprintable()


def _printable_ascii(arr: Any) -> bool:
    """Whether the bytes of an Arrow string array's values (from its first value's start to
    its last's end: nulls' bytes, if any, included) are all printable ASCII (0x20–0x7E) — then
    every value is printable text, read off the value buffer as it is, where joining the text
    copies it. False also when there is another byte (the caller then joins the text)."""
    import pyarrow as pa

    if not len(arr):
        return True
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=width)
    start, end = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    if bufs[2] is None or end <= start:
        return True
    b = np.frombuffer(bufs[2], dtype=np.uint8)[start:end]
    return bool(((b >= 0x20) & (b <= 0x7E)).all())


def coerce_column(f: Field, c: str, s: pd.Series, ids: Any, issues: list[Issue],
                  rows_needing: np.ndarray | None = None) -> pd.Series:
    """One column of a flat table coerced to its field's type; an issue per bad or missing
    required value (naming row, asset, column, value and what is allowed). Enum, bool and
    date columns are read per distinct value (:func:`_distinct`): a portfolio repeats a few
    labels and dates over many rows, so the Python per value runs a few times per column.
    Public: the records side files of a batch are checked by it too
    (:mod:`valuation.batch.records_check`)."""
    k = f.kind
    stripped: pd.Series | None = None
    if k == "date" and pd.api.types.is_datetime64_any_dtype(s.dtype):
        pres = s.notna().to_numpy(dtype=bool)
    elif k == "bool" and pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(bool)
    elif k == "enum" and (fast := _enum_of_labels(f, c, s, ids, issues, rows_needing)) is not None:
        return fast
    elif k in ("enum", "bool", "date"):
        codes, texts = _distinct(s)
        pres = np.array([t is not None for t in texts] + [False])[codes]
        _missing_required(f, c, pres, rows_needing, ids, issues)
        return _READERS[k](f, c, s, codes, texts, pres, ids, issues)
    elif k in ("int", "number") and _is_number(s):    # (the usual column: no text to read)
        xv = s.to_numpy(dtype=float, na_value=np.nan)
        pres = ~np.isnan(xv)
        _missing_required(f, c, pres, rows_needing, ids, issues)
        return _numbers(f, c, s, pres, ids, issues, xv)
    else:
        present = s.notna()
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            stripped = _as_str(s).str.strip()      # (read once: presence and the value)
            present = present & (stripped != "")
        pres = present.to_numpy(dtype=bool)
    _missing_required(f, c, pres, rows_needing, ids, issues)
    if k in ("int", "number"):
        return _numbers(f, c, s, pres, ids, issues)
    if k == "date":
        return s
    if k == "list_str":
        return _as_str(s).where(pres)
    # str
    t = stripped if stripped is not None else _as_str(s).str.strip()
    if f.pattern:
        okp = t.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
        for r in np.flatnonzero(pres & ~okp):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r],
                                    allowed_zh=f"匹配 {f.pattern}", allowed_en=f"matching {f.pattern}"))
    res = t.where(pres)
    if f.default is not None:
        res = res.where(pres, f.default)
    return res


def _missing_required(f: Field, c: str, pres: np.ndarray, rows_needing: np.ndarray | None,
                      ids: Any, issues: list[Issue]) -> None:
    if f.required:
        need = ~pres if rows_needing is None else (~pres & rows_needing)
        for r in np.flatnonzero(need):
            issues.append(missing_issue(f, c, row=int(r), asset_id=ids[r]))


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _numbers(f: Field, c: str, s: pd.Series, pres: np.ndarray, ids: Any, issues: list[Issue],
             xv: np.ndarray | None = None) -> pd.Series:
    """A number/int column (``xv``: its values as floats when already read): finite, whole
    for an int, within the field's bounds."""
    if xv is None:
        xv = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
    bad = pres & ~np.isfinite(xv)
    ok = pres & np.isfinite(xv)
    if f.kind == "int":
        bad |= ok & (np.floor(np.where(ok, xv, 0)) != np.where(ok, xv, 0))
    inb = np.ones(len(xv), dtype=bool)
    with np.errstate(invalid="ignore"):
        if f.minimum is not None:
            inb &= (xv > f.minimum) if f.exclusive_minimum else (xv >= f.minimum)
        if f.maximum is not None:
            inb &= (xv < f.maximum) if f.exclusive_maximum else (xv <= f.maximum)
    bad |= ok & ~inb
    _bad_rows(f, c, s, bad, ids, issues)
    xv = np.where(bad, np.nan, xv)
    if f.default is not None:
        xv = np.where(~pres, float(f.default), xv)
    return pd.Series(xv, index=s.index)


def _distinct(s: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """``(codes, texts)``: each row's position among the column's distinct values (-1 where
    missing) and each distinct value as stripped text, None where blank — the text
    :func:`_as_str` gives (a whole number in a numeric column reads "1", not "1.0")."""
    if s.dtype == object:          # mixed cells (1 and "1" …): as text first, as _as_str reads them
        s = _as_str(s)
    codes, uniq = pd.factorize(s)
    vals = uniq.tolist()
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = [str(int(v)) if float(v).is_integer() else str(v) for v in vals]
    texts = [t.strip() or None for t in map(str, vals)]
    return codes, texts


_BOOL_TEXT = {"true": True, "1": True, "yes": True, "是": True, "y": True, "1.0": True,
              "false": False, "0": False, "no": False, "否": False, "n": False, "0.0": False}


def _bad_rows(f: Field, c: str, s: pd.Series, bad: np.ndarray, ids: Any, issues: list[Issue]) -> None:
    for r in np.flatnonzero(bad):
        issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))


def _enum(f: Field, c: str, s: pd.Series, codes: np.ndarray, texts: list[str | None],
          pres: np.ndarray, ids: Any, issues: list[Issue]) -> pd.Series:
    """An enum column as a pandas Categorical over the field's labels (code i ↔ label i, the
    asset table's coding): missing → the default, a label outside the enumeration → an issue."""
    labels = list(f.allowed or ())
    look = {v: i for i, v in enumerate(labels)}
    u = np.array([-1 if t is None else look.get(t, -2) for t in texts] + [-1], dtype=np.int16)[codes]
    bad = u == -2
    _bad_rows(f, c, s, bad, ids, issues)
    miss = look[f.default] if f.default is not None else -1
    out = np.where(bad, -1, np.where(pres, u, miss))
    return pd.Series(pd.Categorical.from_codes(out, dtype=_category_dtype(tuple(labels))), index=s.index)


def _enum_of_labels(f: Field, c: str, s: pd.Series, ids: Any, issues: list[Issue],
                    rows_needing: np.ndarray | None) -> pd.Series | None:
    """An Arrow-stored enum column whose every given value is one of the field's labels as it
    stands, coded by Arrow (:func:`~valuation.core.frames.label_codes`): the column
    :func:`_enum` makes of it, the missing values' issues included. None for any other column
    (a value to strip, a blank or a value outside the enumeration: read by :func:`_distinct`
    as before)."""
    labels = tuple(f.allowed or ())
    got = label_codes(s, labels)
    if got is None:
        return None
    out, missing = got
    if missing is not None:
        _missing_required(f, c, ~missing, rows_needing, ids, issues)
        if f.default is not None:
            out[missing] = labels.index(f.default)
    # (codes within the labels by construction: not checked again)
    return pd.Series(pd.Categorical.from_codes(out, dtype=_category_dtype(labels), validate=False),
                     index=s.index)


_DTYPES: dict[tuple[str, ...], pd.CategoricalDtype] = {}


def _category_dtype(labels: tuple[str, ...]) -> pd.CategoricalDtype:
    """The Categorical dtype of an enumeration, made once (its categories are checked when it
    is made, which would otherwise be paid for an enum column of every table)."""
    dt = _DTYPES.get(labels)
    if dt is None:
        dt = _DTYPES[labels] = pd.CategoricalDtype(list(labels))
    return dt


def _bool(f: Field, c: str, s: pd.Series, codes: np.ndarray, texts: list[str | None],
          pres: np.ndarray, ids: Any, issues: list[Issue]) -> pd.Series:
    """A bool column from its text (true/false, 1/0, yes/no, 是/否, y/n); missing or unreadable →
    the default (every table bool has one), else pandas' nullable boolean."""
    u = np.array([-1 if t is None else int(_BOOL_TEXT.get(t.lower(), -1)) for t in texts] + [-1],
                 dtype=np.int8)[codes]
    _bad_rows(f, c, s, pres & (u < 0), ids, issues)
    if f.default is not None:
        return pd.Series(np.where(u < 0, bool(f.default), u == 1), index=s.index)
    return pd.Series(pd.arrays.BooleanArray(u == 1, u < 0), index=s.index)


def _date(f: Field, c: str, s: pd.Series, codes: np.ndarray, texts: list[str | None],
          pres: np.ndarray, ids: Any, issues: list[Issue]) -> pd.Series:
    """A date column from ``YYYY-MM-DD`` text (the first 10 characters), within
    [DATE_MIN, DATE_MAX]; each distinct text parsed once."""
    d = pd.to_datetime([None if t is None else t[:10] for t in texts] + [None],
                       format="%Y-%m-%d", errors="coerce").to_numpy().copy()
    with np.errstate(invalid="ignore"):
        d[(d < np.datetime64(DATE_MIN)) | (d > np.datetime64(DATE_MAX))] = np.datetime64("NaT")
    d = d[codes]
    _bad_rows(f, c, s, pres & np.isnat(d), ids, issues)
    return pd.Series(d, index=s.index)


_READERS = {"enum": _enum, "bool": _bool, "date": _date}


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


def section_rows(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Section → whether each row of a flat table gives any of its ``<section>_*`` columns.

    One ``notna`` of the whole table as a (rows × columns) bool matrix, then the OR of each
    section's columns by position (names may repeat) — not ``df[cols].notna().any(axis=1)``
    per section, which first copies the section's columns into a new frame."""
    given = df.notna().to_numpy(dtype=bool)
    names = [str(c) for c in df.columns]
    out: dict[str, np.ndarray] = {}
    for sec in ("cost", "income", "market"):
        cols = [j for j, c in enumerate(names) if c.startswith(sec + "_")]
        out[sec] = given[:, cols].any(axis=1) if cols else np.zeros(len(df), bool)
    return out
