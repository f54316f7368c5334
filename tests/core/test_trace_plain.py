"""Trace inputs are made plain by a type-dispatched fast path; it must give exactly what the
full chain of checks (``_plain_other``) gives, types included, for every kind of value."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from valuation.methods.base import _plain, _plain_other


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


VALUES = [
    0.0, -1.5, float("nan"), float("inf"), -float("inf"), 3, -7, True, False, None, "文本", "",
    np.float64(2.5), np.float64("nan"), np.float32(1.25), np.int64(4), np.int32(-2), np.bool_(True),
    np.array([1.0, np.nan, 3.0]), np.array([[1, 2], [3, 4]]), np.array([True, False]),
    np.array(["a", "b"], dtype=object), np.array([], dtype=float),
    [1.0, np.nan, np.float64(2.0), "x", None], (1, 2.0, np.int64(3)), [[np.nan], (np.bool_(False),)],
    {"a": np.float64(1.0), "b": [np.nan, {"c": np.int64(2)}], 3: "k"},
    pd.Timestamp("2025-06-30"), pd.Timestamp("2025-06-30 13:45"),
    type("F", (float,), {})(float("nan")), type("I", (int,), {})(5),
]


def test_fast_plain_equals_the_full_chain():
    for v in VALUES:
        assert _same(_plain(v), _plain_other(v)), v
    # and the fast path really is taken for builtin scalars: nothing is converted
    for v in (1.5, 3, "s", True, None):
        assert _plain(v) is v
    assert _plain(float("nan")) is None


def test_step_equals_plain_of_every_input():
    from valuation.methods.base import TraceStep, step
    inputs = {f"k{i}": v for i, v in enumerate(VALUES)}
    for value in VALUES:
        got = step("s", "标签", "label", "f = x", inputs, value, ("CAS2023.art22",), unit="currency",
                   note_zh="注", note_en="note")
        want = TraceStep(step="s", label_zh="标签", label_en="label", formula="f = x",
                         inputs={k: _plain_other(v) for k, v in inputs.items()},
                         value=_plain_other(value), clauses=["CAS2023.art22"], unit="currency",
                         note_zh="注", note_en="note")
        assert list(got) == list(want)
        assert _same(got, want), value
