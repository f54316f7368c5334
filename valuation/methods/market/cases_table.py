"""The case library as typed arrays: :class:`CaseTable` and its conversion from a case frame.

The conversion reads pandas frames, so it lives where the frame is made, in the library layer
(:mod:`valuation.library.cases.table`); the market approach reads the frozen arrays only and
imports no pandas (issue 20; docs/DESIGN.md §4). Re-exported here for the approach's modules.
"""
from __future__ import annotations

from ...library.cases.table import (
    CaseTable,
    case_table,
    content_key,
    frame_guard,
    parse_dates,
    subject_columns,
)

__all__ = ["CaseTable", "case_table", "content_key", "frame_guard", "parse_dates", "subject_columns"]
