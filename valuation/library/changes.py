"""Has the library database changed since we last looked? A cheap probe in front of the
snapshot id (docs/DESIGN.md §6, "snapshot id").

Every appraisal asks the store for its snapshot id (:meth:`~valuation.library.reads.StoreReads.
snapshot_id`), which must change as soon as any writer — this process or another — commits a
new active version. Asking the database costs a query through SQLAlchemy per appraisal;
this probe answers "nothing was committed since" without one where the database
offers a way:

* SQLite file: ``PRAGMA data_version`` on a connection of its own that never writes. SQLite
  documents that its value changes when any *other* connection — of this process or another
  one — commits to the database file (https://sqlite.org/pragma.html#pragma_data_version); the
  store writes only through its engine's pooled connections, so every write counts. The file's
  device and inode are part of the token, so a database file replaced at the same path is
  seen too. The connection is opened again after a fork (a SQLite connection must not cross a
  fork) and closed with the store.
* anything else (PostgreSQL, an in-memory SQLite database, whose one connection is also the
  writer): no probe — :meth:`token` is None and the store asks the database every time.

A token read *before* the snapshot id is computed is stored with it: a write committed in
between changes the next token, so the id is computed again (never a stale id).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

__all__ = ["ChangeProbe", "Token"]


class Token(NamedTuple):
    """What the probe saw: the database file (device, inode), the probe's connection (pid,
    number) and that connection's ``data_version``."""

    database: tuple[int, int]
    connection: tuple[int, int]
    version: int


def _sqlite_file(engine: sa.Engine) -> str | None:
    """The path of a SQLite database file behind ``engine`` (None for another backend, an
    in-memory database or a ``file:`` URI)."""
    u = engine.url
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    if db in ("", ":memory:") or db.startswith("file:") or "mode=memory" in str(u):
        return None
    return os.path.abspath(os.path.expanduser(db))


class ChangeProbe:
    """A token that changes whenever a write may have been committed to the database (see
    the module docstring); None when the database offers no cheap way to know."""

    def __init__(self, engine: sa.Engine):
        self._path = _sqlite_file(engine)
        self._lock, self._pid = threading.Lock(), os.getpid()
        self._conn: sqlite3.Connection | None = None
        self._owner: tuple[int, int, int] | None = None    # (pid, st_dev, st_ino) of _conn
        # a fresh connection counts its data_version from its own start: tokens of two
        # connections must never compare equal, so each connection has a number
        self._opened = 0

    def token(self) -> Token | None:
        """An opaque value, equal to the previous one only if nothing was committed since
        (None: unknown — ask the database)."""
        if self._path is None:
            return None
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        pid = os.getpid()
        if pid != self._pid:      # a forked child: the parent's lock may have been held at the fork
            self._lock, self._pid = threading.Lock(), pid
        owner = (pid, st.st_dev, st.st_ino)
        with self._lock:
            try:
                if self._conn is None or self._owner != owner:
                    self._reopen(owner)
                assert self._conn is not None
                (version,) = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                self._drop()
                return None
            return Token((st.st_dev, st.st_ino), (pid, self._opened), version)

    def _reopen(self, owner: tuple[int, int, int]) -> None:
        if self._conn is not None and self._owner is not None and self._owner[0] == owner[0]:
            self._conn.close()        # (a connection inherited over a fork is only forgotten)
        # autocommit (isolation_level None): each PRAGMA reads the current committed state;
        # mode=rw: a database file gone meanwhile is an error, never a new empty file
        uri = Path(self._path).as_uri() + "?mode=rw"   # type: ignore[arg-type]
        self._conn = sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False,
                                     isolation_level=None)
        self._owner = owner
        self._opened += 1

    def _drop(self) -> None:
        if self._conn is not None and self._owner is not None and self._owner[0] == os.getpid():
            try:
                self._conn.close()
            except sqlite3.Error:   # pragma: no cover - closing a broken connection
                pass
        self._conn, self._owner = None, None

    def close(self) -> None:
        """Close the probe's connection (it reopens on the next :meth:`token`)."""
        with self._lock:
            self._drop()
