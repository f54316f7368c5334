"""Portfolio files in and result files out (CSV, Excel, Parquet).

Reading (docs/INTERCHANGE.md, "portfolio file"):

* **Excel** ``.xlsx``: the main sheet ``assets`` (one row per asset; the first sheet when no
  sheet is called ``assets``) and optional record sheets named after the records tables of the
  schema (``cost.lines``, ``market.comparables``, ``income.contributory``, ``income.scenarios``,
  ``asset.quality.indicators``), each with an ``asset_id`` column. The ``fields`` sheet of the
  blank template is documentation and is skipped; any other sheet is refused (unknown fields are
  errors, not silently ignored).
* **CSV** / **Parquet**: the main table; records tables as sibling files
  ``<stem>.<records path>.<ext>`` (``portfolio.csv`` + ``portfolio.market.comparables.csv``).

Excel is read with pandas' ``calamine`` engine (python-calamine, a Rust reader: the same values
as openpyxl, cached results of formulas included, without a Python cell object per value) and
written by :func:`write_xlsx`, which streams rows through xlsxwriter's ``constant_memory`` mode
(one row in memory per sheet; pandas' ``to_excel`` with openpyxl builds a styled cell object
per value). ``benchmarks/bench_excel.py`` measures both.

Writing: every file is written **atomically** — to a temporary file in the destination
folder, flushed and ``fsync``-ed, then moved over the destination with :func:`os.replace`.
A crash or Ctrl-C leaves either the old file or the new one, never half of one. Text cells
of CSV and XLSX output that start with ``= + - @`` (or a tab / carriage return, also after
blanks) are prefixed with a quote ``'`` by ``core/cells.py`` so that a spreadsheet never
evaluates them as formulas (CSV/formula injection); numbers stay numbers.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import neutralise_cell, neutralise_frame
from ..core.errors import Issue, ValidationError
from ..core.reading import reader_errors

__all__ = [
    "RECORD_TABLES",
    "SUFFIXES",
    "atomic_path",
    "file_sha256",
    "frame_sha256",
    "neutralise_formulas",
    "read_one_table",
    "read_portfolio",
    "readable",
    "record_siblings",
    "write_table",
    "write_xlsx",
]

RECORD_TABLES = ("cost.lines", "market.comparables", "income.contributory", "income.scenarios",
                 "asset.quality.indicators", "accounting.costs")
SUFFIXES = (".csv", ".xlsx", ".parquet")
_DOC_SHEETS = ("fields",)


def _fmt(path: Path) -> str:
    suf = path.suffix.lower()
    if suf in (".csv", ".txt"):
        return "csv"
    if suf in (".xlsx", ".xlsm"):
        return "xlsx"
    if suf in (".parquet", ".pq"):
        return "parquet"
    raise ValidationError([Issue(field="portfolio", value=str(path), allowed=", ".join(SUFFIXES),
                                 message_zh=f"不支持的文件格式 {path.suffix!r}；允许：.csv、.xlsx、.parquet",
                                 message_en=f"unsupported file format {path.suffix!r}; allowed: .csv, .xlsx, .parquet")])


def record_siblings(path: str | os.PathLike[str]) -> dict[str, Path]:
    """Records files that accompany a CSV/Parquet portfolio: ``<stem>.<table><suffix>``."""
    p = Path(path)
    out = {}
    for t in RECORD_TABLES:
        q = p.with_name(f"{p.stem}.{t}{p.suffix}")
        if q.exists():
            out[t] = q
    return out


def read_one_table(path: Path, fmt: str) -> pd.DataFrame:
    """One ``.csv`` or ``.parquet`` table as :func:`read_portfolio` reads each of its tables
    (``asset_id`` as text); the staging of a CSV input reads it so too (``batch/staging.py``)."""
    with readable(path):
        if fmt == "csv":
            return pd.read_csv(path, dtype={"asset_id": "str"}, encoding="utf-8-sig", low_memory=False)
        return pd.read_parquet(path)


@contextlib.contextmanager
def readable(path: str | os.PathLike[str]) -> Iterator[None]:
    """Around the parse of the portfolio file ``path`` (or one of its records files): a file
    the reader cannot parse is refused as bad input — a :class:`ValidationError` naming the file
    and the kinds allowed (CLI exit 2, HTTP 422, a message on the dashboard) — instead of the
    reader's own exception. Only the reading is wrapped: an error later in the run is never
    reported as an unreadable file."""
    try:
        yield
    except reader_errors() as e:
        name = os.path.basename(os.fspath(path))
        why = f"{type(e).__name__}: {str(e)[:200]}"
        raise ValidationError([Issue(
            field="portfolio", value=name, allowed="UTF-8 CSV, .xlsx, .parquet",
            message_zh=f"无法读取资产组合文件 {name}（{why}）；允许：UTF-8 编码的 CSV、Excel 工作簿 .xlsx 或 .parquet 文件",
            message_en=f"cannot read the portfolio file {name} ({why}); allowed: a UTF-8 CSV, an Excel workbook "
                       f".xlsx or a .parquet file")]) from e


def read_portfolio(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Read a portfolio file: ``(assets table, {records path: long frame})``.

    Raises :class:`~valuation.core.errors.ValidationError` for a missing file, an unsupported
    format, an unknown sheet or a records table without ``asset_id``.
    """
    p = Path(path)
    if not p.exists():
        raise ValidationError([Issue(field="portfolio", value=str(p), allowed="an existing file",
                                     message_zh=f"找不到资产组合文件 {p}", message_en=f"portfolio file not found: {p}")])
    fmt = _fmt(p)
    records: dict[str, pd.DataFrame] = {}
    if fmt == "xlsx":
        # the sheet names first: unknown sheets are refused and the template's documentation
        # sheet skipped before any sheet is parsed
        with readable(p), pd.ExcelFile(p, engine="calamine") as xl:
            names = [str(n) for n in xl.sheet_names]
            main = "assets" if "assets" in names else names[0]
            wanted = [n for n in names if n == main or n in RECORD_TABLES]
            issues = []
            for name in names:
                if name not in wanted and name not in _DOC_SHEETS:
                    issues.append(Issue(
                        field=f"sheet:{name}", value=name, allowed=", ".join(RECORD_TABLES),
                        message_zh=f"未知工作表 {name!r}：主表应为 assets，明细表名称应为 {', '.join(RECORD_TABLES)}",
                        message_en=f"unknown sheet {name!r}: the main sheet is 'assets' and records sheets are "
                                   f"named {', '.join(RECORD_TABLES)}"))
            if issues:
                raise ValidationError(issues)
            sheets = {n: xl.parse(n, dtype={"asset_id": "str"}) for n in wanted}
        assets = sheets.pop(main)
        records.update(sheets)
    else:
        assets = read_one_table(p, fmt)
        for t, q in record_siblings(p).items():
            records[t] = read_one_table(q, fmt)
    require_record_ids({t: fr.columns for t, fr in records.items()})
    for fr in records.values():
        fr["asset_id"] = fr["asset_id"].astype("str")
    records = {t: fr for t, fr in records.items() if len(fr)}
    return assets, records


def require_record_ids(columns: Mapping[str, Iterable[str]]) -> None:
    """Refuse the records tables (``{table: its column names}``) without an ``asset_id`` column."""
    issues = [Issue(field=f"{t}.asset_id", value=None, allowed="an asset_id column",
                    message_zh=f"明细表 {t} 缺少 asset_id 列", message_en=f"records table {t} has no asset_id column")
              for t, cols in columns.items() if "asset_id" not in set(cols)]
    if issues:
        raise ValidationError(issues)


# --------------------------------------------------------------------------- hashing
def file_sha256(paths: list[Path] | Path) -> str:
    """sha256 over the bytes of one or several files (in the given order)."""
    h = hashlib.sha256()
    for p in ([paths] if isinstance(paths, Path) else paths):
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def frame_sha256(df: pd.DataFrame, records: Mapping[str, pd.DataFrame] | None = None) -> str:
    """sha256 of a frame's content (column names, index and values) and its records tables.

    Each column is hashed as Arrow lays it out — its type, length, offset and the bytes of its
    buffers (validity bitmap, offsets, values) — instead of through
    ``pandas.util.hash_pandas_object``, which hashed every cell in Python-level passes, a
    large share of the batch's CPU (``benchmarks/bench_floor.py``). A
    column Arrow cannot take (mixed types in an object column) is hashed by pandas as before.
    Equal content laid out differently (other chunks, a slice of a larger array, other bytes
    under a null) can hash differently: a resumed run then starts afresh, never the reverse."""
    h = hashlib.sha256()
    for name, fr in [("", df)] + sorted((records or {}).items()):
        h.update(name.encode())
        h.update("\x1f".join(map(str, fr.columns)).encode("utf-8"))
        h.update(f"\x1e{len(fr)}".encode())
        if len(fr):
            index = fr.index
            if isinstance(index, pd.RangeIndex):
                h.update(f"range {index.start} {index.stop} {index.step}".encode())
            else:
                _hash_column(h, index.to_series(index=None))
            for i in range(fr.shape[1]):
                _hash_column(h, fr.iloc[:, i])
    return h.hexdigest()


def _hash_column(h: Any, values: pd.Series) -> None:
    """Add one column's type and Arrow buffers to ``h`` (see :func:`frame_sha256`)."""
    import pyarrow as pa

    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        arr = None
    chunks = [] if arr is None else arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if arr is None or any(pa.types.is_nested(c.type) for c in chunks):
        h.update(b"\x1dpandas")     # nested values: their buffers would leave out dictionaries
        h.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
        return
    for chunk in chunks:
        _hash_array(h, chunk)


def _hash_array(h: Any, arr: Any) -> None:
    """Type, length, offset, null count and buffers of a flat Arrow array (a dictionary array's
    dictionary too: its buffers hold only the codes)."""
    import pyarrow as pa

    h.update(f"\x1d{arr.type} {len(arr)} {arr.offset} {arr.null_count}".encode())
    for buf in arr.buffers():
        h.update(b"\x1c" if buf is None else memoryview(buf))
    if pa.types.is_dictionary(arr.type):
        _hash_array(h, arr.dictionary)


# --------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in ``dest``'s folder; on success it replaces ``dest`` atomically,
    on any exception (including KeyboardInterrupt) it is removed and ``dest`` is untouched."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp" + dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Formula text neutralised (``core.cells.neutralise_frame``: ``= + - @``, tab, CR, also
    after leading blanks; numbers untouched) — kept under this name for callers."""
    return neutralise_frame(df)


def write_table(df: pd.DataFrame, dest: str | os.PathLike[str], *, index: bool = False,
                sheets: Mapping[str, pd.DataFrame] | None = None,
                before_replace: Callable[[Path], Any] | None = None) -> Path:
    """Write a frame atomically as CSV (UTF-8 with BOM, opens in Excel), Parquet or XLSX
    (CSV and XLSX formula-neutralised by ``core.cells``; ``sheets`` adds further sheets). Returns the destination path."""
    dest = Path(dest)
    fmt = _fmt(dest)
    with atomic_path(dest) as tmp:
        if fmt == "csv":  # CSV opens in a spreadsheet too: formula text neutralised
            neutralise_frame(df, index=index).to_csv(tmp, index=index, encoding="utf-8-sig")
        elif fmt == "parquet":
            df.to_parquet(tmp, index=index)
        else:
            write_xlsx(tmp, {"results": df.reset_index() if index else df, **(sheets or {})})
        if before_replace is not None:  # test hook: simulate a crash before the rename
            before_replace(tmp)
    return dest


# --------------------------------------------------------------------------- xlsx, streamed
#: xlsxwriter options: stream rows to disk (``constant_memory``); a text cell is always text —
#: never turned into a formula, a hyperlink or a number by its content (the text is also
#: neutralised by ``core.cells``, so a cell that is re-typed in Excel stays text too).
_XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                 "strings_to_numbers": False, "remove_timezone": True,
                 "default_date_format": "yyyy-mm-dd hh:mm:ss"}
#: Excel's sheet size (rows including the header row, columns): xlsxwriter would drop the rest.
_XLSX_ROWS, _XLSX_COLS = 1_048_576, 16_384
#: The header style pandas' ``to_excel`` used (bold, thin border, centred).
_HEADER = {"bold": True, "border": 1, "align": "center", "valign": "top"}


def _cells(s: pd.Series) -> list[Any]:
    """One column as Python values xlsxwriter writes by type: missing → ``None`` (a blank
    cell), ±inf → the text ``inf`` / ``'-inf`` (pandas' ``to_excel`` wrote ``inf``/``-inf``; the
    minus is text, so it is neutralised like any other), numbers and
    booleans as they are, datetimes as ``datetime``; other objects as their (neutralised) text."""
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else "O"
    if kind in "biu":                                   # numpy bool/int: no missing values
        return s.tolist()
    if kind == "f":
        v = s.to_numpy()
        out = v.astype(object)
        out[np.isnan(v)] = None
        inf = np.isinf(v)
        if inf.any():
            out[inf] = np.where(v[inf] > 0, "inf", neutralise_cell("-inf"))
        return out.tolist()
    if kind == "M":
        return [None if x is pd.NaT else x.to_pydatetime() for x in s]
    if isinstance(s.dtype, pd.StringDtype):             # text or missing: no per-value dispatch
        out = s.to_numpy(dtype=object, na_value=None)
        return out.tolist()
    return [_cell(v) for v in s.astype(object).to_numpy()]


_PLAIN = (str, bool, int, float, _dt.datetime, _dt.date)


def _cell(v: Any) -> Any:
    """One value of an object column, ready for xlsxwriter."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if v != v else ("inf" if v == np.inf else neutralise_cell("-inf") if v == -np.inf else v)
    if isinstance(v, _PLAIN):
        return v
    if isinstance(v, np.generic):
        return _cell(v.item())
    if isinstance(v, Decimal):                        # a number, as openpyxl wrote it
        return _cell(float(v))
    return neutralise_cell(str(v))


def write_xlsx(dest: str | os.PathLike[str], sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``{sheet name: frame}`` as one workbook, row by row (xlsxwriter ``constant_memory``).

    Text is neutralised first (``core.cells.neutralise_frame``: ``= + - @``, tab, CR, also after
    blanks), column names too; numbers stay numbers (written to 16 significant digits: a
    relative change ≤ 1e-16, below the 15 digits Excel keeps), booleans booleans, missing values
    are blank cells; the header row is bold. Sheet names are cut to Excel's 31 characters. Not
    atomic by itself: :func:`write_table` and ``batch/books`` call it on a temporary path."""
    import xlsxwriter

    dest = Path(dest)
    too_big = [(name, df.shape) for name, df in sheets.items()
               if df.shape[0] + 1 > _XLSX_ROWS or df.shape[1] > _XLSX_COLS]
    if too_big:
        name, (rows, cols) = too_big[0]
        raise ValidationError([Issue(
            field="out", value=str(dest), allowed=f"≤ {_XLSX_ROWS - 1:,} rows and ≤ {_XLSX_COLS:,} columns per sheet",
            message_zh=f"工作表 {name} 有 {rows:,} 行、{cols} 列，超出 Excel 上限（{_XLSX_ROWS - 1:,} 行、"
                       f"{_XLSX_COLS:,} 列）；请改用 .csv 或 .parquet",
            message_en=f"sheet {name} has {rows:,} rows and {cols} columns, more than Excel holds "
                       f"({_XLSX_ROWS - 1:,} rows, {_XLSX_COLS:,} columns); write .csv or .parquet instead")])
    # the row files of constant_memory go beside the destination (its disk, not /tmp's)
    wb = xlsxwriter.Workbook(str(dest), {**_XLSX_OPTIONS, "tmpdir": str(dest.parent)})
    try:
        head = wb.add_format(_HEADER)
        for name, df in sheets.items():
            ws = wb.add_worksheet(str(name)[:31])
            safe = neutralise_frame(df)
            ws.write_row(0, 0, [neutralise_cell(str(c)) for c in safe.columns], head)
            cols = [_cells(safe.iloc[:, j]) for j in range(safe.shape[1])]
            write_row = ws.write_row
            for r, row in enumerate(zip(*cols), start=1):
                write_row(r, 0, row)
    finally:
        wb.close()
    return dest
