"""Which library an appraisal runs against: the store, the seed files or a snapshot
(docs/DESIGN.md §2 "Library snapshot"). Part of :mod:`valuation.api`."""
from __future__ import annotations

import os
from typing import Any

from ..core.snapshot import LibrarySnapshot

__all__ = ["LibraryLike", "default_db_url", "history_db", "open_library", "snapshot"]

LibraryLike = str | LibrarySnapshot | Any | None

_SNAP_CACHE: dict[str, LibrarySnapshot] = {}
_STORES: dict[str, Any] = {}
_DEFAULT_URLS: dict[tuple[str | None, str] | None, str] = {}


def default_db_url() -> str:
    """The default database's URL (:func:`valuation.library.database.default_url`): imported
    here, not at the top, as the database module brings SQLAlchemy (an import paid at every
    start of a CLI call or the service), which an appraisal against the seed files never uses."""
    from ..library.database import default_url

    return default_url()


def open_library(url: str | None = None, *, init: bool = False) -> Any:
    """Open the five-library store (SQLite file by default, PostgreSQL by URL).

    With ``init=True`` the seed libraries are loaded (idempotent).
    """
    from ..library.store import open_store

    store = open_store(url)
    _register_validators(store)
    if init:
        from ..library.seed.loader import load_seeds

        load_seeds(store)
    return store


def _register_validators(store: Any) -> None:
    """Writes to this store's rules library go through the whitelisted rule compiler
    (docs/DESIGN.md §7), and writes to its indicators library through the quality settings check
    (weights, bands, default scale). Registered on the instance, so stores opened elsewhere are
    unaffected."""
    from ..quality.library import validate_indicator_entry
    from ..rules.applicability import validate_standard  # binds / limits (issue 17)
    from ..rules.engine import validate_rule

    store.register_validator("rules", validate_rule)
    store.register_validator("indicators", validate_indicator_entry)
    store.register_validator("standards", validate_standard)


def snapshot(library: LibraryLike = None) -> LibrarySnapshot:
    """Resolve what an appraisal runs against.

    ``"seed"`` → the seed files as shipped (no database); a store → its active versions;
    a :class:`LibrarySnapshot` → itself; ``None`` → the default store (seeded on first use).
    """
    if isinstance(library, LibrarySnapshot):
        return library
    if library == "seed":
        snap = _SNAP_CACHE.get("seed")
        if snap is None:
            from ..library.snapshot import snapshot_from_seeds

            snap = _SNAP_CACHE["seed"] = snapshot_from_seeds()
        return snap
    store = library
    if library is None or isinstance(library, str):
        store = _default_store(library)
    from ..library.snapshot import snapshot_from_store

    sid = store.snapshot_id()
    snap = _SNAP_CACHE.get(sid)
    if snap is None:
        snap = snapshot_from_store(store)
        if len(_SNAP_CACHE) > 8:
            _SNAP_CACHE.clear()
        _SNAP_CACHE[sid] = snap
    return snap


def _default_store(url: str | None) -> Any:
    # the default URL depends on VALUATION_DB_URL and the working directory: resolved once per
    # pair (resolving the path costs more than the rest of the look-up)
    where = (os.environ.get("VALUATION_DB_URL"), os.getcwd()) if url is None else None
    url = url or _DEFAULT_URLS.get(where) or _DEFAULT_URLS.setdefault(where, default_db_url())
    st = _STORES.get(url)
    if st is None:
        st = open_library(url)
        if not st.list("standards"):
            from ..library.seed.loader import load_seeds

            load_seeds(st)
        _STORES[url] = st
    return st


def history_db(library: LibraryLike) -> Any:
    """Where the run history lives: the store's database (a URL or an open store); the seed
    files have no database, so ``"seed"``/``None`` (and a bare snapshot) mean the default
    database, which :func:`valuation.batch.rundb.engine_for` opens for ``None``."""
    if library is None or (isinstance(library, str) and library == "seed"):
        return None
    if isinstance(library, LibrarySnapshot):
        return None
    return library
