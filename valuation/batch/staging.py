"""The staged copy of a run's input file, which the workers read instead of the user's file
(docs/DESIGN.md §3; issue 20 step 6).

When partitions go by reference (:mod:`valuation.batch.remote`), the run's process reads a
``.parquet`` or ``.csv`` input once and writes it — the main table and each records table,
in the column types :func:`~valuation.batch.io.read_portfolio` gives — as uncompressed Arrow
IPC files into the run's checkpoint folder (``<out>.parts/input/``). A worker memory-maps
them (``pa.memory_map`` + ``pa.ipc.open_file``), slices or takes its partition's rows (a slice
of consecutive rows is zero-copy) and converts only those to pandas.

Why: each worker used to hash the user's whole file (sha256) and decode it
from the top (a Parquet file of one row group cannot be skipped into), so at 2 workers each
decoded the whole input — half of it for rows the other worker valued — and a CSV file was
parsed whole by every worker. The run's process reads the input anyway (it hashes it and the
lazy plan needs ``asset_id`` and ``valuation_date``): it now decodes it once — each table
and the hash on a thread of their own — while the cluster starts, writes the record batches as they come (no pandas frame of
the whole table for Parquet) and keeps of them only the columns the plan asks for.

The staged copy is the run's own: it is written from the bytes the run hashed (the file's
size, modification time and inode must not change between the hash and the end of the
staging, :func:`stage`; a changed file refuses the run), so the workers do not hash anything.
A resumed run stages the input again (it reads and hashes it to plan anyway).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import Issue, ValidationError
from .arrowpool import quiet_pool
from .io import read_one_table, read_portfolio, readable, record_siblings

__all__ = ["Staged", "StagedRead", "discard", "drop", "settle", "stage", "stageable", "staging_dir"]

#: Rows per record batch of the Parquet decode and of the staged files: the run's process
#: holds about one batch of the input at a time, and batches this small reuse the allocator's
#: pages — at 65,536 rows each batch was fresh memory the kernel zeroed, at a cost in system
#: CPU (``benchmarks/bench_runproc.py`` prints the staging threads' system CPU).
BATCH = 8_192
MAIN = "main"


@dataclasses.dataclass(frozen=True)
class Staged:
    """Where the staged copy is (``folder``), which records tables it holds (``tables``: those
    with rows), a ``token`` unique to this staging (a worker's cache key) and, per table
    (:data:`MAIN` or a records table), its integer and boolean columns with a missing value
    somewhere (``gaps``): a cut of rows without one converts them as ``int64``/``bool``, where
    the whole table converts as ``float64``/``object`` — the worker widens them
    so that its frame has the types of the whole table; and the ``object`` columns whose
    missing values pandas reads as NaN (``nans``, a CSV file: Arrow gives None)."""

    folder: str
    tables: tuple[str, ...]
    token: str
    gaps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    nans: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def fixes(self, table: str = MAIN) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(widen, nan)`` of ``table``: its columns to convert as the whole column converts."""
        return dict(self.gaps).get(table, ()), dict(self.nans).get(table, ())

    def path(self, table: str = MAIN) -> Path:
        return Path(self.folder) / f"{table}.arrow"


@dataclasses.dataclass
class StagedRead:
    """What the run's plan takes from the staging read of one table: the table with no rows
    (names and types), the columns it asked for (those the table has) and the number of rows."""

    empty: pd.DataFrame
    columns: dict[str, pd.Series]
    n_rows: int
    gaps: tuple[str, ...] = ()
    nans: tuple[str, ...] = ()


def stageable(portfolio: Any) -> bool:
    """A ``.csv`` or ``.parquet`` file (an ``.xlsx`` workbook is read once, by the run)."""
    return isinstance(portfolio, (str, Path)) and Path(portfolio).suffix.lower() in (".csv", ".parquet")


def staging_dir(out: str | os.PathLike[str]) -> Path:
    """The folder the input is staged in before the checkpoint folder exists (the checkpoint
    folder is prepared after the plan, which needs the staging read): ``<out>.staging``, moved
    to ``<out>.parts/input`` by :func:`settle`."""
    return Path(str(out) + ".staging")


def _stats(files: list[Path]) -> list[tuple[int, int, int]]:
    out = []
    for f in files:
        s = f.stat()
        out.append((s.st_size, s.st_mtime_ns, s.st_ino))
    return out


def changed_error(path: Path) -> ValidationError:
    return ValidationError([Issue(
        field="portfolio", value=str(path), allowed="a file not changed while the run reads it",
        message_zh=f"资产组合文件 {path} 在重估读取过程中被修改，批次中止",
        message_en=f"portfolio file {path} changed while the run read it; the run stops")])


def stage(path: Path, folder: Path, names: tuple[str, ...], record_names: tuple[str, ...],
          hashed: Any) -> tuple[Staged, StagedRead, dict[str, StagedRead], Any]:
    """Stage ``path`` and its records side files into ``folder`` (emptied first).

    ``hashed()`` returns the run's input hash; it runs beside the staging, after a look at the
    files (size, modification time, inode). If a file looks different after both, the staged
    copy may not be the bytes hashed: :class:`ValidationError` (the run stops).

    Returns
    -------
    (staged, main read, {records table: read}, hash) — the reads hold ``names`` of the main
    table and ``record_names`` of each records table (those each has).
    """
    if not path.exists():
        read_portfolio(path)            # refuses a missing file (ValidationError)
    sides = record_siblings(path)
    files = [path] + [q for _, q in sorted(sides.items())]
    before = _stats(files)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    one = _read_parquet if path.suffix.lower() == ".parquet" else _stage_csv
    # the hash and each table on a thread of their own (hashlib and Arrow release the GIL): the
    # staging is the run's serial work before its first partition, and once the cluster is up
    # the second core would otherwise idle while this process stages; Arrow's buffers from
    # jemalloc's pool (batch.arrowpool: less system CPU than the default pool's)
    with quiet_pool(), ThreadPoolExecutor(max_workers=2 + len(sides), thread_name_prefix="stage") as ex:
        f_hash = ex.submit(hashed)
        f_main = ex.submit(one, path, folder / f"{MAIN}.arrow", names)
        f_recs = {t: ex.submit(one, q, folder / f"{t}.arrow", record_names) for t, q in sides.items()}
        h, main, recs = f_hash.result(), f_main.result(), {t: f.result() for t, f in f_recs.items()}
    if _stats(files) != before:
        shutil.rmtree(folder, ignore_errors=True)
        raise changed_error(path)
    for t, r in recs.items():           # a records table without rows: not read by any worker
        if not r.n_rows:
            (folder / f"{t}.arrow").unlink()
    tables = tuple(t for t, r in recs.items() if r.n_rows)
    gaps = ((MAIN, main.gaps), *((t, recs[t].gaps) for t in tables))
    nans = ((MAIN, main.nans), *((t, recs[t].nans) for t in tables))
    return Staged(str(folder), tables, uuid.uuid4().hex, gaps, nans), main, recs, h


def _gappy(schema: Any) -> list[int]:
    """Positions of the integer and boolean columns (their conversion to pandas depends on
    whether a missing value is among the rows converted)."""
    import pyarrow as pa

    return [i for i, f in enumerate(schema) if pa.types.is_integer(f.type) or pa.types.is_boolean(f.type)]


def _gaps(table: Any) -> tuple[str, ...]:
    return tuple(table.schema.names[i] for i in _gappy(table.schema) if table.column(i).null_count)


def _read_parquet(src: Path, dest: Path, names: tuple[str, ...]) -> StagedRead:
    """:func:`_stage_parquet`; a file that is not Parquet is refused as bad input (:func:`readable`)."""
    with readable(src):
        return _stage_parquet(src, dest, names)


def _stage_parquet(src: Path, dest: Path, names: tuple[str, ...]) -> StagedRead:
    """Decode ``src`` in record batches on this thread and write each as it comes; keep
    the columns ``names`` of every batch for the plan. The file's schema, with its pandas
    metadata, goes with the copy, so the workers' frames convert as ``pd.read_parquet`` does.

    (Text columns of few values written dictionary-encoded made the copy smaller, but cost as
    much CPU to encode as the smaller write saved, and each worker CPU per partition to decode:
    measured, not kept.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(src, pre_buffer=False, buffer_size=1 << 20)   # streamed: not the whole row group at once
    schema = pf.schema_arrow
    if any(pa.types.is_dictionary(f.type) for f in schema):
        return _stage_table(pq.read_table(src), dest, names)   # categoricals: one dictionary per column
    want = [c for c in names if c in schema.names]
    kept: list[Any] = []
    check, gaps = _gappy(schema), set()
    with pa.OSFile(str(dest), "wb") as fh, pa.ipc.new_file(fh, schema) as w:
        # one thread per table: the tables and the hash are already staged on threads of their
        # own (stage), and Arrow's column threads on top cost more CPU per table (thread
        # hand-offs of 8,192-row batches) than the little wall time they save (measured)
        for b in pf.iter_batches(batch_size=BATCH, use_threads=False):
            w.write_batch(b)
            kept.append(b.select(want))
            gaps.update(i for i in check if b.column(i).null_count)
    sub = pa.schema([schema.field(c) for c in want], metadata=schema.metadata)
    cols = pa.Table.from_batches(kept, schema=sub).to_pandas()
    return StagedRead(schema.empty_table().to_pandas(), {c: cols[c] for c in want}, pf.metadata.num_rows,
                      tuple(schema.names[i] for i in sorted(gaps)))


def _write_ipc(table: Any, dest: Path) -> None:
    """``table`` as an uncompressed Arrow IPC file of :data:`BATCH`-row batches (its
    dictionaries, if any, unified into one per column)."""
    import pyarrow as pa

    opts = pa.ipc.IpcWriteOptions(unify_dictionaries=True)
    with pa.OSFile(str(dest), "wb") as fh, pa.ipc.new_file(fh, table.schema, options=opts) as w:
        w.write_table(table, max_chunksize=BATCH)


def _stage_table(table: Any, dest: Path, names: tuple[str, ...]) -> StagedRead:
    """An Arrow table written whole (:func:`_write_ipc`)."""
    _write_ipc(table, dest)
    want = [c for c in names if c in table.column_names]
    cols = table.select(want).to_pandas()
    return StagedRead(table.schema.empty_table().to_pandas(), {c: cols[c] for c in want}, table.num_rows,
                      _gaps(table))


def _stage_csv(src: Path, dest: Path, names: tuple[str, ...]) -> StagedRead:
    """A CSV file is parsed whole by pandas, as :func:`~valuation.batch.io.read_portfolio`
    parses it (its column types are inferred over the whole file, which no row range could
    reproduce), converted to Arrow with its pandas metadata and written; the frame is then let
    go. The plan's columns are those of that frame."""
    import pyarrow as pa

    fr = read_one_table(src, "csv")
    table = pa.Table.from_pandas(fr, preserve_index=False)
    _write_ipc(table, dest)
    want = [c for c in names if c in fr.columns]
    nans = tuple(c for c in fr.columns if fr[c].dtype == object and fr[c].isna().any())
    return StagedRead(fr.iloc[:0], {c: fr[c] for c in want}, len(fr), _gaps(table), nans)


def settle(staged: Staged, parts: Path) -> Staged:
    """Move the staged copy into the run's checkpoint folder (``<parts>/input``, replacing the
    copy of an interrupted run) once that folder is prepared; it goes when the folder does."""
    dest = parts / "input"
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(staged.folder, dest)
    return dataclasses.replace(staged, folder=str(dest))


def drop(staged: Staged | None) -> None:
    """Remove the staged copy once every partition is valued (a resumed run stages its input
    again): its pages leave the page cache before the run writes and ``fsync``-s its results,
    and those of it not yet written back never are (the whole input, uncompressed)."""
    if staged is not None:
        shutil.rmtree(staged.folder, ignore_errors=True)


@contextlib.contextmanager
def discard(out: str | os.PathLike[str]) -> Iterator[None]:
    """Remove a staging folder not settled (the run stopped before its checkpoint folder was
    prepared: a refused table, a changed file, Ctrl-C) when the run ends, however it ends."""
    try:
        yield
    finally:
        shutil.rmtree(staging_dir(out), ignore_errors=True)
