"""Database set-up once (issue 18, deliverable 7): opening only checks the schema version,
the DDL runs under a lock, forked children get their own connections, and eight processes
opening PostgreSQL at once and racing one edit end with one winner and seven conflicts."""
from __future__ import annotations

import multiprocessing as mp
import traceback
import uuid

import pytest
import sqlalchemy as sa

from valuation.core.errors import ConflictError
from valuation.library.database import forget_engine, make_engine
from valuation.library.migrate import SCHEMA_VERSION, SchemaVersionError, current_version, upgrade
from valuation.library.store import open_store
from valuation.library.tables import metadata


def _statements(engine: sa.Engine, fn) -> list[str]:
    seen: list[str] = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement.strip().split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", rec)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", rec)
    return seen


def test_open_runs_no_ddl_on_a_set_up_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    open_store(url).put("standards", "X", {"id": "X"}, author="t", base_version=None)
    forget_engine(url)  # a new process: nothing cached
    eng = make_engine(url)
    seen = _statements(eng, lambda: open_store(url))
    assert seen and not {"CREATE", "DROP", "ALTER"} & set(seen), seen
    assert current_version(eng) == SCHEMA_VERSION
    forget_engine(url)


def test_version_mismatch_is_refused_with_the_command_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    eng = make_engine(url)
    metadata.create_all(eng)  # tables made before versioning (no version row, no triggers)
    forget_engine(url)
    with pytest.raises(SchemaVersionError) as ei:
        open_store(url)
    assert "valuation db upgrade" in ei.value.message_en and "valuation db upgrade" in ei.value.message_zh
    assert upgrade(make_engine(url)) == (0, SCHEMA_VERSION)
    store = open_store(url)
    store.put("standards", "X", {"id": "X"}, author="t", base_version=None)
    with store.engine.connect() as c, pytest.raises(sa.exc.DatabaseError):  # trigger made by step 1
        c.exec_driver_sql("DELETE FROM library_versions")
    # a newer database than the engine: refused, and `db upgrade` does not downgrade it
    with store.engine.begin() as c:
        c.exec_driver_sql(f"UPDATE valuation_schema SET version = {SCHEMA_VERSION + 1}")
    forget_engine(url)
    with pytest.raises(SchemaVersionError, match="newer"):
        open_store(url)
    with pytest.raises(SchemaVersionError):
        upgrade(make_engine(url))
    forget_engine(url)


def test_cli_db_upgrade_and_init_set_up_the_schema(tmp_path):
    from typer.testing import CliRunner

    from valuation.cli import app

    url = f"sqlite:///{tmp_path / 'c.db'}"
    metadata.create_all(make_engine(url))
    forget_engine(url)
    r = CliRunner().invoke(app, ["library", "list", "standards", "--db", url])
    assert r.exit_code != 0 and "valuation db upgrade" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(app, ["db", "upgrade", "--db", url])
    assert r.exit_code == 0, r.output
    assert f"0 → {SCHEMA_VERSION}" in r.output
    r = CliRunner().invoke(app, ["db", "status", "--db", url])
    assert r.exit_code == 0 and f"{SCHEMA_VERSION}" in r.output
    forget_engine(url)


def _forked_child_reads(url: str, q) -> None:
    try:
        store = open_store(url)
        q.put(("ok", len(store.history("standards", "X"))))
    except Exception:  # pragma: no cover - reported to the parent
        q.put(("crash", traceback.format_exc()))


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_forked_children_get_their_own_connections(store_factory):
    """The parent holds a pooled connection; children forked from it must not use it."""
    store = store_factory()
    store.put("standards", "X", {"id": "X"}, author="t", base_version=None)
    with store.engine.connect() as c:  # check a live connection into the parent's pool
        c.exec_driver_sql("SELECT 1")
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_forked_child_reads, args=(store_factory.urls[0], q)) for _ in range(3)]
    for p in procs:
        p.start()
    got = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert got == [("ok", 1)] * 3, got
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(store.history("standards", "X")) == 1  # the parent's pool still works


def _racer(url: str, start, q) -> None:
    try:
        start.wait(60)
        store = open_store(url)  # all eight open an empty database at once
        start.wait(60)  # then race the same edit
        try:
            e = store.put("standards", "RACE", {"id": "RACE", "by": mp.current_process().name},
                          author="racer", base_version=None)
            q.put(("won", e.version))
        except ConflictError as e:
            q.put(("conflict", e.code))
    except Exception:  # pragma: no cover - a crash is what the test looks for
        q.put(("crash", traceback.format_exc()))


@pytest.mark.postgres
@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_eight_processes_open_postgres_at_once_and_race_one_edit(pg_url):
    from tests.conftest import _with_search_path

    schema = f"race_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = _with_search_path(pg_url, schema)
    try:
        with make_engine(url).connect() as c:  # the children inherit a live pooled connection
            c.exec_driver_sql("SELECT 1")
        ctx = mp.get_context("fork")
        start, q = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(url, start, q)) for _ in range(8)]
        for p in procs:
            p.start()
        got = [q.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        crashes = [g[1] for g in got if g[0] == "crash"]
        assert not crashes, crashes[0]
        assert sorted(g[0] for g in got) == ["conflict"] * 7 + ["won"]
        assert {g[1] for g in got if g[0] == "conflict"} == {"conflict"}
        assert [p.exitcode for p in procs] == [0] * 8
        store = open_store(url)
        assert [e.version for e in store.history("standards", "RACE")] == [1]
        assert current_version(store.engine) == SCHEMA_VERSION
    finally:
        forget_engine(url)
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.postgres
def test_postgres_tables_from_before_versioning_are_refused_then_upgraded(pg_url):
    from tests.conftest import _with_search_path

    schema = f"legacy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = _with_search_path(pg_url, schema)
    try:
        metadata.create_all(make_engine(url))
        with pytest.raises(SchemaVersionError):
            open_store(url)
        assert upgrade(make_engine(url)) == (0, SCHEMA_VERSION)
        assert upgrade(make_engine(url)) == (SCHEMA_VERSION, SCHEMA_VERSION)  # idempotent
        store = open_store(url)
        store.put("standards", "X", {"id": "X"}, author="t", base_version=None)
        with store.engine.connect() as c, pytest.raises(sa.exc.DatabaseError, match="immutable"):
            c.exec_driver_sql("UPDATE library_versions SET note = 'x'")
    finally:
        forget_engine(url)
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
