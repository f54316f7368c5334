"""Row copies of an assets table that leave columns out, marked so a reader cannot mistake a
left-out column for an absent one.

The Monte Carlo runs the income approach on hundreds of copies of each asset's row, and copies
only the columns the approach declares it reads (``valuation.methods.income.ASSET_COLUMNS``;
``valuation.pricing._sampling._take_rows``). The income approach reads an absent column as
all-NaN or all-"" (a card without that field), so a column it reads but forgot to declare
would silently change values. The copy is marked with the names left out, and the column
reader (``valuation.methods.income.columns.Columns``) raises :class:`LeftOutColumnError` when
asked whether such a column is there.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["LeftOutColumnError", "left_out", "mark_left_out"]

# an instance attribute of the frame object itself (not ``attrs``: pandas deep-copies those
# into every frame or Series derived from it); derived frames are full frames again
_KEY = "_valuation_left_out"


class LeftOutColumnError(KeyError):
    """A column left out of a trimmed row copy was read."""


def mark_left_out(frame: pd.DataFrame, names: Iterable[str]) -> None:
    """Record on ``frame`` the column names its source had and it does not."""
    object.__setattr__(frame, _KEY, frozenset(str(n) for n in names))


def left_out(frame: pd.DataFrame) -> frozenset[str]:
    """The names :func:`mark_left_out` recorded on this very frame object (empty if none)."""
    return frame.__dict__.get(_KEY, frozenset())
