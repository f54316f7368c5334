"""The one facade every face uses (CLI, HTTP service, dashboard, notebooks).

>>> import json
>>> from valuation import api
>>> card = json.load(open("examples/interchange_example.json", encoding="utf-8"))
>>> r = api.appraise(card, library="seed")
>>> r.asset_id
'HZ-2025-0001'
>>> r.provenance["valuation_date"]
'2025-12-31'
"""
from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .core.portfolio import Portfolio, card_hash, column_floats
from .core.result import Result, clean
from .core.snapshot import LibrarySnapshot
from .engine import Evaluation, evaluate

__all__ = ["appraise", "appraise_together", "appraise_many", "price", "revalue", "backtest", "open_library",
           "snapshot", "validate", "report", "book", "book_papers", "BatchResult", "cite", "__version__"]

LibraryLike = str | LibrarySnapshot | Any | None

_SNAP_CACHE: dict[str, LibrarySnapshot] = {}


def default_db_url() -> str:
    """``VALUATION_DB_URL`` or the embedded SQLite file ``./var/valuation.db``."""
    return os.environ.get("VALUATION_DB_URL") or f"sqlite:///{Path('var/valuation.db').resolve()}"


def open_library(url: str | None = None, *, init: bool = False) -> Any:
    """Open the five-library store (SQLite file by default, PostgreSQL by URL).

    With ``init=True`` the seed libraries are loaded (idempotent).
    """
    from .library.store import open_store

    store = open_store(url)
    _register_validators(store)
    if init:
        from .library.seed.loader import load_seeds

        load_seeds(store)
    return store


def _register_validators(store: Any) -> None:
    """Writes to this store's rules library go through the whitelisted rule compiler
    (docs/DESIGN.md §7), and writes to its indicators library through the quality settings check
    (weights, bands, default scale). Registered on the instance, so stores opened elsewhere are
    unaffected."""
    try:
        from .rules.engine import validate_rule
    except ImportError:  # pragma: no cover - the rules package ships with the engine
        return
    store.register_validator("rules", validate_rule)
    from .quality.library import validate_indicator_entry

    store.register_validator("indicators", validate_indicator_entry)
    from .rules.applicability import validate_standard  # binds / limits (issue 17)

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
            from .library.snapshot import snapshot_from_seeds

            snap = _SNAP_CACHE["seed"] = snapshot_from_seeds()
        return snap
    store = library
    if library is None or isinstance(library, str):
        store = _default_store(library)
    from .library.snapshot import snapshot_from_store

    sid = store.snapshot_id()
    snap = _SNAP_CACHE.get(sid)
    if snap is None:
        snap = snapshot_from_store(store)
        if len(_SNAP_CACHE) > 8:
            _SNAP_CACHE.clear()
        _SNAP_CACHE[sid] = snap
    return snap


_STORES: dict[str, Any] = {}


def _default_store(url: str | None) -> Any:
    url = url or default_db_url()
    st = _STORES.get(url)
    if st is None:
        st = open_library(url)
        if not st.list("standards"):
            from .library.seed.loader import load_seeds

            load_seeds(st)
        _STORES[url] = st
    return st


def validate(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every problem of a card as dicts (empty list when valid)."""
    from .core.validate import check_document

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
                     seed=int(pf.assets.loc[aid, "seed"]))


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
    snap = snapshot(library)
    out: list[Result | Exception | None] = [None] * len(cards)

    def alone(i: int) -> None:
        try:
            out[i] = _appraise_card(cards[i], snap, trace, as_of,
                                    None if input_hashes is None else input_hashes[i])
        except Exception as e:  # noqa: BLE001 - the caller gets it as this card's outcome
            out[i] = e

    # portfolios of distinct asset ids: the id is the index of a portfolio
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

    for _, idx in groups:
        if len(idx) == 1:
            alone(idx[0])
            continue
        try:
            pf = Portfolio.from_cards([cards[i] for i in idx], strict=False)
            bad = {x.row for x in getattr(pf, "rejected", [])}
            kept = [i for k, i in enumerate(idx) if k not in bad]
            if len(kept) != len(pf):
                raise RuntimeError("rows of the portfolio do not match the cards")
            ev = evaluate(pf, snap, trace=trace, explain=True, as_of=as_of) if kept else None
        except Exception:  # noqa: BLE001 - each card alone gives its own outcome
            for i in idx:
                alone(i)
            continue
        # the seeds read once (``pf.assets.loc[aid, "seed"]`` costs ~40 µs a card)
        try:
            seeds = column_floats(pf.assets, "seed")
        except Exception:  # noqa: BLE001 - then each card's own read below, and its own outcome
            seeds = None
        for k, (i, aid) in enumerate(zip(kept, pf.index)):
            try:
                seed = pf.assets.loc[aid, "seed"] if seeds is None else seeds[k]
                h = card_hash(cards[i]) if input_hashes is None else input_hashes[i]
                out[i] = ev.result(aid, input_hash=h,  # type: ignore[union-attr]
                                   seed=int(seed))
            except Exception:  # noqa: BLE001
                alone(i)
        for i in idx:
            if out[i] is None:          # rejected by validation: its own, unprefixed error
                alone(i)
    return out  # type: ignore[return-value]


class BatchResult:
    """Results of many assets: ``frame`` (one row per asset) and ``failures`` (rejected rows)."""

    def __init__(self, evaluation: Evaluation | None, failures: list[dict[str, Any]],
                 hashes: Mapping[str, str] | None = None):
        self.evaluation = evaluation
        self.failures = failures
        self._hashes = dict(hashes or {})

    @property
    def frame(self) -> pd.DataFrame:
        if self.evaluation is None:
            return pd.DataFrame()
        fr = self.evaluation.frame.copy()
        for m, mr in self.evaluation.methods.items():
            fr[f"{m}_estimate"] = mr.frame["estimate"]
            fr[f"{m}_applicable"] = mr.frame["applicable"]
        fr["flags"] = [";".join(f["code"] for f in self.evaluation.flags.get(a, []))
                       for a in fr.index]
        return fr

    def results(self) -> list[Result]:
        if self.evaluation is None:
            return []
        return [self.evaluation.result(a, input_hash=self._hashes.get(a, ""))
                for a in self.evaluation.frame.index]

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results()],
                "failures": clean(self.failures)}

    def to_frame(self) -> pd.DataFrame:
        """One row per appraised asset (index ``asset_id``): estimate, low, high, coverage,
        currency, final, flags (codes joined by ``;``) and per approach its estimate, weight and
        applicability — the columns a reader wants, not the engine's working columns."""
        fr = self.frame
        if not len(fr):
            return pd.DataFrame(columns=["estimate", "low", "high", "coverage", "currency", "final", "flags"])
        out = fr[[c for c in ("estimate", "low", "high", "coverage", "currency") if c in fr.columns]].copy()
        flags = self.evaluation.flags if self.evaluation is not None else {}
        out["final"] = [not any(f.get("severity") == "blocker" for f in flags.get(a, [])) for a in fr.index]
        out["flags"] = fr["flags"]
        for m in ("cost", "income", "market"):
            for k in ("estimate", "weight", "applicable"):
                if f"{m}_{k}" in fr.columns:
                    out[f"{m}_{k}"] = fr[f"{m}_{k}"]
        out.index.name = "asset_id"
        return out

    def __repr__(self) -> str:
        ev = self.evaluation
        n = 0 if ev is None else len(ev.frame)
        valued = 0 if ev is None else int(ev.frame["estimate"].notna().sum())
        flagged = 0 if ev is None else sum(1 for v in ev.flags.values() if v)
        return (f"BatchResult(assets={n}, with_estimate={valued}, flagged={flagged}, "
                f"failures={len(self.failures)})")


def appraise_many(portfolio: Portfolio | pd.DataFrame | Sequence[Mapping[str, Any]], *,
                  library: LibraryLike = None, trace: bool = False,
                  as_of: _dt.date | None = None) -> BatchResult:
    """Appraise many assets at once (columnar). Bad cards/rows become failures with their
    reasons; the rest is appraised."""
    snap = snapshot(library)
    hashes: dict[str, str] = {}
    if isinstance(portfolio, Portfolio):
        pf = portfolio
    elif isinstance(portfolio, pd.DataFrame):
        pf = Portfolio.from_table(portfolio, strict=False)
    else:
        cards = list(portfolio)
        pf = Portfolio.from_cards(cards, strict=False)
        for c in cards:
            sec = c.get("asset") if isinstance(c, Mapping) else None
            aid = sec.get("asset_id") if isinstance(sec, Mapping) else None
            if isinstance(aid, str):
                hashes[aid] = card_hash(c)
    failures = [i.to_dict() for i in getattr(pf, "rejected", [])]
    if len(pf) == 0:
        return BatchResult(None, failures)
    ev = evaluate(pf, snap, trace=trace, as_of=as_of)
    return BatchResult(ev, failures, hashes)


def price(product: Mapping[str, Any], *, library: LibraryLike = None) -> dict[str, Any]:
    """Public-data pricing under 发改价格〔2025〕65号 (maximum allowed revenue, price caps)."""
    from .pricing.public_data import price as _price

    snap = snapshot(library)
    out = _price(product, snap=snap)
    prov = dict(out.get("provenance") or {})
    prov.update({"engine_version": __version__, "library_snapshot": snap.snapshot_id,
                 "input_hash": card_hash(product)})
    out["provenance"] = prov
    return out


def book(card: Mapping[str, Any], *, library: LibraryLike = None,
         as_of: _dt.date | None = None) -> dict[str, Any]:
    """入表 and impairment test of one card (财会〔2023〕11号; CAS 6, CAS 1, CAS 8).

    The engine appraises the card (same snapshot); its income approach is the value in use and
    its market approach (one-off price) the fair value of :mod:`valuation.accounting`. Returns
    ``classification``, the figures (``cost`` … ``carrying_amount``, absent ones None),
    ``schedule``, ``disclosure``, ``flags``, ``trace`` and ``provenance``. Raises
    :class:`~valuation.core.errors.ValidationError` for a bad card or accounting section.
    """
    from .accounting.book import book_for_evaluation

    snap = snapshot(library)
    pf = Portfolio.from_card(card)
    ev = evaluate(pf, snap, trace=False, explain=False, as_of=as_of)
    books = book_for_evaluation(pf, ev.methods)
    ans = books.answer(0, provenance={"engine_version": __version__, "library_snapshot": snap.snapshot_id,
                                      "input_hash": card_hash(card),
                                      "valuation_date": str(pf.assets["valuation_date"].iloc[0].date())})
    from .core.citations import citations

    for f in ans["flags"]:          # the documents by title and article, as the engine's flags
        f["citations"] = citations(f["references"], snap.standards)
    return ans


def book_papers(card: Mapping[str, Any], *, fmt: str = "xlsx", lang: str = "zh",
                library: LibraryLike = None, answer: Mapping[str, Any] | None = None) -> bytes:
    """入表底稿 of one card as ``docx`` or ``xlsx`` bytes (:mod:`valuation.report.books_papers`)."""
    from .report.books_papers import render_books

    snap = snapshot(library)
    ans = answer if answer is not None else book(card, library=snap)
    return render_books(card, ans, fmt, lang, snap.standards)


def revalue(portfolio: Any, out: str | os.PathLike[str], **kwargs: Any) -> Any:
    """Batch revaluation of a portfolio file or frame (see :mod:`valuation.batch`)."""
    from .batch.pipeline import revalue as _revalue

    return _revalue(portfolio, out, **kwargs)


def _history_db(library: LibraryLike) -> Any:
    """Where the run history lives: the store's database (a URL or an open store); the seed
    files have no database, so ``"seed"``/``None`` mean the default database."""
    if library is None or (isinstance(library, str) and library == "seed"):
        return None
    if isinstance(library, LibrarySnapshot):
        return None
    return library


def runs(*, library: LibraryLike = None, limit: int | None = None) -> pd.DataFrame:
    """Batch revaluation runs, newest first (docs/DESIGN.md §2 "Run").

    Columns: ``id, status, started_at, finished_at, snapshot_id, input_name, only`` and the
    counts ``total, rejected, screened, valued, failed, flagged``.

    >>> import tempfile, pathlib
    >>> db = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "h.db")
    >>> len(runs(library=db))
    0
    """
    from .batch.rundb import runs_list

    return runs_list(db=_history_db(library), limit=limit)


def run(run_id: str, *, library: LibraryLike = None) -> dict[str, Any]:
    """One batch run: options, counts, timings per stage, library snapshot id, input hash.
    Raises :class:`~valuation.core.errors.NotFoundError` for an unknown id."""
    from .batch.rundb import run_show

    return run_show(run_id, db=_history_db(library))


def runs_diff(a: str, b: str, *, library: LibraryLike = None) -> pd.DataFrame:
    """Per asset of either run: estimate/low/high in run ``a`` and run ``b``, ``change``,
    ``change_ratio`` (b against a), ``flags_new`` and ``flags_cleared``."""
    from .batch.rundb import runs_diff as _diff

    return _diff(a, b, db=_history_db(library))


def history(asset_id: str, *, library: LibraryLike = None) -> pd.DataFrame:
    """Value over time of one asset across batch runs (财资〔2024〕1号: 动态跟踪价值变动):
    ``run_id, started_at, finished_at, snapshot_id, status, estimate, low, high, flags,
    valuation_date`` (the run's valuation date; None for runs recorded before it was kept)."""
    from .batch.rundb import history as _history

    return _history(asset_id, db=_history_db(library))


def history_assets(*, library: LibraryLike = None, limit: int = 5000) -> list[str]:
    """Asset ids with a valued result in the run history (for choosing one), sorted."""
    from .batch.rundb import assets_with_history

    return assets_with_history(db=_history_db(library), limit=limit)


def backtest(cases: Iterable[str], holdout: Iterable[str] | None = None, *, fmt: str = "dadada",
             predictions: str | None = None, group_by: str = "title", fit_share: float = 0.7,
             seed: int = 7) -> Any:
    """Back-test the market approach on held-out listings (see the market method); without
    ``holdout`` the cases are split by listing family / provider / row (``group_by``)."""
    from .methods.market.backtest import run_backtest

    return run_backtest(list(cases), None if holdout is None else list(holdout), fmt=fmt,
                        predictions=predictions, group_by=group_by, fit_share=fit_share, seed=seed)


def report(card: Mapping[str, Any], *, fmt: str = "docx", lang: str = "zh",
           library: LibraryLike = None, result: Result | None = None) -> bytes:
    """The appraisal report of one card as ``docx``, ``xlsx`` (working papers) or ``pdf`` bytes,
    filling the disclosure checklist of 中评协〔2023〕17号 arts. 25–27."""
    from .core.gate import for_document
    from .report import render

    res = result or appraise(card, library=library)
    # the documents' XML cannot hold control characters that free text may carry
    return render(for_document(card), for_document(res.to_dict()), fmt, lang, snapshot(library).standards)


def cite(refs: Iterable[str] | str | None, *, lang: str = "zh", library: LibraryLike = None) -> str:
    """The documents behind standard ids as one line, by title and article from the library's
    standards (``cite("CAS2023.art24")`` → 《数据资产评估指导意见》第二十四条; en: Guidance on Data
    Asset Appraisal, art. 24) — for trace clauses and anything else that carries ids."""
    from .core.citations import citation_list

    return citation_list([refs] if isinstance(refs, str) else refs, snapshot(library).standards, lang)


def sensitivity(card: Mapping[str, Any], *, library: LibraryLike = None, lang: str = "zh",
                two_way: tuple[str, str] = ("income_discount_rate", "income_terminal_growth"),
                steps: int = 5) -> dict[str, Any]:
    """Sensitivity of the reconciled point estimate of one card (CAS 2023 art. 27).

    Returns ``tornado`` (one-at-a-time swings: parameter, low/high input, value at each),
    ``two_way`` (grid of the two parameters, when both are on the card), ``base``, ``x``, ``y``.
    """
    from .engine import run_method
    from .pricing.reconcile import combine
    from .pricing.sensitivity import grid, tornado

    snap = snapshot(library)
    pf = Portfolio.from_card(card)

    def value(p: Portfolio) -> pd.Series:
        results = {m: run_method(m, p, snap) for m in ("cost", "income", "market")}
        return combine(p, results, snap, range_method="mixture")["estimate"]

    from .pricing.sensitivity import resolve_params

    base_fr = combine(pf, {m: run_method(m, pf, snap) for m in ("cost", "income", "market")}, snap,
                      range_method="mixture")
    # only parameters of approaches that carry weight in the conclusion can move it
    weighted = {m for m in ("cost", "income", "market")
                if float(pd.to_numeric(base_fr[f"{m}_weight"], errors="coerce").fillna(0).iloc[0]) > 0}
    params = [p for p in resolve_params(None) if (p.method or "") in weighted]
    cols = ["present", "label_zh", "label_en", "value_at_low", "value_at_high", "low_input", "high_input"]
    tor = tornado(value, pf, params) if params else pd.DataFrame(columns=cols)
    tor = tor[tor["present"].astype(bool)].copy()
    base = float(base_fr["estimate"].iloc[0])
    zh = lang != "en"
    out: dict[str, Any] = {"base": base, "x": two_way[1], "y": two_way[0],
                           "tornado": pd.DataFrame({
                               "parameter": tor["label_zh" if zh else "label_en"].to_numpy(),
                               "low_value": tor["value_at_low"].to_numpy(float),
                               "high_value": tor["value_at_high"].to_numpy(float),
                               "low_input": tor["low_input"].to_numpy(float),
                               "high_input": tor["high_input"].to_numpy(float)}),
                           "two_way": None}
    a = pf.assets.iloc[0]
    rate = a.get("income_discount_rate")
    g = a.get("income_terminal_growth")
    if bool(a.get("has_income")) and pd.notna(rate) and pd.notna(g):
        import numpy as np

        rates = np.round(np.linspace(max(rate - 0.04, 0.01), rate + 0.04, steps), 4)
        gs = np.round(np.linspace(g - 0.02, min(g + 0.02, rate - 0.04 - 1e-3) if rate - 0.04 > g + 0.02
                                  else g + 0.01, steps), 4)
        long = grid(value, pf, two_way[0], rates, two_way[1], gs)
        out["two_way"] = long.pivot(index=two_way[0], columns=two_way[1], values="value")
    return out


def test_rule(expression: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """Compile a rule expression with the whitelisted compiler; returns the facts it reads.

    Raises :class:`~valuation.core.errors.RuleCompileError` with the reason when refused."""
    from .rules.engine import check_expression

    return check_expression(expression, params)


test_rule.__test__ = False  # a library function, not a pytest test


# revenue sharing (issue 21): share, its ledger and schema live in their own module

def parse_library_text(text: str, *, as_json: bool = False) -> Any:
    """A library entry typed into a form (YAML or JSON), parsed with the import's limits:
    aliases refused, nesting depth, duplicate keys, integer size and lone surrogates checked
    before anything can be stored (raises ``ValidationError``)."""
    from .library.safe_load import load_text

    return load_text(text, as_json=as_json, source="YAML" if not as_json else "JSON")

from .share_api import (  # noqa: E402,F401
    coalition_values_from_income,
    share,
    share_diff,
    share_export,
    share_history,
    share_record,
    share_report,
    share_schema,
)
