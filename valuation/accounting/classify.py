"""Classification of a data resource for the books (财会〔2023〕11号; CAS 6 arts. 7–9; CAS 1).

* held for sale in the ordinary course of business → **inventory** (CAS 1, 11号 三);
* used by the entity (own use, including providing services), not yet available for use and
  developed internally → **development expenditure** (开发支出, CAS 6 art. 9: capitalised
  development costs sit there until the resource is available for use);
* used by the entity otherwise → **intangible asset** (CAS 6, 11号 二);
* nothing capitalisable (only research-phase costs, or development costs without the five
  criteria) → **expense**: the costs go to profit or loss (CAS 6 arts. 7–8) and nothing is booked.
"""
from __future__ import annotations

import numpy as np

__all__ = ["INTANGIBLE", "INVENTORY", "DEVELOPMENT", "EXPENSE", "CLASSES", "LABELS", "CLAUSES",
           "classify"]

INTANGIBLE, INVENTORY, DEVELOPMENT, EXPENSE = ("intangible_asset", "inventory",
                                               "development_expenditure", "expense")
CLASSES = (INTANGIBLE, INVENTORY, DEVELOPMENT, EXPENSE)
LABELS = {INTANGIBLE: ("无形资产", "Intangible asset"), INVENTORY: ("存货", "Inventory"),
          DEVELOPMENT: ("开发支出", "Development expenditure"), EXPENSE: ("费用化（当期损益）", "Expensed")}
CLAUSES = {INTANGIBLE: ["CASBE2023-11.intangible", "CAS6.art12"],
           INVENTORY: ["CASBE2023-11.inventory", "CAS1.art15"],
           DEVELOPMENT: ["CAS6.art9", "CASBE2023-11.intangible"],
           EXPENSE: ["CAS6.art7", "CAS6.art8"]}


def classify(intent: np.ndarray, acquired_by: np.ndarray, available: np.ndarray,
             bs_date: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Class of every asset (object array of :data:`CLASSES`), vectorised.

    Parameters
    ----------
    intent, acquired_by : object arrays (``own_use``/``sale``; ``purchase``/``self_developed``/``other``)
    available, bs_date : datetime64 arrays (NaT available: not yet available for use)
    cost : capitalised cost (0 → nothing to book: expense)
    """
    sale = intent == "sale"
    not_ready = np.isnat(available) | (available > bs_date)
    developing = ~sale & not_ready & (acquired_by == "self_developed")
    out = np.select([~(cost > 0), sale, developing], [EXPENSE, INVENTORY, DEVELOPMENT], INTANGIBLE)
    return out.astype(object)
