"""Revenue sharing in the facade (re-exported by :mod:`valuation.api`): ``share``, the ledger
(``share_history``, ``share_record``, ``share_diff``, ``share_export``) and ``share_schema``.

>>> import json
>>> from valuation import api
>>> spec = json.load(open("examples/sharing/public_data_operation.json", encoding="utf-8"))
>>> r = api.share(spec, library="seed")
>>> round(sum(s["amount"] for s in r["shares"]), 2) == spec["distributable"]
True
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["share", "share_history", "share_record", "share_diff", "share_export", "share_schema", "share_report"]


def _engine(db: Any, library: Any) -> Any:
    """The ledger's database: ``db`` if given, else the library store's database (the seed
    files have none, so ``"seed"``/``None`` mean the default database), as for batch runs."""
    from .api import _history_db
    from .batch.rundb import engine_for

    return engine_for(db if db is not None else _history_db(library))


def share(spec: Mapping[str, Any], *, library: Any = None, record: bool = False, ran_by: str | None = None,
          db: Any = None) -> dict[str, Any]:
    """Share ``spec["distributable"]`` among the participants (docs/sharing.md).

    Returns ``{arrangement_id, method, distributable, currency, shares: [{id, amount, fraction,
    …}], core: {in_core, excess, …}, flags, public_data, trace, provenance}``; the amounts sum to
    the distributable amount to the cent. With ``record=True`` the distribution is appended to
    the ledger (immutable) and ``ledger`` names the record. Raises ``ValidationError`` naming
    every bad field, ``RefusedError`` for a distribution refused on principle.
    """
    from . import __version__
    from .api import snapshot
    from .core.portfolio import card_hash
    from .sharing.run import compute_share

    snap = snapshot(library)
    out = compute_share(spec, snap)
    out["provenance"] = {"engine_version": __version__, "library_snapshot": snap.snapshot_id,
                         "input_hash": card_hash(dict(spec)), "model": out.pop("config")}
    if record:
        from .sharing.ledger import record as _record

        out["ledger"] = _record(_engine(db, library), spec, out, ran_by=ran_by or os.environ.get("USER", ""))
    return out


def share_history(arrangement_id: str | None = None, period: str | None = None, *, library: Any = None,
                  db: Any = None) -> pd.DataFrame:
    """Ledger records, oldest first (one row per record)."""
    from .sharing.ledger import history

    return history(_engine(db, library), arrangement_id, period)


def share_record(record_id: str, *, library: Any = None, db: Any = None) -> dict[str, Any]:
    """One ledger record (content hash verified); NotFoundError when unknown."""
    from .sharing.ledger import show

    return show(_engine(db, library), record_id)


def share_diff(a: str, b: str, *, library: Any = None, db: Any = None) -> pd.DataFrame:
    """Per participant: amount and fraction in records ``a`` and ``b`` and the changes."""
    from .sharing.ledger import diff

    return diff(_engine(db, library), a, b)


def share_export(record_ids: Sequence[str], path: str | os.PathLike[str], *, library: Any = None,
                 db: Any = None) -> Path:
    """Write the allocations of ``record_ids`` to ``.csv`` or ``.xlsx`` (formula-safe)."""
    from .sharing.export import allocation_frame, write_export
    from .sharing.ledger import show

    eng = _engine(db, library)
    return write_export(allocation_frame([show(eng, r) for r in record_ids]), path)


def share_schema(lang: str = "en") -> dict[str, Any]:
    """JSON Schema of the sharing spec (``valuation schema --doc share``)."""
    from .sharing.spec import json_schema

    return json_schema(lang)


def share_report(answer: Mapping[str, Any], *, lang: str = "zh", library: Any = None) -> bytes:
    """The sharing section as a stand-alone ``.docx`` (clauses cited from the standards library
    of ``library``); to add it to another document use
    :func:`valuation.report.sharing_section.add_sharing_section`."""
    from .api import snapshot
    from .report.sharing_section import sharing_docx

    return sharing_docx(answer, snapshot(library).standards, lang)
