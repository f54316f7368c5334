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

Writing: every file is written **atomically** — to a temporary file in the destination
folder, flushed and ``fsync``-ed, then moved over the destination with :func:`os.replace`.
A crash or Ctrl-C leaves either the old file or the new one, never half of one. Text cells
of CSV and XLSX output that start with ``= + - @`` (or a tab / carriage return, also after
blanks) are prefixed with a quote ``'`` by ``core/cells.py`` so that a spreadsheet never
evaluates them as formulas (CSV/formula injection); numbers stay numbers.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.cells import neutralise_frame
from ..core.errors import Issue, ValidationError

__all__ = [
    "RECORD_TABLES",
    "SUFFIXES",
    "atomic_path",
    "file_sha256",
    "frame_sha256",
    "neutralise_formulas",
    "read_portfolio",
    "record_siblings",
    "write_table",
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


def _read_one(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype={"asset_id": "str"}, encoding="utf-8-sig", low_memory=False)
    return pd.read_parquet(path)


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
        sheets = pd.read_excel(p, sheet_name=None, dtype={"asset_id": "str"})
        names = list(sheets)
        main = "assets" if "assets" in sheets else names[0]
        issues = []
        for name in names:
            if name == main or name in _DOC_SHEETS:
                continue
            if name in RECORD_TABLES:
                records[name] = sheets[name]
            else:
                issues.append(Issue(field=f"sheet:{name}", value=name, allowed=", ".join(RECORD_TABLES),
                                    message_zh=f"未知工作表 {name!r}：主表应为 assets，明细表名称应为 {', '.join(RECORD_TABLES)}",
                                    message_en=f"unknown sheet {name!r}: the main sheet is 'assets' and records sheets are "
                                               f"named {', '.join(RECORD_TABLES)}"))
        if issues:
            raise ValidationError(issues)
        assets = sheets[main]
    else:
        assets = _read_one(p, fmt)
        for t, q in record_siblings(p).items():
            records[t] = _read_one(q, fmt)
    issues = []
    for t, fr in records.items():
        if "asset_id" not in fr.columns:
            issues.append(Issue(field=f"{t}.asset_id", value=None, allowed="an asset_id column",
                                message_zh=f"明细表 {t} 缺少 asset_id 列", message_en=f"records table {t} has no asset_id column"))
        else:
            fr["asset_id"] = fr["asset_id"].astype("str")
    if issues:
        raise ValidationError(issues)
    records = {t: fr for t, fr in records.items() if len(fr)}
    return assets, records


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
    """sha256 of a frame's content (column names, index and values) and its records tables."""
    h = hashlib.sha256()
    for name, fr in [("", df)] + sorted((records or {}).items()):
        h.update(name.encode())
        h.update("\x1f".join(map(str, fr.columns)).encode("utf-8"))
        if len(fr):
            h.update(pd.util.hash_pandas_object(fr, index=True).to_numpy().tobytes())
    return h.hexdigest()


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
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                neutralise_frame(df.reset_index() if index else df).to_excel(
                    xw, sheet_name="results", index=False)
                for name, fr in (sheets or {}).items():
                    neutralise_frame(fr).to_excel(xw, sheet_name=name[:31], index=False)
        if before_replace is not None:  # test hook: simulate a crash before the rename
            before_replace(tmp)
    return dest
