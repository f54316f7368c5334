"""Partitions by reference: a worker reads its own rows and writes its own checkpoint
(docs/DESIGN.md §3; issue 20 step 6).

With a Dask cluster of this machine or the local pool (and an input file), the run's process
no longer sends each partition's rows to a worker and receives its result table back (nor,
with a lazy plan, holds the rows as pandas at all: :func:`valuation.batch.plan.load`): that
per-partition work (serialising ~10,000 rows with their records, deserialising the results,
writing the checkpoint files) ran in the one process beside the two workers and took a third
of the machine's CPU. Instead the run stages its input once (:mod:`valuation.batch.staging`:
uncompressed Arrow IPC files in the run's checkpoint folder, written from the bytes it hashed)
and sends a :class:`PartRef` — the partition's number and the positions of its rows in the
input table and in each records table, as the plan (:mod:`valuation.batch.plan`) decided them
— and the worker

1. memory-maps the staged copy once per run (:func:`worker_input`, :class:`WorkerInput`) and
   converts to pandas only its partition's rows (a slice of consecutive rows is zero-copy;
   no hash: the copy is the run's own, written from the bytes the run hashed),
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
import mmap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue, ValidationError
from ..core.snapshot import LibrarySnapshot
from .checkpoints import write_part
from .partition import PartitionOutput, PartitionTask, row_positions, run_partition
from .records_check import check_records
from .remote_records import checked_task, with_records_rejects
from .staging import Staged

__all__ = ["HISTORY_COLUMNS", "PartRef", "WorkerInput", "run_ref", "staged_frames", "task_of", "worker_input"]

#: The columns :func:`valuation.batch.rundb.insert_partition` reads.
HISTORY_COLUMNS = ["asset_id", "status", "estimate", "low", "high", "flags"]

_CACHE: dict[str, Any] = {}


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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with consecutive positions as their bounds: a reference goes to a worker
        inside its task, through the scheduler, and 10,000 rows with 30,000 records rows are
        ~320 KB as arrays against a few dozen bytes as bounds (the usual case: no row rejected
        in between, records sorted by asset)."""
        return _unpack_ref, (self.index, _pack(self.rows), {k: _pack(v) for k, v in self.records.items()},
                             self.check, {k: _pack(v) for k, v in self.loose.items()})


def _pack(pos: np.ndarray) -> tuple[int, int] | np.ndarray:
    """Increasing positions as ``(start, stop)`` when they are consecutive, else as they are."""
    sel = row_positions(pos)
    return (sel.start, sel.stop) if isinstance(sel, slice) else pos


def _unpack(packed: tuple[int, int] | np.ndarray) -> np.ndarray:
    return np.arange(*packed, dtype=np.int64) if isinstance(packed, tuple) else packed


def _unpack_ref(index: int, rows: Any, records: dict[str, Any], check: bool, loose: dict[str, Any]) -> PartRef:
    return PartRef(index, _unpack(rows), {k: _unpack(v) for k, v in records.items()}, check,
                   {k: _unpack(v) for k, v in loose.items()})


class WorkerInput:
    """The run's staged input as a worker holds it: the main table and the records tables,
    Arrow tables memory-mapped from the staged copy, from which :meth:`rows` and
    :meth:`records_rows` cut a partition's rows as pandas frames.

    The staged tables stay in the page cache the run's process wrote them to; a worker maps
    them (nothing is read or decoded up front), touches only its partitions' pages and
    converts one partition at a time, so it holds about one partition as pandas. The frames
    equal ``read_portfolio(...)[...].iloc[positions]`` (``tests/batch/test_dask_reads.py``)."""

    def __init__(self, staged: Staged):
        """Map the staged copy (zero-copy: the files are uncompressed IPC)."""
        self.staged, self._maps = staged, []
        self.table = _mapped(staged.path(), self._maps)
        self.records = {t: _mapped(staged.path(t), self._maps) for t in staged.tables}

    def let_go(self) -> None:
        """Unmap the pages this worker touched (``MADV_DONTNEED``; they stay in the page cache,
        and a later touch maps them again): a partition's rows are converted by then, and the
        pages of every partition a worker valued would otherwise count in its resident set and
        raise the workers' peak with every partition (``benchmarks/bench_revalue.py`` prints the
        run's peak)."""
        for m in self._maps:
            m.madvise(mmap.MADV_DONTNEED)

    def rows(self, pos: np.ndarray) -> pd.DataFrame:
        """The main table's rows at positions ``pos`` (increasing), indexed as ``iloc`` gives them."""
        return _cut(self.table, pos, *self.staged.fixes())

    def records_rows(self, name: str, pos: np.ndarray) -> pd.DataFrame:
        fr = _cut(self.records[name], pos, *self.staged.fixes(name))
        fr["asset_id"] = fr["asset_id"].astype("str")    # as read_portfolio reads a records table
        return fr


def _mapped(path: Path, maps: list[mmap.mmap]) -> Any:
    """The Arrow table of a staged IPC file, over a read-only memory map of it (Python's
    ``mmap``, appended to ``maps``, rather than ``pa.memory_map``: :meth:`WorkerInput.let_go`
    needs its ``madvise``)."""
    import pyarrow as pa

    try:
        with open(path, "rb") as fh:
            m = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        table = pa.ipc.open_file(pa.py_buffer(m)).read_all()
    except (OSError, ValueError, pa.ArrowInvalid) as e:
        raise ValidationError([Issue(
            field="portfolio", value=str(path), allowed="the run's staged copy of its input",
            message_zh=f"找不到或无法读取批次输入的暂存副本 {path}（{e}），批次中止",
            message_en=f"the run's staged copy of its input {path} is missing or unreadable ({e}); "
                       f"the run stops")]) from None
    maps.append(m)
    return table


def _cut(table: Any, pos: np.ndarray, widen: tuple[str, ...] = (), nan: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows ``pos`` of an Arrow table (a slice when they are consecutive, else taken; converted
    to pandas with the table's pandas metadata, the integer and boolean columns ``widen`` as
    the whole column converts — ``float64`` and ``object`` —, missing values of the ``object``
    columns ``nan`` as NaN, as pandas reads a CSV file; a RangeIndex becomes the positions, as
    ``iloc`` keeps them)."""
    import pyarrow as pa

    sel = row_positions(pos)
    sub = table.slice(sel.start, sel.stop - sel.start) if isinstance(sel, slice) else table.take(pa.array(pos))
    fr = sub.to_pandas()
    for c in widen:
        if fr[c].dtype.kind in "iu":
            fr[c] = fr[c].astype(np.float64)
        elif fr[c].dtype.kind == "b":
            fr[c] = fr[c].astype(object)
    for c in nan:
        col = fr[c]
        if col.dtype == object:
            fr[c] = col.where(col.notna(), np.nan)
    meta = table.schema.pandas_metadata or {}
    if not any(isinstance(c, str) for c in meta.get("index_columns", [])):
        fr.index = pd.RangeIndex(sel.start, sel.stop) if isinstance(sel, slice) else pd.Index(pos)
    return fr


def staged_frames(staged: Staged) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The whole staged input as :func:`~valuation.batch.io.read_portfolio` reads the file
    (its records tables with rows): for a run by reference that needs the whole table in its
    own process (the books), which would otherwise parse the file a second time after staging
    it — a CSV file's whole pandas parse, a Parquet file's decode."""
    inp = WorkerInput(staged)
    table = inp.rows(np.arange(inp.table.num_rows))
    recs = {t: inp.records_rows(t, np.arange(inp.records[t].num_rows)) for t in staged.tables}
    return table, recs


def worker_input(src: Staged) -> WorkerInput:
    """The staged input, mapped once per run in this worker process."""
    if _CACHE.get("key") != src.token:
        _CACHE.clear()
        _CACHE.update(key=src.token, inp=WorkerInput(src))
    return _CACHE["inp"]


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


def run_ref(ref: PartRef, src: Staged, snap: LibrarySnapshot, opts: Mapping[str, Any],
            parts: str, history: bool) -> PartitionOutput:
    """Read, value and checkpoint one partition in this worker; return its summary (results:
    the history columns when ``history``, else none; rejects: none — both are in the
    checkpoint)."""
    inp = worker_input(src)
    task, found = checked_task(ref, inp) if ref.check else (task_of(ref, inp), None)
    inp.let_go()                        # the partition's rows are converted
    po = run_partition(task, snap, opts)
    if ref.check:
        po = with_records_rejects(po, found, ref.size)
    write_part(Path(parts), po)
    res = po.results[HISTORY_COLUMNS] if history else po.results.iloc[:0, :0]
    return dataclasses.replace(po, results=res, rejects=po.rejects.iloc[:0], written=True)
