"""The five-library store (标准库、规则库、指标库、模型库、案例库) in a real database.

财资〔2023〕141号 (九) asks for a standards, rules, indicators, models and cases library
(MOF2023-141.9); docs/DESIGN.md §6 fixes how they are kept:

* an entry is never edited in place — every change is a new **version** (1, 2, 3 …) with author,
  time, note, status (draft 草稿 / active 生效 / retired 停用), effective date and references;
  deletion retires (a new version with status ``retired``);
* a write names the version it was based on (``base_version``); a stale write raises
  :class:`~valuation.core.errors.ConflictError` and writes nothing (optimistic concurrency; the
  check and the insert run in one transaction, and the unique constraint on
  (library, key, version) makes sure two concurrent writers cannot both win);
* every write is recorded in the audit log (who, when, action, library, key, version, note);
* the **snapshot id** hashes the (library, key, version, content_hash) of every active entry.

Which version of a key is in force: the latest version that is not a draft. If it is
``active``, the key is active with that content; if it is ``retired``, the key is retired.
Drafts are proposals that never change what is in force (nor the snapshot id).

>>> store = open_store("sqlite://")            # in-memory database
>>> e = store.put("standards", "X.1", {"id": "X.1"}, author="me", note="new", base_version=None)
>>> e.version, store.get("standards", "X.1").content
(1, {'id': 'X.1'})
"""
from __future__ import annotations

import copy
import datetime as _dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa

from ..core.errors import ConflictError, Issue, NotFoundError, ValidationError, ValuationError
from .changes import announce, change_probe, note_commit
from .database import WRITE_OPTION, default_url, make_engine, normalise_url
from .reads import StoreReads, _aware
from .records import (
    Entry,
    check_key,
    check_library,
    check_status,
    content_hash,
    need_author,
    normalise_content,
    parse_date,
    references_list,
)
from .safe_load import check_tree
from .tables import audit, versions

__all__ = ["IntegrityCheckError", "Store", "Validator", "default_url", "open_store"]

Validator = Callable[[dict[str, Any]], Any]
_V = versions.c


class IntegrityCheckError(ValuationError):
    """A stored version whose content no longer matches its content hash (tampering)."""

    code = "integrity"


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class _class_or_instance:
    """Descriptor: ``Store.f(...)`` acts on the class (all stores), ``store.f(...)`` on one store."""

    def __init__(self, fn: Callable[..., Any]):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, cls: type) -> Callable[..., Any]:
        return functools.partial(self.fn, obj if obj is not None else cls)


class Store(StoreReads):
    """Versioned, audited store of the five libraries. Open it with :func:`open_store`."""

    _class_validators: ClassVar[dict[str, list[Validator]]] = {}

    def __init__(self, engine: sa.Engine, *, verify: bool = True):
        self.engine = engine
        self.verify = verify
        self._validators: dict[str, list[Validator]] = {}
        self._snapshot_cache: tuple[Any, tuple[int, Any], str] | None = None
        self._changes = change_probe(engine)   # (library/changes.py: no query while unchanged)

    # ------------------------------------------------------------------ plumbing
    @property
    def url(self) -> str:
        """URL without the password."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections (the store stays usable: it reconnects on demand)."""
        self.engine.dispose()
        self._changes.close()

    def create_schema(self) -> None:
        """Bring the database to the engine's schema version (``valuation db upgrade``)."""
        from .migrate import upgrade

        upgrade(self.engine)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite); a lost race → ConflictError."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    yield conn
                    announce(conn)   # PostgreSQL: NOTIFY the probes, delivered at commit only
            note_commit()            # this process's probes: seen at once (library/changes.py)
        except sa.exc.IntegrityError as e:
            raise ConflictError(
                "并发写入冲突：同一条目已被他人写入新版本，本次写入未保存，请重新读取后再改",
                "concurrent write conflict: someone else wrote a new version of the same entry "
                "first; nothing was written — reload and apply your change again",
                detail=str(e.orig)[:200]) from e

    # ------------------------------------------------------------------ validators
    @_class_or_instance
    def register_validator(target: Any, library: str, fn: Validator) -> Validator:
        """Call ``fn(content)`` before every write of ``library``; it raises ValidationError /
        RuleCompileError to refuse the write. ``Store.register_validator`` applies to every
        store; ``store.register_validator`` to that store only. Returns ``fn``."""
        check_library(library)
        reg = target._class_validators if isinstance(target, type) else target._validators
        fns = reg.setdefault(library, [])
        if fn not in fns:
            fns.append(fn)
        return fn

    @_class_or_instance
    def unregister_validator(target: Any, library: str, fn: Validator) -> None:
        reg = target._class_validators if isinstance(target, type) else target._validators
        if fn in reg.get(library, []):
            reg[library].remove(fn)

    def _validate(self, library: str, key: str, content: dict[str, Any]) -> None:
        fns = [*self._class_validators.get(library, []), *self._validators.get(library, [])]
        for fn in fns:
            try:
                fn(copy.deepcopy(content))  # a validator cannot alter what is stored
            except ValuationError:
                raise
            except Exception as e:  # a validator's own bug or a plain ValueError: still refuse
                raise ValidationError([Issue(f"{library}/{key}", None, "content accepted by the "
                                             f"{library} validator",
                                             f"{library} 库条目 {key} 未通过校验：{e}",
                                             f"{library} entry {key} was refused by its "
                                             f"validator: {e}")]) from e

    def _prepare(self, library: str, key: str, content: Any) -> tuple[dict[str, Any], str]:
        check_key(key)
        if not isinstance(content, Mapping):
            raise ValidationError([Issue("content", type(content).__name__, "mapping",
                                         f"{library}/{key} 的内容必须是映射（YAML/JSON 对象）",
                                         f"content of {library}/{key} must be a mapping "
                                         "(YAML/JSON object)")])
        doc = normalise_content(content)
        check_tree(doc, f"{library}/{key}")  # depth, lone surrogates, integer size
        self._validate(library, key, doc)
        return doc, content_hash(doc)

    # ------------------------------------------------------------------ reading helpers
    def _entry(self, row: Any) -> Entry:
        m = row._mapping
        content = m["content"]
        if self.verify and content_hash(content) != m["content_hash"]:
            raise IntegrityCheckError(
                f"库条目 {m['library']}/{m['key']} v{m['version']} 的内容与其哈希不符（存储被篡改）",
                f"stored version {m['library']}/{m['key']} v{m['version']} does not match its "
                "content hash (the stored data was altered)",
                library=m["library"], key=m["key"], version=m["version"])
        return Entry(library=m["library"], key=m["key"], version=m["version"], content=content,
                     status=m["status"], author=m["author"], created_at=_aware(m["created_at"]),
                     note=m["note"] or "", effective_from=m["effective_from"],
                     references=tuple(m["refs"] or ()), content_hash=m["content_hash"])

    @staticmethod
    def _latest_row(conn: sa.Connection, library: str, key: str, *, in_force: bool = False) -> Any:
        q = sa.select(versions).where(_V.library == library, _V.key == key)
        if in_force:
            q = q.where(_V.status != "draft")
        return conn.execute(q.order_by(_V.version.desc()).limit(1)).first()

    @staticmethod
    def _head_rows(conn: sa.Connection, library: str | None, status: str | None,
                   columns: Iterable[str] | None = None) -> list[Any]:
        """The head version of every key: its latest version, or for ``status`` active/retired
        its latest non-draft version (= the version in force), kept if it has that ``status``.
        One scan with a window function (no self-join: stays O(n log n) on fresh tables)."""
        rank = sa.func.row_number().over(partition_by=(_V.library, _V.key),
                                         order_by=_V.version.desc()).label("_rank")
        inner = sa.select(versions, rank)
        if library is not None:
            inner = inner.where(_V.library == library)
        if status in ("active", "retired"):
            inner = inner.where(_V.status != "draft")
        sub = inner.subquery()
        cols = [sub.c[c] for c in (columns or [c.name for c in versions.columns])]
        q = sa.select(*cols).where(sub.c._rank == 1)
        if status is not None:
            q = q.where(sub.c.status == status)
        return list(conn.execute(q))

    @staticmethod
    def _conflict(library: str, key: str, base: int | None, latest: int | None) -> ConflictError:
        if latest is None:
            zh = f"{library}/{key} 不存在，不能基于版本 {base} 修改（新条目的 base_version 应为空）"
            en = (f"{library}/{key} does not exist: cannot write on top of version {base} "
                  "(a new entry needs base_version None)")
        elif base is None:
            zh = f"{library}/{key} 已存在（最新版本 {latest}），修改时须给出所依据的版本号"
            en = (f"{library}/{key} already exists (latest version {latest}); a change must name "
                  "the version it is based on")
        else:
            zh = (f"{library}/{key} 已有更新的版本 {latest}，而本次修改基于版本 {base}；"
                  "未写入任何内容，请重新读取后再改")
            en = (f"{library}/{key} has a newer version {latest} than the version {base} this "
                  "change was based on; nothing was written — reload and apply the change again")
        return ConflictError(zh, en, library=library, key=key, base_version=base,
                             latest_version=latest)

    @staticmethod
    def _audit_row(who: str, action: str, library: str, key: str, version: int, note: str,
                   at: _dt.datetime) -> dict[str, Any]:
        return {"at": at, "who": who, "action": action, "library": library, "key": key,
                "version": version, "note": note}

    # ------------------------------------------------------------------ writes
    def put(self, library: str, key: str, content: Mapping[str, Any], *, author: str,
            note: str = "", base_version: int | None, status: str = "active",
            effective_from: Any = None, references: Any = None) -> Entry:
        """Write a new version of ``library/key``.

        ``base_version`` is None for a new key, else it must equal the latest version of the key
        (drafts included); otherwise :class:`ConflictError` and nothing is written.
        ``status``: ``active`` (in force at once) or ``draft`` (a proposal). Use :meth:`retire`
        to retire. Returns the stored :class:`Entry`.
        """
        check_library(library)
        check_status(status, ("draft", "active"))
        author = need_author(author)
        doc, h = self._prepare(library, key, content)
        refs = references_list(references)
        eff = parse_date(effective_from)
        now = _now()
        with self._write() as conn:
            latest = self._latest_row(conn, library, key)
            latest_v = latest.version if latest is not None else None
            if base_version != latest_v:
                raise self._conflict(library, key, base_version, latest_v)
            row = {"library": library, "key": key, "version": (latest_v or 0) + 1, "content": doc,
                   "status": status, "author": author, "created_at": now, "note": note or "",
                   "effective_from": eff, "refs": refs, "content_hash": h}
            conn.execute(sa.insert(versions), row)
            conn.execute(sa.insert(audit), self._audit_row(author, "put", library, key,
                                                           row["version"], row["note"], now))
        return self._entry_from(row)

    def retire(self, library: str, key: str, *, author: str, note: str = "",
               base_version: int | None, effective_from: Any = None) -> Entry:
        """Retire (= delete) an entry: a new version with status ``retired`` and the content of
        the version in force. Same optimistic check as :meth:`put`."""
        check_library(library)
        check_key(key)
        author = need_author(author)
        eff = parse_date(effective_from)
        now = _now()
        with self._write() as conn:
            latest = self._latest_row(conn, library, key)
            if latest is None:
                raise NotFoundError(f"{library}/{key} 不存在", f"{library}/{key} does not exist",
                                    library=library, key=key)
            if base_version != latest.version:
                raise self._conflict(library, key, base_version, latest.version)
            src = self._latest_row(conn, library, key, in_force=True) or latest
            if src.status == "retired":
                raise ValidationError([Issue("status", "retired", "active or draft",
                                             f"{library}/{key} 已停用（版本 {src.version}）",
                                             f"{library}/{key} is already retired "
                                             f"(version {src.version})")])
            row = {"library": library, "key": key, "version": latest.version + 1,
                   "content": src.content, "status": "retired", "author": author,
                   "created_at": now, "note": note or "", "effective_from": eff,
                   "refs": list(src.refs or []), "content_hash": src.content_hash}
            conn.execute(sa.insert(versions), row)
            conn.execute(sa.insert(audit), self._audit_row(author, "retire", library, key,
                                                           row["version"], row["note"], now))
        return self._entry_from(row)

    def put_many(self, library: str, items: Iterable[Any], *, author: str, note: str = "",
                 status: str = "active", skip_unchanged: bool = True, baseline: str = "latest",
                 action: str = "put", update_note: str | None = None) -> dict[str, int]:
        """Bulk write (one transaction, executemany) — for the case library and seed loading.

        ``items``: ``(key, content)`` pairs, or mappings with ``key``, ``content`` and optional
        ``status``, ``effective_from``, ``references``, ``note``. Each item becomes version
        latest+1 of its key (no base-version check: the transaction itself is atomic).
        With ``skip_unchanged``, an item whose content and status equal the version in force is
        skipped; ``baseline="author"`` also skips it when it equals the last version written by
        ``author`` (so reloading an unchanged seed never overrides a later edit by someone else).
        ``update_note`` (default ``note``) is the note of versions that change an existing key.
        Every item is checked before anything is written; all problems are reported together.
        Returns counts ``{"created", "updated", "unchanged"}``.
        """
        check_library(library)
        author = need_author(author)
        prepared = self._prepare_many(library, items, status, note)
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        now = _now()
        with self._write() as conn:
            meta = conn.execute(sa.select(_V.key, _V.version, _V.status, _V.content_hash,
                                          _V.author).where(_V.library == library)
                                .order_by(_V.key, _V.version))
            latest: dict[str, int] = {}
            in_force: dict[str, tuple[str, str]] = {}
            by_author: dict[str, tuple[str, str]] = {}
            for k, v, st, h, who in meta:
                latest[k] = v
                if st != "draft":
                    in_force[k] = (h, st)
                if who == author:
                    by_author[k] = (h, st)
            rows, audits = [], []
            for p in prepared:
                k = p["key"]
                same = (p["content_hash"], p["status"])
                if skip_unchanged and k in latest and (
                        in_force.get(k) == same or (baseline == "author" and by_author.get(k) == same)):
                    counts["unchanged"] += 1
                    continue
                counts["updated" if k in latest else "created"] += 1
                v = latest.get(k, 0) + 1
                if k in latest and update_note is not None and p["note"] == note:
                    p = {**p, "note": update_note}
                rows.append({"library": library, "version": v, "author": author,
                             "created_at": now, **p})
                audits.append(self._audit_row(author, action, library, k, v, p["note"], now))
            if rows:
                conn.execute(sa.insert(versions), rows)
                conn.execute(sa.insert(audit), audits)
        return counts

    def _prepare_many(self, library: str, items: Iterable[Any], status: str, note: str
                      ) -> list[dict[str, Any]]:
        """Every item of :meth:`put_many` checked and normalised; all problems raised together."""
        prepared: list[dict[str, Any]] = []
        issues: list[Issue] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            key = None
            try:
                if isinstance(item, Mapping):
                    key, content = item.get("key"), item.get("content")
                    st = item.get("status") or status
                    eff, refs = item.get("effective_from"), item.get("references")
                    inote = item.get("note") or note
                else:
                    key, content = item
                    st, eff, refs, inote = status, None, None, note
                check_status(st, ("draft", "active"))
                doc, h = self._prepare(library, key, content)
                if key in seen:
                    raise ValidationError([Issue("key", key, "unique keys",
                                                 f"键 {key} 重复出现", f"key {key} appears twice")])
                seen.add(key)
                prepared.append({"key": key, "content": doc, "content_hash": h, "status": st,
                                 "effective_from": parse_date(eff), "refs": references_list(refs),
                                 "note": inote or ""})
            except ValidationError as e:
                issues.extend(Issue(x.field, x.value, x.allowed, x.message_zh, x.message_en,
                                    row=i, asset_id=None if key is None else str(key))
                              for x in e.issues)
            except ValuationError as e:
                issues.append(Issue(f"{library}[{i}]", None, "valid entry", e.message_zh,
                                    e.message_en, row=i))
        if issues:
            raise ValidationError(issues)
        return prepared

    def _entry_from(self, row: dict[str, Any]) -> Entry:
        return Entry(library=row["library"], key=row["key"], version=row["version"],
                     content=normalise_content(row["content"]), status=row["status"],
                     author=row["author"], created_at=row["created_at"], note=row["note"],
                     effective_from=row["effective_from"], references=tuple(row["refs"]),
                     content_hash=row["content_hash"])


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url``: the schema version is checked (a mismatch is refused with
    :class:`~valuation.library.migrate.SchemaVersionError`); an empty database is set up once
    under the set-up lock (``library/migrate.py``). No DDL runs on a set-up database.

    ``None`` → ``VALUATION_DB_URL`` or the SQLite file ``./var/valuation.db`` (its folder is
    created). ``postgresql://…`` URLs use the psycopg 3 driver.
    """
    from .migrate import check

    store = Store(make_engine(normalise_url(url) if url else None))
    check(store.engine)
    return store
