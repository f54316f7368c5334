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

__all__ = ["share", "share_history", "share_record", "share_diff", "share_export", "share_schema", "share_report",
           "coalition_values_from_income"]


def _engine(db: Any, library: Any) -> Any:
    """The ledger's database: ``db`` if given, else the library store's database (the seed
    files have none, so ``"seed"``/``None`` mean the default database), as for batch runs."""
    from .batch.rundb import engine_for
    from .facade.library import history_db

    return engine_for(db if db is not None else history_db(library))


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


_STREAMS = ("revenue", "income", "base", "nopat", "savings")


def _scaled_card(card: Mapping[str, Any], k: float, asset_id: str) -> dict[str, Any]:
    """A copy of ``card`` whose income streams are multiplied by ``k`` (lists element-wise,
    ``{base, growth}`` by the base)."""
    import copy

    c = copy.deepcopy(dict(card))
    c["asset"] = {**c.get("asset", {}), "asset_id": asset_id}
    inc = c.get("income") or {}
    for key in _STREAMS:
        s = inc.get(key)
        if isinstance(s, list):
            inc[key] = [float(x) * k for x in s]
        elif isinstance(s, dict) and "base" in s:
            inc[key] = {**s, "base": float(s["base"]) * k}
    return c


def coalition_values_from_income(card: Mapping[str, Any], contributions: Mapping[str, float], *,
                                 requires: Sequence[str] = (), library: Any = None, max_n: int = 10
                                 ) -> list[dict[str, Any]]:
    """v(S) from the engine: the income approach of the product with only S's contributions.

    ``contributions[i]`` is the part of the product's income streams that participant i's
    inputs enable (Σ may exceed 1: overlapping inputs are capped at the whole stream);
    coalitions missing any participant of ``requires`` (e.g. the data holder without whose data
    there is no product) create 0. For every non-empty S the card is appraised with its income
    streams × min(1, Σ_{i∈S} contributions_i) — all 2**n − 1 cards in one columnar evaluation —
    and v(S) is the income approach's estimate. Returns ``coalition_values`` for a spec.
    """
    from itertools import combinations

    from .api import appraise_many
    from .core.errors import RefusedError

    ids = list(contributions)
    if not 1 <= len(ids) <= max_n:
        raise RefusedError(f"按引擎计算联盟价值最多支持 {max_n} 个参与方", f"engine coalition values support at most "
                           f"{max_n} participants", field="contributions", value=len(ids), allowed=f"1..{max_n}")
    coalitions = [list(S) for k in range(1, len(ids) + 1) for S in combinations(ids, k)]
    need = set(requires)
    cards, idx = [], []
    for j, S in enumerate(coalitions):
        if need <= set(S):
            k = min(1.0, sum(float(contributions[i]) for i in S))
            cards.append(_scaled_card(card, k, f"COALITION-{j}"))
            idx.append(j)
    values = [0.0] * len(coalitions)
    if cards:
        res = appraise_many(cards, library=library, trace=False).to_dict()
        if res["failures"]:
            raise RefusedError("联盟卡片评估失败", "a coalition card could not be appraised", field="card",
                               value=str(res["failures"][0])[:200], allowed="a card the income approach accepts")
        by_id = {r["asset_id"]: r for r in res["results"]}
        for j in idx:
            est = (by_id[f"COALITION-{j}"].get("methods") or {}).get("income")
            est = est.get("estimate") if isinstance(est, dict) else est
            values[j] = max(0.0, float(est or 0.0))
    return [{"members": S, "value": round(v, 2)} for S, v in zip(coalitions, values)]
