"""Importer of the DaDaDa listings of Chinese data exchanges (conventions in the package
docstring and ``case_library/DATA_CARD.md``)."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .importing import SKIP_REASONS, ImportReport, _finish, _gen_ids, parse_price_text
from .listings import listing_key
from .schema import AWS_CATEGORY, _blank

DADADA_SNAPSHOT_DATE = "2024-08-17"


# --------------------------------------------------------------------------- DaDaDa
_DADADA_MODES = {"one-off": "one_off", "subscription": "subscription_year", "usage-based": "per_call",
                 "negotiation": "negotiated", "free": "free"}
_DADADA_FREQ = {"no-update": "no-update", "daily": "daily", "monthly": "monthly",
                "real-time": "real-time", "irregular": "irregular", "yearly": "yearly",
                "weekly": "weekly", "quarterly": "quarterly", "hourly": "real-time",
                "on-demand": "irregular"}
_PLATFORM_CODE = {"Shanghai": "SH", "Guiyang": "GY", "Beijing": "BJ", "Zhejiang": "ZJ",
                  "Canton": "GZ", "Guangzhou": "GZ"}


def _platform_code(p: Any) -> str:
    s = str(p) if isinstance(p, str) else ""
    for k, v in _PLATFORM_CODE.items():
        if k in s:
            return v
    return "XX"


def _num_col(raw: pd.DataFrame, name: str) -> np.ndarray:
    if name not in raw.columns:
        return np.full(len(raw), np.nan)
    return pd.to_numeric(raw[name], errors="coerce").to_numpy(float, copy=True)


def _txt_col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name not in raw.columns:
        return pd.Series([np.nan] * len(raw), dtype="str")
    return _blank(raw[name].astype("str").str.replace(r"[\r\n]+", " ", regex=True))


def import_dadada(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
                  date: str = DADADA_SNAPSHOT_DATE, rights_type: str = "product_operation",
                  exclusivity: str = "non_exclusive", guiyang_order_min_price: float = 100.0
                  ) -> ImportReport:
    """Import DaDaDa listing files (the five exchange files or ``derived_cn_priced_listings.csv``).

    Every row is either imported (a priced listing) or skipped with its reason: negotiation
    (no price), free, price 0, unparseable price, unknown mode, non-CNY currency, duplicate
    (same platform, url, title, mode and price as a row already imported), duplicate listing
    (same platform, provider, normalised title, price and mode — another url; see
    :mod:`.listings`) or invalid. See the
    module docstring for the conventions (Guiyang per-order prices, subscription per year)."""
    files = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    frames, metas, skips, total, n_orders = [], [], [], 0, 0
    notes: list[str] = []
    for f in files:
        raw = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
        total += len(raw)
        px = _prices(raw, guiyang_order_min_price)
        n_orders += int(px["gy"].sum())
        ok = _priced_rows(raw, px, str(f), skips)
        out = _cases(raw, px, Path(f).name, date=date, rights_type=rights_type, exclusivity=exclusivity)
        frames.append(out.loc[ok])
        metas.append(pd.DataFrame({"file": str(f), "row": np.flatnonzero(ok) + 1}))
    if n_orders:
        notes.append(f"贵阳“元/次”数据集价格按每单一次性买断处理 / Guiyang per-order prices mapped to one_off: {n_orders}")
    cand = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    meta = pd.concat(metas, ignore_index=True) if metas else pd.DataFrame({"file": [], "row": []})
    if len(cand):
        cand, meta = _drop_repeated_listings(cand, meta, skips)
    return _finish(cand, meta, skips, total, [str(f) for f in files], notes)


def _prices(raw: pd.DataFrame, guiyang_order_min_price: float) -> dict[str, Any]:
    """Price, mode and their texts of every row of one file: a price cell that is not a plain
    number is parsed as text (e.g. "88元/月"); the derived file's stored price is cross-checked
    against the original text (``bad_text``); Guiyang per-call prices of a dataset are per order
    (``gy`` → one-off)."""
    n = len(raw)
    derived = "price_rmb" in raw.columns
    platform = _txt_col(raw, "platform")
    mode_raw = _txt_col(raw, "price_mode").str.lower()
    mode = mode_raw.map(lambda v: _DADADA_MODES.get(v, np.nan) if isinstance(v, str) else np.nan)
    mode = mode.to_numpy(object, copy=True)
    price = _num_col(raw, "price_rmb" if derived else "price")
    text = raw["raw_price_text"] if "raw_price_text" in raw.columns else \
        (raw["price"] if "price" in raw.columns else pd.Series([None] * n))
    for i in np.flatnonzero(~np.isfinite(price)):
        v = text.iloc[i]
        if isinstance(v, str) and v.strip():
            pv, pm = parse_price_text(v)
            price[i] = pv
            if pm and not isinstance(mode[i], str):
                mode[i] = pm
    bad_text = np.zeros(n, dtype=bool)
    if derived:  # cross-check the stored price against the original text
        for i in range(n):
            pv, _ = parse_price_text(text.iloc[i])
            if np.isfinite(pv) and np.isfinite(price[i]) and price[i] > 0 and \
                    abs(pv - price[i]) > 0.01 * max(pv, price[i]):
                bad_text[i] = True
    gy = (platform.fillna("").str.contains("Guiyang").to_numpy(bool)) & (mode == "per_call") & \
        np.isfinite(price) & (price >= guiyang_order_min_price)
    return {"derived": derived, "platform": platform, "mode_raw": mode_raw,
            "mode": np.where(gy, "one_off", mode), "price": price, "text": text,
            "bad_text": bad_text, "gy": gy}


def _priced_rows(raw: pd.DataFrame, px: Mapping[str, Any], file: str, skips: list[dict[str, Any]]
                 ) -> np.ndarray:
    """Rows with a CNY price of a known mode; every other row is a skip with its reason."""
    mode, price, text = px["mode"], px["price"], px["text"]
    title, cur = _txt_col(raw, "title"), _txt_col(raw, "currency").str.upper()
    ok = np.ones(len(raw), dtype=bool)
    for i in range(len(raw)):
        code = None
        if isinstance(cur.iloc[i], str) and cur.iloc[i] not in ("RMB", "CNY"):
            code = "currency"
        elif mode[i] == "negotiated":
            code = "negotiated"
        elif mode[i] == "free":
            code = "free"
        elif not isinstance(mode[i], str):
            code = "unknown_price_mode"
        elif not np.isfinite(price[i]):
            code = "unparseable_price"
        elif price[i] <= 0:
            code = "zero_price"
        if code:
            ok[i] = False
            zh, en = SKIP_REASONS[code]
            skips.append({"file": file, "row": i + 1, "title": title.iloc[i], "reason": code,
                          "reason_zh": zh, "reason_en": en,
                          "detail": f"{px['mode_raw'].iloc[i]} {text.iloc[i] if px['derived'] else price[i]}"})
    return ok


def _cases(raw: pd.DataFrame, px: Mapping[str, Any], name: str, *, date: str, rights_type: str,
           exclusivity: str) -> pd.DataFrame:
    """The case rows of one file (every row; the caller keeps the priced ones)."""
    derived, platform = px["derived"], px["platform"]
    aws = _txt_col(raw, "category_aws")
    cat = aws.map(lambda v: AWS_CATEGORY.get(v, "other") if isinstance(v, str) else "other")
    out = pd.DataFrame({
        "title": _txt_col(raw, "title"), "category": cat.astype("str"),
        "industry": _txt_col(raw, "category_src" if derived else "category"),
        "records": _num_col(raw, "volume"), "fields": _num_col(raw, "dimension"),
        "size_bytes": _num_col(raw, "size_bytes" if derived else "size"),
        "update_frequency": _txt_col(raw, "update_frequency").map(
            lambda v: _DADADA_FREQ.get(v, np.nan) if isinstance(v, str) else np.nan).astype("str"),
        "rights_type": rights_type, "exclusivity": exclusivity, "price_mode": px["mode"],
        "price": px["price"], "date": date,
        "region": _txt_col(raw, "coverage"), "evidence_type": "listing",
        "source": f"DaDaDa (ZJU-DIVER/DaDaDa) {name}", "licence": "Apache-2.0",
        "quality": np.nan, "platform": platform, "url": _txt_col(raw, "url"),
    })
    # text and provider stay as extra columns: the market model reads their characters
    # (language-independent n-grams), never their language
    out["description"] = _txt_col(raw, "description").str.slice(0, 400)
    out["provider"] = _txt_col(raw, "provider")
    out["price_note"] = np.where(px["gy"], "Guiyang 元/次 on a dataset = price per order → one_off", "")
    if derived:
        out["price_text"] = px["text"].to_numpy()
        out["price_note"] = np.where(px["bad_text"], "price_rmb differs from raw_price_text; price_rmb kept",
                                     out["price_note"])
    codes = platform.map(_platform_code).fillna("XX")
    ids = _gen_ids("", out.assign(_m=out["price_mode"].astype("str")),
                   ["platform", "url", "title", "_m", "price"])
    out.insert(0, "case_id", ("DDD-" + codes + "-" + ids).to_numpy())
    return out


def _drop_repeated_listings(cand: pd.DataFrame, meta: pd.DataFrame, skips: list[dict[str, Any]]
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A listing posted twice (same exchange, provider, normalised title, price, mode — the url
    may differ) is one piece of evidence: keep the first, skip the others. (A repeated case_id —
    same url too — stays the importer's plain "duplicate".)"""
    key = listing_key(cand)
    dup = (key.duplicated(keep="first") & ~cand["case_id"].duplicated(keep="first")).to_numpy(bool)
    zh, en = SKIP_REASONS["duplicate_listing"]
    for i in np.flatnonzero(dup):
        skips.append({"file": meta["file"].iloc[i], "row": int(meta["row"].iloc[i]),
                      "title": cand["title"].iloc[i], "reason": "duplicate_listing", "reason_zh": zh,
                      "reason_en": en, "detail": str(key.iloc[i])})
    return cand.loc[~dup].reset_index(drop=True), meta.loc[~dup].reset_index(drop=True)
