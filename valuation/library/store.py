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
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa

from ..core.errors import ConflictError, Issue, NotFoundError, ValidationError, ValuationError
from .database import WRITE_OPTION, default_url, make_engine, normalise_url
from .exchange import write_export
from .records import (
    LIBRARIES,
    AuditRecord,
    Entry,
    canonical_json,
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


def _aware(ts: _dt.datetime) -> _dt.datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=_dt.UTC)


class _class_or_instance:
    """Descriptor: ``Store.f(...)`` acts on the class (all stores), ``store.f(...)`` on one store."""

    def __init__(self, fn: Callable[..., Any]):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, obj: Any, cls: type) -> Callable[..., Any]:
        return functools.partial(self.fn, obj if obj is not None else cls)


class Store:
    """Versioned, audited store of the five libraries. Open it with :func:`open_store`."""

    _class_validators: ClassVar[dict[str, list[Validator]]] = {}

    def __init__(self, engine: sa.Engine, *, verify: bool = True):
        self.engine = engine
        self.verify = verify
        self._validators: dict[str, list[Validator]] = {}
        self._snapshot_cache: tuple[tuple[int, Any], str] | None = None

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

    # ------------------------------------------------------------------ reads
    def get(self, library: str, key: str, version: int | None = None) -> Entry:
        """The version in force of ``library/key`` (must be active), or exactly ``version``."""
        check_library(library)
        with self._read() as conn:
            if version is not None:
                row = conn.execute(sa.select(versions).where(
                    _V.library == library, _V.key == key, _V.version == int(version))).first()
                if row is None:
                    raise NotFoundError(f"{library}/{key} 没有版本 {version}",
                                        f"{library}/{key} has no version {version}",
                                        library=library, key=key, version=version)
                return self._entry(row)
            row = self._latest_row(conn, library, key, in_force=True)
        if row is None or row.status != "active":
            why_zh = "已停用" if row is not None else "不存在或只有草稿"
            why_en = "is retired" if row is not None else "does not exist or has only drafts"
            raise NotFoundError(f"{library}/{key} {why_zh}", f"{library}/{key} {why_en}",
                                library=library, key=key)
        return self._entry(row)

    def list(self, library: str, status: str | None = "active",
             search: str | None = None) -> list[Entry]:
        """Entries of a library, one per key, sorted by key.

        ``status``: ``active`` (in force), ``retired``, ``draft`` (keys whose latest version is a
        pending draft) or ``None``/``"all"`` (latest version of every key). ``search``:
        case-insensitive text found in the key or anywhere in the content.
        """
        check_library(library)
        if status == "all":
            status = None
        if status is not None:
            check_status(status)
        with self._read() as conn:
            rows = self._head_rows(conn, library, status)
        entries = sorted((self._entry(r) for r in rows), key=lambda e: e.key)
        if search:
            s = search.casefold()
            entries = [e for e in entries
                       if s in e.key.casefold() or s in canonical_json(e.content).casefold()]
        return entries

    def history(self, library: str, key: str) -> list[Entry]:
        """Every version of ``library/key``, oldest first."""
        check_library(library)
        with self._read() as conn:
            rows = conn.execute(sa.select(versions).where(_V.library == library, _V.key == key)
                                .order_by(_V.version)).all()
        if not rows:
            raise NotFoundError(f"{library}/{key} 不存在", f"{library}/{key} does not exist",
                                library=library, key=key)
        return [self._entry(r) for r in rows]

    def audit(self, library: str | None = None, key: str | None = None,
              limit: int | None = 100) -> list[AuditRecord]:
        """Audit records, newest first."""
        a = audit.c
        q = sa.select(audit)
        if library is not None:
            q = q.where(a.library == check_library(library))
        if key is not None:
            q = q.where(a.key == key)
        q = q.order_by(a.id.desc())
        if limit:
            q = q.limit(int(limit))
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [AuditRecord(id=r.id, at=_aware(r.at), who=r.who, action=r.action,
                            library=r.library, key=r.key, version=r.version, note=r.note or "")
                for r in rows]

    def snapshot_id(self) -> str:
        """sha256 over (library, key, version, content_hash) of every active entry (16 hex).

        It changes when, and only when, the set of active versions changes: a new active
        version or a retirement changes it; a draft does not.
        """
        with self._read() as conn:
            # every write appends audit rows in its own transaction and audit rows are never
            # deleted: (count, max id) of the audit log identifies the committed state
            marker = tuple(conn.execute(sa.select(sa.func.count(), sa.func.max(audit.c.id))).one())
            if self._snapshot_cache is not None and self._snapshot_cache[0] == marker:
                return self._snapshot_cache[1]
            rows = self._head_rows(conn, None, "active",
                                   ["library", "key", "version", "content_hash"])
        h = hashlib.sha256()
        for lib, key, ver, ch in sorted(tuple(r) for r in rows):
            h.update(f"{lib}\x1f{key}\x1f{ver}\x1f{ch}\n".encode())
        self._snapshot_cache = (marker, h.hexdigest()[:16])
        return self._snapshot_cache[1]

    def counts(self) -> dict[str, int]:
        """Number of active entries per library."""
        with self._read() as conn:
            rows = self._head_rows(conn, None, "active", ["library"])
        out = dict.fromkeys(LIBRARIES, 0)
        for (lib,) in rows:
            out[lib] = out.get(lib, 0) + 1
        return out

    def frame(self, library: str, *, meta: bool = False) -> Any:
        """Active contents of a library as a pandas DataFrame: one row per key (sorted), the
        content flattened one level (``{"a": {"b": 1}}`` → column ``a.b``). ``meta`` adds the
        columns ``_key`` and ``_version``."""
        import pandas as pd

        entries = self.list(library)
        docs = [e.content for e in entries]
        if any(isinstance(v, dict) for d in docs for v in d.values()):
            df = pd.json_normalize(docs, max_level=1)
        else:
            df = pd.DataFrame.from_records(docs) if docs else pd.DataFrame()
        if meta:
            df.insert(0, "_key", [e.key for e in entries])
            df.insert(1, "_version", [e.version for e in entries])
        return df

    # ------------------------------------------------------------------ export / import
    def export(self, path: str | Path) -> int:
        """Write every version of every entry to ``path`` (``.json`` → JSON, else YAML).
        Returns the number of versions written."""
        with self._read() as conn:
            rows = conn.execute(sa.select(versions)).all()
        entries = sorted((self._entry(r) for r in rows),
                         key=lambda e: (e.library, e.key, e.version))
        return write_export(path, (e.to_dict() for e in entries), self.snapshot_id())

    def import_(self, path: str | Path, *, author: str) -> dict[str, int]:
        """Load an export file; versions keep their number, author, time, status and note.

        A version already present with the same content hash is skipped; with another hash →
        :class:`ConflictError`; versions must continue a key's history without gaps; contents
        whose hash does not match the file are refused. One transaction: all or nothing.
        Returns ``{"inserted", "unchanged"}``.
        """
        from .exchange import import_entries

        return import_entries(self, path, author=author)

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
