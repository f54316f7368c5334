"""Approaches evaluated on perturbed inputs: rows of the portfolio as numpy arrays, some inputs
replaced by drawn values — no copy of the assets table (issue 20 step 4).

A Monte Carlo draw, a tornado slot or a grid point is a *row*: asset ``pos[r]`` with parameter
j at ``values[j][r]`` (NaN: the card's value). :func:`evaluate` runs each value function once
over all rows:

* parameters that act on the **output** (cost δ, replacement cost, the market's common
  coefficient error) leave the inputs alone: the approach runs once on the portfolio itself
  and its values are gathered by ``pos`` and multiplied by the drawn factors;
* parameters that act on **inputs** (an assets column, the income streams, the discount rate)
  are handed to the approach through :class:`PerturbedColumns` — the approach's own column
  reader (:class:`~valuation.methods.income.columns.Columns`) over the rows ``pos``: a column is
  gathered (``source[pos]``, a numpy take) only when the approach reads it, a perturbed column
  is the drawn array — ``kernel(replace(inputs, rate=R))`` in spirit; the streams are the
  source's (n × periods) arrays gathered and scaled, the ragged records repeated per row.

The approaches still take a :class:`~valuation.core.portfolio.Portfolio` (pandas at their
edge): the streams and records of the rows are handed over as frames built on those arrays
(:mod:`.frames`, public constructors, integer row labels); the assets table is never copied.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
from ..methods.income.columns import Columns
from .frames import assets_rows, record_rows, row_index, stream_frame, values_on
from .params import Param

__all__ = ["PerturbedColumns", "Run", "evaluate", "perturbed_portfolio"]

ValueFn = Callable[[Portfolio], Any]


class PerturbedColumns(Columns):
    """The rows ``pos`` of the assets columns ``source`` with some numeric columns replaced.

    Reads as :class:`Columns` does (``num``, ``txt``, ``codes``, ``eq``, ``flag``, ``date``,
    ``[]``), each the source's converted array taken at ``pos``; ``num`` of a column in
    ``numbers`` is that array. Row labels are ``0 … len(pos) − 1`` (:attr:`index`).
    """

    def __init__(self, source: Columns | Callable[[], Columns], pos: np.ndarray,
                 numbers: Mapping[str, np.ndarray], name: Any = "asset_id", index: Any = None):
        self.frame = None            # no table behind it: every read goes through the source
        self._source, self.pos = source, pos
        self.numbers = dict(numbers)
        self.index = row_index(len(pos), name) if index is None else index
        self._cache: dict[tuple[str, str], Any] = {}
        self._typed: Callable[[], Any] | None = None     # the rows' typed table, when known

    def typed_view(self) -> Any:
        """The rows with the asset table's types: the rows' own table
        (:attr:`Rows.columns`) when these columns belong to :class:`Rows`, else read from
        the frame through :class:`Columns`."""
        return self._typed() if self._typed is not None else super().typed_view()

    @property
    def source(self) -> Columns:
        """The reader of the portfolio's assets frame (made on first read: a reader of the
        typed table never needs the frame)."""
        if callable(self._source) and not isinstance(self._source, Columns):
            self._source = self._source()
        return self._source

    def __len__(self) -> int:
        return len(self.pos)

    def __contains__(self, name: str) -> bool:
        return name in self.numbers or name in self.source

    def _taken(self, kind: str, name: str, read: Callable[[str], np.ndarray]) -> np.ndarray:
        x = self._get(kind, name)
        return x if x is not None else self._put(kind, name, read(name)[self.pos])

    def num(self, name: str) -> np.ndarray:
        if name in self.numbers:
            x = self._get("num", name)
            return x if x is not None else self._put("num", name, self.numbers[name])
        return self._taken("num", name, self.source.num)

    def txt(self, name: str) -> np.ndarray:
        return self._taken("txt", name, self.source.txt)

    def codes(self, name: str) -> tuple[tuple[str, ...], np.ndarray]:
        x = self._cache.get(("codes", name))
        if x is None:
            names, c = self.source.codes(name)
            c = c[self.pos]
            c.flags.writeable = False
            x = self._cache[("codes", name)] = (names, c)
        return x

    def eq(self, name: str, value: str) -> np.ndarray:
        return self._taken("eq:" + value, name, lambda c: self.source.eq(c, value))

    def flag(self, name: str) -> np.ndarray:
        return self._taken("flag", name, self.source.flag)

    def date(self, name: str) -> np.ndarray:
        return self._taken("date", name, self.source.date)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.numbers:
            return self.num(name)
        return self._taken("raw", name, self.source.__getitem__)


class _Rows(Mapping[str, Any]):
    """A mapping whose values are built on first read (``make(key)``) and kept."""

    def __init__(self, keys: Sequence[str], make: Callable[[str], Any]):
        self._keys, self._make, self._done = list(keys), make, {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._done:
            if key not in self._keys:
                raise KeyError(key)
            self._done[key] = self._make(key)
        return self._done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _applied(pf: Portfolio, pos: np.ndarray, params: Sequence[Param], values: Sequence[np.ndarray]
             ) -> tuple[dict[str, np.ndarray], dict[str, list[np.ndarray]]]:
    """(numeric columns replaced, factors of each scaled stream, in order) of the rows ``pos`` once every
    input parameter took its values (in order; NaN: the card's value). The discount rate is
    kept above g + 0.5 pp (g the terminal growth as it stands then: the Gordon value needs
    i > g)."""
    numbers: dict[str, np.ndarray] = {}
    factors: dict[str, list[np.ndarray]] = {}

    def current(c: str) -> np.ndarray:
        return numbers[c] if c in numbers else pf.number(c)[pos]

    for p, v in zip(params, values):
        ok = ~np.isnan(v)
        if p.kind == "column":
            c = p.target[0]
            numbers[c] = np.where(ok, v, current(c))
        elif p.kind == "discount":
            g = current("income_terminal_growth")
            floor = np.where(np.isnan(g), 1e-4, g + 0.005)
            numbers["income_discount_rate"] = np.where(ok, np.maximum(v, floor), current("income_discount_rate"))
        elif p.kind == "series":
            f = np.where(ok, v, 1.0)
            for path in p.target:
                factors.setdefault(path, []).append(f)
        elif p.kind != "output":
            raise ValueError(p.kind)
    return numbers, factors


class Rows(Portfolio):
    """The rows ``pos`` of a portfolio with some inputs replaced (:func:`perturbed_portfolio`):
    row r is asset ``pos[r]``, labelled r. Its typed table (:attr:`columns`: the source's
    table taken at ``pos``, the replaced columns set) is built when an approach first reads
    it; ``assets`` is a :class:`PerturbedColumns` view (or, with ``table``, a frame of the
    rows) for an approach that still reads the frame."""

    def __init__(self, pf: Portfolio, pos: np.ndarray, numbers: dict[str, np.ndarray], assets: Any,
                 series: Mapping[str, Any], records: Mapping[str, Any], matrices: Mapping[str, Any], index: Any):
        super().__init__(assets, series, records, matrices)   # type: ignore[arg-type]
        self._source, self._pos, self._numbers = pf, pos, numbers
        self._index = index

    @property
    def index(self) -> Any:
        return self._index

    def __len__(self) -> int:
        return len(self._pos)

    @property
    def columns(self) -> Any:
        if self._table is None:      # the rows' table, labelled 0 … len − 1 as the index
            src = self._source.columns
            cols = {c: v[self._pos] for c, v in src.columns.items()}
            cols.update({c: np.array(v, dtype=float) for c, v in self._numbers.items() if c in cols})
            ids = np.empty(len(self._pos), dtype=object)
            ids[:] = [str(i) for i in range(len(self._pos))]     # (as the row labels read as text)
            self._table = type(src)._of(ids, cols)
        return self._table

    def number(self, name: str) -> np.ndarray:
        if name in self._numbers:
            return self._numbers[name]
        return self._source.number(name)[self._pos]


def perturbed_portfolio(pf: Portfolio, pos: np.ndarray, params: Sequence[Param] = (),
                        values: Sequence[np.ndarray] = (), *, table: bool = False) -> Portfolio:
    """The rows ``pos`` of ``pf`` (row r is asset ``pos[r]``, labelled r) with the input
    parameters at their values (:class:`Rows`): the typed table of the rows, made when first
    read; assets as :class:`PerturbedColumns` (with ``table``: as a table of the rows,
    :func:`.frames.assets_rows`, for a reader of the table itself); each stream the source's
    array taken at ``pos`` (and multiplied by its factor); each record row repeated once per
    row of its asset (record-major, the source order kept within a row); matrices shared.
    Streams and records are built when an approach first reads them."""
    pos = np.asarray(pos, dtype=np.intp)
    numbers, factors = _applied(pf, pos, params, values)
    index = row_index(len(pos), pf.index.name or "asset_id")

    def source() -> Columns:
        return pf.assets if isinstance(pf.assets, Columns) else Columns(pf.assets)

    assets = assets_rows(pf.assets, pos, numbers, index) if table else \
        PerturbedColumns(source, pos, numbers, index=index)

    def stream(path: str) -> Any:
        s = pf.series[path]
        v = s.to_numpy(dtype=float, na_value=np.nan)[pos]
        for f in factors.get(path, ()):      # one product per parameter, in their order
            v = v * f[:, None]
        return stream_frame(v, index, s)

    order = np.argsort(pos, kind="stable")
    count = np.bincount(pos, minlength=len(pf))
    start = np.cumsum(count) - count

    def record(path: str) -> Any:
        r = pf.records[path]
        if not len(r):
            return record_rows(r, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
        loc = pf.index.get_indexer(r["asset_id"])
        kept = np.flatnonzero(loc >= 0)
        c = count[loc[kept]]
        rep = np.repeat(np.arange(len(kept)), c)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(c) - c, c)
        return record_rows(r, kept[rep], order[start[loc[kept][rep]] + within])

    def matrices(key: str) -> dict[Any, np.ndarray]:
        where = {a: i for i, a in enumerate(pf.index.tolist())}
        return {int(r): m for a, m in pf.matrices[key].items() if a in where
                for r in order[start[where[a]]:start[where[a]] + count[where[a]]]}

    rows = Rows(pf, pos, numbers, assets, _Rows(list(pf.series), stream), _Rows(list(pf.records), record),
                _Rows(list(pf.matrices), matrices), index)
    if isinstance(assets, PerturbedColumns):
        assets._typed = lambda: rows.columns     # the approaches' typed reads: no frame needed
    return rows


class Run:
    """One evaluation of a value function: its values on the rows, what it returned, the
    index of what it ran on and the positions (``gather``) of the rows there (None: it ran on
    the rows themselves; else on the portfolio, rows ``pos``)."""

    __slots__ = ("gather", "index", "result", "values")

    def __init__(self, values: np.ndarray, result: Any, index: Any, gather: np.ndarray | None):
        self.values, self.result, self.index, self.gather = values, result, index, gather


def evaluate(fs: Sequence[ValueFn], pf: Portfolio, pos: np.ndarray, params: Sequence[Param],
             values: Sequence[np.ndarray], *, on_portfolio: Sequence[Any] | None = None
             ) -> list[Run]:
    """Each value function ``f(portfolio) -> values aligned with its rows`` on the rows ``pos``
    of ``pf`` with parameter j at ``values[j]`` (flat, one value a row; NaN: the card's).

    Input parameters: ``f`` runs once on :func:`perturbed_portfolio` — its column view when
    ``f.reads_columns`` (the approach reads its assets only through
    :class:`~valuation.methods.income.columns.Columns`: no table copied), else the rows as a
    table. Output parameters only:
    ``f`` runs once on ``pf`` itself (the rows are copies of unperturbed assets; the
    approaches are row-wise) — or ``on_portfolio[k]`` is that run's values already — and the
    values are gathered at ``pos``. Either way the result is multiplied by the output factors
    (in parameter order). Returns one :class:`Run` per function."""
    pos = np.asarray(pos, dtype=np.intp)
    mult = np.ones(len(pos))
    inputs: list[tuple[Param, np.ndarray]] = []
    for p, v in zip(params, values):
        v = np.asarray(v, dtype=float)
        if p.kind == "output":
            mult = mult * np.where(np.isnan(v), 1.0, v)
        else:
            inputs.append((p, v))
    out = []
    if inputs:
        made: dict[bool, Portfolio] = {}
        for f in fs:
            # the column view for a function that reads its assets through Columns, else a table
            table = not getattr(f, "reads_columns", False)
            if table not in made:
                made[table] = perturbed_portfolio(pf, pos, [p for p, _ in inputs], [v for _, v in inputs],
                                                  table=table)
            rows = made[table]
            y, res = _called(f, rows)
            out.append(Run(y * mult, res, rows.index, None))
        return out
    for k, f in enumerate(fs):
        done = on_portfolio[k] if on_portfolio is not None else None
        y, res = done if done is not None else _called(f, pf)
        out.append(Run(np.asarray(y, dtype=float)[pos] * mult, res, pf.index, pos))
    return out


def _called(f: ValueFn, rows: Portfolio) -> tuple[np.ndarray, Any]:
    """(the values of ``f`` on ``rows`` as floats aligned with them, what ``f`` returned); a
    function may return (values, result) to pass its run on (:func:`evaluate`'s callers)."""
    y = f(rows)
    res = None
    if isinstance(y, tuple):
        y, res = y
    return values_on(y, rows.index), res
