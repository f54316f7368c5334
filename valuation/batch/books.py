"""Impairment register and 财会〔2023〕11号 disclosure tables of a batch run (issue 22).

``valuation revalue --only high-impairment`` and a balance-sheet run (``--balance-sheet-date``)
write ``<out>.books.xlsx`` (or ``.csv`` / ``.parquet`` beside a results file of that kind) next
to the results:

* **register** — one row per valued asset that carries an accounting section, measured by
  :mod:`valuation.accounting` with the run's own income (value in use) and market (fair value)
  estimates: classification, source, cost, accumulated amortisation, carrying amount before
  impairment, value in use, fair value less costs of disposal, net realisable value,
  recoverable amount, impairment loss, carrying amount, basis, indicators, flags; refused
  sections are rows with status ``refused`` and their reasons. Assets without an accounting
  section but with a book value typed on the card get a row with the book value as carrying
  amount (status ``book_value``): the same CAS 8 test on the figure the HIGH_IMPAIRMENT rule
  reads.
  With ``--only high-impairment`` the register covers the assets the screening selected (book
  value against the last known value, :mod:`valuation.batch.partition`); a balance-sheet run
  (``--balance-sheet-date``, all assets) books every asset that carries a section.
* **disclosure** — the 11号 tables by category (intangible assets, inventories, development
  expenditure) and source (purchased, self-developed, other), zh and en.

Text cells starting with = + - @ (tab, CR, also after blanks) are neutralised in CSV and xlsx
(:func:`valuation.core.cells.neutralise_frame`, the project's one helper).
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..accounting import book_portfolio, disclosure_table
from ..accounting.book import ANSWER_FIGURES, FAIR_VALUE_PRICE_MODES
from ..accounting.impairment import impairment_loss, recoverable_amount
from ..core.cells import neutralise_frame
from ..core.portfolio import Portfolio
from .io import atomic_path, write_xlsx

__all__ = ["books_path", "books_tables", "write_books"]

#: asset columns the accounting module reads besides ``accounting_*``
_KEEP = ("asset_id", "name", "valuation_date", "rights_term_end", "update_frequency",
         "impairment_indicators", "market_price_mode", "book_value")


def books_path(out: str | os.PathLike[str]) -> Path:
    p = Path(out)
    suffix = ".xlsx" if p.suffix.lower() == ".xlsx" else p.suffix.lower()
    return p.with_name(f"{p.stem}.books{suffix}")


def _portfolio(inp: Any, ids: np.ndarray) -> Portfolio:
    """The valued assets as a portfolio carrying only what the books read."""
    if inp.portfolio is not None:
        return inp.portfolio.subset(ids)
    t = inp.table
    cols = [c for c in t.columns if str(c).startswith("accounting_") or c in _KEEP]
    sub = t[cols]
    sub = sub[sub["asset_id"].astype("str").isin(set(ids.tolist()))]
    sub = sub.drop_duplicates("asset_id", keep="first").reset_index(drop=True)
    recs = {}
    lines = (inp.records or {}).get("accounting.costs")
    if lines is not None and len(lines):
        recs["accounting.costs"] = lines[lines["asset_id"].astype("str").isin(set(ids.tolist()))]
    return Portfolio.from_table(sub, recs, strict=False)


def books_tables(inp: Any, final: pd.DataFrame, *, balance_sheet_date: _dt.date | None = None
                 ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """``(register, {"disclosure": zh table, "disclosure_en": en table})`` of a run."""
    valued = final[final["status"] == "ok"]
    ids = valued["asset_id"].astype(object).to_numpy()
    if not len(ids):
        empty = pd.DataFrame(columns=["asset_id", "status", "classification", *ANSWER_FIGURES])
        return empty, {"disclosure": disclosure_table(empty), "disclosure_en": disclosure_table(empty, "en")}
    pf = _portfolio(inp, ids)
    if balance_sheet_date is not None:
        pf.assets["accounting_balance_sheet_date"] = np.datetime64(balance_sheet_date, "ns")
    est = valued.set_index("asset_id").reindex(pf.index)
    income = est["income_estimate"].to_numpy(float)
    market = est["market_estimate"].to_numpy(float)
    books = book_portfolio(pf.assets, pf.series, pf.records, income, market)
    reg = books.register()
    # assets with a book value but no accounting section: the CAS 8 test on the typed book value
    bv = pd.to_numeric(pf.assets["book_value"], errors="coerce").to_numpy(float) \
        if "book_value" in pf.assets else np.full(len(pf), np.nan)
    plain = ~books.inputs.present & ~np.isnan(bv)
    if plain.any():
        mode = pf.assets["market_price_mode"].astype(object).to_numpy() if "market_price_mode" in pf.assets \
            else np.full(len(pf), None, object)
        fair = np.where(np.isin(mode, FAIR_VALUE_PRICE_MODES), market, np.nan)
        rec, basis = recoverable_amount(income[plain], fair[plain])
        loss = impairment_loss(bv[plain], rec)
        extra = pd.DataFrame({"asset_id": pf.index.to_numpy(object)[plain], "status": "book_value",
                              "carrying_amount_before_impairment": bv[plain], "value_in_use": income[plain],
                              "fair_value_less_costs_of_disposal": fair[plain], "recoverable_amount": rec,
                              "impairment_loss": loss, "carrying_amount": bv[plain] - loss, "basis": basis,
                              "flags": np.where(loss > 0, "IMPAIRMENT_LOSS", "")})
        reg = pd.concat([reg, extra], ignore_index=True)
    return reg, {"disclosure": disclosure_table(reg), "disclosure_en": disclosure_table(reg, "en")}


def write_books(inp: Any, final: pd.DataFrame, out: str | os.PathLike[str], *,
                balance_sheet_date: _dt.date | None = None) -> str:
    """Write the register and the disclosure tables beside ``out``; returns the path."""
    reg, tables = books_tables(inp, final, balance_sheet_date=balance_sheet_date)
    dest = books_path(out)
    with atomic_path(dest) as tmp:
        if dest.suffix == ".xlsx":      # streamed; text neutralised by write_xlsx
            write_xlsx(tmp, {"register": reg, **tables})
        elif dest.suffix == ".parquet":
            reg.to_parquet(tmp, index=False)
        else:
            neutralise_frame(reg).to_csv(tmp, index=False, encoding="utf-8-sig")
    if dest.suffix != ".xlsx":      # the disclosure tables beside a CSV/Parquet register
        for name, fr in tables.items():
            side = dest.with_name(f"{dest.stem}.{name}.csv")
            with atomic_path(side) as tmp:
                neutralise_frame(fr).to_csv(tmp, index=False, encoding="utf-8-sig")
    return str(dest)
