"""Approaches evaluated on perturbed inputs: rows of the portfolio as numpy arrays, some inputs
replaced by drawn values — no assets frame (issue 20 step 4).

A Monte Carlo draw, a tornado slot or a grid point is a *row*: asset ``pos[r]`` with parameter
j at ``values[j][r]`` (NaN: the card's value). :func:`evaluate` runs each value function once
over all rows:

* parameters that act on the **output** (cost δ, replacement cost, the market's common
  coefficient error) leave the inputs alone: the approach runs once on the portfolio itself
  and its values are gathered by ``pos`` and multiplied by the drawn factors;
* parameters that act on **inputs** (an assets column, the income streams, the discount rate):
  an approach (:class:`ApproachRun`) whose inputs can be taken at rows reads its inputs ONCE
  from the portfolio and values them taken at ``pos`` with the drawn columns set and the
  streams scaled — ``value(inputs.take(pos, columns, factors), params)``, the contract's
  ``kernel(replace(inputs, rate=R))``: no portfolio of the rows, no explanation, no result
  frame. Any other value function (a face's composite, a test's stand-in, an approach whose
  inputs cannot be taken) gets :class:`Rows`: a portfolio whose typed table
  (:attr:`Rows.columns`) is the source's taken at ``pos`` with the drawn columns set, the
  streams the source's (n × periods) arrays gathered and scaled, the records repeated per row.

A value function that still reads the assets frame gets it built from the rows' table at its
edge (:attr:`Rows.assets`); the streams and records are handed over as frames built on the
arrays (:mod:`valuation.core.result_frames`, public constructors, integer row labels).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
from ..core.result_frames import (
    estimates,
    record_rows,
    result_columns,
    row_index,
    stream_frame,
    values_on,
)
from .params import Param

__all__ = ["ApproachRun", "Rows", "Run", "evaluate", "perturbed_portfolio"]

#: a value function of a portfolio: values aligned with its rows (an array or a Series), or
#: (values, result), or an approach's ``MethodResult`` (its estimates are read)
ValueFn = Callable[[Portfolio], Any]


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


def _rows_table(src: Any, pos: np.ndarray, numbers: Mapping[str, np.ndarray]) -> Any:
    """The source's asset table taken at ``pos``, the replaced columns set, its ids the row
    labels ``0 … len − 1`` as text (as the rows' records read them)."""
    cols = {c: v[pos] for c, v in src.columns.items()}
    cols.update({c: np.array(v, dtype=float) for c, v in numbers.items() if c in cols})
    ids = np.empty(len(pos), dtype=object)
    ids[:] = [str(i) for i in range(len(pos))]
    return type(src)._of(ids, cols)


class Rows(Portfolio):
    """The rows ``pos`` of a portfolio with some inputs replaced (:func:`perturbed_portfolio`):
    row r is asset ``pos[r]``, labelled r. Its typed table (:attr:`columns`: the source's
    table taken at ``pos``, the replaced columns set) is made with it — every approach reads
    it; ``assets``, the frame of that table, only when a reader still asks for it."""

    def __init__(self, pf: Portfolio, pos: np.ndarray, numbers: dict[str, np.ndarray],
                 series: Mapping[str, Any], records: Mapping[str, Any], matrices: Mapping[str, Any], index: Any):
        super().__init__(None, series, records, matrices, table=_rows_table(pf.columns, pos, numbers))
        self._source, self._pos, self._numbers = pf, pos, numbers
        self._index = index

    @property
    def assets(self) -> Any:
        """The rows' table as a frame (labels ``0 … len − 1``), built on first read for a reader
        of the frame. A column with no schema field (a model's own input, e.g. a sensitivity
        study's, on a portfolio made from a frame) is added: the drawn values when replaced,
        else the source's taken at the rows."""
        if self._assets is None:
            frame = self.columns.to_frame(self._index)
            src = self._source._assets        # (the source's frame, only if it has one)
            extra = [] if src is None else [c for c in src.columns if c not in self.columns]
            for c in extra:
                frame[c] = src[c].to_numpy()[self._pos]
            for c, v in self._numbers.items():
                if c not in self.columns:
                    frame[c] = v
            self._assets = frame
        return self._assets

    @property
    def index(self) -> Any:
        return self._index

    def __len__(self) -> int:
        return len(self._pos)

    def number(self, name: str) -> np.ndarray:
        if name in self._numbers:
            return self._numbers[name]
        return self._source.number(name)[self._pos]


def perturbed_portfolio(pf: Portfolio, pos: np.ndarray, params: Sequence[Param] = (),
                        values: Sequence[np.ndarray] = ()) -> Portfolio:
    """The rows ``pos`` of ``pf`` (row r is asset ``pos[r]``, labelled r) with the input
    parameters at their values (:class:`Rows`): the typed table of the rows, made when first
    read (its frame too, for a reader of the frame); each stream the source's
    array taken at ``pos`` (and multiplied by its factor); each record row repeated once per
    row of its asset (record-major, the source order kept within a row); matrices shared.
    Streams and records are built when an approach first reads them."""
    pos = np.asarray(pos, dtype=np.intp)
    return _rows(pf, pos, *_applied(pf, pos, params, values))


def _rows(pf: Portfolio, pos: np.ndarray, numbers: dict[str, np.ndarray], factors: Mapping[str, list[np.ndarray]]
          ) -> Rows:
    """:func:`perturbed_portfolio` of the inputs :func:`_applied` gives."""
    index = row_index(len(pos), pf.index.name or "asset_id")

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

    return Rows(pf, pos, numbers, _Rows(list(pf.series), stream), _Rows(list(pf.records), record),
                _Rows(list(pf.matrices), matrices), index)


class ApproachRun:
    """A registered approach with its parameters resolved: the engine's run without traces.

    Called on a portfolio it is ``approach.appraise(pf, params)`` (a ``MethodFn``, what the
    pricing layer's callers pass). On rows of perturbed inputs (:func:`evaluate`) an approach
    whose inputs can be taken at rows (``inputs.take(pos, columns, factors)``: the income
    approach's) runs by its contract — its inputs read ONCE from the portfolio, taken at the
    rows with the drawn values set, then ``value`` only: no portfolio of the rows, no
    explanation, no result (``kernel(replace(inputs, rate=R))``, issue 20 step 4). Its values
    are those of ``appraise`` on the rows (``value`` is the approach's arithmetic; the
    explanation adds no number).
    """

    __slots__ = ("approach", "params")

    def __init__(self, approach: Any, params: Any):
        self.approach, self.params = approach, params

    def __call__(self, pf: Portfolio) -> Any:
        return self.approach.appraise(pf, self.params, trace=False)

    def __repr__(self) -> str:
        return f"ApproachRun({self.approach.name!r})"

    def on_rows(self, pf: Portfolio, pos: np.ndarray, numbers: Mapping[str, np.ndarray],
                factors: Mapping[str, list[np.ndarray]]) -> Run | None:
        """The run on the rows ``pos`` of ``pf`` with the inputs ``numbers`` (asset-table
        columns at the rows) and stream ``factors`` (:func:`_applied`); None when the
        approach's inputs cannot be taken at rows, or a drawn column is no column of the asset
        table (a model's own input of a portfolio made from a frame: only a portfolio of the
        rows carries it)."""
        table = pf.columns
        if any(c not in table for c in numbers):
            return None
        x = self.approach.inputs_of(pf, self.params)     # (the engine's read of pf, if it ran)
        take = getattr(x, "take", None)
        if take is None:
            return None
        v = self.approach.value(take(pos, numbers, factors), self.params)
        est = np.where(np.asarray(v.applicable, dtype=bool), np.asarray(v.estimate, dtype=float), np.nan)
        cols = v.columns()
        return Run(est, lambda name: np.asarray(cols[name], dtype=float),
                   self.approach.used(self.params).get("coverage"))


class Run:
    """One evaluation of a value function on the rows: ``values`` (its estimates, times the
    output factors), :meth:`column` (a numeric column of its result at the rows, before the
    output factors) and :meth:`coverage` (the coverage of its own band)."""

    __slots__ = ("_column", "_coverage", "values")

    def __init__(self, values: np.ndarray, column: Callable[[str], np.ndarray], coverage: Any):
        self.values, self._column, self._coverage = values, column, coverage

    def column(self, name: str) -> np.ndarray:
        return self._column(name)

    def coverage(self, default: float) -> float:
        """The coverage of the approach's own band (its parameters), else ``default``."""
        return default if self._coverage is None else float(self._coverage)


def _result_run(y: np.ndarray, res: Any, index: Any, gather: np.ndarray | None) -> Run:
    """A :class:`Run` of a value function's values ``y`` and what it returned (a result read
    through :func:`~valuation.core.result_frames.result_columns`, or None), at ``gather``."""
    def column(name: str) -> np.ndarray:
        if res is None:
            raise KeyError(f"the value function gave no result to read {name!r} from")
        v = np.asarray(result_columns(res, index).num(name), dtype=float)
        return v if gather is None else v[gather]
    params = getattr(res, "params", None)
    return Run(y, column, params.get("coverage") if params else None)


def evaluate(fs: Sequence[ValueFn], pf: Portfolio, pos: np.ndarray, params: Sequence[Param],
             values: Sequence[np.ndarray], *, on_portfolio: Sequence[Any] | None = None
             ) -> list[Run]:
    """Each value function ``f(portfolio) -> values aligned with its rows`` on the rows ``pos``
    of ``pf`` with parameter j at ``values[j]`` (flat, one value a row; NaN: the card's).

    Input parameters: an :class:`ApproachRun` whose inputs can be taken at rows values them
    (its contract, no portfolio of the rows); every other ``f`` runs on the one
    :func:`perturbed_portfolio` of the rows (made once for all of them). Output parameters
    only: ``f`` runs once on ``pf`` itself (the rows are copies of unperturbed assets; the
    approaches are row-wise) — or ``on_portfolio[k]`` is that run's (values, result) already —
    and the values are gathered at ``pos``. Either way the values are multiplied by the output
    factors (in parameter order). Returns one :class:`Run` per function."""
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
        ps, vs = [p for p, _ in inputs], [v for _, v in inputs]
        numbers, factors = _applied(pf, pos, ps, vs)
        rows: Portfolio | None = None
        for f in fs:
            run = f.on_rows(pf, pos, numbers, factors) if isinstance(f, ApproachRun) else None
            if run is None:
                rows = rows if rows is not None else _rows(pf, pos, numbers, factors)
                y, res = _called(f, rows)
                run = _result_run(y, res, rows.index, None)
            run.values = run.values * mult
            out.append(run)
        return out
    for k, f in enumerate(fs):
        done = on_portfolio[k] if on_portfolio is not None else None
        y, res = done if done is not None else _called(f, pf)
        out.append(_result_run(np.asarray(y, dtype=float)[pos] * mult, res, pf.index, pos))
    return out


def _called(f: ValueFn, rows: Portfolio) -> tuple[np.ndarray, Any]:
    """(the values of ``f`` on ``rows`` as floats aligned with them, what ``f`` returned); a
    function may return (values, result) to pass its run on (:func:`evaluate`'s callers); an
    approach (a ``MethodResult``) gives its estimates."""
    y = f(rows)
    res = None
    if isinstance(y, tuple):
        y, res = y
    elif hasattr(y, "estimates"):        # an approach's result (a MethodFn)
        y, res = estimates(y, rows.index), y
    return values_on(y, rows.index), res
