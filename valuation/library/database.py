"""Database URLs and engines of the library store.

SQLite (default ``./var/valuation.db``, or ``VALUATION_DB_URL``): the driver's own transaction
handling is switched off and SQLAlchemy emits ``BEGIN`` itself — ``BEGIN IMMEDIATE`` for writes,
so that the read of the latest version and the insert of the next one form one serialised
transaction; WAL journal and a busy timeout let concurrent readers and writers wait instead of
failing. PostgreSQL (``postgresql+psycopg://…``): READ COMMITTED; the unique constraint on
(library, key, version) decides races.

Fork safety: the cached engines are shared by a process and its forked children (the batch's
``ProcessPoolExecutor``, Dask workers, the service's compute processes), and a pooled
connection used from two processes corrupts the protocol stream. SQLAlchemy's documented
recipe ("Using Connection Pools with Multiprocessing or os.fork()") is applied in every child
right after the fork: ``engine.dispose(close=False)`` drops the inherited pool without closing
the parent's connections, so the child opens its own.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

__all__ = ["WRITE_OPTION", "default_url", "forget_engine", "make_engine", "normalise_url"]

WRITE_OPTION = "valuation_write"
_ENGINES: dict[str, sa.Engine] = {}


def default_url() -> str:
    """``VALUATION_DB_URL`` or the SQLite file ``./var/valuation.db`` (relative to the cwd)."""
    env = os.environ.get("VALUATION_DB_URL")
    if env:
        return env
    return f"sqlite:///{(Path('var') / 'valuation.db').resolve()}"


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` → ``postgresql+psycopg://`` (psycopg 3 driver)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _json_dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def _sqlite_engine(u: sa.URL) -> sa.Engine:
    db = u.database or ""
    memory = db in ("", ":memory:") or "mode=memory" in str(u)
    if not memory and not db.startswith("file:"):
        Path(db).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {"connect_args": {"timeout": 60, "check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(u, json_serializer=_json_dumps, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA foreign_keys = ON")
        if not memory:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        write = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def make_engine(url: str | None = None) -> sa.Engine:
    """A (cached) engine for ``url`` (default :func:`default_url`)."""
    url = normalise_url(url or default_url())
    eng = _ENGINES.get(url)
    if eng is None:
        u = sa.make_url(url)
        if u.get_backend_name() == "sqlite":
            eng = _sqlite_engine(u)
        else:
            eng = sa.create_engine(u, json_serializer=_json_dumps, pool_pre_ping=True)
        _ENGINES[url] = eng
    return eng


def _after_fork_in_child() -> None:
    """Give a forked child fresh pools (the parent keeps using its connections)."""
    for eng in list(_ENGINES.values()):
        if isinstance(eng.pool, StaticPool):
            continue  # an in-memory SQLite database lives in the (copied) connection itself
        eng.dispose(close=False)


if hasattr(os, "register_at_fork"):  # POSIX; spawn-started processes import afresh anyway
    os.register_at_fork(after_in_child=_after_fork_in_child)


def forget_engine(url: str) -> None:
    """Dispose of and forget the cached engine of ``url`` (tests, shutdown)."""
    eng = _ENGINES.pop(normalise_url(url), None)
    if eng is not None:
        eng.dispose()
