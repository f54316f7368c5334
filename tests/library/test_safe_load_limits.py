"""The library import (library/safe_load.py) and the input gate (core/gate.py) refuse at the
same bounds: one definition of nesting depth and integer size (issue 20 step 5)."""
from __future__ import annotations

import json

import pytest

from valuation.core import gate
from valuation.core.errors import ValidationError
from valuation.library import safe_load


def _nested(levels: int) -> list:
    doc: list = [1]
    for _ in range(levels - 1):
        doc = [doc]
    return doc


def test_the_limits_are_the_gates():
    assert safe_load.MAX_DEPTH == gate.LIMITS.max_depth
    assert safe_load.MAX_INT == gate.INT_BOUND - 1 == 10 ** gate.LIMITS.max_int_digits - 1


@pytest.mark.parametrize("as_json", [True, False])
def test_depth_refused_where_the_gate_refuses_it(as_json):
    n = gate.LIMITS.max_depth
    for levels, refused in ((n, False), (n + 1, True)):
        doc = {"x": _nested(levels - 1)}                 # the mapping is one level
        assert bool(gate.check_tree(doc)) is refused
        text = json.dumps(doc)                          # JSON is YAML (flow style)
        if refused:
            with pytest.raises(ValidationError, match="nest"):
                safe_load.load_text(text, as_json=as_json)
        else:
            assert safe_load.load_text(text, as_json=as_json) == doc


@pytest.mark.parametrize("as_json", [True, False])
def test_integers_refused_where_the_gate_refuses_them(as_json):
    top = gate.INT_BOUND - 1                            # 19 nines: the largest accepted
    for value, refused in ((top, False), (-top, False), (top + 1, True), (-(top + 1), True)):
        doc = {"n": value}
        assert bool(gate.check_tree(doc)) is refused
        text = json.dumps(doc)
        if refused:
            with pytest.raises(ValidationError, match="integer"):
                safe_load.load_text(text, as_json=as_json)
        else:
            assert safe_load.load_text(text, as_json=as_json) == doc
