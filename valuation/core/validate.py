"""Validation of JSON documents and portfolio tables against the schema table.

Every problem is collected (never only the first) with the row, the field, the value and what
is allowed, in Chinese and English. Unknown fields are errors (docs/INTERCHANGE.md).

One concept per module; this module keeps the import path everyone uses:
:mod:`~valuation.core.validate_values` (single values and their issues),
:mod:`~valuation.core.validate_document` (JSON cards and products),
:mod:`~valuation.core.validate_table` (flat portfolio tables).
"""
from __future__ import annotations

from .validate_document import (  # noqa: F401
    _allowed_keys,
    _cross_checks_card,
    _leaves,
    _walk,
    _walk_records,
    check_document,
    validate_document,
)
from .validate_table import _as_str, column_for_path, table_columns, validate_table  # noqa: F401
from .validate_values import (  # noqa: F401
    _SLOW,
    DATE_MAX,
    DATE_MIN,
    _check_scalar,
    _check_stream,
    _fast_check,
    _is_number,
    _jsonable,
    _show,
    _too_many,
    issue_for,
    missing_issue,
    parse_date,
    unknown_issue,
)

__all__ = ["validate_document", "check_document", "validate_table", "table_columns",
           "issue_for", "unknown_issue", "missing_issue"]
