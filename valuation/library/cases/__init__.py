"""The case library (案例库): case schema, unit handling and importers.

Modules: :mod:`.schema` (columns, units, comparability, validation), :mod:`.importing`
(prices in text, the import report, tables with a column mapping), :mod:`.dadada` (the DaDaDa
exchange listings), :mod:`.storage` (to and from the library store).

A *case* is one piece of market evidence — a transaction, a listing or a finished appraisal —
used by the market approach (中评协〔2023〕17号 art. 23; docs/DOMAIN.md §4.4) and as a regression test.

Schema (one row per case, :data:`CASE_COLUMNS`)
-----------------------------------------------
==================  ===========================================================================
case_id             unique id (letters, digits and ``. _ : -``)
title               product / dataset name
category            product category (snake-case key, see :data:`CATEGORIES`; free text allowed)
industry            the source's own category or industry (free text)
records, fields     scale: number of records / fields (> 0; unknown = empty, never 0)
size_bytes          size in bytes (> 0; unknown = empty)
update_frequency    ``real-time`` … ``no-update`` (``ENUMS["update_frequency"]``)
rights_type         ``holding`` | ``processing_use`` | ``product_operation`` (三权分置)
exclusivity         ``exclusive`` | ``sole`` | ``non_exclusive``
price_mode          ``one_off`` | ``subscription_year`` | ``per_call`` | ``free`` | ``negotiated``
price_unit          implied by the mode (:data:`PRICE_UNITS`): ``CNY`` per purchase,
                    ``CNY/year``, ``CNY/call``; empty for free / negotiated
price               CNY per unit (> 0 for the three priced modes; empty for free / negotiated)
date                ISO date of the evidence
region              area covered or where traded
evidence_type       ``transaction`` | ``listing`` | ``appraisal``
source, licence     where the row comes from and under which licence
quality             composite quality score 0–100 (optional)
platform, url       exchange / channel and the page of the evidence
==================  ===========================================================================

Unit rule: a price is only ever compared with prices of the same ``price_mode`` and
``price_unit`` — a yearly subscription is a cost per year, a per-call price a cost per call, a
one-off price a cost per purchase (order); free and negotiated rows carry no price at all.
:func:`same_unit_mask` is the one place that decides comparability.

Importers return an :class:`ImportReport` that accounts for every input row
(``imported + skipped == total``), each skipped row with a reason code and a sentence in
Chinese and English:

* :func:`import_table` — generic CSV / Excel / Parquet with a column mapping (dict or YAML);
* :func:`import_dadada` — the DaDaDa listings of Chinese data exchanges (the five exchange
  files and ``derived_cn_priced_listings.csv``).

DaDaDa conventions (documented choices, see ``case_library/DATA_CARD.md``)
--------------------------------------------------------------------------
* modes: ``one-off`` → ``one_off``; ``subscription`` → ``subscription_year`` (the files already
  hold the 12-month cost: 88 元/月 is stored as 1056); ``usage-based`` → ``per_call``;
  ``negotiation`` → ``negotiated`` (no price, skipped); ``free`` → ``free`` (skipped);
* **Guiyang "元/次"**: Guiyang labels every price "per time"; for datasets it is the price of one
  order (one delivery), e.g. 2,880,000 元/次 for a stock history. A Guiyang ``usage-based`` row
  priced at or above ``guiyang_order_min_price`` (default 100 元) is therefore a one-off
  purchase (``one_off``, CNY per order); cheaper ones (0.1–88 元 queries) stay ``per_call``;
* evidence type = ``listing`` (exchange list prices, not deals); rights type
  ``product_operation`` and ``non_exclusive`` (a listed data product licensed to many buyers)
  — both importer arguments; date = the snapshot date of the crawl (2024-08-17) unless given;
* ``volume``/``size``/``dimension`` of 0 mean unknown and become empty.
"""
from __future__ import annotations

from .dadada import DADADA_SNAPSHOT_DATE, import_dadada
from .importing import (
    SKIP_REASONS,
    ImportReport,
    import_table,
    load_mapping,
    parse_price_text,
    read_table,
)
from .schema import (
    AWS_CATEGORY,
    CASE_COLUMNS,
    CATEGORIES,
    PRICE_MODES,
    PRICE_UNITS,
    PRICED_MODES,
    REQUIRED_COLUMNS,
    case_issues,
    cases_frame,
    price_unit_of,
    priced_cases,
    same_unit_mask,
    validate_cases,
)
from .storage import cases_frame_from_store, store_items

__all__ = [
    "AWS_CATEGORY",
    "CASE_COLUMNS",
    "CATEGORIES",
    "DADADA_SNAPSHOT_DATE",
    "PRICED_MODES",
    "PRICE_MODES",
    "PRICE_UNITS",
    "REQUIRED_COLUMNS",
    "SKIP_REASONS",
    "ImportReport",
    "case_issues",
    "cases_frame",
    "cases_frame_from_store",
    "import_dadada",
    "import_table",
    "load_mapping",
    "parse_price_text",
    "price_unit_of",
    "priced_cases",
    "read_table",
    "same_unit_mask",
    "store_items",
    "validate_cases",
]
