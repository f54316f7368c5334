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
  an uninterrupted run. The folder is removed when the run is recorded.
* **diff** — against each asset's last valued result (``batch_latest``): previous run id,
  estimate and range, change, change ratio, flags new and cleared.
* **write** — results (``.csv``/``.parquet``/``.xlsx`` by suffix) and rejects, each atomically.
* **record** — run row (id, started/finished, snapshot id, input hash, options, counts, timings
  per stage) and per-asset results in the same transaction (``history=False`` skips the database:
  no diff and no record — for throw-away benchmarks only).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..core.errors import Issue, ValidationError
from ..core.portfolio import Portfolio
from ..core.snapshot import LibrarySnapshot
from ..core.validate import validate_table
from . import rundb as hist
from .backends import BACKENDS, run_dask, run_local
from .io import (
    RECORD_TABLES,
    atomic_path,
    file_sha256,
    frame_sha256,
    read_portfolio,
    record_siblings,
    write_table,
)
from .partition import (
    REJECT_COLUMNS,
    RESULT_COLUMNS,
    PartitionOutput,
    PartitionTask,
    issues_frame,
    run_snapshot,
    thresholds,
)
from .records_check import (
    accounting,
    balance_text,
    check_all,
    dup_rejects,
    orphan_rejects,
    records_asset_rejects,
    unused_records_rejects,
)

__all__ = [
    "CRASH_HOOK_ENV",
    "DEFAULT_CHUNK_SIZE",
    "ONLY",
    "RunSummary",
    "parts_dir",
    "rejects_path",
    "revalue",
]

ONLY = ("all", "high-premium", "high-impairment")
DEFAULT_CHUNK_SIZE = 25_000   # 10^6 assets: same speed as 50,000, ~0.6 GB less peak memory
CRASH_HOOK_ENV = "VALUATION_BATCH_CRASH_AFTER"  # test hook: hard exit after N checkpoints
XLSX_MAX_ROWS = 1_048_575
DIFF_COLUMNS = ["run_id", "previous_run_id", "previous_estimate", "change", "change_ratio",
                "previous_low", "previous_high", "low_change", "high_change", "flags_new", "flags_cleared"]
REJECTS_FILE_COLUMNS = ["table"] + REJECT_COLUMNS


def rejects_path(out: str | os.PathLike[str]) -> Path:
    return Path(str(out) + ".rejects.csv")


def parts_dir(out: str | os.PathLike[str]) -> Path:
    return Path(str(out) + ".parts")


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


def _bad_option(field: str, value: Any, allowed: str) -> ValidationError:
    return ValidationError([Issue(field=field, value=value, allowed=allowed,
                                  message_zh=f"参数 {field} 的值 {value!r} 无效；允许：{allowed}",
                                  message_en=f"option {field}: value {value!r} is not allowed; allowed: {allowed}")])


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


# --------------------------------------------------------------------------- input
@dataclasses.dataclass
class _Input:
    table: pd.DataFrame | None
    records: dict[str, pd.DataFrame]
    portfolio: Portfolio | None
    input_hash: str
    name: str


def _valuation_dates(inp: _Input, keep: int = 20) -> list[str]:
    """The distinct valuation dates of the portfolio (ISO, sorted, at most ``keep`` latest),
    recorded with the run so the value history is plotted by valuation date, not run time."""
    col = None
    if inp.table is not None and "valuation_date" in inp.table:
        col = inp.table["valuation_date"]
    elif inp.portfolio is not None and "valuation_date" in inp.portfolio.assets:
        col = inp.portfolio.assets["valuation_date"]
    if col is None:
        return []
    dates = pd.to_datetime(col, errors="coerce").dropna().dt.date.unique()
    return sorted(d.isoformat() for d in dates)[-keep:]


def _load(portfolio: Any, records: Mapping[str, pd.DataFrame] | None) -> _Input:
    if isinstance(portfolio, Portfolio):
        return _Input(None, {}, portfolio, frame_sha256(portfolio.assets, portfolio.records), "<Portfolio>")
    if isinstance(portfolio, pd.DataFrame):
        recs = {k: v for k, v in (records or {}).items()}
        return _Input(portfolio, recs, None, frame_sha256(portfolio, recs), "<DataFrame>")
    p = Path(portfolio)
    table, recs = read_portfolio(p)
    files = [p] + [q for _, q in sorted(record_siblings(p).items())] if p.suffix.lower() != ".xlsx" else [p]
    return _Input(table, recs, None, file_sha256(files), str(p))


def _table_issues(table: pd.DataFrame, records: Mapping[str, pd.DataFrame]) -> None:
    """Refuse the run for problems of the table itself (not of a row)."""
    issues = [i for i in validate_table(table.iloc[:0], "card")[1] if i.row is None]
    for k, fr in records.items():
        if k not in RECORD_TABLES:
            issues.append(Issue(field=k, value=k, allowed=", ".join(RECORD_TABLES),
                                message_zh=f"未知明细表 {k}", message_en=f"unknown records table {k}"))
        elif "asset_id" not in fr.columns:
            issues.append(Issue(field=f"{k}.asset_id", value=None, allowed="an asset_id column",
                                message_zh=f"明细表 {k} 缺少 asset_id 列", message_en=f"records table {k} has no asset_id column"))
    if issues:
        raise ValidationError(issues)


class _Tasks:
    """Partitions built on demand (the input is not copied all at once)."""

    def __init__(self, n: int, make: Callable[[int], PartitionTask], skip: set[int]):
        self.todo = [i for i in range(n) if i not in skip]
        self.make = make

    def __len__(self) -> int:
        return len(self.todo)

    def __iter__(self) -> Iterator[PartitionTask]:
        for i in self.todo:
            yield self.make(i)


# --------------------------------------------------------------------------- checkpoints
def _part_files(d: Path, i: int) -> tuple[Path, Path, Path]:
    stem = d / f"part-{i:05d}"
    return Path(f"{stem}.parquet"), Path(f"{stem}.rejects.parquet"), Path(f"{stem}.json")


def _write_part(d: Path, out: PartitionOutput) -> None:
    res_p, rej_p, meta_p = _part_files(d, out.index)
    with atomic_path(res_p) as tmp:
        out.results.to_parquet(tmp, index=False)
    with atomic_path(rej_p) as tmp:
        out.rejects.to_parquet(tmp, index=False)
    with atomic_path(meta_p) as tmp:  # the marker: written last
        tmp.write_text(json.dumps({"index": out.index, "size": out.size, "screened_out": out.screened_out,
                                   "seconds": out.seconds}), encoding="utf-8")


def _done_parts(d: Path, n: int) -> set[int]:
    return {i for i in range(n) if all(p.exists() for p in _part_files(d, i))}


def _prepare_parts(d: Path, manifest: dict[str, Any], resume: bool, as_of_given: bool
                   ) -> tuple[dict[str, Any], set[int]]:
    """Reuse the checkpoints of an interrupted run with the same input, snapshot and options
    (``resume``), else start an empty checkpoint folder with ``manifest``."""
    mpath = d / "manifest.json"
    if resume and mpath.exists():
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        ignore = {"run_id"} | (set() if as_of_given else {"as_of"})
        if isinstance(old, dict) and {k: v for k, v in old.items() if k not in ignore} == \
                {k: v for k, v in manifest.items() if k not in ignore}:
            return old, _done_parts(d, int(manifest["n_parts"]))
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    with atomic_path(mpath) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest, set()


def _crash_hook(written: int) -> None:
    k = os.environ.get(CRASH_HOOK_ENV)
    if k and written >= int(k):
        sys.stderr.write(f"{CRASH_HOOK_ENV}: simulated crash after {written} checkpoint(s)\n")
        sys.stderr.flush()
        os._exit(70)


# --------------------------------------------------------------------------- progress
def _progress_bar(total: int, enabled: bool | None) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    on = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, unit="asset", disable=not on, desc="revalue", smoothing=0.1)


# --------------------------------------------------------------------------- diff
def _diff(results: pd.DataFrame, prev: pd.DataFrame | None, run_id: str) -> pd.DataFrame:
    n = len(results)
    out = results.copy()
    out["run_id"] = run_id
    if prev is None or not len(prev):
        # nothing to compare with (first run): no per-asset lookups at all
        p = pd.DataFrame({"run_id": np.full(n, None, dtype=object), "flags": np.full(n, "", dtype=object),
                          **{c: np.full(n, np.nan) for c in ("estimate", "low", "high")}})
    else:
        p = prev.reindex(pd.Index(results["asset_id"].astype(str)))
    pe, pl, ph = (pd.to_numeric(p[c], errors="coerce").to_numpy(float) for c in ("estimate", "low", "high"))
    est, lo, hi = (results[c].to_numpy(float) for c in ("estimate", "low", "high"))
    out["previous_run_id"] = p["run_id"].to_numpy(object)
    out["previous_estimate"] = pe
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change"] = est - pe
        out["change_ratio"] = np.where(pe != 0, (est - pe) / pe, np.nan)
    out["previous_low"], out["previous_high"] = pl, ph
    out["low_change"], out["high_change"] = lo - pl, hi - ph
    has_prev = ~pd.isna(p["run_id"]).to_numpy(bool)
    before = np.where(has_prev, p["flags"].fillna("").astype(object).to_numpy(), "")
    after = results["flags"].fillna("").astype(object).to_numpy()
    failed = results["status"].to_numpy(object) == "failed"
    # without a previous result there is nothing to compare: new/cleared stay empty
    cmp_rows = np.flatnonzero(has_prev & ~failed)
    new_all = np.full(n, "", dtype=object)
    cleared_all = np.full(n, "", dtype=object)
    if len(cmp_rows):
        new, cleared = hist.flag_changes(before[cmp_rows].astype(object), after[cmp_rows])
        new_all[cmp_rows], cleared_all[cmp_rows] = new, cleared
    out["flags_new"], out["flags_cleared"] = new_all, cleared_all
    return out


# --------------------------------------------------------------------------- the run
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
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    if only not in ONLY:
        raise _bad_option("only", only, ", ".join(ONLY))
    if backend not in BACKENDS:
        raise _bad_option("backend", backend, ", ".join(BACKENDS))
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise _bad_option("chunk_size", chunk_size, "an integer >= 1")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise _bad_option("workers", workers, "an integer >= 1")
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        raise _bad_option("out", str(out), ".csv, .parquet, .xlsx")
    if isinstance(as_of, str):
        as_of = _dt.date.fromisoformat(as_of)
    if isinstance(balance_sheet_date, str):
        try:
            balance_sheet_date = _dt.date.fromisoformat(balance_sheet_date)
        except ValueError:
            raise _bad_option("balance_sheet_date", balance_sheet_date, "a date YYYY-MM-DD") from None
    started = _now()

    snap = snapshot

    t = time.perf_counter()
    inp = _load(portfolio, records)
    timings["read"] = time.perf_counter() - t

    # ---- table-level validation, duplicate ids, partition plan
    t = time.perf_counter()
    pre_rejects: list[pd.DataFrame] = []
    if inp.table is not None:
        table = inp.table
        _table_issues(table, inp.records)
        checks = check_all(inp.records)  # records rows: the card schema, row by row
        n_total = len(table)
        ids = table["asset_id"].astype("str")
        dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy(bool)
        if dup.any():
            pre_rejects.append(dup_rejects(ids, dup))
        rec_rej, rec_bad = records_asset_rejects(ids, checks, ~dup)
        pre_rejects += [c.rejects for c in checks.values() if len(c.rejects)] + [rec_rej]
        keep = np.flatnonzero(~dup & ~rec_bad)
    else:
        pf_in = inp.portfolio
        assert pf_in is not None
        prior = list(getattr(pf_in, "rejected", []) or [])
        if prior:
            r = issues_frame(prior)
            r.insert(0, "table", "assets")
            pre_rejects.append(r)
        n_total = len(pf_in) + len({(i.row, i.asset_id) for i in prior})
        keep = np.arange(len(pf_in))
    n_keep = len(keep)
    if out.suffix.lower() == ".xlsx" and n_keep > XLSX_MAX_ROWS:
        raise _bad_option("out", str(out), f".csv or .parquet for more than {XLSX_MAX_ROWS} rows")
    n_parts = max(1, math.ceil(n_keep / chunk_size)) if n_keep else 0
    bounds = np.linspace(0, n_keep, n_parts + 1).round().astype(int) if n_parts else np.array([0])
    # records rows → partition of their asset (first, kept occurrence); orphans are rejected
    rec_plan: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = {}
    assigned: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}  # records row → partition
    if inp.table is not None and inp.records:
        kept_ids = ids.to_numpy(object)[keep]
        part_of_row = np.searchsorted(bounds, np.arange(n_keep), side="right") - 1
        valid = pd.notna(kept_ids)
        id_index = pd.Index(kept_ids[valid])
        part_of_id = part_of_row[valid]
        for name in inp.records:
            fr, bad_rec = checks[name].frame, checks[name].bad
            pos = id_index.get_indexer(fr["asset_id"].astype("str"))
            orphan = (pos < 0) & ~bad_rec  # a bad row is already rejected
            if orphan.any():
                pre_rejects.append(orphan_rejects(name, fr, orphan))
            pnum = np.where(orphan | bad_rec, -1, part_of_id[np.where(pos < 0, 0, pos)])
            assigned[name] = (fr, pnum)
            order = np.argsort(pnum, kind="stable")
            starts = np.searchsorted(pnum[order], np.arange(n_parts + 1), side="left")
            rec_plan[name] = (fr, order, starts)

    thr = thresholds(snap)
    snap_run, range_method = run_snapshot(snap, n_keep)
    as_of_eff = as_of or _dt.date.today()

    def make(i: int) -> PartitionTask:
        a, b = int(bounds[i]), int(bounds[i + 1])
        if inp.table is None:
            assert inp.portfolio is not None
            return PartitionTask(i, portfolio=inp.portfolio.subset(inp.portfolio.index[a:b]))
        rows = keep[a:b]
        recs = {}
        for name, (fr, order, starts) in rec_plan.items():
            sl = order[starts[i]:starts[i + 1]]
            if len(sl):
                recs[name] = fr.iloc[sl]
        return PartitionTask(i, table=inp.table.iloc[rows], records=recs, rows=rows)

    timings["plan"] = time.perf_counter() - t

    # ---- checkpoints and the run id
    manifest = {"format": 1, "input_hash": inp.input_hash, "snapshot_id": snap.snapshot_id,
                "only": only, "chunk_size": chunk_size, "n_parts": n_parts, "n_rows": n_total,
                "as_of": as_of_eff.isoformat(), "range_method": range_method,
                "engine_version": __version__, "flag_messages": bool(flag_messages),
                "run_id": f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"}
    pdir = parts_dir(out)
    manifest, done = _prepare_parts(pdir, manifest, resume, as_of is not None)
    run_id = manifest["run_id"]
    as_of_eff = _dt.date.fromisoformat(manifest["as_of"])
    opts = {"only": only, "thresholds": thr, "as_of": as_of_eff, "flag_messages": bool(flag_messages)}

    eng = hist.engine_for(db) if history else None
    if eng is not None and done and out.exists() and hist.run_status(eng, run_id) == "finished":
        # interrupted after the run was recorded: its output and history are complete
        shutil.rmtree(pdir, ignore_errors=True)
        d = hist.run_show(run_id, db=eng)
        return RunSummary(run_id=run_id, out=str(out), rejects=str(rejects_path(out)),
                          started_at=d["started_at"], finished_at=d["finished_at"] or "",
                          snapshot_id=d["snapshot_id"], input_hash=d["input_hash"], only=only,
                          backend=backend, workers=int(workers or 0), range_method=range_method,
                          counts=dict(d["counts"] or {}), timings=dict(d["timings"] or {}),
                          resumed_parts=len(done), partitions=n_parts, history=True)
    if eng is not None:
        hist.start_run(eng, run_id, snapshot_id=snap.snapshot_id, input_hash=inp.input_hash,
                       input_name=inp.name, out=str(out),
                       options={"only": only, "backend": backend, "workers": workers,
                                "chunk_size": chunk_size, "as_of": as_of_eff.isoformat(),
                                "range_method": range_method, "resume": bool(resume),
                                "valuation_dates": _valuation_dates(inp)},
                       engine_version=__version__)

    # ---- value the partitions
    t = time.perf_counter()
    tasks = _Tasks(n_parts, make, done)
    done_rows = int(sum(bounds[i + 1] - bounds[i] for i in done))
    total_rows = n_keep
    bar = _progress_bar(total_rows, progress if isinstance(progress, bool) else None)
    cb = progress if callable(progress) else None
    if bar is not None and done_rows:
        bar.update(done_rows)
    if cb:
        cb(done_rows, total_rows)
    nworkers = int(workers or os.cpu_count() or 1)
    if backend == "dask":
        stream = run_dask(tasks, snap_run, opts, workers=workers, scheduler=scheduler) if len(tasks) else iter(())
    else:
        stream = run_local(tasks, snap_run, opts, workers=nworkers)
    stage = {"validate": 0.0, "value": 0.0}
    written = 0
    if eng is not None:
        hist.clear_results(eng, run_id)        # a resumed run writes all its rows again
    try:
        for po in stream:
            _write_part(pdir, po)
            if eng is not None:
                hist.insert_partition(eng, run_id, po.results)
            written += 1
            for k in stage:
                stage[k] += po.seconds.get(k, 0.0)
            done_rows += po.size
            if bar is not None:
                bar.update(po.size)
            if cb:
                cb(done_rows, total_rows)
            _crash_hook(written)
    finally:
        if bar is not None:
            bar.close()
    timings["partitions"] = time.perf_counter() - t
    timings["cpu_validate"] = stage["validate"]
    timings["cpu_value"] = stage["value"]

    # ---- assemble in partition order
    t = time.perf_counter()
    res_parts, rej_parts, screened_out = [], list(pre_rejects), 0
    for i in range(n_parts):
        res_p, rej_p, meta_p = _part_files(pdir, i)
        res_parts.append(pd.read_parquet(res_p))
        rj = pd.read_parquet(rej_p)
        if len(rj):
            rj.insert(0, "table", "assets")
            rej_parts.append(rj)
        screened_out += int(json.loads(meta_p.read_text(encoding="utf-8"))["screened_out"])
    results = (pd.concat(res_parts, ignore_index=True) if res_parts
               else pd.DataFrame({c: pd.Series([], dtype=object) for c in RESULT_COLUMNS}))
    part_rej = {a for r in rej_parts[len(pre_rejects):] for a in r["asset_id"] if a is not None}
    rej_parts += unused_records_rejects(assigned, part_rej)
    rej_parts = [r for r in rej_parts if len(r)]
    rejects = (pd.concat(rej_parts, ignore_index=True) if rej_parts
               else pd.DataFrame(columns=REJECTS_FILE_COLUMNS))
    rejects = rejects[REJECTS_FILE_COLUMNS]
    if len(rejects):
        rejects = rejects.assign(_t=(rejects["table"] != "assets").astype(int)).sort_values(
            ["_t", "table", "row"], kind="stable").drop(columns="_t").reset_index(drop=True)
    timings["assemble"] = time.perf_counter() - t

    # ---- diff against each asset's previous run
    t = time.perf_counter()
    prev = hist.previous_results(eng, results["asset_id"]) if eng is not None else None
    final = _diff(results, prev, run_id)
    timings["diff"] = time.perf_counter() - t

    # ---- counts
    status = final["status"].to_numpy(object)
    rejected_rows = int(rejects.loc[rejects["table"] == "assets", "row"].nunique()) if len(rejects) else 0
    counts = {"total": int(n_total), "rejected": rejected_rows,
              "screened": len(final), "screened_out": int(screened_out),
              "valued": int((status == "ok").sum()), "no_estimate": int((status == "no_estimate").sum()),
              "failed": int((status == "failed").sum()),
              "flagged": int((final["flags"].fillna("").astype(str) != "").sum())}
    counts = accounting(counts, rejects, sum(len(fr) for fr in inp.records.values()))

    # ---- write the files (atomically), then record the run
    t = time.perf_counter()
    books = None
    if only == "high-impairment" or balance_sheet_date is not None:
        from .books import write_books
        books = write_books(inp, final, out, balance_sheet_date=balance_sheet_date)
    write_table(final, out)
    write_table(rejects, rejects_path(out))
    timings["write"] = time.perf_counter() - t
    finished = _now()
    timings["total"] = time.perf_counter() - t_all
    if eng is not None:
        # rows of resumed partitions, then batch_latest and the finished mark in one transaction;
        # finish_run afterwards only adds the history stage to the recorded timings
        t = time.perf_counter()
        for i in sorted(done):                  # partitions taken over from the interrupted run
            hist.insert_partition(eng, run_id, res_parts[i])
        hist.finish_results(eng, run_id, counts=counts,
                            timings={k: round(v, 4) for k, v in timings.items()})
        timings["history"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t_all
        hist.finish_run(eng, run_id, counts=counts, timings={k: round(v, 4) for k, v in timings.items()})
    shutil.rmtree(pdir, ignore_errors=True)
    return RunSummary(run_id=run_id, out=str(out), rejects=str(rejects_path(out)),
                      started_at=started.isoformat(), finished_at=finished.isoformat(),
                      snapshot_id=snap.snapshot_id, input_hash=inp.input_hash, only=only, backend=backend,
                      workers=nworkers if backend == "local" else int(workers or 0),
                      range_method=range_method, counts=counts,
                      timings={k: round(v, 4) for k, v in timings.items()},
                      resumed_parts=len(done), partitions=n_parts, history=eng is not None, books=books)
