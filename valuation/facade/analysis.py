"""Public-data pricing, 入表, reports, citations, sensitivity, the market back-test and the
rule and library-entry checks of the forms. Part of :mod:`valuation.api`."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..core.portfolio import Portfolio, card_hash
from ..core.result import Result
from ..engine import evaluate
from .appraise import appraise
from .library import LibraryLike, snapshot

__all__ = ["backtest", "book", "book_papers", "cite", "parse_library_text", "price", "report", "sensitivity",
           "test_rule"]


def price(product: Mapping[str, Any], *, library: LibraryLike = None) -> dict[str, Any]:
    """Public-data pricing under 发改价格〔2025〕65号 (maximum allowed revenue, price caps)."""
    from ..pricing.public_data import price as _price

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
    from ..accounting.book import book_for_evaluation

    snap = snapshot(library)
    pf = Portfolio.from_card(card)
    ev = evaluate(pf, snap, trace=False, explain=False, as_of=as_of)
    books = book_for_evaluation(pf, ev.methods)
    ans = books.answer(0, provenance={"engine_version": __version__, "library_snapshot": snap.snapshot_id,
                                      "input_hash": card_hash(card),
                                      "valuation_date": str(pf.assets["valuation_date"].iloc[0].date())})
    from ..core.citations import citations

    for f in ans["flags"]:          # the documents by title and article, as the engine's flags
        f["citations"] = citations(f["references"], snap.standards)
    return ans


def book_papers(card: Mapping[str, Any], *, fmt: str = "xlsx", lang: str = "zh",
                library: LibraryLike = None, answer: Mapping[str, Any] | None = None) -> bytes:
    """入表底稿 of one card as ``docx`` or ``xlsx`` bytes (:mod:`valuation.report.books_papers`)."""
    from ..report.books_papers import render_books

    snap = snapshot(library)
    ans = answer if answer is not None else book(card, library=snap)
    return render_books(card, ans, fmt, lang, snap.standards)


def backtest(cases: Iterable[str], holdout: Iterable[str] | None = None, *, fmt: str = "dadada",
             predictions: str | None = None, group_by: str = "title", fit_share: float = 0.7,
             seed: int = 7) -> Any:
    """Back-test the market approach on held-out listings (see the market method); without
    ``holdout`` the cases are split by listing family / provider / row (``group_by``)."""
    from ..backtest import run_backtest

    return run_backtest(list(cases), None if holdout is None else list(holdout), fmt=fmt,
                        predictions=predictions, group_by=group_by, fit_share=fit_share, seed=seed)


def report(card: Mapping[str, Any], *, fmt: str = "docx", lang: str = "zh",
           library: LibraryLike = None, result: Result | None = None) -> bytes:
    """The appraisal report of one card as ``docx``, ``xlsx`` (working papers) or ``pdf`` bytes,
    filling the disclosure checklist of 中评协〔2023〕17号 arts. 25–27."""
    from ..core.gate import for_document
    from ..report import render

    res = result or appraise(card, library=library)
    # the documents' XML cannot hold control characters that free text may carry
    return render(for_document(card), for_document(res.to_dict()), fmt, lang, snapshot(library).standards)


def cite(refs: Iterable[str] | str | None, *, lang: str = "zh", library: LibraryLike = None) -> str:
    """The documents behind standard ids as one line, by title and article from the library's
    standards (``cite("CAS2023.art24")`` → 《数据资产评估指导意见》第二十四条; en: Guidance on Data
    Asset Appraisal, art. 24) — for trace clauses and anything else that carries ids."""
    from ..core.citations import citation_list

    return citation_list([refs] if isinstance(refs, str) else refs, snapshot(library).standards, lang)


def sensitivity(card: Mapping[str, Any], *, library: LibraryLike = None, lang: str = "zh",
                two_way: tuple[str, str] = ("income_discount_rate", "income_terminal_growth"),
                steps: int = 5) -> dict[str, Any]:
    """Sensitivity of the reconciled point estimate of one card (CAS 2023 art. 27).

    Returns ``tornado`` (one-at-a-time swings: parameter, low/high input, value at each),
    ``two_way`` (grid of the two parameters, when both are on the card), ``base``, ``x``, ``y``.
    """
    from ..engine import run_method
    from ..pricing.combine import combine_columns
    from ..pricing.config import reconcile_config
    from ..pricing.sensitivity import grid, resolve_params, tornado

    snap = snapshot(library)
    pf = Portfolio.from_card(card)
    cfg = reconcile_config(snap)

    def conclusion(p: Portfolio) -> dict[str, Any]:
        # the reconciled columns as arrays (the analytic mixture's range: no Monte Carlo here)
        results = {m: run_method(m, p, snap) for m in ("cost", "income", "market")}
        return combine_columns(p, results, snap, cfg, range_method_="mixture")[0]

    def value(p: Portfolio) -> np.ndarray:
        return np.asarray(conclusion(p)["estimate"], dtype=float)

    base_cols = conclusion(pf)
    # only parameters of approaches that carry weight in the conclusion can move it
    weighted = {m for m in ("cost", "income", "market")
                if float(np.nan_to_num(np.asarray(base_cols[f"{m}_weight"], dtype=float))[0]) > 0}
    params = [p for p in resolve_params(None) if (p.method or "") in weighted]
    cols = ["present", "label_zh", "label_en", "value_at_low", "value_at_high", "low_input", "high_input"]
    tor = tornado(value, pf, params) if params else pd.DataFrame(columns=cols)
    tor = tor[tor["present"].astype(bool)].copy()
    base = float(base_cols["estimate"][0])
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
        rates = np.round(np.linspace(max(rate - 0.04, 0.01), rate + 0.04, steps), 4)
        gs = np.round(np.linspace(g - 0.02, min(g + 0.02, rate - 0.04 - 1e-3) if rate - 0.04 > g + 0.02
                                  else g + 0.01, steps), 4)
        long = grid(value, pf, two_way[0], rates, two_way[1], gs)
        out["two_way"] = long.pivot(index=two_way[0], columns=two_way[1], values="value")
    return out


def test_rule(expression: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """Compile a rule expression with the whitelisted compiler; returns the facts it reads.

    Raises :class:`~valuation.core.errors.RuleCompileError` with the reason when refused."""
    from ..rules.engine import check_expression

    return check_expression(expression, params)


test_rule.__test__ = False  # a library function, not a pytest test


def parse_library_text(text: str, *, as_json: bool = False) -> Any:
    """A library entry typed into a form (YAML or JSON), parsed with the import's limits:
    aliases refused, nesting depth, duplicate keys, integer size and lone surrogates checked
    before anything can be stored (raises ``ValidationError``)."""
    from ..library.safe_load import load_text

    return load_text(text, as_json=as_json, source="YAML" if not as_json else "JSON")
