"""The disclosure tables of 财会〔2023〕11号 (四、列示和披露) from an impairment register.

One table: rows = (category, item) for the balance-sheet categories intangible assets,
inventories and development expenditure and the items cost, accumulated amortisation,
impairment allowance and carrying amount (plus the period's impairment loss); columns = the
sources purchased / self-developed (inventories: self-processed) / other, and the total.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .book import LINE_LABELS
from .classify import DEVELOPMENT, INTANGIBLE, INVENTORY

__all__ = ["disclosure_table", "ITEMS", "SOURCES"]

SOURCES = ("purchase", "self_developed", "other")
ITEMS = {"cost": ("账面原值", "Cost"), "accumulated_amortisation": ("累计摊销", "Accumulated amortisation"),
         "impairment_allowance": ("减值准备", "Impairment allowance"),
         "carrying_amount": ("账面价值", "Carrying amount"),
         "impairment_loss": ("本期减值损失", "Impairment loss of the period")}
_SOURCE_HEAD = {"purchase": ("外购", "purchased"), "self_developed": ("自行开发（存货：自行加工）", "self-developed"),
                "other": ("其他方式取得", "other")}


def disclosure_table(register: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Sums of the register's ok rows by category × item and source (np.bincount per column)."""
    ok = register[register["status"] == "ok"] if len(register) else register
    cats = (INTANGIBLE, INVENTORY, DEVELOPMENT)
    rows = []
    en = lang == "en"
    src = ok["source"].to_numpy(object) if len(ok) else np.array([], object)
    cls = ok["classification"].to_numpy(object) if len(ok) else np.array([], object)
    for cat in cats:
        m = cls == cat
        for item, (iz, ie) in ITEMS.items():
            vals = pd.to_numeric(ok[item], errors="coerce").fillna(0.0).to_numpy(float) if len(ok) else np.zeros(0)
            row = {"category" if en else "项目": LINE_LABELS[cat][1 if en else 0], "item" if en else "明细": ie if en else iz}
            for s in SOURCES:
                row[_SOURCE_HEAD[s][1 if en else 0]] = float(vals[m & (src == s)].sum())
            row["total" if en else "合计"] = float(vals[m].sum())
            rows.append(row)
    return pd.DataFrame(rows)
