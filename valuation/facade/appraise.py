"""One card, several cards together, and validation. Part of :mod:`valuation.api`."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.portfolio import Portfolio, card_hash
from ..core.result import Result
from ..engine import evaluate
from .library import LibraryLike, snapshot

__all__ = ["appraise", "appraise_together", "load_engine", "validate"]


def validate(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every problem of a card as dicts (empty list when valid)."""
    from ..core.validate import check_document

    return [i.to_dict() for i in check_document(card, "card")[1]]


def appraise(card: Mapping[str, Any], *, library: LibraryLike = None, trace: bool = True,
             as_of: _dt.date | None = None) -> Result:
    """Appraise one asset card (docs/INTERCHANGE.md) with every applicable approach.

    Raises :class:`~valuation.core.errors.ValidationError` listing every problem of the card.
    """
    return _appraise_card(card, snapshot(library), trace, as_of)


def _appraise_card(card: Mapping[str, Any], snap: Any, trace: bool, as_of: _dt.date | None,
                   input_hash: str | None = None) -> Result:
    """:func:`appraise` on a resolved snapshot (``input_hash``: the card's hash when known)."""
    pf = Portfolio.from_card(card)
    ev = evaluate(pf, snap, trace=trace, explain=True, as_of=as_of)
    aid = pf.index[0]
    return ev.result(aid, input_hash=card_hash(card) if input_hash is None else input_hash,
                     seed=int(pf.columns["seed"][0]))


def appraise_together(cards: Sequence[Mapping[str, Any]], *, library: LibraryLike = None,
                      trace: bool = True, as_of: _dt.date | None = None,
                      input_hashes: Sequence[str] | None = None) -> list[Result | Exception]:
    """Appraise several independent cards in one columnar evaluation, each as if alone.

    Meant for a service answering concurrent single-card requests together: one evaluation of
    ``n`` cards costs much less than ``n`` calls of :func:`appraise`, and an asset's result does
    not depend on the other assets of its portfolio, so each result equals ``appraise(card)``.

    Parameters
    ----------
    cards : sequence of mappings
        Asset cards (docs/INTERCHANGE.md). Several cards may carry the same ``asset_id`` (even with
        different content): they are evaluated in separate portfolios.
    library : str, LibrarySnapshot, store or None
        What every card is appraised against (resolved once, see :func:`snapshot`).
    trace : bool
        Include the calculation traces, as in :func:`appraise`.
    as_of : datetime.date, optional
        As in :func:`appraise`.
    input_hashes : sequence of str, optional
        ``card_hash(card)`` of each card when the caller has computed it already (the HTTP
        service keys its result cache by it); the results' provenance records it instead of
        hashing each card again. Must be those hashes: they are not checked.

    Returns
    -------
    list of Result or Exception
        One entry per card, in order: the :class:`~valuation.core.result.Result` that
        ``appraise(card, library=..., trace=..., as_of=...)`` returns, or the exception it
        raises (e.g. :class:`~valuation.core.errors.ValidationError` for an invalid card).
        A bad card never changes the outcome of the others.

    Notes
    -----
    A card rejected inside the shared portfolio, and every card of a portfolio whose
    evaluation fails, is appraised again alone, so its exception is exactly the one
    :func:`appraise` raises (same message, no "card i:" prefix). Only ``Exception`` is caught.
    """
    cards = list(cards)
    if input_hashes is not None and len(input_hashes) != len(cards):
        raise ValueError(f"input_hashes: {len(input_hashes)} hashes for {len(cards)} cards")
    job = _Together(cards, snapshot(library), trace, as_of, input_hashes)
    for idx in _distinct_id_groups(cards):
        job.run_group(idx)
    return job.out  # type: ignore[return-value]


def _distinct_id_groups(cards: Sequence[Any]) -> list[list[int]]:
    """Card positions in groups of distinct asset ids (the id is the index of a portfolio)."""
    groups: list[tuple[set[Any], list[int]]] = []
    for i, c in enumerate(cards):
        sec = c.get("asset") if isinstance(c, Mapping) else None
        aid = sec.get("asset_id") if isinstance(sec, Mapping) else None
        aid = aid if isinstance(aid, str) else repr(aid)
        g = next((g for g in groups if aid not in g[0]), None)
        if g is None:
            g = (set(), [])
            groups.append(g)
        g[0].add(aid)
        g[1].append(i)
    return [idx for _, idx in groups]


class _Together:
    """The state of one :func:`appraise_together` call: the cards and one outcome slot each."""

    def __init__(self, cards: list[Any], snap: Any, trace: bool, as_of: _dt.date | None,
                 input_hashes: Sequence[str] | None):
        self.cards, self.snap, self.trace, self.as_of = cards, snap, trace, as_of
        self.hashes = input_hashes
        self.out: list[Result | Exception | None] = [None] * len(cards)

    def _hash(self, i: int) -> str | None:
        return None if self.hashes is None else self.hashes[i]

    def alone(self, i: int) -> None:
        try:
            self.out[i] = _appraise_card(self.cards[i], self.snap, self.trace, self.as_of, self._hash(i))
        except Exception as e:  # noqa: BLE001 - the caller gets it as this card's outcome
            self.out[i] = e

    def run_group(self, idx: list[int]) -> None:
        """One columnar evaluation of the cards ``idx`` (distinct ids); any card whose outcome
        the shared evaluation cannot give is appraised alone."""
        if len(idx) == 1:
            self.alone(idx[0])
            return
        try:
            pf = Portfolio.from_cards([self.cards[i] for i in idx], strict=False)
            bad = {x.row for x in getattr(pf, "rejected", [])}
            kept = [i for k, i in enumerate(idx) if k not in bad]
            if len(kept) != len(pf):
                raise RuntimeError("rows of the portfolio do not match the cards")
            ev = evaluate(pf, self.snap, trace=self.trace, explain=True, as_of=self.as_of) if kept else None
        except Exception:  # noqa: BLE001 - each card alone gives its own outcome
            for i in idx:
                self.alone(i)
            return
        seeds = pf.columns["seed"]          # the typed column, read once
        for k, (i, aid) in enumerate(zip(kept, pf.index)):
            try:
                seed = seeds[k]
                h = self._hash(i)
                self.out[i] = ev.result(aid, input_hash=card_hash(self.cards[i]) if h is None else h,  # type: ignore[union-attr]
                                        seed=int(seed))
            except Exception:  # noqa: BLE001
                self.alone(i)
        for i in idx:
            if self.out[i] is None:          # rejected by validation: its own, unprefixed error
                self.alone(i)


def load_engine() -> None:
    """Import the approaches, the reconciliation and the rules now (a service warming up),
    so that the first request does not pay for it."""
    from .. import methods  # noqa: F401
    from ..methods import cost, income, market  # noqa: F401
    from ..pricing import reconcile  # noqa: F401
    from ..rules import engine, facts  # noqa: F401
