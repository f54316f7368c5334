"""Partitions by reference: a worker reads its own rows and writes its own checkpoint
(docs/DESIGN.md §3; issue 20 step 6).

With a Dask cluster of this machine or the local pool (and an input file), the run's process
no longer sends each partition's rows to a worker and receives its result table back (nor,
with a lazy plan, reads the rows at all: :func:`valuation.batch.plan.load`): that per-partition work
(serialising ~10,000 rows with their records, deserialising the results, writing the
checkpoint files) ran in the one process beside the two workers and took a third of the
machine's CPU. Instead the run sends a :class:`PartRef` — the partition's number and the
positions of its rows in the input table and in each records table, as the plan
(:mod:`valuation.batch.plan`) decided them — and the worker

1. reads the input file once per run (:func:`worker_input`; the file's sha256 must equal the
   run's input hash: a file changed during the run is refused, not valued half old, half new;
   Parquet is decoded forward as far as the partition asks and converted to pandas one
   partition at a time, :class:`WorkerInput`),
2. builds exactly the :class:`~valuation.batch.partition.PartitionTask` the run's process would
   have built (:func:`task_of`: the same rows, records rows parsed by the same schema check;
   with a lazy plan it checks the records rows itself, :mod:`valuation.batch.remote_records`),
3. values it with :func:`~valuation.batch.partition.run_partition` and writes the checkpoint
   (:func:`~valuation.batch.checkpoints.write_part`: results, rejects, then the marker),
4. returns a small summary: counts, seconds and — when the run records history — the six
   columns of the history rows.

The numbers are those of the partition function itself, so they do not change (``tests/golden``,
``tests/batch/test_batch_remote.py``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue, ValidationError
from ..core.snapshot import LibrarySnapshot
from .checkpoints import write_part
from .io import file_sha256, read_portfolio, record_siblings
from .partition import PartitionOutput, PartitionTask, run_partition
from .records_check import check_records
from .remote_records import checked_task, with_records_rejects

__all__ = ["HISTORY_COLUMNS", "FileSource", "ParquetRows", "PartRef", "WorkerInput", "prefetch_input", "run_ref",
           "task_of", "worker_input"]

#: The columns :func:`valuation.batch.rundb.insert_partition` reads.
HISTORY_COLUMNS = ["asset_id", "status", "estimate", "low", "high", "flags"]

_CACHE: dict[str, Any] = {}


@dataclasses.dataclass(frozen=True)
class FileSource:
    """The run's input file as a worker reads it: its path and the run's input hash."""

    path: str
    input_hash: str

    @staticmethod
    def readable(portfolio: Any) -> bool:
        """A ``.csv`` or ``.parquet`` file (an ``.xlsx`` workbook is read once, by the run)."""
        return isinstance(portfolio, (str, Path)) and Path(portfolio).suffix.lower() in (".csv", ".parquet")


@dataclasses.dataclass
class PartRef:
    """Partition ``index`` by reference: ``rows`` are the positions of its rows in the input
    table (also their global row numbers), ``records`` the positions of its rows in each
    records table. ``check``: the plan left the records rows unchecked (a lazy plan,
    :func:`checked_task`); ``loose``: records rows of no kept asset, for this worker to reject
    (partition 0 of a lazy plan)."""

    index: int
    rows: np.ndarray
    records: dict[str, np.ndarray]
    check: bool = False
    loose: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.rows)


class WorkerInput:
    """The run's input as a worker holds it: the main table and the records tables, from
    which :meth:`rows` and :meth:`records_rows` cut a partition's rows as pandas frames.

    A Parquet file is read forward (:class:`ParquetRows`): decoded batch by batch on this
    thread as far as the partition asks, the rows before it let go, and converted to pandas
    one partition at a time — a worker no longer decodes and converts the whole input before
    its first partition, nor holds it (the local pool's two workers held ~180 MB each at
    200,000 assets). The frames equal ``pd.read_parquet(...).iloc[positions]``
    (``tests/batch/test_dask_reads.py``). A CSV input is read whole by pandas, as the run's
    own process reads it (:func:`~valuation.batch.io.read_portfolio`): its column types are
    inferred over the whole file, which a row range could not reproduce."""

    def __init__(self, table: Any, records: Mapping[str, Any]):
        self.table, self.records = table, dict(records)

    @staticmethod
    def read(path: Path) -> WorkerInput:
        if path.suffix.lower() != ".parquet":
            table, records = read_portfolio(path)
            return WorkerInput(table, records)
        recs = {t: ParquetRows(q) for t, q in record_siblings(path).items()}
        return WorkerInput(ParquetRows(path), {t: r for t, r in recs.items() if r.num_rows})

    def rows(self, pos: np.ndarray) -> pd.DataFrame:
        """The main table's rows at positions ``pos`` (increasing), indexed as ``iloc`` gives them."""
        return _cut(self.table, pos)

    def records_rows(self, name: str, pos: np.ndarray) -> pd.DataFrame:
        fr = _cut(self.records[name], pos)
        if not isinstance(self.records[name], pd.DataFrame):
            fr["asset_id"] = fr["asset_id"].astype("str")    # as read_portfolio reads a records table
        return fr


class ParquetRows:
    """The rows of a Parquet file, decoded forward in record batches (``iter_batches``, one
    thread: the worker's only thread computes, Arrow's pool would compete with the other
    workers for the cores). :meth:`take` decodes up to the last row asked for and lets go of
    the batches more than a few partitions' spans before the first; rows already let go
    start the reading again from the top (a partition far out of order). Partitions reach a
    worker in increasing order, so each worker decodes the file about once and holds about
    one partition of it."""

    BATCH = 16_384

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.path = path
        meta = pq.ParquetFile(path)
        self.schema, self.num_rows = meta.schema_arrow, meta.metadata.num_rows
        self._restart()

    def _restart(self) -> None:
        import pyarrow.parquet as pq

        self._batches = pq.ParquetFile(self.path, pre_buffer=False, buffer_size=1 << 20).iter_batches(
            batch_size=self.BATCH, use_threads=False)
        self._held: list[Any] = []
        self._first = self._end = 0     # rows before the first batch held; rows decoded

    def take(self, pos: np.ndarray) -> Any:
        """Rows ``pos`` (increasing) as an Arrow table with the file's schema."""
        if not len(pos):
            return self.schema.empty_table()
        lo, hi = int(pos[0]), int(pos[-1]) + 1
        if lo < self._first:
            self._restart()
        keep_from = lo - (hi - lo)      # a partition a little out of order is still held
        while self._end < hi:
            batch = next(self._batches)
            self._end += batch.num_rows
            if self._end <= keep_from:  # skipped over (a resumed run, a far jump): let go at once, with
                self._held.clear()          # all held before it — holding 500,000 rows until the jump's
                self._first = self._end     # end cost ~1.5 s of system CPU (Arrow's allocator)
                continue
            self._held.append(batch)
        while self._held and self._first + self._held[0].num_rows <= keep_from:
            self._first += self._held.pop(0).num_rows
        import pyarrow as pa

        held = pa.Table.from_batches(self._held, schema=self.schema)
        sel = _positions(pos)
        if isinstance(sel, slice):
            return held.slice(lo - self._first, hi - lo)
        return held.take(pa.array(pos - self._first))


def _cut(table: Any, pos: np.ndarray) -> pd.DataFrame:
    """Rows ``pos`` of a pandas frame (``iloc``) or of a :class:`ParquetRows` (converted to
    pandas; a RangeIndex becomes the positions, as ``iloc`` keeps them)."""
    sel = _positions(pos)
    if isinstance(table, pd.DataFrame):
        return table.iloc[sel]
    fr = table.take(pos).to_pandas()
    meta = table.schema.pandas_metadata or {}
    if not any(isinstance(c, str) for c in meta.get("index_columns", [])):
        fr.index = pd.RangeIndex(sel.start, sel.stop) if isinstance(sel, slice) else pd.Index(pos)
    return fr


def _read(path: Path) -> tuple[str, WorkerInput]:
    files = [path] + [q for _, q in sorted(record_siblings(path).items())]
    return file_sha256(files), WorkerInput.read(path)


def prefetch_input(path: str) -> None:
    """Read the input file into this worker's cache ahead of its first partition (sent by
    :class:`~valuation.batch.backends.DaskCluster` as soon as the worker is up, so the read
    overlaps the run's own read and plan); keyed by the file's sha256, which the partitions
    then check against the run's input hash."""
    try:
        key, inp = _read(Path(path))
    except Exception:  # noqa: BLE001 - the partition reads (and reports) it again
        return
    _CACHE.clear()
    _CACHE.update(key=key, inp=inp)


def worker_input(src: FileSource) -> WorkerInput:
    """The input, read once per run in this worker process."""
    if _CACHE.get("key") != src.input_hash:
        _CACHE.clear()
        p = Path(src.path)
        got, inp = _read(p)
        if got != src.input_hash:
            raise ValidationError([Issue(
                field="portfolio", value=str(p), allowed="the file as the run read it",
                message_zh=f"资产组合文件 {p} 在重估过程中被修改（sha256 {got[:12]}… ≠ {src.input_hash[:12]}…），批次中止",
                message_en=f"portfolio file {p} changed during the run (sha256 {got[:12]}… ≠ "
                           f"{src.input_hash[:12]}…); the run stops")])
        _CACHE.update(key=got, inp=inp)
    return _CACHE["inp"]


def _positions(rows: np.ndarray) -> slice | np.ndarray:
    from .plan import _positions as pos

    return pos(rows)


def task_of(ref: PartRef, inp: WorkerInput) -> PartitionTask:
    """The task :meth:`valuation.batch.plan.Plan.task` builds, from the raw input: the records
    rows are parsed by the same check (:func:`~valuation.batch.records_check.check_records`;
    the plan already rejected every bad one) and keep their row positions as index."""
    recs = {}
    for name, pos in ref.records.items():
        raw = inp.records_rows(name, pos)
        fr = check_records(name, raw).frame
        fr.index = raw.index
        recs[name] = fr
    return PartitionTask(ref.index, table=inp.rows(ref.rows), records=recs, rows=ref.rows)


def run_ref(ref: PartRef, src: FileSource, snap: LibrarySnapshot, opts: Mapping[str, Any],
            parts: str, history: bool) -> PartitionOutput:
    """Read, value and checkpoint one partition in this worker; return its summary (results:
    the history columns when ``history``, else none; rejects: none — both are in the
    checkpoint)."""
    inp = worker_input(src)
    if ref.check:
        task, found = checked_task(ref, inp)
        po = with_records_rejects(run_partition(task, snap, opts), found, ref.size)
    else:
        po = run_partition(task_of(ref, inp), snap, opts)
    write_part(Path(parts), po)
    res = po.results[HISTORY_COLUMNS] if history else po.results.iloc[:0, :0]
    return dataclasses.replace(po, results=res, rejects=po.rejects.iloc[:0], written=True)
