"""Synthetic portfolios for tests, notebooks and benchmarks (vectorised, seeded).

Every asset carries inputs for the three approaches:

* cost: components (preliminary, direct, indirect, taxes) and the six GB/T 36344 quality
  dimensions (δ from the quality score, CAS 2023 annex, cost approach);
* income: relief from royalty on a revenue stream given as ``base`` + ``growth``
  (CAS 2023 annex, income approach; LIT.royalty);
* market: ``comparables_per_asset`` explicit comparable cases in the ``market.comparables``
  records table (CAS 2023 annex, market approach).

Randomness comes only from the explicit ``seed`` (docs/DESIGN.md §9). Numbers are invented, in CNY.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["asset_ids", "synthetic_portfolio"]

_HOLDER = np.array(["enterprise", "soe", "administrative", "public_institution"], dtype=object)
_CATEGORY = np.array(["transport", "financial_services", "retail", "healthcare", "energy"], dtype=object)
_PURPOSE = np.array(["transfer", "licensing", "financing", "accounting"], dtype=object)
_RIGHTS = np.array(["holding", "processing_use", "product_operation"], dtype=object)
_EXCL = np.array(["exclusive", "sole", "non_exclusive"], dtype=object)


def asset_ids(n: int, prefix: str = "SYN-", start: int = 0) -> np.ndarray:
    """``SYN-0000000`` … as an object array (vectorised)."""
    nums = np.char.zfill(np.arange(start, start + n).astype(str), 7)
    return np.char.add(prefix, nums).astype(object)


def synthetic_portfolio(n: int, *, seed: int = 0, comparables_per_asset: int = 3,
                        prefix: str = "SYN-") -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A flat portfolio table of ``n`` assets and its ``market.comparables`` records.

    Returns ``(assets, {"market.comparables": comparables})`` ready for
    :meth:`valuation.core.portfolio.Portfolio.from_table` or :func:`valuation.batch.revalue`.
    About a fifth of the assets have a previous value at least twice their book value (high
    premium under the HIGH_PREMIUM threshold 1.0, EXCH.premium100) and a tenth fell by a third
    or more (high impairment, CAS8.impairment).
    """
    rng = np.random.default_rng(seed)
    ids = asset_ids(n, prefix)
    book = np.round(rng.uniform(2e5, 5e6, n), 2)
    ratio = np.where(rng.random(n) < 0.2, rng.uniform(2.0, 4.0, n),
                     np.where(rng.random(n) < 0.125, rng.uniform(0.3, 0.65, n),
                              rng.uniform(0.8, 1.8, n)))
    direct = np.round(book * rng.uniform(0.5, 0.9, n), 2)
    q = rng.uniform(70, 98, (n, 6)).round(1)
    assets = pd.DataFrame({
        "asset_id": ids,
        "name": np.char.add("合成数据资产 ", ids.astype(str)).astype(object),
        "holder_type": _HOLDER[rng.integers(0, len(_HOLDER), n)],
        "category": _CATEGORY[rng.integers(0, len(_CATEGORY), n)],
        "records": rng.integers(10_000, 50_000_000, n),
        "fields": rng.integers(5, 80, n),
        "update_frequency": "daily",
        "rights_type": "product_operation",
        "rights_exclusivity": "non_exclusive",
        "rights_term_end": "2032-12-31",
        "use_category": "industry",
        "quality_normativeness": q[:, 0], "quality_completeness": q[:, 1],
        "quality_accuracy": q[:, 2], "quality_consistency": q[:, 3],
        "quality_timeliness": q[:, 4], "quality_accessibility": q[:, 5],
        "book_value": book,
        "previous_value": np.round(book * ratio, 2),
        "previous_valuation_date": "2024-12-31",
        "valuation_date": "2025-12-31",
        "purpose": _PURPOSE[rng.integers(0, len(_PURPOSE), n)],
        "cost_preliminary": np.round(direct * 0.12, 2),
        "cost_direct": direct,
        "cost_indirect": np.round(direct * rng.uniform(0.1, 0.3, n), 2),
        "cost_taxes": np.round(direct * 0.015, 2),
        "cost_adjustment_basis": "quality",
        "income_model": "royalty",
        "income_periods": rng.integers(3, 8, n),
        "income_revenue_base": np.round(book * rng.uniform(3, 9, n), 2),
        "income_revenue_growth": np.round(rng.uniform(0.0, 0.12, n), 4),
        "income_royalty_rate": np.round(rng.uniform(0.02, 0.08, n), 4),
        "income_tax_rate": 0.25,
        "income_income_basis": "post_tax",
        "income_rate_basis": "post_tax",
        "income_discount_rate": np.round(rng.uniform(0.10, 0.18, n), 4),
        "market_price_mode": "one_off",
    })
    k = int(comparables_per_asset)
    if k <= 0:
        return assets, {}
    m = n * k
    base_price = np.repeat(book * ratio, k)
    comps = pd.DataFrame({
        "asset_id": np.repeat(ids, k),
        "case_id": np.char.add("C", np.arange(m).astype(str)).astype(object),
        "price": np.round(base_price * rng.uniform(0.8, 1.25, m), 2),
        "quality": rng.uniform(70, 98, m).round(1),
        "date_index": rng.uniform(95, 102, m).round(1),
        "records": np.repeat(assets["records"].to_numpy(float), k) * rng.uniform(0.7, 1.4, m),
        "rights_type": "product_operation",
        "exclusivity": "non_exclusive",
        "price_mode": "one_off",
        "evidence_type": "transaction",
    })
    return assets, {"market.comparables": comps}
