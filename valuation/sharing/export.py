"""Export of ledger records to CSV or xlsx, formula-safe: a text cell starting with
``= + - @`` (or a tab / carriage return) is written with a leading apostrophe so that a
spreadsheet shows it as text instead of running it (OWASP "CSV injection")."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["neutralise", "allocation_frame", "write_export"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``'=cmd'`` → ``"'=cmd"``; numbers and other values unchanged."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


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
    text cell and header neutralised."""
    p = Path(path)
    safe = frame.copy()
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    for c in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[c]) or pd.api.types.is_bool_dtype(safe[c])):
            safe[c] = safe[c].astype(object).map(neutralise)
    if p.suffix.lower() == ".xlsx":
        safe.to_excel(p, index=False, sheet_name="distribution")
    elif p.suffix.lower() == ".csv":
        safe.to_csv(p, index=False, encoding="utf-8-sig")
    else:
        raise ValueError(f"unsupported export format {p.suffix!r}: use .csv or .xlsx")
    return p
