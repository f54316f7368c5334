"""The snapshot id is cached per committed state (library/changes.py): it changes as soon as
anyone — this store, another store object, another process — commits a new active version,
and asking again with nothing committed does not query the database (SQLite file)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
