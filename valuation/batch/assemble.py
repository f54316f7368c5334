"""The results of a batch run: checkpoints → diff → results file, one partition at a time.

The finished partitions (``<out>.parts/``, :mod:`valuation.batch.checkpoints`) are diffed
against their assets' previous results (:func:`diff`, :func:`diff_table`) and appended to the
results file in partition order *while the run goes on* (:class:`ResultsSink`): the backends
yield partitions in any order, and each one that is next in order is read back from its
checkpoint (memory-mapped Arrow IPC), diffed and written — Parquet by row groups through one
:class:`pyarrow.parquet.ParquetWriter`, CSV by appending rows after one header (UTF-8 with
BOM, formula text neutralised by ``core.cells`` as in :func:`~valuation.batch.io.write_table`).
After the last partition only its rows and the file's footer remain, so neither the 1-worker
nor the many-worker run waits long after its last partition (docs/DESIGN.md §2 "Run"). The
run never holds the whole result table, and the file replaces ``<out>`` atomically at the end.
A run that writes the books (impairment register, disclosure tables) or an ``.xlsx`` file
still assembles the whole table at the end — the books read every asset at once and an
``.xlsx`` file holds at most 1,048,575 rows.

Read back, a streamed file equals the file the whole table gives (same columns, dtypes and
values; ``tests/batch/test_batch_stream.py`` compares one partition with many).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import neutralise_frame
from .checkpoints import part_files
from .flagdiff import flag_changes
from .partition import REJECT_COLUMNS, RESULT_COLUMNS, TEXT_COLUMNS
from .records_check import unused_records_rejects

__all__ = ["DIFF_COLUMNS", "REJECTS_FILE_COLUMNS", "Previous", "ResultsSink", "Tally", "diff", "diff_table",
           "part_rejects", "read_part", "read_rejects", "results_schema", "results_sink"]

DIFF_COLUMNS = ["run_id", "previous_run_id", "previous_estimate", "change", "change_ratio",
                "previous_low", "previous_high", "low_change", "high_change", "flags_new", "flags_cleared"]
REJECTS_FILE_COLUMNS = ["table"] + REJECT_COLUMNS


def _diff_columns(ids: Any, est: np.ndarray, lo: np.ndarray, hi: np.ndarray, flags: Callable[[], np.ndarray],
                  failed: np.ndarray, prev: pd.DataFrame | None, run_id: str) -> dict[str, np.ndarray]:
    """The diff of a partition (:data:`DIFF_COLUMNS`, numpy arrays: text as objects with ``None``
    where missing, numbers with NaN) from its asset ids, estimates, ranges, flags (called only
    when some asset has a previous result to compare with) and failed rows: per asset its
    previous run, estimate and range, the change and change ratio, the flags new and cleared
    (docs/DESIGN.md §2 "Run", diff). Row by row: a partition is diffed as the whole table is."""
    n = len(est)
    if prev is None or not len(prev):
        # nothing to compare with (first run): no per-asset lookups at all
        p = pd.DataFrame({"run_id": np.full(n, None, dtype=object), "flags": np.full(n, "", dtype=object),
                          **{c: np.full(n, np.nan) for c in ("estimate", "low", "high")}})
    else:
        p = prev.reindex(pd.Index(ids))
    pe, pl, ph = (pd.to_numeric(p[c], errors="coerce").to_numpy(float) for c in ("estimate", "low", "high"))
    has_prev = ~pd.isna(p["run_id"]).to_numpy(bool)
    # without a previous result there is nothing to compare: new/cleared stay empty
    cmp_rows = np.flatnonzero(has_prev & ~failed)
    new_all = np.full(n, "", dtype=object)
    cleared_all = np.full(n, "", dtype=object)
    if len(cmp_rows):
        before = p["flags"].fillna("").astype(object).to_numpy()[cmp_rows]   # (rows with a previous result)
        new, cleared = flag_changes(before, flags()[cmp_rows])
        new_all[cmp_rows], cleared_all[cmp_rows] = new, cleared
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"run_id": np.full(n, run_id, dtype=object), "previous_run_id": p["run_id"].to_numpy(object),
                "previous_estimate": pe, "change": est - pe,
                "change_ratio": np.where(pe != 0, (est - pe) / pe, np.nan),
                "previous_low": pl, "previous_high": ph, "low_change": lo - pl, "high_change": hi - ph,
                "flags_new": new_all, "flags_cleared": cleared_all}


def diff(results: pd.DataFrame, prev: pd.DataFrame | None, run_id: str) -> pd.DataFrame:
    """``results`` with the run id and, per asset, its previous run, estimate and range, the
    change and change ratio, and the flags new and cleared (:func:`_diff_columns`)."""
    added = _diff_columns(results["asset_id"].astype(str), *(results[c].to_numpy(float) for c in ("estimate", "low", "high")),
                          lambda: results["flags"].fillna("").astype(object).to_numpy(),
                          results["status"].to_numpy(object) == "failed", prev, run_id)
    # one frame: the results' columns as they are, then the diff's (DIFF_COLUMNS order)
    return pd.DataFrame({**{c: results[c] for c in results.columns}, **{c: added[c] for c in DIFF_COLUMNS}},
                        index=results.index)


def diff_table(results: Any, prev: pd.DataFrame | None, run_id: str, schema: Any) -> Any:
    """:func:`diff` on an Arrow table of results (a checkpoint read as it is): the result columns
    pass through unchanged (cast to ``schema``'s types, a no-op for the checkpoints'
    ``large_string``/``double``/``bool``), the diff's are built from numpy as ``from_pandas``
    would convert :func:`diff`'s frame (NaN → null), so the table equals
    ``pa.Table.from_pandas(diff(...), schema=schema)`` without a pandas round trip."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def num(c: str) -> np.ndarray:
        return results.column(c).to_numpy(zero_copy_only=False).astype(float, copy=False)

    def flags() -> np.ndarray:
        return pc.fill_null(results.column("flags"), "").to_numpy(zero_copy_only=False).astype(object)

    n = results.num_rows
    if prev is None or not len(prev):
        # nothing to compare with (as in _diff_columns): the run id, empty flag changes, the rest
        # missing — constant columns, no per-row arithmetic
        const = {"run_id": run_id, "flags_new": "", "flags_cleared": ""}
        added = {c: pa.repeat(pa.scalar(const[c], schema.field(c).type), n) if c in const
                 else pa.nulls(n, schema.field(c).type) for c in DIFF_COLUMNS}
    else:
        failed = pc.fill_null(pc.equal(results.column("status"), "failed"), False).to_numpy(zero_copy_only=False)
        cols = _diff_columns(results.column("asset_id").to_numpy(zero_copy_only=False), num("estimate"),
                             num("low"), num("high"), flags, failed, prev, run_id)
        added = {c: pa.repeat(pa.scalar(run_id, schema.field(c).type), n) if c == "run_id" else
                 pa.array(cols[c], schema.field(c).type, from_pandas=True) for c in DIFF_COLUMNS}
    return pa.Table.from_arrays([added[f.name] if f.name in added else results.column(f.name).cast(f.type)
                                 for f in schema], schema=schema)


def part_rejects(pdir: Path, i: int) -> tuple[pd.DataFrame | None, int]:
    """``(the rejects of checkpointed partition i or None, its assets screened out)``."""
    _, rej_p, meta_p = part_files(pdir, i)
    meta = json.loads(meta_p.read_text(encoding="utf-8"))
    # most partitions reject nothing: their marker says so (checkpoints.write_part), and neither
    # the file nor a pandas frame is opened; a marker without the count (an older checkpoint
    # resumed) has the file read
    n = meta.get("rejects")
    rj = pd.read_feather(rej_p) if n is None or n else pd.DataFrame()
    if len(rj) and "table" not in rj.columns:   # with it: records rows a worker checked (batch.remote_records)
        rj.insert(0, "table", "assets")
    return (rj if len(rj) else None), int(meta["screened_out"])


def read_rejects(pdir: Path, n_parts: int, pre: list[pd.DataFrame], assigned: dict[str, Any],
                 read: dict[int, tuple[pd.DataFrame | None, int]] | None = None) -> tuple[pd.DataFrame, int]:
    """``(all rejects sorted as the rejects file lists them, assets screened out)``: the rejects
    found before valuation, those of each partition (:func:`part_rejects`; ``read``: those
    already read, by partition), and the records rows no asset used."""
    read = read or {}
    parts = [read[i] if i in read else part_rejects(pdir, i) for i in range(n_parts)]
    screened_out = sum(so for _, so in parts)
    rej_parts = list(pre) + [rj for rj, _ in parts if rj is not None]
    part_rej = {a for r in rej_parts[len(pre):] for a in r["asset_id"] if a is not None}
    rej_parts += unused_records_rejects(assigned, part_rej)
    rej_parts = [r for r in rej_parts if len(r)]
    rejects = (pd.concat(rej_parts, ignore_index=True) if rej_parts
               else pd.DataFrame(columns=REJECTS_FILE_COLUMNS))
    rejects = rejects[REJECTS_FILE_COLUMNS]
    if len(rejects):
        rejects = rejects.assign(_t=(rejects["table"] != "assets").astype(int)).sort_values(
            ["_t", "table", "row"], kind="stable").drop(columns="_t").reset_index(drop=True)
    return rejects, screened_out


def read_part(pdir: Path, i: int, columns: list[str] | None = None) -> pd.DataFrame:
    """The results of checkpointed partition ``i`` (an Arrow IPC file, read as a Parquet file
    reads: text as pandas "str")."""
    return pd.read_feather(part_files(pdir, i)[0], columns=columns)


@dataclasses.dataclass
class Tally:
    """The run's counts of result rows, added up partition by partition."""

    screened: int = 0
    valued: int = 0
    no_estimate: int = 0
    failed: int = 0
    flagged: int = 0
    with_previous: int = 0      # rows with a previous result (diffed against an earlier run)

    def add(self, fr: pd.DataFrame) -> None:
        """Count the rows of a diffed frame (:func:`diff`)."""
        self.add_table(_pa_table(fr[["status", "flags", "previous_run_id"]]))

    def add_table(self, t: Any) -> None:
        """Count the rows of a diffed Arrow table (:func:`diff_table`)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        status = t.column("status").cast(pa.large_string())
        self.screened += t.num_rows
        for name, code in (("valued", "ok"), ("no_estimate", "no_estimate"), ("failed", "failed")):
            setattr(self, name, getattr(self, name) + int(pc.sum(pc.equal(status, code)).as_py() or 0))
        flags = pc.fill_null(t.column("flags").cast(pa.large_string()), "")
        self.flagged += int(pc.sum(pc.not_equal(flags, "")).as_py() or 0)
        self.with_previous += t.num_rows - t.column("previous_run_id").null_count


def _pa_table(fr: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(fr, preserve_index=False, nthreads=1)


def results_schema(has_prev: bool) -> Any:
    """The Arrow schema of the results file, as the whole table converts: text ``large_string``
    (pandas' ``str`` columns; :data:`~valuation.batch.partition.TEXT_COLUMNS` and the diff's run
    ids and flags), ``final`` ``bool``, the other numbers ``double``; ``previous_run_id`` is
    text when some asset has a previous result and ``null`` (all missing) otherwise."""
    import pyarrow as pa

    text = set(TEXT_COLUMNS) | {"run_id", "flags_new", "flags_cleared"}

    def typ(c: str) -> Any:
        if c == "previous_run_id":
            return pa.large_string() if has_prev else pa.null()
        return pa.large_string() if c in text else pa.bool_() if c == "final" else pa.float64()

    return pa.schema([pa.field(c, typ(c)) for c in list(RESULT_COLUMNS) + DIFF_COLUMNS])


class Previous:
    """Each asset's last valued result (``batch_latest``), what the diff compares with, read
    when the first partition is diffed (while the workers value the next ones): the whole
    table at once when the run's assets are many beside it
    (:func:`~valuation.batch.rundb.reads_whole`), else per partition by its ids."""

    def __init__(self, eng: Any, n_assets: int) -> None:
        self.eng, self.n_assets = eng, n_assets
        self.total: int | None = None
        self.whole: pd.DataFrame | None = None

    def _load(self) -> None:
        from . import rundb as hist  # only a run that records itself has a Previous (SQLAlchemy)

        if self.total is None:
            self.total = hist.latest_count(self.eng)
            if self.total and hist.reads_whole(self.n_assets, self.total):
                self.whole = hist.previous_results(self.eng, total=self.total)

    def any(self) -> bool:
        """Whether any asset may have a previous result (the table is not empty)."""
        self._load()
        return bool(self.total) and (self.whole is None or len(self.whole) > 0)

    def by_ids(self) -> bool:
        """Whether :meth:`for_ids` looks the assets up by their ids (else it has every asset)."""
        self._load()
        return bool(self.total) and self.whole is None

    def for_ids(self, ids: Any) -> pd.DataFrame | None:
        """The previous results of (at least) the assets ``ids``, indexed by asset id."""
        self._load()
        if not self.total:
            return None
        if self.whole is not None:
            return self.whole
        from .rundb import previous_results

        return previous_results(self.eng, pd.Series(ids), total=self.total)   # counted once, not per partition


class ResultsSink:
    """The results file (``.parquet`` or ``.csv``) written while the partitions are valued.

    The backends yield finished partitions in any order; :meth:`add` marks one checkpointed and
    appends every partition that is next in order — read back from its checkpoint (memory-mapped
    Arrow IPC), diffed against the previous results (:func:`diff_table`, :func:`diff` for CSV)
    and written as one Parquet row group (one :class:`pyarrow.parquet.ParquetWriter`) or as CSV
    rows after one header (UTF-8 with BOM, formula text neutralised). After the last partition
    only its own rows and the file's footer remain (:meth:`close`). The file grows in the
    checkpoint folder and replaces ``dest`` atomically at the end; a crashed run leaves it
    there, and a resumed run writes it again from the first partition (partitions taken over
    from the interrupted run are ``ready`` from the start).

    The Parquet schema is fixed before the first row group (:func:`results_schema`):
    ``previous_run_id`` is text when the history holds any previous result. If in the end no
    asset of the run had one, the file is written again with ``previous_run_id`` ``null`` — as
    the whole table converts (only a run whose assets are all new to a non-empty history)."""

    def __init__(self, pdir: Path, n_parts: int, dest: Path, prev: Previous | None, run_id: str,
                 ready: set[int]) -> None:
        self.pdir, self.n_parts, self.dest, self.prev, self.run_id = pdir, n_parts, dest, prev, run_id
        self.parquet = dest.suffix.lower() == ".parquet"
        self.tmp = pdir / f"results.tmp{dest.suffix.lower()}"
        self.ready, self.next = set(ready), 0
        self.tally = Tally()
        self.rejects: dict[int, tuple[pd.DataFrame | None, int]] = {}   # read_rejects(read=...)
        self.seconds = {"assemble": 0.0, "diff": 0.0, "write": 0.0}
        self.schema: Any = None
        self._out: Any = None       # the ParquetWriter or the CSV file

    def __enter__(self) -> ResultsSink:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:     # the run failed: no results file, nothing half-written kept
            try:
                with contextlib.suppress(Exception):    # the run's own error is the one to report
                    self._close_out()
            finally:
                self.tmp.unlink(missing_ok=True)

    def add(self, i: int) -> None:
        """Partition ``i`` is checkpointed: append it and every following one already there."""
        self.ready.add(i)
        self._drain()

    def _drain(self) -> None:
        while self.next in self.ready:
            self.ready.discard(self.next)
            self._append(self.next)
            self.next += 1

    def _append(self, i: int) -> None:
        import pyarrow as pa

        t = time.perf_counter()
        self.rejects[i] = part_rejects(self.pdir, i)
        self.seconds["assemble"] += time.perf_counter() - t
        t = time.perf_counter()
        if self.parquet:
            with pa.memory_map(str(part_files(self.pdir, i)[0])) as src:
                res = pa.ipc.open_file(src).read_all()
                prev = None if self.prev is None else self.prev.for_ids(
                    res.column("asset_id").to_numpy(zero_copy_only=False) if self.prev.by_ids() else None)
                if self.schema is None:
                    self.schema = results_schema(self.prev is not None and self.prev.any())
                tab = diff_table(res, prev, self.run_id, self.schema)
                self.tally.add_table(tab)
                t1 = time.perf_counter()
                self._writer().write_table(tab)
        else:
            res = read_part(self.pdir, i)
            fr = diff(res, self.prev.for_ids(res["asset_id"].astype(str)) if self.prev is not None else None,
                      self.run_id)
            self.tally.add(fr)
            t1 = time.perf_counter()
            if self._out is None:
                self._out = open(self.tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
            neutralise_frame(fr).to_csv(self._out, index=False, header=i == 0)
        self.seconds["diff"] += t1 - t
        self.seconds["write"] += time.perf_counter() - t1

    def _writer(self) -> Any:
        if self._out is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # dictionary pages for the repeated text and flag columns only: the float columns
            # (estimates, changes) and the asset ids hold nearly all distinct values, for which
            # Arrow builds a dictionary per row group and falls back to plain — CPU spent and
            # bytes added for the same values read back
            self._out = pq.ParquetWriter(self.tmp, self.schema, use_dictionary=[
                f.name for f in self.schema if not pa.types.is_floating(f.type) and f.name != "asset_id"])
        return self._out

    def _close_out(self) -> None:
        out, self._out = self._out, None
        if out is not None:
            out.close()

    def close(self) -> Tally:
        """Append what is left, write the footer and replace ``dest`` with the file; the rows' tally."""
        self._drain()           # a resumed run whose partitions were all checkpointed gets no add()
        t = time.perf_counter()
        if self.next != self.n_parts:
            raise RuntimeError(f"results file: partition {self.next} of {self.n_parts} was never checkpointed")
        if self.parquet and (self.tally.with_previous > 0) != _is_text(self.schema, "previous_run_id"):
            self._close_out()                            # see the class docstring
            self.schema, self.tally, self.next = results_schema(self.tally.with_previous > 0), Tally(), 0
            self.ready = set(range(self.n_parts))
            self._drain()
        self._close_out()
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.dest)
        self.seconds["write"] += time.perf_counter() - t
        return self.tally


def results_sink(pdir: Path, n_parts: int, out: Path, prev: Previous | None, run_id: str, done: set[int],
                 whole: bool) -> Any:
    """The :class:`ResultsSink` of a ``.csv`` or ``.parquet`` run with partitions that does not
    need the whole table (``whole``: the books); else a context of ``None`` (the whole table is
    assembled at the end, :func:`valuation.batch.pipeline._finish`)."""
    if n_parts and not whole and out.suffix.lower() in (".csv", ".parquet"):
        return ResultsSink(pdir, n_parts, out, prev, run_id, done)
    return contextlib.nullcontext()


def _is_text(schema: Any, name: str) -> bool:
    """Whether column ``name`` of ``schema`` is text (not ``null``)."""
    import pyarrow as pa

    return not pa.types.is_null(schema.field(name).type)
