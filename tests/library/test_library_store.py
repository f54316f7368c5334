"""The five-library store on SQLite and PostgreSQL: immutable versions, optimistic concurrency,
snapshot ids, history and audit, validators, bulk writes."""
from __future__ import annotations

import dataclasses
import random
import threading

import pytest
import sqlalchemy as sa

from valuation.core.errors import ConflictError, NotFoundError, RuleCompileError, ValidationError
from valuation.library import IntegrityCheckError, Store
from valuation.library.records import content_hash


def _put(store, key, content, base, lib="standards", **kw):
    kw.setdefault("author", "alice")
    kw.setdefault("note", f"write {key}")
    return store.put(lib, key, content, base_version=base, **kw)


# --------------------------------------------------------------------------- immutability
def test_versions_are_new_rows_and_old_versions_never_change(store):
    e1 = _put(store, "K", {"id": "K", "v": 1, "when": "2024-01-01"}, None)
    e2 = _put(store, "K", {"id": "K", "v": 2}, 1)
    assert (e1.version, e2.version) == (1, 2)
    hist = store.history("standards", "K")
    assert [h.content for h in hist] == [{"id": "K", "v": 1, "when": "2024-01-01"}, {"id": "K", "v": 2}]
    # every stored version still matches its hash
    assert all(h.content_hash == content_hash(h.content) for h in hist)
    assert store.get("standards", "K", version=1).content["v"] == 1
    assert store.get("standards", "K").version == 2


def test_entry_is_frozen_and_returned_content_is_a_copy(store):
    e = _put(store, "K", {"id": "K", "nested": {"a": 1}}, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.version = 7  # type: ignore[misc]
    got = store.get("standards", "K")
    got.content["nested"]["a"] = 999
    got.content["new"] = True
    assert store.get("standards", "K").content == {"id": "K", "nested": {"a": 1}}


def test_database_refuses_update_and_delete_of_stored_versions(store):
    _put(store, "K", {"id": "K"}, None)
    for stmt in ("UPDATE library_versions SET content_hash = 'x'",
                 "UPDATE library_versions SET status = 'retired'",
                 "DELETE FROM library_versions",
                 "UPDATE library_audit SET who = 'mallory'",
                 "DELETE FROM library_audit"):
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            with store.engine.begin() as conn:
                conn.exec_driver_sql(stmt)
    e = store.get("standards", "K")
    assert (e.version, e.content, e.status) == (1, {"id": "K"}, "active")
    assert len(store.audit()) == 1


def test_tampered_content_is_detected_on_read(store, backend):
    _put(store, "K", {"id": "K", "price": 100}, None)
    with store.engine.begin() as conn:  # a saboteur with DBA rights drops the guard first
        if backend == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER library_versions_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER library_versions_immutable ON library_versions")
        conn.execute(sa.text("UPDATE library_versions SET content = :c"),
                     {"c": '{"id": "K", "price": 1}'})
    with pytest.raises(IntegrityCheckError) as ei:
        store.get("standards", "K")
    assert "K" in ei.value.message_zh and "hash" in ei.value.message_en


# --------------------------------------------------------------------------- concurrency
def test_stale_write_raises_conflict_and_loses_nothing(store):
    _put(store, "K", {"id": "K", "v": 1}, None)
    a = store.get("standards", "K")            # Alice and Bob both read version 1
    b = store.get("standards", "K")
    _put(store, "K", {"id": "K", "v": "alice"}, a.version, author="alice")
    n_audit = len(store.audit())
    with pytest.raises(ConflictError) as ei:
        _put(store, "K", {"id": "K", "v": "bob"}, b.version, author="bob")
    assert ei.value.context["latest_version"] == 2 and ei.value.context["base_version"] == 1
    assert "2" in ei.value.message_zh and "version 1" in ei.value.message_en
    hist = store.history("standards", "K")
    assert [h.content["v"] for h in hist] == [1, "alice"]   # both earlier versions readable
    assert len(store.audit()) == n_audit                     # nothing written, not even audit


def test_new_key_with_base_version_and_existing_key_without_conflict(store):
    with pytest.raises(ConflictError):
        _put(store, "NEW", {"id": "NEW"}, 3)
    _put(store, "K", {"id": "K"}, None)
    with pytest.raises(ConflictError):
        _put(store, "K", {"id": "K", "again": True}, None)
    with pytest.raises(ConflictError):
        store.retire("standards", "K", author="a", base_version=7)
    assert [h.version for h in store.history("standards", "K")] == [1]


def test_real_race_two_connections_exactly_one_wins(store, backend, monkeypatch):
    """Both writers read version 1 inside their transactions before either inserts (a barrier
    holds them); the database must let exactly one of them write version 2."""
    _put(store, "K", {"id": "K", "v": 0}, None)
    barrier = threading.Barrier(2, timeout=1.0)   # SQLite serialises writers: the barrier times out
    original = Store._latest_row

    def slow_latest(conn, library, key, *, in_force=False):
        row = original(conn, library, key, in_force=in_force)
        if library == "standards" and not in_force:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return row

    monkeypatch.setattr(Store, "_latest_row", staticmethod(slow_latest))
    results: dict[str, object] = {}

    def writer(name):
        try:
            results[name] = _put(store, "K", {"id": "K", "v": name}, 1, author=name)
        except ConflictError as e:
            results[name] = e

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [n for n, r in results.items() if not isinstance(r, Exception)]
    losers = [r for r in results.values() if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    hist = store.history("standards", "K")
    assert [h.version for h in hist] == [1, 2]
    assert hist[1].content["v"] == winners[0] and hist[1].author == winners[0]
    if backend == "postgres":  # both read v1: the unique constraint decided the race
        assert "concurrent" in losers[0].message_en
    assert [a.version for a in store.audit(key="K")] == [2, 1]


def test_many_threads_same_base_version_one_winner_per_round(store):
    _put(store, "K", {"id": "K", "round": 0}, None)
    for rnd in range(1, 4):
        base = store.get("standards", "K").version
        start = threading.Event()
        outcome: list[object] = []

        def writer(i, base=base, rnd=rnd, start=start, outcome=outcome):
            start.wait()
            try:
                outcome.append(_put(store, "K", {"id": "K", "round": rnd, "by": i}, base,
                                    author=f"w{i}"))
            except ConflictError as e:
                outcome.append(e)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join(30)
        assert sum(not isinstance(o, Exception) for o in outcome) == 1
        assert sum(isinstance(o, ConflictError) for o in outcome) == 3
    assert [h.version for h in store.history("standards", "K")] == [1, 2, 3, 4]


# --------------------------------------------------------------------------- snapshot id
def test_snapshot_changes_when_and_only_when_an_active_version_changes(store):
    s0 = store.snapshot_id()
    assert len(s0) == 16 and int(s0, 16) >= 0
    _put(store, "A", {"id": "A"}, None)
    s1 = store.snapshot_id()
    assert s1 != s0
    _put(store, "A", {"id": "A", "draft": True}, 1, status="draft")
    assert store.snapshot_id() == s1                      # a draft changes nothing in force
    assert store.get("standards", "A").version == 1
    _put(store, "D", {"id": "D"}, None, status="draft")  # a new key that is only a draft
    assert store.snapshot_id() == s1
    store.get("standards", "A"), store.list("standards"), store.history("standards", "A")
    assert store.snapshot_id() == s1                      # reads change nothing
    _put(store, "A", {"id": "A", "v": 3}, 2)
    s3 = store.snapshot_id()
    assert s3 not in (s0, s1)
    store.retire("standards", "A", author="bob", note="obsolete", base_version=3)
    s4 = store.snapshot_id()
    assert s4 not in (s1, s3)
    with pytest.raises(NotFoundError):
        store.get("standards", "A")
    assert store.get("standards", "A", version=4).status == "retired"
    assert [e.key for e in store.list("standards", status="retired")] == ["A"]
    assert store.list("standards") == []
    assert s4 == s0                                       # nothing active again = empty store
    with pytest.raises(ValidationError):
        store.retire("standards", "A", author="bob", base_version=4)


@pytest.mark.parametrize("seed", [1, 2])
def test_snapshot_tracks_the_set_of_active_versions_in_random_histories(store, seed):
    """Model check: after every operation the snapshot changed iff the set of
    (library, key, active version) changed."""
    rng = random.Random(seed)
    keys = ["a", "b", "c"]
    libs = ["rules", "models"]

    def active_set():
        return {(lib, e.key, e.version) for lib in libs for e in store.list(lib)}

    before, sid = active_set(), store.snapshot_id()
    for _ in range(30):
        lib, key = rng.choice(libs), rng.choice(keys)
        try:
            latest = store.history(lib, key)[-1]
        except NotFoundError:
            latest = None
        op = rng.choice(["active", "draft", "retire", "stale"])
        base = latest.version if latest else None
        try:
            if op == "retire":
                store.retire(lib, key, author="r", base_version=base)
            elif op == "stale":
                _put(store, key, {"id": key, "x": rng.random()}, (base or 0) + 5, lib=lib)
            else:
                _put(store, key, {"id": key, "x": rng.randint(0, 2)}, base, lib=lib, status=op)
        except (ConflictError, NotFoundError, ValidationError):
            pass
        after, sid2 = active_set(), store.snapshot_id()
        assert (after != before) == (sid2 != sid), (op, lib, key)
        before, sid = after, sid2


# --------------------------------------------------------------------------- history & audit
def test_history_and_audit_record_every_write(store):
    _put(store, "K", {"id": "K"}, None, author="alice", note="create")
    _put(store, "K", {"id": "K", "x": 1}, 1, author="bob", note="draft it", status="draft",
         references=["CAS2023.art22"], effective_from="2024-01-01")
    _put(store, "K", {"id": "K", "x": 2}, 2, author="carol", note="publish")
    store.retire("standards", "K", author="dave", note="superseded", base_version=3)
    _put(store, "other", {"id": "other"}, None, lib="rules", author="erin", note="rule")
    hist = store.history("standards", "K")
    assert [(h.version, h.status, h.author, h.note) for h in hist] == [
        (1, "active", "alice", "create"), (2, "draft", "bob", "draft it"),
        (3, "active", "carol", "publish"), (4, "retired", "dave", "superseded")]
    assert hist[1].references == ("CAS2023.art22",)
    assert str(hist[1].effective_from) == "2024-01-01"
    assert all(h.created_at.tzinfo is not None for h in hist)
    assert [h.created_at for h in hist] == sorted(h.created_at for h in hist)
    assert hist[3].content == hist[2].content             # retiring keeps the content in force
    trail = store.audit()
    assert [(a.who, a.action, a.library, a.key, a.version) for a in trail] == [
        ("erin", "put", "rules", "other", 1), ("dave", "retire", "standards", "K", 4),
        ("carol", "put", "standards", "K", 3), ("bob", "put", "standards", "K", 2),
        ("alice", "put", "standards", "K", 1)]
    assert [a.version for a in store.audit(library="standards", key="K", limit=2)] == [4, 3]
    assert [a.key for a in store.audit(library="rules")] == ["other"]
    with pytest.raises(NotFoundError):
        store.history("standards", "missing")


def test_list_search_and_status_views(store):
    _put(store, "CAS2023.art22", {"id": "CAS2023.art22", "title_zh": "成本法的要求"}, None)
    _put(store, "CAS2023.art21", {"id": "CAS2023.art21", "title_zh": "收益法的要求"}, None)
    _put(store, "CAS2023.art21", {"id": "CAS2023.art21", "title_zh": "收益法（修订）"}, 1,
         status="draft")
    assert [e.key for e in store.list("standards", search="成本法")] == ["CAS2023.art22"]
    assert [e.key for e in store.list("standards", search="cas2023.ART21")] == ["CAS2023.art21"]
    assert [e.key for e in store.list("standards", status="draft")] == ["CAS2023.art21"]
    assert [(e.key, e.version) for e in store.list("standards", status=None)] == [
        ("CAS2023.art21", 2), ("CAS2023.art22", 1)]
    assert store.counts()["standards"] == 2


# --------------------------------------------------------------------------- validation
def test_bad_input_is_refused_with_bilingual_messages(store):
    cases = [
        dict(library="nope", key="K", content={}),
        dict(library="standards", key=" K", content={}),
        dict(library="standards", key="K", content=["not", "a", "mapping"]),
        dict(library="standards", key="K", content={"x": object()}),
    ]
    for c in cases:
        with pytest.raises(ValidationError) as ei:
            store.put(c["library"], c["key"], c["content"], author="a", base_version=None)
        issue = ei.value.issues[0]
        assert issue.message_zh and issue.message_en and issue.field
    with pytest.raises(ValidationError):
        store.put("standards", "K", {}, author=" ", base_version=None)
    with pytest.raises(ValidationError):
        store.put("standards", "K", {}, author="a", base_version=None, status="retired")
    assert store.audit() == [] and store.list("standards", status=None) == []


def test_nan_dates_and_numpy_values_are_stored_as_json(store):
    import datetime as dt

    import numpy as np

    e = _put(store, "K", {"id": "K", "d": dt.date(2024, 5, 1), "nan": float("nan"),
                          "n": np.int64(3), "f": np.float64(0.5), 1: "int key"}, None)
    assert e.content == {"id": "K", "d": "2024-05-01", "nan": None, "n": 3, "f": 0.5, "1": "int key"}
    assert store.get("standards", "K").content == e.content


def test_validators_run_before_any_write(store):
    def needs_expr(content):
        if "when" not in content:
            raise RuleCompileError("规则缺少条件 when", "rule has no condition 'when'")

    store.register_validator("rules", needs_expr)
    with pytest.raises(RuleCompileError):
        _put(store, "R1", {"id": "R1"}, None, lib="rules")
    _put(store, "R1", {"id": "R1", "when": "x > 1"}, None, lib="rules")
    _put(store, "S1", {"id": "S1"}, None)                           # other libraries unaffected
    with pytest.raises(ValidationError):                            # bulk: every item checked
        store.put_many("rules", [("R2", {"id": "R2", "when": "y"}), ("R3", {"id": "R3"})],
                       author="seed")
    assert [e.key for e in store.list("rules")] == ["R1"]

    def crashes(content):
        raise KeyError("boom")

    Store.register_validator("indicators", crashes)                 # class level: every store
    try:
        with pytest.raises(ValidationError, match="boom"):
            _put(store, "I1", {"id": "I1"}, None, lib="indicators")
    finally:
        Store.unregister_validator("indicators", crashes)
    _put(store, "I1", {"id": "I1"}, None, lib="indicators")


# --------------------------------------------------------------------------- bulk & frame
def test_put_many_writes_in_bulk_and_frames(store):
    """5,000 cases in a handful of statements (executemany batches), not one per row."""
    import sqlalchemy as sa

    n = 5000
    rows = [{"key": f"C{i:05d}", "content": {"case_id": f"C{i:05d}", "price": float(i),
                                             "rights_type": "use", "extra": {"x1": 1.0}}}
            for i in range(n)]
    statements: list[bool] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(executemany)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        counts = store.put_many("cases", rows, author="seed", note="bulk")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert counts == {"created": n, "updated": 0, "unchanged": 0}
    assert 0 < len(statements) < 100, len(statements)      # per row would be ≥ 10,000
    rows[7]["content"] = {**rows[7]["content"], "price": -1.0}
    assert store.put_many("cases", rows, author="seed") == {"created": 0, "updated": 1,
                                                            "unchanged": n - 1}
    df = store.frame("cases")
    assert len(df) == n and {"case_id", "price", "rights_type", "extra.x1"} <= set(df.columns)
    assert df.loc[df["case_id"] == "C00007", "price"].item() == -1.0
    assert list(df["case_id"][:3]) == ["C00000", "C00001", "C00002"]
    meta = store.frame("cases", meta=True)
    assert meta.loc[meta["_key"] == "C00007", "_version"].item() == 2
    assert len(store.audit(library="cases", limit=None)) == n + 1
    assert store.frame("models").empty


def test_put_many_rejects_duplicates_and_reports_every_bad_item(store):
    with pytest.raises(ValidationError) as ei:
        store.put_many("cases", [("A", {"a": 1}), ("A", {"a": 2}), ("", {"a": 3}),
                                 ("B", "not a mapping")], author="x")
    assert sorted(i.row for i in ei.value.issues) == [1, 2, 3]
    assert store.list("cases") == []


def test_snapshot_of_a_second_store_object_sees_other_writers(store):
    other = Store(store.engine)          # another process/session on the same database
    before = other.snapshot_id()
    assert other.snapshot_id() == before
    _put(store, "K", {"id": "K"}, None)
    assert other.snapshot_id() != before
    assert other.snapshot_id() == store.snapshot_id()
    store.retire("standards", "K", author="b", base_version=1)
    assert other.snapshot_id() == before


def test_default_url_env_override_and_postgres_driver(tmp_path, monkeypatch):
    from valuation.library.database import forget_engine, normalise_url
    from valuation.library.store import default_url, open_store

    monkeypatch.delenv("VALUATION_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    s = open_store()
    assert (tmp_path / "var" / "valuation.db").exists()
    assert default_url() == f"sqlite:///{tmp_path / 'var' / 'valuation.db'}"
    forget_engine(default_url())
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'elsewhere' / 'x.db'}")
    s = open_store()
    s.put("cases", "C1", {"case_id": "C1"}, author="a", base_version=None)
    assert (tmp_path / "elsewhere" / "x.db").exists() and s.counts()["cases"] == 1
    forget_engine(default_url())
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
