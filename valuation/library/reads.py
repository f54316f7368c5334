"""Reading the five-library store: the version in force, lists, history, the audit log, the
snapshot id, counts, frames and the export file (docs/DESIGN.md §6). A part of
:class:`valuation.library.store.Store`, which writes."""
from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..core.errors import NotFoundError
from .changes import ChangeProbe, PostgresProbe
from .exchange import write_export
from .records import LIBRARIES, AuditRecord, Entry, canonical_json, check_library, check_status
from .tables import audit, versions

__all__ = ["StoreReads"]

_V = versions.c


def _aware(ts: _dt.datetime) -> _dt.datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=_dt.UTC)


class StoreReads:
    """The reads of :class:`~valuation.library.store.Store` (which supplies ``_read``,
    ``engine``, ``_read``, ``_entry``, ``_latest_row``, ``_head_rows`` and ``_snapshot_cache``)."""

    engine: sa.Engine
    #: (change probe token, audit marker, snapshot id) of the last :meth:`snapshot_id`
    _snapshot_cache: tuple[Any, tuple[int, Any], str] | None
    _changes: ChangeProbe | PostgresProbe

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
        version or a retirement changes it; a draft does not. Asked on every appraisal, so it
        is kept with what identifies the committed state: no query at all while the change
        probe (:mod:`valuation.library.changes`: SQLite's ``data_version``; PostgreSQL: the
        ``NOTIFY`` each store write sends, counted on a ``LISTEN`` connection from the second
        call on) says nothing was committed, by this process or another; else one query of
        the audit log's marker, and the entries are hashed again only when that marker moved.
        PostgreSQL: another process's commit counts once its notification has arrived
        (typically well under a millisecond after it), and the marker is asked again when the
        probe's token is a second old (writes that bypass the store); see that module.
        """
        token = self._changes.token()            # before reading: a write after it changes the next token
        cache = self._snapshot_cache
        if token is not None and cache is not None and cache[0] == token:
            return cache[2]
        with self._read() as conn:
            # every write appends audit rows in its own transaction and audit rows are never
            # deleted: (count, max id) of the audit log identifies the committed state
            marker = tuple(conn.execute(sa.select(sa.func.count(), sa.func.max(audit.c.id))).one())
            # (the same audit marker in another database file at the same path means nothing)
            same_db = token is None or (cache is not None and cache[0] is not None
                                        and cache[0].database == token.database)
            if cache is not None and cache[1] == marker and same_db:
                self._snapshot_cache = (token, marker, cache[2])
                return cache[2]
            rows = self._head_rows(conn, None, "active",
                                   ["library", "key", "version", "content_hash"])
        h = hashlib.sha256()
        for lib, key, ver, ch in sorted(tuple(r) for r in rows):
            h.update(f"{lib}\x1f{key}\x1f{ver}\x1f{ch}\n".encode())
        self._snapshot_cache = (token, marker, h.hexdigest()[:16])
        return self._snapshot_cache[2]

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
