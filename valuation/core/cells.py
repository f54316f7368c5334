"""Formula neutralisation for every CSV and spreadsheet the project writes (one helper).

A text cell that a spreadsheet would read as a formula — ``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``, ``-1+1``, ``@SUM(A1)`` — runs when a user opens the file (CSV/formula
injection). Following the OWASP "CSV Injection" guidance, a text cell is neutralised by
prefixing a single quote ``'`` when it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, also after leading blanks (spreadsheets skip them: ``"  =1+1"`` is a formula
in some of them). The quote makes the spreadsheet show the text as typed; the value itself is
not altered otherwise.

Only text is touched: a genuine number (``-5.0``, a negative change) stays a number, so
columns of amounts keep their type and sort. Parquet files are data interchange, not
spreadsheets, and are written as is.

Used by ``batch/io.write_table`` (results, rejects, run diffs), ``report/xlsx_papers``
(working papers), the market back-test predictions, the blank template and the dashboard's
downloads; ``tests/core/test_cells.py`` runs every writer with the payloads.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PATTERN", "FORMULA_RE", "is_formula_text", "neutralise_cell", "neutralise_frame"]

#: Blanks a spreadsheet may skip before a formula (ASCII, no-break and ideographic space).
_BLANKS = " \t\n\r\f\v\u00a0\u3000"
#: Text a spreadsheet may evaluate: an optional run of blanks, then = + - @ (or their
#: full-width forms), or a leading tab / carriage return (OWASP). Written with literal
#: characters so that Python's ``re`` and Arrow's RE2 read it the same way.
FORMULA_PATTERN = f"^(?:[{_BLANKS}]*[=+\\-@＝＋－＠]|[\t\r])"
FORMULA_RE = re.compile(FORMULA_PATTERN)


def is_formula_text(v: Any) -> bool:
    """True for a ``str`` a spreadsheet could run as a formula (never for numbers)."""
    return isinstance(v, str) and FORMULA_RE.match(v) is not None


def neutralise_cell(v: Any) -> Any:
    """``v`` with a leading ``'`` when it is formula text; anything else unchanged."""
    return "'" + v if is_formula_text(v) else v


_STARTS = frozenset("=+-@＝＋－＠\t\r")


def _text_mask(s: pd.Series) -> np.ndarray | None:
    """Rows of ``s`` holding formula text, or None when the column cannot hold text.
    One pass over the values: the first character decides, the pattern runs only on text
    that begins with a blank (pandas' ``str.match`` would run the regex on every cell)."""
    if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object
            or isinstance(s.dtype, pd.CategoricalDtype)):
        return None
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        hit = pc.match_substring_regex(pa.array(s.array), FORMULA_PATTERN)  # RE2, in C++
        return hit.fill_null(False).to_numpy(zero_copy_only=False)
    vals = s.astype(object).to_numpy()
    match = FORMULA_RE.match
    return np.fromiter((type(v) is str and v != "" and (v[0] in _STARTS or (
        v[0] in _BLANKS and match(v) is not None)) for v in vals), dtype=bool, count=len(vals))


def neutralise_frame(df: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every formula-text cell (and column name) neutralised; numeric
    columns are left as they are. ``index``: the index labels too (written with the frame)."""
    out = df.copy(deep=False)
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        mask = _text_mask(s)
        if mask is None or not mask.any():
            continue
        vals = s.astype(object).to_numpy(copy=True)
        vals[mask] = np.array(["'" + v for v in vals[mask]], dtype=object)
        out.isetitem(j, pd.Series(vals, index=out.index, dtype=object))
    out.columns = [neutralise_cell(c) for c in out.columns]
    if index:
        out.index = pd.Index([neutralise_cell(v) for v in out.index], name=neutralise_cell(out.index.name))
    return out
