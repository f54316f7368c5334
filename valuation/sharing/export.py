"""Export of ledger records to CSV or xlsx, formula-safe through the project's one helper
(:func:`valuation.core.cells.neutralise_frame`: text starting with = + - @, tab or CR — also
after blanks — gets a leading apostrophe; numbers stay numbers)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.cells import neutralise_cell, neutralise_frame

__all__ = ["neutralise", "allocation_frame", "write_export"]

#: one cell (kept for callers of this module); the rule is ``core.cells``'
neutralise = neutralise_cell


def allocation_frame(recs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per participant and record (record id, arrangement, period, seq, method, who
    ran it, snapshot, participant, amount, fraction, input cost)."""
    rows = []
    for r in recs:
        for s in r["allocation"]:
            rows.append({"record_id": r["record_id"], "arrangement_id": r["arrangement_id"], "period": r["period"],
                         "seq": r["seq"], "method": r["method"], "ran_by": r["ran_by"],
                         "snapshot_id": r["snapshot_id"], "currency": r["currency"], "participant": s["id"],
                         "name": s.get("name"), "role": s.get("role"), "holder_type": s.get("holder_type"),
                         "amount": s["amount"], "fraction": s["fraction"], "input_cost": s.get("input_cost")})
    return pd.DataFrame(rows)


def write_export(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as ``.csv`` (UTF-8 with BOM, so Excel reads Chinese) or ``.xlsx``, every
    text cell neutralised."""
    p = Path(path)
    safe = neutralise_frame(frame)
    if p.suffix.lower() == ".xlsx":
        safe.to_excel(p, index=False, sheet_name="distribution")
    elif p.suffix.lower() == ".csv":
        safe.to_csv(p, index=False, encoding="utf-8-sig")
    else:
        raise ValueError(f"unsupported export format {p.suffix!r}: use .csv or .xlsx")
    return p
