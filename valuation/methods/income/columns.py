"""Columns of a portfolio's assets table as numpy arrays, each read once per appraisal.

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

from ...core.portfolio import _frame, _str_array, column_values, str_arrays

__all__ = ["SMALL", "Columns", "coded_str", "columns", "frame", "labels", "str_array"]

# rows up to which an Arrow text column is read as Python str rather than by Arrow kernels
# (one kernel call costs ~10–20 µs whatever the size, a str per row ~0.1 µs)
SMALL = 64


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


def columns(a: pd.DataFrame | Columns) -> Columns:
    """``a`` itself when it is a :class:`Columns` already, else a new one over the table."""
    return a if isinstance(a, Columns) else Columns(a)


def labels(names: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    """``np.asarray(names, dtype=object)[codes]``: an object array of str whose equal values
    are the same objects — what ``np.where(c, "a", "b").astype(object)`` gives, without a
    new str per element (and :func:`str_array` then finds a constant column at once)."""
    return np.asarray(names, dtype=object)[codes]


def str_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The "str" array ``pd.DataFrame`` infers from an object array of str (None: missing).

    pandas infers it element by element (~0.5 ms per 4 000 rows a column); here it is one
    Arrow conversion, or one Arrow repeat when every value is the same (the reasons of a batch
    without refusals, the text columns of a portfolio replicated from one card).
    """
    values = np.asarray(values, dtype=object)
    # list.count compares by identity first: a column of one repeated str object (np.full,
    # :func:`labels`) is recognised ~3× faster than by an elementwise ==
    if len(values) >= 64 and values.tolist().count(values[0]) == len(values):
        # (a short column: one conversion is cheaper)
        return _str_array(pa.repeat(pa.scalar(values[0], type=pa.large_string()), len(values)))
    return _str_array(pa.array(values, type=pa.large_string()))


def coded_str(names: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``str_array(labels(names, codes))``; a constant column (the usual case: no refusals, the
    copies of one card) found by its codes, not by comparing a str per row, and one Arrow repeat
    (an Arrow take costs more than converting the labels)."""
    codes = np.asarray(codes)
    if len(codes) and (codes == codes[0]).all():
        return _str_array(pa.repeat(pa.scalar(names[codes[0]], type=pa.large_string()), len(codes)))
    return _str_array(pa.array(labels(names, codes), type=pa.large_string()))


def frame(columns: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(columns, index=index)`` for fresh 1-D numpy columns, object columns
    holding only str, without its per-column sanitising: the same dtypes, values and blocks
    (object columns become "str" columns as the constructor infers them — except when empty:
    it keeps those object). A column given as (names, codes) is ``labels(names, codes)``."""
    n = len(index)
    if not n or n >= SMALL:
        out = {k: (coded_str(*v) if len(v[1]) else labels(*v)) if isinstance(v, tuple)
               else str_array(v) if v.dtype == object and len(v) else v
               for k, v in columns.items()}
        return _frame(out, index)
    # a few rows: the text of every text column converted by ONE Arrow call and sliced (a
    # conversion or repeat per column costs ~10 µs more than a slice; ~10 text columns a call)
    out, text = {}, []
    for k, v in columns.items():
        if isinstance(v, tuple):
            text.append((k, labels(*v).tolist()))
        elif v.dtype == object:
            text.append((k, v.tolist()))
        else:
            out[k] = v
            continue
        out[k] = None      # filled below, in its place
    for (k, _), arr in zip(text, str_arrays([vals for _, vals in text], n)):
        out[k] = arr
    return _frame(out, index)
