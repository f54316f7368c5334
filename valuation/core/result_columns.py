"""The reconciled evaluation of a portfolio as arrays (issue 20; docs/DESIGN.md §3).

:class:`Reconciled` carries what :func:`valuation.pricing.reconcile.reconcile_columns` gives —
one array a column (``estimate``, ``low``, ``high``, ``coverage``, ``range_method``, per
approach ``<m>_estimate`` … ``<m>_reason_en``), in the portfolio's order — with the assets'
ids and their typed table (for ``valuation_date`` and ``currency``). The engine's risk facts
and one asset's :class:`~valuation.core.result.Result` are read from these arrays; the pandas
frame (the edge form: batch writer, reports, dashboard tables) is built only when a face asks
for :attr:`Reconciled.frame`, the same frame the engine built before on every appraisal.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .columns import AssetTable
from .frames import asset_columns, frame_of_arrays

__all__ = ["ASSET_COLUMNS", "Reconciled"]

#: the asset columns the reconciled frame carries after the pricing columns (its edge form)
ASSET_COLUMNS = ("valuation_date", "currency")


class Reconciled(Mapping[str, np.ndarray]):
    """The reconciled columns ``{name: ndarray}`` on ``index`` (a read-only mapping).

    Parameters
    ----------
    columns : the pricing columns, each one value an asset in the order of ``index``.
    index : the assets' ids (the portfolio's ``index``).
    table : the portfolio's typed asset table (``Portfolio.columns``), same order.
    """

    __slots__ = ("_cols", "index", "table", "_frame", "_rows")

    def __init__(self, columns: Mapping[str, np.ndarray], index: Any, table: AssetTable):
        self._cols, self.index, self.table = dict(columns), index, table
        self._frame: Any = None
        self._rows: Any = None

    # ------------------------------------------------------------------ mapping
    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cols

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)

    def __repr__(self) -> str:
        return f"Reconciled({len(self.index)} assets, columns={list(self._cols)})"

    # ------------------------------------------------------------------ the edge form
    @property
    def frame(self) -> Any:
        """The reconciled frame indexed by ``asset_id``: the pricing columns
        (:func:`~valuation.core.frames.frame_of_arrays`), then ``valuation_date`` and
        ``currency`` as the ``Portfolio.assets`` frame holds them — built on first use."""
        if self._frame is None:
            fr = frame_of_arrays(self._cols, self.index)
            for c, v in asset_columns(self.table, ASSET_COLUMNS).items():
                fr[c] = v
            self._frame = fr
        return self._frame

    # ------------------------------------------------------------------ one asset
    def row(self, asset_id: Any) -> dict[str, Any]:
        """One asset's reconciled values: numbers and bools as Python scalars (NaN kept),
        text as stored, ``valuation_date`` as ISO text (None when missing) and ``currency``
        (None when missing). Every column is converted once, on the first row read."""
        if self._rows is None:
            names = list(self._cols)
            vals = [v.tolist() for v in self._cols.values()]
            vd = self.table["valuation_date"] if "valuation_date" in self.table else None
            names.append("valuation_date")
            vals.append([None] * len(self.index) if vd is None else
                        [None if np.isnat(d) else str(d) for d in vd.astype("datetime64[D]")])
            names.append("currency")
            vals.append(self.table.values_list("currency") if "currency" in self.table
                        else [None] * len(self.index))
            self._rows = (self.index.get_loc, names, vals)
        get_loc, names, vals = self._rows
        i = get_loc(asset_id)
        if not isinstance(i, (int, np.integer)):
            raise KeyError(f"asset_id {asset_id!r} is not unique in the portfolio")
        return {k: v[i] for k, v in zip(names, vals)}
