"""Blank portfolio templates generated from the schema table (CSV or Excel).

The Excel template carries the main sheet ``assets`` (one row per asset; numbered columns for
per-period streams), one sheet per records table (``cost.lines``, ``market.comparables`` ...)
and a ``fields`` sheet documenting every column (labels, unit, allowed values, required, help)
in Chinese and English.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .cells import neutralise_frame
from .schema import Field, fields_for
from .validate import table_columns

__all__ = ["template_columns", "field_dictionary", "write_template"]

STREAM_TEMPLATE_PERIODS = 5


def template_columns() -> list[str]:
    cols = [c for c, f in table_columns("card").items() if f.template]
    for f in fields_for("card"):
        if f.kind == "stream" and f.template:
            cols += [f"{f.column}_{i}" for i in range(1, STREAM_TEMPLATE_PERIODS + 1)]
    return cols


def _row(f: Field, column: str) -> dict[str, object]:
    return {"column": column, "path": f.path, "label_zh": f.label_zh, "label_en": f.label_en,
            "type": f.kind, "unit": f.unit, "allowed_zh": f.allowed_text("zh"),
            "allowed_en": f.allowed_text("en"), "required": f.required,
            "default": f.default, "help_zh": f.help_zh, "help_en": f.help_en}


def field_dictionary() -> pd.DataFrame:
    rows = []
    for f in fields_for("card"):
        if f.kind == "records":
            continue
        col = f.path.rsplit(".", 1)[1] if f.in_records else f.column
        rows.append(_row(f, col))
    return pd.DataFrame(rows)


def write_template(path: str | Path) -> Path:
    """Write a blank portfolio template; format from the suffix (.csv or .xlsx)."""
    p = Path(path)
    cols = template_columns()
    if p.suffix.lower() == ".csv":
        pd.DataFrame(columns=cols).to_csv(p, index=False, encoding="utf-8-sig")
        return p
    if p.suffix.lower() != ".xlsx":
        raise ValueError(f"unsupported template format {p.suffix!r}: use .csv or .xlsx")
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        pd.DataFrame(columns=cols).to_excel(xw, sheet_name="assets", index=False)
        for f in fields_for("card"):
            if f.kind == "records" and not f.in_records:
                item_cols = ["asset_id"] + [g.path.rsplit(".", 1)[1] for g in fields_for("card")
                                            if g.path.startswith(f.path + "[].")]
                pd.DataFrame(columns=item_cols).to_excel(xw, sheet_name=f.path[:31], index=False)
        # help texts may begin with "-" or "+": neutralised like every written cell
        neutralise_frame(field_dictionary()).to_excel(xw, sheet_name="fields", index=False)
    return p
