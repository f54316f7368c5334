"""The snapshot id is cached per committed state (library/changes.py): it changes as soon as
anyone — this store, another store object, another process — commits a new active version,
and asking again with nothing committed does not query the database (SQLite file; PostgreSQL:
LISTEN/NOTIFY, tests at the end)."""
from __future__ import annotations

import datetime as _dt
import gc
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from valuation.library.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def _statements(store):
    """A list that collects the SQL statements the store's engine runs from now on."""
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: seen.append(stmt))
    return seen


def test_an_edit_gives_a_new_snapshot_id_at_once(store):
    store.put("standards", "S1", {"id": "S1", "v": 1}, author="t", base_version=None)
    sid = store.snapshot_id()
    assert store.snapshot_id() == sid
    store.put("standards", "S1", {"id": "S1", "v": 2}, author="t", base_version=1)
    sid2 = store.snapshot_id()
    assert sid2 != sid
    store.put("standards", "S1", {"id": "S1", "v": 3}, author="t", base_version=2, status="draft")
    assert store.snapshot_id() == sid2            # a draft changes nothing in force
    store.retire("standards", "S1", author="t", base_version=3)
    assert store.snapshot_id() not in (sid, sid2)


def test_a_write_through_another_store_object_is_seen(store_factory, backend):
    a = store_factory()
    b = open_store(store_factory.urls[0])          # the same database, another Store object
    a.put("rules", "R1", {"x": 1}, author="t", base_version=None)
    sid = a.snapshot_id()
    b.put("rules", "R2", {"x": 2}, author="t", base_version=None)
    assert a.snapshot_id() != sid
    assert a.snapshot_id() == b.snapshot_id()


def test_sqlite_unchanged_database_is_not_queried(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lib.db'}")
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    seen = _statements(store)
    for _ in range(5):
        assert store.snapshot_id() == sid
    assert seen == []                              # the probe answered: no query
    store.put("standards", "S2", {"id": "S2"}, author="t", base_version=None)
    seen.clear()
    assert store.snapshot_id() != sid
    assert seen                                    # changed: the database was asked


def test_sqlite_write_by_another_process_is_seen(tmp_path):
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    store = open_store(url)
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    assert store.snapshot_id() == sid
    code = ("from valuation.library.store import open_store\n"
            f"s = open_store({url!r})\n"
            "s.put('standards', 'S1', {'id': 'S1', 'new': True}, author='other', base_version=1)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    after = store.snapshot_id()
    assert after != sid
    assert store.get("standards", "S1").content == {"id": "S1", "new": True}
    assert store.snapshot_id() == after


def test_sqlite_database_file_replaced_is_seen(tmp_path):
    path = tmp_path / "lib.db"
    store = open_store(f"sqlite:///{path}")
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    other = tmp_path / "other.db"
    o = open_store(f"sqlite:///{other}")
    o.put("standards", "S9", {"id": "S9"}, author="t", base_version=None)
    other_sid = o.snapshot_id()
    o.close()
    store.close()                                  # (the pooled connections let go of the file)
    other.replace(path)                            # another database at the same path
    assert store.snapshot_id() == other_sid != sid


# ------------------------------------------------------------------ PostgreSQL: LISTEN/NOTIFY
# The probe LISTENs on a connection of its own and every write transaction of the store sends
# pg_notify (library/changes.py). Notifications from another process arrive asynchronously
# (microseconds after the commit, but not "before the next Python statement"), so a test that
# waits for one polls the snapshot id with a deadline; max_age=3600 switches the probe's
# staleness guard off, so only a notification (or a broken connection) can move the token.
def _pg(store, max_age=3600.0):
    from valuation.library.changes import PostgresProbe

    assert isinstance(store._changes, PostgresProbe)
    store._changes.max_age = max_age
    store._changes.close()        # reopened at the next token with the new max_age in force
    store._changes.token()        # (the first call of a probe only asks for the database)
    assert store._changes.token() is not None      # listening now
    return store


def _changed(store, sid, timeout=10.0):
    """The snapshot id once it differs from ``sid`` (or ``sid`` after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    now = store.snapshot_id()
    while now == sid and time.monotonic() < deadline:
        time.sleep(0.005)
        now = store.snapshot_id()
    return now


def _put_in_subprocess(url, key, content, base_version, *, notify=True):
    """Another process (another engine, as a second service worker or the CLI) writes."""
    code = ("import valuation.library.store as m\n"
            + ("" if notify else "m.announce = lambda conn: None\n")     # a writer without NOTIFY
            + f"s = m.open_store({url!r})\n"
            f"s.put('standards', {key!r}, {content!r}, author='other', base_version={base_version!r})\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def _fresh_id(url):
    """The snapshot id as a new engine (no cache, no probe history) computes it."""
    from valuation.library.store import Store

    eng = sa.create_engine(url)
    try:
        return Store(eng).snapshot_id()
    finally:
        eng.dispose()


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_unchanged_database_is_not_queried(store):
    store = _pg(store)
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    seen = _statements(store)
    for _ in range(5):
        assert store.snapshot_id() == sid
    assert seen == []                              # the probe answered: no query
    store.put("standards", "S2", {"id": "S2"}, author="t", base_version=None)
    seen.clear()
    assert store.snapshot_id() != sid              # this process's write: at the next call
    assert any("library_audit" in s for s in seen)


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_write_by_another_engine_is_seen_at_the_next_call(store_factory):
    a = _pg(store_factory())
    url = store_factory.urls[0]
    a.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = a.snapshot_id()
    # hold the probe's session inside a transaction: PostgreSQL delivers no notification to a
    # session until its transaction ends, so only the count of this process's commits can
    # move the token (the notification itself might well arrive before the next call)
    a._changes._conn.execute("BEGIN")
    b_engine = sa.create_engine(url)               # another engine (and pool) in this process
    try:
        from valuation.library.store import Store

        Store(b_engine).put("standards", "S1", {"id": "S1", "v": 2}, author="t", base_version=1)
        assert a.snapshot_id() != sid              # at once, not after the notification
        assert a.snapshot_id() == _fresh_id(url)
    finally:
        b_engine.dispose()
        a._changes._conn.execute("COMMIT")


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_write_by_another_process_is_seen(store_factory):
    store = _pg(store_factory())
    url = store_factory.urls[0]
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    seen = _statements(store)
    _put_in_subprocess(url, "S1", {"id": "S1", "new": True}, 1)
    after = _changed(store, sid)
    assert after != sid                            # the NOTIFY of the other process arrived
    assert after == _fresh_id(url)
    assert store.get("standards", "S1").content == {"id": "S1", "new": True}
    seen.clear()
    assert store.snapshot_id() == after
    assert seen == []                              # and nothing more was committed: no query


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_rolled_back_write_sends_nothing(store_factory, monkeypatch):
    from valuation.library import changes
    from valuation.library.changes import announce
    from valuation.library.tables import audit

    store = _pg(store_factory())
    url = store_factory.urls[0]
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    token = store._changes.token()
    other = sa.create_engine(url)                  # (not the store: this process counts its commits)
    # the writes below stand for another process's: their notifications name another origin
    # (a process skips its own, counted at commit already)
    monkeypatch.setattr(changes, "_origin", lambda: "another-host:1")
    row = {"at": _dt.datetime.now(_dt.UTC), "who": "x", "action": "put", "library": "standards", "key": "S1",
           "version": 9, "note": ""}
    try:
        with other.connect() as c:
            tx = c.begin()
            c.execute(sa.insert(audit), row)
            announce(c)                            # the NOTIFY inside the writing transaction
            tx.rollback()
        time.sleep(0.3)                            # ample time for a notification to arrive
        assert store._changes.token() == token
        assert store.snapshot_id() == sid
        with other.connect() as c, c.begin():      # the same, committed: seen (the test can fail)
            c.execute(sa.insert(audit), row)
            announce(c)
    finally:
        other.dispose()
    deadline = time.monotonic() + 10
    while store._changes.token() == token and time.monotonic() < deadline:
        time.sleep(0.005)
    assert store._changes.token() != token


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_killed_listener_gives_a_new_connection_and_the_right_id(store_factory, pg_url):
    store = _pg(store_factory())
    url = store_factory.urls[0]
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    before, pid = store._changes.token(), store._changes.listener_pid
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            # (with a timeout, PostgreSQL 14+ waits until the session has ended: its FATAL
            # message is then on the probe's socket)
            assert c.execute(sa.text("SELECT pg_terminate_backend(:p, 10000)"), {"p": pid}).scalar()
    finally:
        admin.dispose()
    _put_in_subprocess(url, "S1", {"id": "S1", "v": 2}, 1)   # while nobody listens here
    after = store._changes.token()
    assert after is None or after.connection != before.connection
    mid = store.snapshot_id()
    assert mid == _fresh_id(url) != sid
    assert store._changes.listener_pid not in (None, pid)    # listening again, a new session
    _put_in_subprocess(url, "S1", {"id": "S1", "v": 3}, 2)   # and the new session hears
    assert _changed(store, mid) == _fresh_id(url) != mid


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_reopened_listener_never_repeats_a_token(store_factory):
    store = _pg(store_factory())
    url = store_factory.urls[0]
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()                      # cached with the first token of a connection
    store._changes.close()                         # (as Store.close does; reopened on demand)
    _put_in_subprocess(url, "S1", {"id": "S1", "v": 2}, 1)   # while nobody listens here
    assert store.snapshot_id() == _fresh_id(url) != sid


def _child(store, q):
    try:
        tok = store._changes.token()
        q.put(("token", tok.connection, store._changes.listener_pid, store.snapshot_id()))
        store.put("standards", "S1", {"id": "S1", "by": "child"}, author="child", base_version=1)
        q.put(("wrote", store.snapshot_id()))
    except BaseException as e:  # pragma: no cover - reported to the parent
        q.put(("error", repr(e)))


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_postgres_forked_child_listens_on_its_own_connection(store_factory):
    store = _pg(store_factory())
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    parent_token, parent_pid = store._changes.token(), store._changes.listener_pid
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(store, q))
    p.start()
    got = [q.get(timeout=60), q.get(timeout=60)]
    p.join(60)
    assert p.exitcode == 0, got
    kind, conn, child_listener, child_sid = got[0]
    assert kind == "token", got
    assert conn[0] == p.pid and conn != parent_token.connection     # its own connection
    assert child_listener not in (None, parent_pid)
    assert child_sid == sid
    assert got[1][0] == "wrote" and got[1][1] != sid
    # the parent's listening session survived the child (it was not closed there) and heard it
    assert store._changes.listener_pid == parent_pid
    assert _changed(store, sid) == got[1][1]
    assert store._changes.token().connection == parent_token.connection


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_writer_without_notify_is_seen_after_max_age(store_factory):
    """A write that bypasses the store's NOTIFY (raw SQL, an older writer): the probe cannot
    know; its token moves after ``max_age`` seconds anyway, so the store asks again."""
    store = _pg(store_factory(), max_age=0.5)
    url = store_factory.urls[0]
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    _put_in_subprocess(url, "S1", {"id": "S1", "v": 2}, 1, notify=False)
    time.sleep(0.6)
    assert store.snapshot_id() == _fresh_id(url) != sid
    seen = _statements(store)
    time.sleep(0.6)                                # nothing new: one query of the marker only
    assert store.snapshot_id() == _fresh_id(url)
    assert len(seen) == 1 and "library_audit" in seen[0]


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.postgres
def test_postgres_listener_opens_on_the_second_call_and_closes_with_the_store(store_factory,
                                                                              pg_url):
    store = store_factory()
    store.put("standards", "S1", {"id": "S1"}, author="t", base_version=None)
    sid = store.snapshot_id()
    assert store._changes.listener_pid is None     # asked once (a CLI command): no connection
    assert store.snapshot_id() == sid
    pid = store._changes.listener_pid
    assert pid is not None
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p")
    gc.disable()                                   # closed by reference counting, not the collector
    try:
        del store
        deadline = time.monotonic() + 10
        with admin.connect() as c:
            while c.execute(alive, {"p": pid}).scalar() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert c.execute(alive, {"p": pid}).scalar() == 0
    finally:
        gc.enable()
        admin.dispose()


def test_postgres_probe_without_a_server_answers_none_and_waits_before_retrying(monkeypatch):
    """No server (nothing listens on port 1): the probe never raises, says "unknown" (the
    store's own query then reports the database error) and does not try to connect on every
    call. Needs no PostgreSQL server."""
    import psycopg

    from valuation.library.changes import PostgresProbe, change_probe

    probe = change_probe(sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    assert isinstance(probe, PostgresProbe)
    probe.retry = 0.3
    tries: list[object] = []
    real = psycopg.connect
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: tries.append(1) or real(*a, **k))
    assert [probe.token() for _ in range(5)] == [None] * 5
    assert len(tries) == 1 and probe.listener_pid is None    # the first call does not connect
    time.sleep(0.4)                                # after `retry` seconds: tries again
    assert probe.token() is None and len(tries) == 2
    assert probe.token() is None and len(tries) == 2
