"""The pricing layer's column reader over an assets frame — an adapter, no longer read by the
income approach (which reads the typed asset table, :mod:`valuation.methods.typed`).

``pricing`` (params, weights, combine, explain, frames, perturbed) still reads frames through
:class:`Columns` and hands the Monte Carlo's rows of perturbed inputs to the income approach as a
:class:`Columns` view; :meth:`Columns.typed_view` gives the approaches that view with the asset
table's types (:class:`TypedColumns`). Remove this module once pricing reads ``pf.columns``.

Columns of a portfolio's assets table as numpy arrays, each read once per appraisal.

The income approach reads ~50 columns of the assets table a call, several of them in more
than one function. In pandas 3 ``a[c]`` builds a Series (~35 µs on the ~120-column table
whatever the number of rows), ``a[c] == "mid"`` and ``pd.to_datetime(a[c])`` cost a few hundred
µs more, so on a portfolio of one card that per-call overhead was most of the method's time.
:class:`Columns` reads a column's values straight from the frame's blocks (public pandas
when the private accessor is missing or gives something unexpected), converts it once to the
form the caller asks for and hands out that same read-only array afterwards.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...core.columns import AssetTable
from ...core.portfolio import column_values
from .frame import SMALL, labels

__all__ = ["Columns", "TypedColumns", "columns"]


def _true(b: pa.BooleanArray) -> np.ndarray:
    """``np.asarray(b.fill_null(False), dtype=bool)`` from the array's bit buffers: its value
    bits AND its validity bits (``fill_null`` and the conversion cost ~20–80 µs a call)."""
    n, off = len(b), b.offset
    if n == 0:
        return np.zeros(0, dtype=bool)
    valid, data = b.buffers()

    def bits(buf: pa.Buffer) -> np.ndarray:
        return np.unpackbits(np.frombuffer(buf, dtype=np.uint8), count=off + n, bitorder="little")[off:].view(bool)

    return bits(data) & bits(valid) if valid is not None else bits(data)


def _factorize(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """(codes, names) of a short list of str, None read as "" (names in order of appearance)."""
    seen: dict[str, int] = {}
    c = np.array([seen.setdefault("" if v is None else v, len(seen)) for v in values], dtype=np.intp)
    return c, list(seen) or [""]


class Columns:
    """Read-only numpy views of the columns of an assets table, converted once.

    ``num(c)`` is ``a[c].to_numpy(dtype=float, na_value=np.nan)``, ``txt(c)`` the text with ""
    for missing, ``flag(c)`` ``a[c].to_numpy(bool)``, ``date(c)``
    ``pd.to_datetime(a[c]).to_numpy("datetime64[ns]")`` and ``cols[c]`` ``a[c].to_numpy()``
    (numpy scalars for numeric columns, str or NaN for text). An absent column reads as all
    NaN (``num``) or all "" (``txt``). The arrays are shared between callers and therefore
    read-only; the table must not change while a ``Columns`` of it is in use.
    """

    def __init__(self, a: pd.DataFrame):
        self.frame = a
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, name: str) -> bool:
        return name in self.frame.columns

    # ------------------------------------------------------------------ access
    def _values(self, name: str) -> Any:
        """The column's stored values without building its Series
        (:func:`~valuation.core.portfolio.column_values`)."""
        return column_values(self.frame, name)

    def _present(self, name: str) -> Any:
        """:meth:`_values`, None for an absent column: one label lookup for a present column,
        not two."""
        try:
            return self._values(name)
        except KeyError:
            return None

    def _get(self, kind: str, name: str) -> np.ndarray | None:
        return self._cache.get((kind, name))

    def _put(self, kind: str, name: str, x: np.ndarray) -> np.ndarray:
        x = x.view()               # a view of our own, so the flag does not touch the frame's data
        x.flags.writeable = False
        self._cache[(kind, name)] = x
        return x

    def num(self, name: str) -> np.ndarray:
        """Float values, NaN for missing (all NaN when the column is absent)."""
        x = self._get("num", name)
        if x is not None:
            return x
        v = self._present(name)
        if v is None:
            return self._put("num", name, np.full(len(self), np.nan))
        if not (isinstance(v, np.ndarray) and v.dtype == np.float64):
            v = self.frame[name].to_numpy(dtype=float, na_value=np.nan)
        return self._put("num", name, v)

    def txt(self, name: str) -> np.ndarray:
        """Text as an object array of str, "" for missing (all "" when the column is absent)."""
        x = self._get("txt", name)
        if x is not None:
            return x
        coded = self._cache.get(("codes", name))
        if coded is not None:      # the same str objects repeated, no new str per row
            return self._put("txt", name, labels(*coded))
        v = self._present(name)
        if v is None:
            return self._put("txt", name, np.full(len(self), "", dtype=object))
        if isinstance(v.dtype, pd.StringDtype):  # already str or missing: no fillna/astype round trip
            t = np.array(v.to_numpy(dtype=object), dtype=object)   # our own copy to fill in
            # the missing values from the array's own mask (pd.isna tests every object: ~0.2 ms
            # on a replicated portfolio's 4 000 rows)
            t[np.asarray(v.isna(), dtype=bool)] = ""
        else:
            t = self.frame[name].fillna("").astype("str").to_numpy(dtype=object)
        return self._put("txt", name, t)

    def _arrow(self, name: str) -> pa.Array | None:
        """The column as one Arrow array when it is an Arrow text column (None otherwise)."""
        key = ("arrow", name)
        if key in self._cache:
            return self._cache[key]
        v = self._present(name)
        arr = None
        if v is not None and isinstance(v.dtype, pd.StringDtype) and v.dtype.storage == "pyarrow":
            arr = pa.array(v)
            if isinstance(arr, pa.ChunkedArray):   # a concatenated column: one array of its chunks
                arr = arr.combine_chunks()
        self._cache[key] = arr
        return arr

    def codes(self, name: str) -> tuple[tuple[str, ...], np.ndarray]:
        """(names, codes) with ``labels(names, codes) == txt(name)``: the text as small integer
        codes, for a column read as text AND compared several times or written back out (a
        Python str per row costs ~0.2 ms on the 4 000 rows of a replicated portfolio; codes
        compare and convert without any). The order of the names is not specified.

        An Arrow column of at most :data:`SMALL` rows is read as Python str (an Arrow kernel
        costs ~10–20 µs whatever the size); a longer one is compared with its first value
        (a column of one value: the usual case, the copies of one card) and else dictionary
        encoded by Arrow."""
        x = self._cache.get(("codes", name))
        if x is not None:
            return x
        arr = self._arrow(name)
        if arr is not None and len(arr) <= SMALL:
            c, names = _factorize(arr.to_pylist())
        elif arr is not None and arr.null_count == 0 and _true(pc.equal(arr, arr[0])).all():
            names, c = [arr[0].as_py()], np.zeros(len(arr), dtype=np.intp)
        elif arr is not None:
            d = pc.dictionary_encode(arr)
            names = d.dictionary.to_pylist()
            # missing values read as "" (the "" already there, else one more name)
            blank = names.index("") if "" in names else len(names)
            if blank == len(names):
                names.append("")
            c = np.asarray(d.indices.fill_null(blank), dtype=np.intp)
        else:
            c, uniq = pd.factorize(self.txt(name))
            names = [str(u) for u in uniq] or [""]
        x = (tuple(names), c)
        c.flags.writeable = False
        self._cache[("codes", name)] = x
        return x

    def eq(self, name: str, value: str) -> np.ndarray:
        """``txt(name) == value`` for a non-empty ``value``: by the codes when the column has
        them (or is a short Arrow column, see :meth:`codes`), else compared by Arrow on an
        Arrow text column (no Python str per element: ~10× cheaper on a replicated portfolio)."""
        x = self._get("eq:" + value, name)
        if x is not None:
            return x
        coded = self._cache.get(("codes", name))
        if coded is None and self._get("txt", name) is None:
            arr = self._arrow(name)
            if arr is not None and len(arr) <= SMALL:
                coded = self.codes(name)
            elif arr is not None:
                return self._put("eq:" + value, name, _true(pc.equal(arr, pa.scalar(value, pa.large_string()))))
        if coded is not None:
            names, c = coded
            x = c == names.index(value) if value in names else np.zeros(len(c), bool)
            return self._put("eq:" + value, name, x)
        return self._put("eq:" + value, name, self.txt(name) == value)

    def flag(self, name: str) -> np.ndarray:
        """Boolean values (``a[name].to_numpy(bool)``)."""
        x = self._get("flag", name)
        if x is not None:
            return x
        v = self._values(name)
        if not (isinstance(v, np.ndarray) and v.dtype == np.bool_):
            v = self.frame[name].to_numpy(bool)
        return self._put("flag", name, v)

    def date(self, name: str) -> np.ndarray:
        """Dates as datetime64[ns] (NaT for missing)."""
        x = self._get("date", name)
        if x is not None:
            return x
        v = self._values(name)
        if v.dtype == np.dtype("datetime64[ns]"):   # the portfolio's date columns: no parsing needed
            d = np.asarray(v)
        else:
            d = pd.to_datetime(self.frame[name]).to_numpy("datetime64[ns]")
        return self._put("date", name, d)

    def __getitem__(self, name: str) -> np.ndarray:
        """``a[name].to_numpy()``."""
        x = self._get("raw", name)
        if x is not None:
            return x
        v = self._values(name)
        return self._put("raw", name, v if isinstance(v, np.ndarray) else v.to_numpy())




    def typed_view(self) -> TypedColumns:
        """These columns with the asset table's types (:class:`TypedColumns`), made once."""
        v = self._cache.get(("typed", ""))
        if v is None:
            v = self._cache[("typed", "")] = TypedColumns(self)
        return v


def columns(a: pd.DataFrame | Columns) -> Columns:
    """``a`` itself when it is a :class:`Columns` already, else a new one over the table."""
    return a if isinstance(a, Columns) else Columns(a)


class TypedColumns:
    """A :class:`Columns` read as an :class:`~valuation.core.columns.AssetTable` is: ``t[name]``
    numbers float64 (NaN missing), dates datetime64[D] (NaT), enums int16 codes (-1 missing),
    text object arrays (None missing), bools; schema defaults fill missing values; ``ids``
    and ``len``. Each column is converted when first read (an approach reads ~50 of ~120)."""

    def __init__(self, cols: Columns):
        self.cols = cols
        self._done: dict[str, np.ndarray] = {}
        index = cols.frame.index if cols.frame is not None else cols.index
        ids = np.empty(len(index), dtype=object)
        ids[:] = [str(x) for x in index.tolist()]
        self.ids = ids

    def __len__(self) -> int:
        return len(self.cols)

    def __contains__(self, name: object) -> bool:
        try:
            AssetTable.spec(name)   # type: ignore[arg-type]
        except KeyError:
            return False
        return True

    spec = staticmethod(AssetTable.spec)

    def __getitem__(self, name: str) -> np.ndarray:
        x = self._done.get(name)
        if x is None:
            x = self._done[name] = _typed(self.cols, AssetTable.spec(name), len(self))
            x.flags.writeable = False
        return x


def _typed(c: Columns, spec: Any, n: int) -> np.ndarray:
    """One column of ``c`` in the asset table's form (see :class:`TypedColumns`)."""
    if spec.name not in c:
        return spec.missing(n)
    if spec.kind == "number":
        x = np.array(c.num(spec.name), dtype=float)
        if spec.default is not None:
            x[np.isnan(x)] = spec.default
        return x
    if spec.kind == "bool":
        return np.array(c.flag(spec.name), dtype=bool)
    if spec.kind == "date":
        return np.asarray(c.date(spec.name)).astype("datetime64[D]")
    if spec.kind == "enum":
        names, codes = c.codes(spec.name)
        miss = -1 if spec.default is None else spec.default
        look = np.array([spec._codes.get(v, miss) if v != "" else miss for v in names], dtype=np.int16)
        return look[np.asarray(codes)]
    out = np.empty(n, dtype=object)
    out[:] = [v if v != "" else spec.default for v in c.txt(spec.name).tolist()]
    return out
