"""Has the library database changed since we last looked? A cheap probe in front of the
snapshot id (docs/DESIGN.md §6, "snapshot id").

Every appraisal asks the store for its snapshot id (:meth:`~valuation.library.reads.StoreReads.
snapshot_id`), which must change as soon as any writer — this process or another — commits a
new active version. Asking the database costs a query through SQLAlchemy per appraisal;
this probe answers "nothing was committed since" without one where the database
offers a way (:func:`change_probe` picks it):

* SQLite file (:class:`ChangeProbe`): ``PRAGMA data_version`` on a connection of its own that
  never writes. SQLite documents that its value changes when any *other* connection — of this
  process or another one — commits to the database file
  (https://sqlite.org/pragma.html#pragma_data_version); the store writes only through its
  engine's pooled connections, so every write counts. The file's device and inode are part of
  the token, so a database file replaced at the same path is seen too. The connection is
  opened again after a fork (a SQLite connection must not cross a fork) and closed with the
  store.
* PostgreSQL (:class:`PostgresProbe`): ``LISTEN valuation_library`` on a psycopg connection of
  its own (autocommit, never writes), and every write transaction of the store sends
  ``pg_notify('valuation_library', '<host>:<pid>')`` inside that transaction (:func:`announce`), which
  PostgreSQL delivers to every listening session when — and only if — it commits
  (https://www.postgresql.org/docs/current/sql-notify.html). :meth:`PostgresProbe.token` reads
  what has arrived without waiting (psycopg's ``notifies(timeout=0)``, a few microseconds) and
  counts it. Delivery is asynchronous: PostgreSQL signals the listening server processes when
  the writer commits and they forward the notification at once, but a commit by *another
  process* is counted here only once its notification has arrived (typically well under a
  millisecond; an appraisal starting inside that window uses the id it would have used a
  moment earlier — only a query per call could close that window). Commits of *this*
  process's store writes are counted when they happen (:func:`note_commit`), so they are seen
  at the very next call of any store of this process. Any error on the listening connection,
  a notice on it (how libpq reports ``pg_terminate_backend`` or a server shutdown before the
  socket closes), a fork or a reopened connection gives a new connection number: tokens of two
  connections never compare equal, and the first token after ``LISTEN`` is new anyway, so a
  commit between ``LISTEN`` and the first snapshot read cannot be lost.
  Writes that bypass the store (raw SQL by an administrator, a writer from before this
  probe) send no notification: the probe cannot know of them. So the token also moves once
  it is ``max_age`` seconds old (default 1 s, as the HTTP service's ``snapshot_cache_seconds``),
  which bounds the staleness of those writes — and of a listening connection that died
  silently or sits behind a transaction-pooling bouncer, where ``LISTEN`` does not work — to
  that: the store then asks the database (one query of the audit marker, which such a write
  moves only if it also appends to the audit log; the entries are hashed again only if it
  moved). Costs: one more connection per process (per store object asked twice — the first
  call asks the database and opens nothing, so a one-shot CLI command pays nothing extra),
  held until the store is closed or dropped; one ``pg_notify`` per write transaction.
  Notifications go to every database session listening on the channel, whatever its schema: a
  write in another schema of the same database costs the others one marker query.
* anything else (an in-memory SQLite database, whose one connection is also the writer,
  another backend): no probe — :meth:`ChangeProbe.token` is None and the store asks the
  database every time.

A token read *before* the snapshot id is computed is stored with it: a write committed in
between changes the next token, so the id is computed again (never a stale id).
"""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa

__all__ = ["CHANNEL", "ChangeProbe", "PostgresProbe", "Token", "announce", "change_probe",
           "note_commit"]

#: the PostgreSQL notification channel of library writes (one per database: stores in other
#: schemas of the same database share it, which costs them one query, never a stale id)
CHANNEL = "valuation_library"


class Token(NamedTuple):
    """What the probe saw: the database (SQLite: the file's device and inode; PostgreSQL: the
    database's oid and the server's start time), the probe's connection (pid, number) and
    what that connection counted (SQLite: ``data_version``; PostgreSQL: changes seen)."""

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


# ---------------------------------------------------------------------------- PostgreSQL
_commits_lock = threading.Lock()
_commits = 0          # write transactions of the store committed by this process


def note_commit() -> None:
    """Count a write transaction of the store that this process has just committed: every
    probe of this process then gives a new token at once (its own NOTIFY may still be on
    its way)."""
    global _commits
    with _commits_lock:
        _commits += 1


def _reset_after_fork() -> None:
    global _commits_lock
    _commits_lock = threading.Lock()     # (it may have been held by another thread at the fork)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _origin() -> str:
    """This process, as the payload of its notifications: host and pid (read at each call: a
    forked child is another process)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def announce(conn: sa.Connection) -> None:
    """Inside a write transaction of the store: tell the listening probes of every process
    (PostgreSQL delivers it at commit, and not at all after a rollback). Other backends: no-op.
    The payload names this process: its own probes skip it, having counted the commit already
    (:func:`note_commit`) — else its late arrival would move their token once more and cost a
    query for nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, _origin())))


class PostgresProbe:
    """:class:`ChangeProbe`'s contract on PostgreSQL: ``LISTEN`` on a connection of its own
    (see the module docstring). ``max_age``: seconds after which the token moves even with no
    notification (the bound on the staleness of writes that bypass the store); ``retry``:
    seconds to wait before connecting again after a failed connect (meanwhile the token is
    None: the store asks the database, as it would without a probe)."""

    def __init__(self, engine: sa.Engine, *, max_age: float = 1.0, retry: float = 10.0):
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        params = {k: v for k, v in cparams.items() if k != "context"}  # (SQLAlchemy's adapters)
        params.setdefault("connect_timeout", 10)  # an unreachable server: never hang an appraisal
        params.setdefault("application_name", "valuation library probe")
        self._connect = (list(cargs), params)
        self.max_age, self.retry = max_age, retry
        self._lock, self._pid = threading.Lock(), os.getpid()
        self._conn: Any = None            # psycopg.Connection
        self._owner = 0                   # pid that opened _conn
        self._opened = 0                  # connection number: see ChangeProbe
        self._database = (0, 0)           # (database oid, server start µs) seen by _conn
        self._seen = 0                    # changes counted on _conn
        self._commits = 0                 # note_commit()'s count when last looked at
        self._fresh_until = 0.0           # monotonic time when the token moves anyway
        self._retry_at = 0.0
        self._wanted = False              # asked before: a second call opens the connection
        self._me = ""                     # this process's notification payload (_origin), set at _open
        self._noticed = [False]           # a notice arrived on _conn (FATAL before a close);
        # (a list the handler sets, not a method of self: no probe <-> connection cycle, so a
        # dropped store closes its connection at once, without waiting for the cycle collector)

    @property
    def listener_pid(self) -> int | None:
        """The server process id of the listening connection (None while closed), e.g. to
        find it in ``pg_stat_activity``."""
        conn = self._conn
        return conn.info.backend_pid if conn is not None and not conn.closed else None

    def token(self) -> Token | None:
        """An opaque value, equal to the previous one only if nothing was committed since —
        as far as has reached this process (module docstring); None: unknown, ask the database."""
        import psycopg

        pid = os.getpid()
        if pid != self._pid:      # a forked child: the parent's lock may have been held at the fork
            self._lock, self._pid = threading.Lock(), pid
        with self._lock:
            now = time.monotonic()
            try:
                if self._conn is None or self._owner != pid:
                    if now < self._retry_at or not self._wanted:
                        # the first call asks the database, as without a probe: a store
                        # asked once (a CLI command, a page opening its own store) opens
                        # no connection that would cost more than the query it saves
                        self._wanted = True
                        return None
                    self._open(pid, now)
                else:
                    # this process's own writes are counted at commit already (note_commit)
                    got = sum(1 for m in self._conn.notifies(timeout=0) if m.payload != self._me)
                    if self._noticed[0]:
                        raise psycopg.OperationalError("notice on the listening connection")
                    self._seen += got
            except psycopg.Error:
                if self._conn is None:
                    self._retry_at = now + self.retry
                self._drop()
                return None
            if self._commits != _commits:
                self._commits, self._seen = _commits, self._seen + 1
            if now >= self._fresh_until:
                self._fresh_until, self._seen = now + self.max_age, self._seen + 1
            return Token(self._database, (pid, self._opened), self._seen)

    def _open(self, pid: int, now: float) -> None:
        import psycopg

        self._drop()
        cargs, params = self._connect
        conn = psycopg.connect(*cargs, **params, autocommit=True)
        noticed = [False]
        try:
            conn.add_notice_handler(lambda _diag: noticed.__setitem__(0, True))
            conn.execute(f"LISTEN {CHANNEL}")     # before the first id is computed: see above
            oid, started = conn.execute(
                "SELECT d.oid::bigint, (extract(epoch FROM pg_postmaster_start_time()) * 1e6)"
                "::bigint FROM pg_database d WHERE d.datname = current_database()").fetchone()
        except BaseException:
            conn.close()
            raise
        self._conn, self._owner, self._noticed, self._me = conn, pid, noticed, _origin()
        self._opened += 1
        self._database, self._seen, self._commits = (int(oid), int(started)), 0, _commits
        self._fresh_until = now + self.max_age

    def _drop(self) -> None:
        """Close the connection if this process opened it; else only forget it (closing would
        end the parent's session: psycopg also leaves it alone when collected after a fork)."""
        conn, self._conn = self._conn, None
        if conn is not None and self._owner == os.getpid():
            try:
                conn.close()
            except Exception:   # pragma: no cover - closing a broken connection
                pass

    def close(self) -> None:
        """Close the listening connection (it reopens on the next :meth:`token`)."""
        with self._lock:
            self._drop()


def change_probe(engine: sa.Engine) -> ChangeProbe | PostgresProbe:
    """The probe for ``engine``'s database (module docstring)."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return PostgresProbe(engine)
    return ChangeProbe(engine)
