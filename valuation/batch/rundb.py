"""History of batch runs in the library's database (SQLite file by default, PostgreSQL by URL).

Own tables (a separate :class:`sqlalchemy.MetaData`, created on first use):

``batch_runs``     one row per run: id, status (running / finished), started/finished, library
                   snapshot id, input hash, input name, options, counts, timings per stage;
``batch_results``  one row per asset and run: estimate, low, high, flags (JSON list), status;
``batch_latest``   per asset, its last *valued* result (run id, estimate, range, flags): what
                   the next run diffs against (an index, rebuilt from ``batch_results``).

Results are inserted with the driver's ``executemany`` in blocks, so 10⁶ rows take seconds.
"""
from __future__ import annotations

import datetime as _dt
import json
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..core.errors import NotFoundError
from .flagdiff import flag_changes

__all__ = [
    "engine_for",
    "ensure_schema",
    "finish_run",
    "flags_json",
    "history",
    "assets_with_history",
    "clear_results",
    "finish_results",
    "insert_partition",
    "insert_results",
    "latest",
    "metadata",
    "latest_count",
    "reads_whole",
    "previous_results",
    "results",
    "run_show",
    "runs",
    "runs_diff",
    "runs_list",
    "start_run",
]

metadata = sa.MetaData()

runs = sa.Table(
    "batch_runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("snapshot_id", sa.String(64), nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("input_name", sa.Text, nullable=False, default=""),
    sa.Column("out", sa.Text, nullable=False, default=""),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("timings", sa.JSON, nullable=False),
    sa.Column("engine_version", sa.String(32), nullable=False, default=""),
)
sa.Index("ix_batch_runs_started", runs.c.started_at)

results = sa.Table(
    "batch_results", metadata,
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("asset_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("estimate", sa.Float, nullable=True),
    sa.Column("low", sa.Float, nullable=True),
    sa.Column("high", sa.Float, nullable=True),
    sa.Column("flags", sa.Text, nullable=False, default="[]"),
)
sa.Index("ix_batch_results_run", results.c.run_id)
sa.Index("ix_batch_results_asset", results.c.asset_id)

latest = sa.Table(
    "batch_latest", metadata,
    sa.Column("asset_id", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("estimate", sa.Float, nullable=True),
    sa.Column("low", sa.Float, nullable=True),
    sa.Column("high", sa.Float, nullable=True),
    sa.Column("flags", sa.Text, nullable=False, default="[]"),
)

_ENSURED: set[str] = set()
_ENSURE_LOCK = threading.Lock()
_BLOCK = 20_000


def engine_for(db: Any = None) -> sa.Engine:
    """The engine of the history tables: a store's ``.engine``, an Engine, a URL, or the
    default database (``VALUATION_DB_URL`` / ``./var/valuation.db``)."""
    from ..library.database import default_url, make_engine

    if isinstance(db, sa.Engine):
        return db
    if db is not None and hasattr(db, "engine") and isinstance(db.engine, sa.Engine):
        return db.engine
    if isinstance(db, str) and db and db != "seed":
        return make_engine(db)
    return make_engine(default_url())


def ensure_schema(eng: sa.Engine) -> None:
    """Create the history tables once per engine. Serialised: threads racing to create them
    (the service answering concurrent ``GET /v1/runs/{id}`` on a new database) would each run
    the DDL, and on SQLite a deferred transaction upgrading to a write while another holds
    the lock fails at once with "database is locked" (a 500 for those requests)."""
    key = str(eng.url) + f"#{id(eng)}"
    if key in _ENSURED:
        return
    with _ENSURE_LOCK:
        if key not in _ENSURED:
            from ..library.migrate import create_tables

            create_tables(eng, metadata)  # under the set-up lock: processes may race
            _ENSURED.add(key)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _begin(eng: sa.Engine):
    from ..library.database import WRITE_OPTION

    return eng.execution_options(**{WRITE_OPTION: True}).begin()


def start_run(eng: sa.Engine, run_id: str, *, snapshot_id: str, input_hash: str, input_name: str,
              out: str, options: Mapping[str, Any], engine_version: str) -> None:
    """Record a run as ``running`` (kept as is when a resumed run already recorded it)."""
    ensure_schema(eng)
    with _begin(eng) as c:
        if c.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
            c.execute(runs.insert().values(
                id=run_id, status="running", started_at=_now(), finished_at=None,
                snapshot_id=snapshot_id, input_hash=input_hash, input_name=input_name, out=out,
                options=dict(options), counts={}, timings={}, engine_version=engine_version))


def flags_json(codes: np.ndarray | pd.Series) -> np.ndarray:
    """``"A;B"`` → ``'["A", "B"]'``, missing → ``'[]'`` (each distinct combination serialised
    once: the rows are hashed in C, ``pandas.factorize``, not sorted as text)."""
    inv, uniq = pd.factorize(codes if isinstance(codes, pd.Series) else np.asarray(codes, dtype=object))
    js = np.array([json.dumps([c for c in str(u).split(";") if c]) for u in uniq] + ["[]"], dtype=object)
    return js[inv]


def _nullable(x: np.ndarray) -> list[Any]:
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), None, x).tolist() if len(x) else []


def _executemany(conn: sa.Connection, sql: str, columns: list[list[Any]]) -> None:
    """Insert rows given as columns (equal-length lists), in blocks of ``_BLOCK`` rows: each
    block's rows are zipped from slices of the columns, so the driver reads the tuples in C
    (no Python loop over the rows)."""
    raw = conn.connection.driver_connection
    style = conn.dialect.paramstyle
    ph = ", ".join(["?" if style == "qmark" else "%s"] * len(columns))
    n = len(columns[0]) if columns else 0
    cur = raw.cursor()
    try:
        for i in range(0, n, _BLOCK):
            cur.executemany(sql.format(ph=ph), zip(*(c[i:i + _BLOCK] for c in columns)))
    finally:
        cur.close()


def clear_results(eng: sa.Engine, run_id: str) -> None:
    """Forget the per-asset rows of a run (a resumed run writes them again)."""
    ensure_schema(eng)
    with _begin(eng) as c:
        c.execute(results.delete().where(results.c.run_id == run_id))


def insert_partition(eng: sa.Engine, run_id: str, frame: pd.DataFrame) -> None:
    """Append one partition's per-asset results to ``batch_results`` while the run goes on.

    Written as partitions finish, so the database work overlaps the valuation instead of
    following it (at 10⁶ assets the inserts alone are a long wait on SQLite). The rows
    belong to a run that is still ``running``: readers of value over time (:func:`history`)
    only show finished runs, and
    ``batch_latest`` — what the next run diffs against — moves only in
    :func:`finish_results`, in one transaction."""
    if not len(frame):
        return
    n = len(frame)
    aid = frame["asset_id"].astype(str).tolist()
    status = frame["status"].astype(str).tolist()
    est, lo, hi = (_nullable(frame[c].to_numpy(float)) for c in ("estimate", "low", "high"))
    fl = flags_json(frame["flags"]).tolist()
    with _begin(eng) as c:
        _executemany(c, "INSERT INTO batch_results (run_id, asset_id, status, estimate, low, high, flags) "
                        "VALUES ({ph})", [[run_id] * n, aid, status, est, lo, hi, fl])


def finish_results(eng: sa.Engine, run_id: str, *, counts: Mapping[str, Any] | None = None,
                   timings: Mapping[str, Any] | None = None) -> None:
    """Move ``batch_latest`` to the run's valued assets and mark the run finished — in one
    transaction, so a crash leaves the last finished state as it was.

    ``batch_latest`` is filled from the run's rows already in ``batch_results`` by one
    ``INSERT … SELECT … ON CONFLICT`` inside the database (not an upsert per asset from Python)."""
    ensure_schema(eng)
    with _begin(eng) as c:
        c.execute(sa.text(
            "INSERT INTO batch_latest (asset_id, run_id, estimate, low, high, flags) "
            "SELECT asset_id, run_id, estimate, low, high, flags FROM batch_results "
            "WHERE run_id = :run_id AND status = 'ok' "
            "ON CONFLICT (asset_id) DO UPDATE SET run_id = excluded.run_id, "
            "estimate = excluded.estimate, low = excluded.low, high = excluded.high, "
            "flags = excluded.flags"), {"run_id": run_id})
        c.execute(runs.update().where(runs.c.id == run_id).values(
            status="finished", finished_at=_now(), counts=dict(counts or {}), timings=dict(timings or {})))


def insert_results(eng: sa.Engine, run_id: str, frame: pd.DataFrame, *,
                   counts: Mapping[str, Any] | None = None, timings: Mapping[str, Any] | None = None) -> None:
    """All of a run's results at once: its rows, ``batch_latest`` and the finished mark."""
    clear_results(eng, run_id)
    insert_partition(eng, run_id, frame)
    finish_results(eng, run_id, counts=counts, timings=timings)


def finish_run(eng: sa.Engine, run_id: str, *, counts: Mapping[str, Any], timings: Mapping[str, Any],
               status: str = "finished") -> None:
    """Update the status, counts and timings of a run."""
    with _begin(eng) as c:
        c.execute(runs.update().where(runs.c.id == run_id).values(
            status=status, counts=dict(counts), timings=dict(timings)))


def run_status(eng: sa.Engine, run_id: str) -> str | None:
    ensure_schema(eng)
    with eng.connect() as c:
        return c.execute(sa.select(runs.c.status).where(runs.c.id == run_id)).scalar_one_or_none()


def latest_count(eng: sa.Engine) -> int:
    """How many assets have a last valued result (rows of ``batch_latest``)."""
    ensure_schema(eng)
    with eng.connect() as c:
        return int(c.execute(sa.select(sa.func.count()).select_from(latest)).scalar_one())


def reads_whole(n_ids: int, total: int) -> bool:
    """Whether the previous results of ``n_ids`` assets are read as the whole ``batch_latest``
    table (``total`` rows) rather than by id: when they are a quarter of it or more, or more
    than 20,000 (one scan beats chunks of ``IN`` lists)."""
    return n_ids * 4 >= total or n_ids > 20_000


def previous_results(eng: sa.Engine, asset_ids: pd.Series | None = None, total: int | None = None
                     ) -> pd.DataFrame:
    """The last valued result of each asset (``batch_latest``) of ``asset_ids`` (at least; the
    whole table when they are many, :func:`reads_whole`), or of every asset (``None``), indexed
    by asset id. ``total``: the table's rows when the caller has counted them
    (:func:`latest_count`)."""
    ensure_schema(eng)
    cols = ["asset_id", "run_id", "estimate", "low", "high", "flags"]
    ids = None if asset_ids is None else pd.Index(asset_ids.astype(str).unique())
    with eng.connect() as c:
        if total is None:
            total = c.execute(sa.select(sa.func.count()).select_from(latest)).scalar_one()
        if total == 0 or (ids is not None and len(ids) == 0):
            return pd.DataFrame(columns=cols).set_index("asset_id")
        if ids is None or reads_whole(len(ids), total):
            fr = pd.read_sql_query(sa.select(latest), c)
            if ids is not None:
                fr = fr[fr["asset_id"].isin(ids)]
        else:
            parts = []
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500].tolist()
                parts.append(pd.read_sql_query(sa.select(latest).where(latest.c.asset_id.in_(chunk)), c))
            fr = pd.concat(parts, ignore_index=True)
    fr["flags"] = codes_from_json(fr["flags"])
    return fr.set_index("asset_id")


def codes_from_json(col: pd.Series) -> np.ndarray:
    """``'["A", "B"]'`` → ``"A;B"`` (each distinct value decoded once)."""
    codes, uniq = pd.factorize(col.fillna("[]").astype(str))
    dec = np.array([";".join(json.loads(u)) for u in uniq], dtype=object)
    return dec[codes] if len(codes) else np.array([], dtype=object)


# --------------------------------------------------------------------------- queries
def assets_with_history(*, db: Any = None, limit: int = 5000) -> list[str]:
    """Asset ids in ``batch_latest`` (valued by a finished run), sorted, at most ``limit``."""
    eng = engine_for(db)
    ensure_schema(eng)
    with eng.connect() as c:
        rows = c.execute(sa.select(latest.c.asset_id).order_by(latest.c.asset_id).limit(int(limit)))
        return [str(r[0]) for r in rows]


def history(asset_id: str, *, db: Any = None) -> pd.DataFrame:
    """Value over time of one asset across finished runs: run_id, started_at, finished_at, snapshot_id,
    status, estimate, low, high, flags (``;``-joined codes), ordered by run start."""
    eng = engine_for(db)
    ensure_schema(eng)
    q = (sa.select(results.c.run_id, runs.c.started_at, runs.c.finished_at, runs.c.snapshot_id,
                   results.c.status, results.c.estimate, results.c.low, results.c.high, results.c.flags,
                   runs.c.options)
         .join(runs, runs.c.id == results.c.run_id)
         .where(results.c.asset_id == str(asset_id), runs.c.status == "finished")
         .order_by(runs.c.started_at, runs.c.id))
    with eng.connect() as c:
        fr = pd.read_sql_query(q, c)
    fr["flags"] = codes_from_json(fr["flags"])
    # the run's valuation date (the latest when a portfolio mixed several); runs recorded
    # before the dates were kept have none
    opts = [o if isinstance(o, dict) else json.loads(o or "{}") for o in fr.pop("options")]
    fr["valuation_date"] = [(o.get("valuation_dates") or [None])[-1] for o in opts]
    return fr


def runs_list(*, db: Any = None, limit: int | None = None) -> pd.DataFrame:
    """Runs, newest first: id, status, started_at, finished_at, snapshot_id, input_name and the
    counts (total, rejected, screened, valued, failed, flagged)."""
    eng = engine_for(db)
    ensure_schema(eng)
    q = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if limit:
        q = q.limit(limit)
    with eng.connect() as c:
        rows = c.execute(q).mappings().all()
    keys = ("total", "rejected", "screened", "valued", "failed", "flagged")
    out = [{"id": r["id"], "status": r["status"], "started_at": r["started_at"],
            "finished_at": r["finished_at"], "snapshot_id": r["snapshot_id"],
            "input_name": r["input_name"], "only": (r["options"] or {}).get("only"),
            **{k: (r["counts"] or {}).get(k) for k in keys}} for r in rows]
    return pd.DataFrame(out, columns=["id", "status", "started_at", "finished_at", "snapshot_id",
                                      "input_name", "only", *keys])


def run_show(run_id: str, *, db: Any = None) -> dict[str, Any]:
    """One run as a dict (options, counts, timings per stage, snapshot id, input hash)."""
    eng = engine_for(db)
    ensure_schema(eng)
    with eng.connect() as c:
        r = c.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
    if r is None:
        raise NotFoundError(f"找不到批量重估记录 {run_id}", f"no batch run {run_id}", run_id=run_id)
    d = dict(r)
    for k in ("started_at", "finished_at"):
        if d[k] is not None:
            d[k] = d[k].isoformat()
    return d


def _run_frame(c: sa.Connection, run_id: str) -> pd.DataFrame:
    fr = pd.read_sql_query(sa.select(results.c.asset_id, results.c.status, results.c.estimate,
                                     results.c.low, results.c.high, results.c.flags)
                           .where(results.c.run_id == run_id), c)
    fr["flags"] = codes_from_json(fr["flags"])
    return fr.set_index("asset_id")


def runs_diff(a: str, b: str, *, db: Any = None) -> pd.DataFrame:
    """Per asset present in either run: estimate/low/high in ``a`` and ``b``, ``change`` and
    ``change_ratio`` (b vs a), ``flags_new`` (in b, not in a) and ``flags_cleared``."""
    eng = engine_for(db)
    ensure_schema(eng)
    for rid in (a, b):
        run_show(rid, db=eng)
    with eng.connect() as c:
        fa, fb = _run_frame(c, a), _run_frame(c, b)
    m = fa.merge(fb, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
    with np.errstate(divide="ignore", invalid="ignore"):
        m["change"] = m["estimate_b"] - m["estimate_a"]
        m["change_ratio"] = np.where(m["estimate_a"].to_numpy(float) != 0,
                                     m["change"] / m["estimate_a"], np.nan)
    new, cleared = flag_changes(m["flags_a"].fillna("").to_numpy(object), m["flags_b"].fillna("").to_numpy(object))
    m["flags_new"], m["flags_cleared"] = new, cleared
    return m.reset_index()
