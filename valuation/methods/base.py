"""The contract every approach follows (issue 20 step 3; docs/DESIGN.md §3).

An approach is an object of a subclass of :class:`Approach`, registered by name in
:mod:`valuation.methods.registry` (an ordered mapping the engine loops over, with no special
case by name). It declares

* ``name`` — ``"cost"``, ``"income"``, ``"market"``, …; ``section`` — the card section it needs
  (an asset without it, ``has_<section>`` false, is not applicable with the reason);
* ``Params`` — a frozen :class:`Params` subclass: its parameters resolved once from the model
  library (``params(library)``, or ``params_of(snapshot)``) over its file defaults;
* ``inputs(pf, params)`` — everything it reads from the portfolio, as a frozen dataclass of
  numpy arrays (pandas stays in that step, at the edge);
* ``value(inputs, params)`` — pure arithmetic over all assets at once → :class:`Values`
  (estimate, low, high, applicable, reasons, further result columns);
* ``explain(inputs, params, values, trace=…)`` — traces (formulas, inputs, clauses; CAS 2023
  art. 27) and warnings → :class:`Explanation`.

``Approach.appraise(pf, params, trace=False)`` runs the four steps and gives a
:class:`MethodResult`: ``frame`` indexed by ``asset_id`` (aligned with ``pf.assets.index``)
with at least the columns of :data:`RESULT_COLUMNS`, plus the approach's own (e.g.
``replacement_cost``, ``delta``). An asset the approach cannot value is a row with
``applicable=False``, ``estimate=NaN`` and a reason in both languages — never an invented
number. Each approach package keeps its module-level ``appraise(pf, params=None, *,
trace=False)`` (the same run with ``params`` resolved from a mapping).
"""
from __future__ import annotations

import datetime as _dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, TypedDict

import numpy as np

from ..core.frames import frame_of_arrays
from ..core.portfolio import Portfolio
from .result import MethodResult

__all__ = ["RESULT_COLUMNS", "Approach", "MethodFn", "Explanation", "LazyWarnings", "Params", "TraceStep", "Values",
           "MethodResult", "Method", "step", "nan_to_num"]

RESULT_COLUMNS = ("estimate", "low", "high", "applicable", "reason_zh", "reason_en")


class TraceStep(TypedDict, total=False):
    """One step of a calculation as the disclosure articles (CAS 2023 art. 27) require."""

    step: str                 # stable id, e.g. "replacement_cost"
    label_zh: str
    label_en: str
    formula: str              # e.g. "P = C × δ"
    inputs: dict[str, Any]
    value: Any
    unit: str
    clauses: list[str]        # standard ids in the standards library, e.g. "CAS2023.art22"
    note_zh: str
    note_en: str


def step(step_id: str, label_zh: str, label_en: str, formula: str, inputs: Mapping[str, Any],
         value: Any, clauses: list[str] | tuple[str, ...] = (), unit: str = "", note_zh: str = "",
         note_en: str = "") -> TraceStep:
    """Build a trace step with plain-Python (JSON-safe) values."""
    # ``{k: _plain(v) ...}`` with the common leaves (Python floats and text, most of the
    # inputs a card's steps hold) answered in the loop, not by a call each
    plain = {}
    for k, v in inputs.items():
        t = type(v)
        if t is float:
            plain[k] = None if v != v else v
        elif t is str:
            plain[k] = v
        else:
            plain[k] = _plain(v)
    return {"step": step_id, "label_zh": label_zh, "label_en": label_en, "formula": formula,
            "inputs": plain, "value": _plain(value), "clauses": list(clauses), "unit": unit,
            "note_zh": note_zh, "note_en": note_en}  # (a TraceStep: the TypedDict is a dict)


_PASS_THROUGH = frozenset({str, int, bool, type(None)})
#: numpy scalar types and what :func:`_plain_other` gives for them (``float(v)``: a numpy NaN
#: stays a float NaN, unlike a Python float's None — kept as it was)
_NUMPY_SCALARS: dict[type, Callable[[Any], Any]] = {
    np.float64: float, np.float32: float, np.int64: int, np.int32: int, np.bool_: bool}


def _plain(v: Any) -> Any:
    """Plain Python value of a trace input: numpy scalars and arrays → Python, NaN → None,
    timestamps → ISO dates. The exact builtin and numpy scalar types of most inputs are
    answered first (an explained appraisal converts ~200 values per asset); every other value
    takes :func:`_plain_other`, the full chain of checks."""
    t = type(v)
    if t is float:
        return None if v != v else v
    if t in _PASS_THROUGH:
        return v
    conv = _NUMPY_SCALARS.get(t)
    if conv is not None:
        return conv(v)
    if t is list or t is tuple:
        return [_plain(x) for x in v]
    if t is dict:
        return {k: _plain(x) for k, x in v.items()}
    if t is np.ndarray:
        return [_plain(x) for x in v.tolist()]
    return _plain_other(v)


def _plain_other(v: Any) -> Any:
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, _dt.datetime):     # (a pandas Timestamp is one)
        return v.date().isoformat()
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def text_where(cond: np.ndarray, yes: str, no: str) -> np.ndarray:
    """``np.where(cond, yes, no).astype(object)`` without its unicode array and its new str per
    element: the two given str objects taken by position (an object array)."""
    return np.array((no, yes), dtype=object)[np.asarray(cond, dtype=np.intp)]


def nan_to_num(x: Any, nan: float = 0.0) -> Any:
    """``np.nan_to_num(x, nan=nan)`` (NaN → ``nan``, ±inf → ± the largest float, a new array).
    A float64 array of one or more dimensions without infinities takes one ``np.where`` — the
    same values, -0.0 included — where ``np.nan_to_num`` checks NaN, +inf and -inf each on
    its own (an appraisal calls it dozens of times on a few rows); everything else is
    ``np.nan_to_num`` itself."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.ndim:
        out = np.where(np.isnan(x), nan, x)
        if not np.isinf(out).any():
            return out
    return np.nan_to_num(x, nan=nan)


class LazyWarnings(Mapping[str, list[dict[str, Any]]]):
    """Warnings per asset, built on first access.

    Bilingual warning texts cost tens of microseconds per asset; a batch run over 10⁶ assets
    reads only numbers and rule codes and never looks at them, so they are built only when
    someone does (a single appraisal, a report). ``build`` must be pure: it is called once.
    """

    def __init__(self, build: Callable[[], dict[str, list[dict[str, Any]]]]):
        self._build: Callable[[], dict[str, list[dict[str, Any]]]] | None = build
        self._data: dict[str, list[dict[str, Any]]] | None = None

    def _get(self) -> dict[str, list[dict[str, Any]]]:
        if self._data is None:
            assert self._build is not None
            self._data, self._build = self._build(), None
        return self._data

    def __getitem__(self, key: str) -> list[dict[str, Any]]:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return "LazyWarnings(pending)" if self._data is None else f"LazyWarnings({self._data!r})"


#: an approach run over a whole portfolio: what the pricing layer calls per approach
MethodFn = Callable[[Portfolio], MethodResult]


# --------------------------------------------------------------------------- the contract
@dataclass(frozen=True, eq=False)
class Params(Mapping[str, Any]):
    """An approach's parameters, resolved once: the model library's entries over the file
    defaults, then flat overrides (read-only; a Mapping, so kernels read ``p["coverage"]``).
    Subclasses add what is not a number of the model library (market: the case library and
    the currency table)."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, eq=False)
class Values:
    """What ``value(inputs, params)`` gives for every asset (arrays of length n, in the
    portfolio's order). ``extra``: the approach's further result columns, in order (numpy
    arrays, or what the approach's :meth:`Approach.frame` understands); ``work``: the kernel's
    intermediate arrays its :meth:`Approach.explain` reads (never shown as they are)."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    applicable: np.ndarray
    reason_zh: Any
    reason_en: Any
    extra: Mapping[str, Any] = field(default_factory=dict)
    work: Any = None

    def columns(self) -> dict[str, Any]:
        """The result columns: :data:`RESULT_COLUMNS`, then ``extra``."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "applicable": self.applicable,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en, **self.extra}


@dataclass(frozen=True, eq=False)
class Explanation:
    """Per-asset traces (only when asked for) and warnings (built on first access when
    ``LazyWarnings``: a batch never reads their texts)."""

    traces: dict[str, list[TraceStep]] = field(default_factory=dict)
    warnings: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)


class Approach(ABC):
    """One valuation approach (see the module docstring). Subclasses set ``name``,
    ``section`` and ``Params`` and implement :meth:`params`, :meth:`inputs`, :meth:`value`
    and :meth:`explain`; the engine calls :meth:`params_of` and :meth:`appraise`."""

    name: ClassVar[str]
    section: ClassVar[str]
    Params: ClassVar[type[Params]] = Params

    @abstractmethod
    def params(self, library: Mapping[str, Any] | None = None) -> Params:
        """Resolved parameters from flat overrides and/or library entries (``{"models": …,
        "indicators": …}`` as :meth:`LibrarySnapshot.params_for` gives)."""

    def params_of(self, snapshot: Any) -> Params:
        """The parameters a library snapshot gives this approach."""
        return self.params(snapshot.params_for(self.name))

    @abstractmethod
    def inputs(self, pf: Any, params: Params) -> Any:
        """What the approach reads from the portfolio, as arrays (the pandas edge)."""

    @abstractmethod
    def value(self, inputs: Any, params: Params) -> Values:
        """Pure arithmetic over all assets at once."""

    @abstractmethod
    def explain(self, inputs: Any, params: Params, values: Values, *, trace: bool = False) -> Explanation:
        """Traces (when ``trace``) and warnings per asset."""

    def frame(self, values: Values, index: Any) -> Any:
        """The result frame of :meth:`Values.columns` (text converted at once): the edge form
        of a result, built when a face asks for :attr:`MethodResult.frame`."""
        return frame_of_arrays(values.columns(), index)

    def used(self, params: Params) -> dict[str, Any]:
        """The parameters recorded with the result."""
        return dict(params)

    def inputs_of(self, pf: Any, params: Params) -> Any:
        """:meth:`inputs`, read once per portfolio and parameters object (``Portfolio.memo``:
        a portfolio is read-only once built): the engine's run and the pricing layer's runs
        on perturbed rows (``pricing/perturbed.ApproachRun``) share one read — the income
        approach's forecasts from history included. The parameters are the same object for
        both (``methods.registry.params_of``: once per snapshot); other parameters read
        again."""
        memo = getattr(pf, "memo", None)
        if memo is None:
            return self.inputs(pf, params)
        seen, inputs = memo(("inputs", self.name, id(params)), lambda: (params, self.inputs(pf, params)))
        return inputs if seen is params else self.inputs(pf, params)

    def appraise(self, pf: Any, params: Params, *, trace: bool = False) -> MethodResult:
        """inputs → value → explain over the whole portfolio, as a :class:`MethodResult`."""
        inputs = self.inputs_of(pf, params)
        values = self.value(inputs, params)
        ex = self.explain(inputs, params, values, trace=trace)
        index = pf.index
        kept = replace(values, work=None)    # (the kernel's intermediate arrays are not kept)
        return MethodResult(self.name, None, ex.traces, self.used(params), ex.warnings, columns=values.columns(),
                            index=index, build=lambda: self.frame(kept, index))


class Method(Protocol):
    def __call__(self, pf: Any, params: Mapping[str, Any] | None = None, *,
                 trace: bool = False) -> MethodResult: ...
