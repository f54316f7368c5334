"""Batch revaluation of a portfolio (docs/DESIGN.md §2 "Run", §3, §8).

:func:`revalue` reads a portfolio (CSV, Excel, Parquet, a frame or a :class:`Portfolio`),
validates it (bad rows → ``<out>.rejects.csv``), screens it (``only``), values each partition
with the engine on one machine or a Dask cluster, diffs every asset against its previous run,
writes the results atomically and records the run in the database.

Stages and guarantees
---------------------
* **validate** — table-level problems (unknown or missing required columns, unknown records
  tables) refuse the run with a :class:`~valuation.core.errors.ValidationError`; row problems
  (bad values, duplicate ids, records rows of unknown assets) become rejects naming the table,
  row (1-based data row), asset, field, value, what is allowed and the reason in Chinese and
  English. ``total = rejected + screened_out + screened`` always holds.
* **screen** — see :mod:`valuation.batch.partition` (before: last known value vs book value with
  the thresholds of the rules HIGH_PREMIUM / HIGH_IMPAIRMENT; unknown → decided after valuation;
  after: every flag is reported).
* **value** — :func:`valuation.batch.partition.run_partition` per partition; a partition that
  raises is retried asset by asset; an asset that still fails is a ``failed`` row with its
  reason and the run finishes. The guided range's method (Monte Carlo or mixture) is fixed for
  the whole run (:func:`~valuation.batch.partition.run_snapshot`), so results do not depend on
  the partitioning or the backend.
* **checkpoint / resume** — each finished partition is written to ``<out>.parts/`` (results,
  rejects, then a JSON marker, each atomically). ``resume=True`` reuses the partitions of an
  interrupted run with the same input hash, snapshot and options, and gives the same output as
  an uninterrupted run. The folder is removed when the run is recorded. (Timing ``checkpoint``:
  this process's seconds on the checkpoints and the history rows while partitions are valued;
  with partitions by reference — a local Dask cluster or the local pool, a ``.csv``/``.parquet``
  input — the workers read and check their rows and write their checkpoints themselves,
  :mod:`valuation.batch.remote`.)
* **diff** — against each asset's last valued result (``batch_latest``): previous run id,
  estimate and range, change, change ratio, flags new and cleared.
* **write** — results (``.csv``/``.parquet``/``.xlsx`` by suffix) and rejects, each atomically;
  ``.csv``/``.parquet`` results are diffed and written partition by partition from the
  checkpoints while the partitions run (:class:`~valuation.batch.assemble.ResultsSink`), so
  the run never holds the whole table and little is left after the last partition (timings
  ``diff``/``write``: this process's seconds on them, mostly during ``partitions``).
* **record** — run row (id, started/finished, snapshot id, input hash, options, counts, timings
  per stage) and per-asset results in the same transaction (``history=False`` skips the database:
  no diff and no record — for throw-away benchmarks only).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..core.portfolio import Portfolio
from ..core.snapshot import LibrarySnapshot
from .assemble import (
    Previous,
    ResultsSink,
    Tally,
    diff,
    read_part,
    read_rejects,
    results_sink,
)
from .backends import DaskCluster, LocalPool, run_dask, run_local
from .checkpoints import (
    CRASH_HOOK_ENV,
    crash_hook,
    parts_dir,
    prepare_parts,
    progress_bar,
    write_part,
)
from .io import write_table
from .options import ONLY, RunOptions, bad_option, run_options
from .partition import RESULT_COLUMNS, run_snapshot, thresholds
from .plan import Input, Plan, Tasks, load, make_plan, valuation_dates
from .records_check import accounting, balance_text
from .staging import Staged, discard, drop, settle, stageable, staging_dir

__all__ = [
    "CRASH_HOOK_ENV",
    "DEFAULT_CHUNK_SIZE",
    "ONLY",
    "RunSummary",
    "parts_dir",
    "rejects_path",
    "revalue",
]

DEFAULT_CHUNK_SIZE = 10_000   # a worker's memory grows with its partition: smaller partitions lower the run's peak (bench_revalue.py prints it)
XLSX_MAX_ROWS = 1_048_575


def rejects_path(out: str | os.PathLike[str]) -> Path:
    return Path(str(out) + ".rejects.csv")


@dataclasses.dataclass
class RunSummary:
    """What a run did: ids, counts, timings per stage (seconds) and where the files are."""

    run_id: str
    out: str
    rejects: str
    started_at: str
    finished_at: str
    snapshot_id: str
    input_hash: str
    only: str
    backend: str
    workers: int
    range_method: str
    counts: dict[str, int]
    timings: dict[str, float]
    resumed_parts: int = 0
    partitions: int = 0
    history: bool = True
    books: str | None = None          # impairment register + 11号 disclosure (issue 22)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_text(self, lang: str = "zh") -> str:
        c = self.counts
        if lang == "en":
            head = (f"run {self.run_id}: {c.get('total', 0)} rows, {c.get('rejected', 0)} rejected, "
                    f"{c.get('screened', 0)} screened, {c.get('valued', 0)} valued, {c.get('failed', 0)} failed, "
                    f"{c.get('flagged', 0)} flagged")
            tail = f"results: {self.out}; rejects: {self.rejects}; library snapshot {self.snapshot_id}"
        else:
            head = (f"重估批次 {self.run_id}：共 {c.get('total', 0)} 行，拒收 {c.get('rejected', 0)}，"
                    f"入选 {c.get('screened', 0)}，完成估值 {c.get('valued', 0)}，失败 {c.get('failed', 0)}，"
                    f"有风险标记 {c.get('flagged', 0)}")
            tail = f"结果：{self.out}；拒收明细：{self.rejects}；库快照 {self.snapshot_id}"
        t = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
        return f"{head}\n{balance_text(c, lang)}\n{tail}\n{t}"

    def __str__(self) -> str:
        return self.to_text("en")


def _rundb() -> Any:
    """The run history (:mod:`valuation.batch.rundb`), imported by a run that records itself
    only: SQLAlchemy is slow to import, which a ``history=False`` run (a benchmark, a
    Dask run's own process) never uses (``tests/core/test_import_budget.py``)."""
    from . import rundb

    return rundb


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


# --------------------------------------------------------------------------- the run
@dataclasses.dataclass
class _Run:
    """One run under way: its input, plan, options, checkpoint folder and history engine."""

    inp: Input
    plan: Plan
    out: Path
    run_id: str
    pdir: Path
    done: set[int]
    eng: Any
    timings: dict[str, float]


def revalue(portfolio: Any, out: str | os.PathLike[str], *, only: str = "all", backend: str = "local",
            workers: int | None = None, scheduler: str | None = None,
            snapshot: LibrarySnapshot, db: Any = None, resume: bool = False, chunk_size: int = DEFAULT_CHUNK_SIZE,
            progress: Callable[[int, int], Any] | bool | None = None,
            as_of: _dt.date | str | None = None, history: bool = True,
            records: Mapping[str, pd.DataFrame] | None = None,
            flag_messages: bool = False,
            balance_sheet_date: _dt.date | str | None = None) -> RunSummary:
    """Revalue a portfolio and record the run.

    Parameters
    ----------
    portfolio : path (``.csv``, ``.xlsx``, ``.parquet``), DataFrame (flat table; ``records``
        holds its records tables) or :class:`~valuation.core.portfolio.Portfolio`.
    out : results file; its suffix chooses the format. Rejects go to ``<out>.rejects.csv``.
    only : ``all``, ``high-premium`` or ``high-impairment`` (screening, see module docstring).
    backend : ``local`` (process pool over partitions, ``workers`` default ``os.cpu_count()``)
        or ``dask`` (``Client(scheduler)``, or a ``LocalCluster`` of ``workers`` processes).
    snapshot : the library snapshot the engine runs against, resolved by the caller
        (:func:`valuation.api.revalue` resolves ``library=`` with :func:`valuation.api.snapshot`).
    db : database of the run history (a store, an Engine or a URL); ``None`` →
        ``VALUATION_DB_URL`` / ``./var/valuation.db`` (:func:`valuation.batch.rundb.engine_for`).
    resume : reuse the finished partitions of an interrupted run (same input, options, snapshot).
    chunk_size : assets per partition.
    progress : ``progress(done, total)`` callback (rows), ``True``/``False`` to force the terminal
        bar on/off; by default a tqdm bar is shown when stderr is a terminal.
    as_of : date the rules treat as today (staleness); default today (kept on resume).
    history : record the run and diff against previous runs (default True).
    flag_messages : value with :func:`valuation.engine.evaluate` itself, formatting every
        flag message (slower; the numbers and codes are identical).
    balance_sheet_date : a balance-sheet run: every accounting section is measured at this
        date. It, and ``only="high-impairment"``, writes the impairment register and the
        财会〔2023〕11号 disclosure tables (:mod:`valuation.batch.books`).
    """
    t_all, out = time.perf_counter(), Path(out)
    o = run_options(out, only=only, backend=backend, workers=workers, scheduler=scheduler, resume=resume,
                    chunk_size=chunk_size, progress=progress, as_of=as_of, history=history,
                    flag_messages=flag_messages, balance_sheet_date=balance_sheet_date)
    with _early_pool(portfolio, backend, o.nworkers, chunk_size, workers, scheduler) as pool, discard(out):
        return _revalue(portfolio, records, out, snapshot, db, o, pool, t_all)


def _early_pool(portfolio: Any, backend: str, workers: int, chunk_size: int,
                workers_opt: int | None = None, scheduler: str | None = None) -> Any:
    """The Dask cluster (:class:`~valuation.batch.backends.DaskCluster`, started in the
    background), or the local backend's worker pool, started before the input is read (see
    :class:`~valuation.batch.backends.LocalPool`) when the input may hold more than one
    partition: a frame or portfolio longer than ``chunk_size``, or a file larger than
    ``chunk_size`` × 64 bytes (no row of the card table is that short). Otherwise nothing is
    started here, and :func:`~valuation.batch.backends.run_local` starts a pool after the plan
    if there is more than one partition after all."""
    if backend == "dask":
        return DaskCluster(workers_opt, scheduler)
    if workers <= 1:
        return contextlib.nullcontext()
    if isinstance(portfolio, (pd.DataFrame, Portfolio)):
        big = len(portfolio) > chunk_size
    else:
        try:
            big = Path(portfolio).stat().st_size > 64 * chunk_size
        except (OSError, TypeError, ValueError):
            big = False
    return LocalPool(workers) if big else contextlib.nullcontext()


def _release_arrow() -> None:
    """Hand the memory Arrow's pool kept from reading and converting the input back to the
    system (it grows with the input): the workers' peak comes later, on top of it."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _revalue(portfolio: Any, records: Mapping[str, pd.DataFrame] | None, out: Path, snap: LibrarySnapshot,
             db: Any, o: RunOptions, pool: LocalPool | DaskCluster | None, t_all: float) -> RunSummary:
    """:func:`revalue` once its options are checked and its worker pool (if any) started."""
    timings: dict[str, float] = {}
    started = _now()
    books = o.only == "high-impairment" or o.balance_sheet_date is not None   # the books read the table
    by_ref = _by_reference(portfolio, pool)    # decided once: a lazy plan must go by reference
    inp = load(portfolio, records, lazy=by_ref and not books, stage=staging_dir(out) if by_ref else None)
    _release_arrow()
    timings["read"] = time.perf_counter() - t_all
    t = time.perf_counter()             # table-level validation, duplicate ids, partitions
    plan = make_plan(inp, o.chunk_size, XLSX_MAX_ROWS if out.suffix.lower() == ".xlsx" else None,
                     lambda: bad_option("out", str(out), f".csv or .parquet for more than {XLSX_MAX_ROWS} rows"))
    snap_run, range_method = run_snapshot(snap, plan.n_keep)
    _release_arrow()
    timings["plan"] = time.perf_counter() - t
    pdir = parts_dir(out)
    run_id, done, as_of_eff = _checkpoints(pdir, o.resume, o.as_of, started, {
        "format": 1, "input_hash": inp.input_hash, "snapshot_id": snap.snapshot_id, "only": o.only,
        "chunk_size": o.chunk_size, "n_parts": plan.n_parts, "n_rows": plan.n_total,
        "as_of": (o.as_of or _dt.date.today()).isoformat(), "range_method": range_method,
        "engine_version": __version__, "flag_messages": o.flag_messages})
    staged = settle(inp.staged, pdir) if by_ref else None     # into <out>.parts/input (batch.staging)
    opts = {"only": o.only, "thresholds": thresholds(snap), "as_of": as_of_eff, "flag_messages": o.flag_messages}
    hist = _rundb() if o.history else None
    run = _Run(inp, plan, out, run_id, pdir, done, hist.engine_for(db) if hist is not None else None, timings)
    options = {"only": o.only, "backend": o.backend, "workers": o.workers, "chunk_size": o.chunk_size,
               "as_of": as_of_eff.isoformat(), "range_method": range_method, "resume": o.resume}
    if hist is not None and done and out.exists() and hist.run_status(run.eng, run.run_id) == "finished":
        return _recorded(run, options)  # interrupted after it was recorded: output and history complete
    if hist is not None:
        hist.start_run(run.eng, run.run_id, snapshot_id=snap.snapshot_id, input_hash=inp.input_hash,
                       input_name=inp.name, out=str(out), engine_version=__version__,
                       options={**options, "valuation_dates": valuation_dates(inp)})
    prev = Previous(run.eng, plan.n_keep) if run.eng is not None else None
    with results_sink(pdir, plan.n_parts, out, prev, run_id, done, whole=books) as sink:
        _value(run, _stream(staged, run, pool, o, snap_run, opts), o.progress, sink)
        drop(staged)                        # read by no one from here on (batch.staging)
        if isinstance(pool, LocalPool):
            pool.close()                    # its workers are idle from here on
        counts, books_file = _finish(run, books, o.balance_sheet_date, prev, sink)
    finished = _now()
    timings["total"] = time.perf_counter() - t_all
    _record(run, counts, t_all)
    shutil.rmtree(pdir, ignore_errors=True)
    return RunSummary(run_id=run.run_id, out=str(out), rejects=str(rejects_path(out)),
                      started_at=started.isoformat(), finished_at=finished.isoformat(),
                      snapshot_id=snap.snapshot_id, input_hash=inp.input_hash, only=o.only, backend=o.backend,
                      workers=o.nworkers if o.backend == "local" else int(o.workers or 0), range_method=range_method,
                      counts=counts, timings={k: round(v, 4) for k, v in timings.items()}, resumed_parts=len(done),
                      partitions=plan.n_parts, history=run.eng is not None, books=books_file)


def _stream(source: Staged | None, run: _Run, pool: Any, o: RunOptions, snap_run: LibrarySnapshot,
            opts: Mapping[str, Any]) -> Any:
    """The backend's stream of finished partitions. The workers of a local Dask cluster or of
    the local pool valuing an input file get the partitions by reference: they read their rows
    from the run's staged copy of the input and write their checkpoints themselves
    (:mod:`valuation.batch.remote`), this process only stages, plans and gathers summaries
    (``source``: the staged copy when they go by reference, :func:`_by_reference`; else None)."""
    plan, inp = run.plan, run.inp
    if source is not None:
        tasks = Tasks(plan.n_parts, plan.ref, run.done)
        remote = (source, str(run.pdir), run.eng is not None)
    else:
        tasks, remote = Tasks(plan.n_parts, lambda i: plan.task(inp, i), run.done), None   # built on demand
    if o.backend == "local":
        return run_local(tasks, snap_run, opts, workers=o.nworkers, pool=pool, remote=remote)
    return run_dask(tasks, snap_run, opts, cluster=pool, remote=remote) if len(tasks) else iter(())


def _by_reference(portfolio: Any, pool: Any) -> bool:
    """The partitions go by reference (:mod:`valuation.batch.remote`): a ``.csv``/``.parquet``
    input file, staged once by this process (:mod:`valuation.batch.staging`) for workers on this
    machine — a local Dask cluster's or the local pool's (started before the read)."""
    local_workers = (isinstance(pool, LocalPool) and pool.executor is not None
                     or isinstance(pool, DaskCluster) and pool.local)
    return local_workers and stageable(portfolio)


def _checkpoints(pdir: Path, resume: bool, as_of: _dt.date | None, started: _dt.datetime,
                 manifest: dict[str, Any]) -> tuple[str, set[int], _dt.date]:
    """``(run id, finished partitions, as_of)``: those of the interrupted run with the same
    input, snapshot and options when resuming, else of a new run (a new id, no partitions)."""
    manifest = {**manifest, "run_id": f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"}
    manifest, done = prepare_parts(pdir, manifest, resume, as_of is not None)
    return manifest["run_id"], done, _dt.date.fromisoformat(manifest["as_of"])


def _recorded(run: _Run, options: Mapping[str, Any]) -> RunSummary:
    """The summary of a run found finished in the history (interrupted after it was recorded)."""
    shutil.rmtree(run.pdir, ignore_errors=True)
    d = _rundb().run_show(run.run_id, db=run.eng)
    return RunSummary(run_id=run.run_id, out=str(run.out), rejects=str(rejects_path(run.out)),
                      started_at=d["started_at"], finished_at=d["finished_at"] or "",
                      snapshot_id=d["snapshot_id"], input_hash=d["input_hash"], only=options["only"],
                      backend=options["backend"], workers=int(options["workers"] or 0),
                      range_method=options["range_method"],
                      counts=dict(d["counts"] or {}), timings=dict(d["timings"] or {}),
                      resumed_parts=len(run.done), partitions=run.plan.n_parts, history=True)


def _value(run: _Run, stream: Any, progress: Callable[[int, int], Any] | bool | None,
           sink: ResultsSink | None) -> None:
    """Value the partitions as the backend yields them: checkpoint each, insert its rows into the
    history, append the results file as far as the partitions are in order (``sink``), report
    progress."""
    t = time.perf_counter()
    done_rows, total_rows = run.plan.rows_in(run.done), run.plan.n_keep
    bar = progress_bar(total_rows, progress if isinstance(progress, bool) else None)
    cb = progress if callable(progress) else None
    if bar is not None and done_rows:
        bar.update(done_rows)
    if cb:
        cb(done_rows, total_rows)
    stage = {"validate": 0.0, "value": 0.0}
    written, own = 0, 0.0
    hist = _rundb() if run.eng is not None else None
    if hist is not None:
        hist.clear_results(run.eng, run.run_id)        # a resumed run writes all its rows again
    try:
        for po in stream:
            t_own = time.perf_counter()
            if not po.written:                 # else the worker wrote it (batch.remote)
                write_part(run.pdir, po)
            if hist is not None:
                hist.insert_partition(run.eng, run.run_id, po.results)
            own += time.perf_counter() - t_own
            if sink is not None:
                sink.add(po.index)
            written += 1
            for k in stage:
                stage[k] += po.seconds.get(k, 0.0)
            done_rows += po.size
            if bar is not None:
                bar.update(po.size)
            if cb:
                cb(done_rows, total_rows)
            crash_hook(written)
    finally:
        if bar is not None:
            bar.close()
    run.timings["partitions"] = time.perf_counter() - t
    run.timings["cpu_validate"] = stage["validate"]
    run.timings["cpu_value"] = stage["value"]
    run.timings["checkpoint"] = own      # this process's share: checkpoint files and history rows


def _finish(run: _Run, with_books: bool, balance_sheet_date: _dt.date | None, prev: Previous | None,
            sink: ResultsSink | None) -> tuple[dict[str, int], str | None]:
    """Finish the results file (``sink``: written while the partitions ran, only the footer is
    left; else the whole table is assembled and diffed here: the books read all assets, ``.xlsx``
    holds ≤ 1,048,575 rows), write the rejects (and, ``with_books``, the impairment register and
    the disclosure tables), each file atomically; returns ``(counts, books)``."""
    t = time.perf_counter()
    pdir, n_parts = run.pdir, run.plan.n_parts
    rejects, screened_out = read_rejects(pdir, n_parts, run.plan.pre_rejects, run.plan.assigned,
                                         sink.rejects if sink is not None else None)
    run.timings["assemble"], books = time.perf_counter() - t, None
    if sink is not None:
        tally = sink.close()
        for k in ("assemble", "diff", "write"):
            run.timings[k] = run.timings.get(k, 0.0) + sink.seconds[k]
    else:
        t = time.perf_counter()
        parts = [read_part(pdir, i) for i in range(n_parts)]
        results = (pd.concat(parts, ignore_index=True) if parts
                   else pd.DataFrame({c: pd.Series([], dtype=object) for c in RESULT_COLUMNS}))
        del parts
        final = diff(results, prev.for_ids(results["asset_id"].astype(str)) if prev is not None else None,
                     run.run_id)
        (tally := Tally()).add(final)
        run.timings["diff"] = time.perf_counter() - t
        t = time.perf_counter()
        if with_books:
            from .books import write_books
            books = write_books(run.inp, final, run.out, balance_sheet_date=balance_sheet_date)
        write_table(final, run.out)
        run.timings["write"] = time.perf_counter() - t
    t = time.perf_counter()
    write_table(rejects, rejects_path(run.out))
    run.timings["write"] += time.perf_counter() - t
    return _counts(run, tally, rejects, screened_out), books


def _counts(run: _Run, tally: Tally, rejects: pd.DataFrame, screened_out: int) -> dict[str, int]:
    """``total = rejected + screened_out + screened`` and the records balance (records_check)."""
    rejected_rows = int(rejects.loc[rejects["table"] == "assets", "row"].nunique()) if len(rejects) else 0
    counts = {"total": int(run.plan.n_total), "rejected": rejected_rows,
              "screened": tally.screened, "screened_out": int(screened_out),
              "valued": tally.valued, "no_estimate": tally.no_estimate, "failed": tally.failed,
              "flagged": tally.flagged}
    return accounting(counts, rejects, sum(len(fr) for fr in run.inp.records.values()))


def _record(run: _Run, counts: dict[str, int], t_all: float) -> None:
    """Rows of resumed partitions, then batch_latest and the finished mark in one transaction;
    finish_run afterwards only adds the history stage to the recorded timings."""
    if run.eng is None:
        return
    hist, t = _rundb(), time.perf_counter()
    for i in sorted(run.done):                  # partitions taken over from the interrupted run
        hist.insert_partition(run.eng, run.run_id, read_part(run.pdir, i))
    hist.finish_results(run.eng, run.run_id, counts=counts,
                        timings={k: round(v, 4) for k, v in run.timings.items()})
    run.timings["history"] = time.perf_counter() - t
    run.timings["total"] = time.perf_counter() - t_all
    hist.finish_run(run.eng, run.run_id, counts=counts,
                    timings={k: round(v, 4) for k, v in run.timings.items()})
