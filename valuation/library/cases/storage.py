"""Cases to and from the five-library store (library ``cases``)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .schema import cases_frame


# --------------------------------------------------------------------------- store
def store_items(cases: pd.DataFrame) -> list[dict[str, Any]]:
    """Items for ``Store.put_many("cases", ...)`` (key = case_id; content = the row, NaN → null)."""
    c = cases_frame(cases)
    recs = c.to_dict(orient="records")
    out = []
    for r in recs:
        doc = {k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v) for k, v in r.items()}
        out.append({"key": str(doc["case_id"]), "content": doc, "status": "active"})
    return out


def cases_frame_from_store(store: Any) -> pd.DataFrame:
    """The active cases of a library store as a typed case frame (``store.frame("cases")``)."""
    df = store.frame("cases")
    return cases_frame(df if df is not None else None)
