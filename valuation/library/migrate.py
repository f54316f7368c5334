"""Database set-up, once: versioned schema steps run under a lock; opening only checks.

The store is a real database, SQLite or PostgreSQL, tested on both (docs/DESIGN.md §6).

Why not Alembic: the store has one schema revision and three small table sets (library
versions and audit, batch history, service keys) that must also work on throw-away in-memory
SQLite databases opened hundreds of times by the tests. A numbered list of steps (``_STEPS``)
recorded in ``valuation_schema`` gives the same guarantees as Alembic's ``alembic_version``
for this size — a versioned, ordered, transactional upgrade and a cheap check — without a
migrations folder to package. What the audit found (issue 18) was not the lack of a tool but
DDL run on every open (``create_all`` and ``CREATE OR REPLACE FUNCTION`` for the immutability
trigger): eight processes opening PostgreSQL at once failed with ``tuple concurrently updated``.
So:

* :func:`upgrade` (``valuation init``, ``valuation db upgrade``) runs the missing steps in ONE
  transaction holding ``pg_advisory_xact_lock`` on PostgreSQL (``BEGIN IMMEDIATE`` on SQLite),
  re-reading the version after the lock is granted, so concurrent upgraders run the DDL once
  and the others find nothing to do. The immutability triggers are created here, once.
* :func:`check` (every :func:`~valuation.library.store.open_store`) reads the one version row:
  equal → open; older or newer → :class:`SchemaVersionError` naming both versions and the
  command to run. A database without any table (a new file, ``sqlite://``) is set up by the
  first opener through :func:`upgrade` — under the same lock, so racing first openers are safe.
  Tables from before versioning (library tables, no version row) are refused until upgraded.
* :func:`create_tables` lets the batch history and the key store create their own tables
  under the same lock (``create_all`` racing on a new PostgreSQL database fails otherwise).
"""
from __future__ import annotations

import datetime as _dt
import threading
import weakref
from collections.abc import Callable

import sqlalchemy as sa

from ..core.errors import ValuationError
from .database import WRITE_OPTION
from .tables import metadata

__all__ = ["SCHEMA_VERSION", "SchemaVersionError", "check", "create_tables", "current_version",
           "upgrade"]

#: The schema version this engine reads and writes (the last step of ``_STEPS``).
SCHEMA_VERSION = 1
#: pg_advisory_xact_lock key of the set-up ("valu" in ASCII): one per database.
LOCK_KEY = 0x76616C75

_MESSAGE = "library versions and audit records are immutable (write a new version instead)"

schema_table = sa.Table(
    "valuation_schema", sa.MetaData(),
    sa.Column("component", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

_CHECKED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_CHECK_LOCK = threading.Lock()


class SchemaVersionError(ValuationError):
    """The database's schema version is not the one this engine uses."""

    code = "schema_version"


def _triggers(conn: sa.Connection) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the two append-only tables."""
    names = ("library_versions", "library_audit")
    if conn.dialect.name == "sqlite":
        for t in names:
            for op in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION valuation_library_immutable() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_MESSAGE} (%%)', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql")
        for t in names:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {t}_immutable ON {t}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION valuation_library_immutable()")


def _step_1(conn: sa.Connection) -> None:
    """Version 1: the library tables (``library_versions``, ``library_audit``) and their
    immutability triggers. ``checkfirst``: tables made before versioning are kept as they are."""
    metadata.create_all(conn, checkfirst=True)
    _triggers(conn)


_STEPS: tuple[Callable[[sa.Connection], None], ...] = (_step_1,)
assert len(_STEPS) == SCHEMA_VERSION


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _read_version(conn: sa.Connection) -> int | None:
    """The recorded version, 0 for library tables from before versioning, None for none."""
    insp = sa.inspect(conn)
    if insp.has_table(schema_table.name):
        v = conn.execute(sa.select(schema_table.c.version)
                         .where(schema_table.c.component == "library")).scalar()
        if v is not None:
            return int(v)
    return 0 if insp.has_table("library_versions") else None


def current_version(engine: sa.Engine) -> int | None:
    """The schema version of the database (``0``: tables from before versioning; None: empty)."""
    with engine.connect() as conn:
        return _read_version(conn)


def _begin_write(engine: sa.Engine):
    return engine.connect().execution_options(**{WRITE_OPTION: True})


def upgrade(engine: sa.Engine, *, only_if_empty: bool = False) -> tuple[int | None, int | None]:
    """Bring the database to :data:`SCHEMA_VERSION`; returns ``(from, to)``.

    One transaction under the set-up lock: concurrent callers wait, then find the work done.
    A database newer than this engine is refused (:class:`SchemaVersionError`).

    ``only_if_empty`` (what :func:`check` uses): set up a database without any table and leave
    any other alone, returning ``(found, found)``. The version is read again *after* the lock
    is granted, because read without it, it can be caught half-way through another opener's
    set-up (the library tables already visible, the version row not yet read back)."""
    with _begin_write(engine) as conn, conn.begin():
        _lock(conn)
        seen = _read_version(conn)
        if only_if_empty and seen is not None:
            return seen, seen
        found = seen or 0
        if found > SCHEMA_VERSION:
            raise _newer(found)
        for step in _STEPS[found:]:
            step(conn)
        if found < SCHEMA_VERSION:
            schema_table.create(conn, checkfirst=True)
            now = _dt.datetime.now(_dt.UTC)
            conn.execute(sa.delete(schema_table).where(schema_table.c.component == "library"))
            conn.execute(sa.insert(schema_table), {"component": "library",
                                                   "version": SCHEMA_VERSION, "applied_at": now})
    _CHECKED.add(engine)
    return found, SCHEMA_VERSION


def _newer(found: int) -> SchemaVersionError:
    return SchemaVersionError(
        f"数据库结构版本 {found} 比本程序使用的版本 {SCHEMA_VERSION} 新：请升级 valuation 程序",
        f"the database schema version {found} is newer than this engine's {SCHEMA_VERSION}: "
        "upgrade the valuation package", found=found, expected=SCHEMA_VERSION)


def check(engine: sa.Engine) -> None:
    """Refuse a database whose schema version is not :data:`SCHEMA_VERSION` (checked once per
    engine and process); an empty database is set up by :func:`upgrade`."""
    if engine in _CHECKED:
        return
    with _CHECK_LOCK:
        if engine in _CHECKED:
            return
        found = current_version(engine)
        if found != SCHEMA_VERSION:
            # decide under the set-up lock: another opener may be setting the database up
            _, found = upgrade(engine, only_if_empty=True)
        if found == SCHEMA_VERSION:
            _CHECKED.add(engine)
            return
        assert found is not None  # an empty database was set up under the lock
        if found > SCHEMA_VERSION:
            raise _newer(found)
        if found < SCHEMA_VERSION:
            raise SchemaVersionError(
                f"数据库结构版本为 {found}，本程序需要版本 {SCHEMA_VERSION}：请先运行 "
                "`valuation db upgrade`（或 `valuation init`）",
                f"the database schema version is {found} but this engine needs "
                f"{SCHEMA_VERSION}: run `valuation db upgrade` (or `valuation init`) first",
                found=found, expected=SCHEMA_VERSION)


def create_tables(engine: sa.Engine, meta: sa.MetaData) -> None:
    """``meta.create_all`` under the set-up lock (tables other components keep in the same
    database: batch history, service keys). Idempotent; safe when processes race."""
    with _begin_write(engine) as conn, conn.begin():
        _lock(conn)
        meta.create_all(conn, checkfirst=True)
