"""Keys of listings: normalised titles, the duplicate-listing key and listing families.

A listing posted twice (same exchange, provider, title up to spacing / punctuation / case,
price and price mode) is one piece of evidence, not two: the importers keep the first and skip
the others (reason ``duplicate_listing``). A listing *family* — the same exchange, provider and
title without its digits (every year / edition of one series, "铝2020年度指数数据" and
"铝2021年度指数数据") — is kept row by row (different products, often one price list) but never
split across the fitting and the hold-out part of a back-test
(``valuation.backtest.splitting``).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["family_key", "family_keys", "listing_key", "normalise_title", "stripped",
           "text_column"]

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"[0-9]+")


def normalise_title(title: Any, *, digits: bool = True) -> str:
    """NFKC, case-folded, without spaces and punctuation; ``digits=False`` also drops digits
    (years, editions), which gives the title of a listing *family*."""
    s = unicodedata.normalize("NFKC", title if isinstance(title, str) else "").casefold()
    s = _PUNCT.sub("", s)
    return s if digits else _DIGITS.sub("", s)


def text_column(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    return df[col].map(lambda v: v.strip() if isinstance(v, str) else "")


def listing_key(df: pd.DataFrame, *, price_col: str = "price", mode_col: str = "price_mode") -> pd.Series:
    """Key of one listing: exchange | provider | normalised title | price | price mode."""
    price = pd.to_numeric(df[price_col], errors="coerce") if price_col in df.columns else \
        pd.Series(np.nan, index=df.index)
    return (text_column(df, "platform") + "|" + text_column(df, "provider") + "|" +
            text_column(df, "title").map(normalise_title) + "|" + price.map(lambda v: f"{v:.6g}") + "|" +
            text_column(df, mode_col))


def stripped(values: Any) -> np.ndarray:
    """Text stripped of surrounding spaces, "" for anything that is not text (object array)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [v.strip() if isinstance(v, str) else "" for v in values]
    return out


def family_keys(platform: Any, provider: Any, title: Any) -> np.ndarray:
    """Listing family of every row of three aligned sequences (object array): exchange |
    provider | title without digits (normalised) — the arrays form of :func:`family_key`."""
    plat, prov, tit = stripped(platform), stripped(provider), stripped(title)
    out = np.empty(len(plat), dtype=object)
    out[:] = [f"{a}|{b}|{normalise_title(t, digits=False)}" for a, b, t in zip(plat, prov, tit)]
    return out


def family_key(df: pd.DataFrame) -> pd.Series:
    """Listing family: exchange | provider | title without digits (normalised)."""
    cols = [df[c].to_numpy(object) if c in df.columns else [None] * len(df) for c in ("platform", "provider", "title")]
    return pd.Series(family_keys(*cols), index=df.index, dtype=object)
