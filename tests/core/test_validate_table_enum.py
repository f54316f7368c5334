"""An Arrow-stored enum column of a flat table is coded by Arrow's ``index_in`` when every given
value is a label as it stands (core/validate_table._enum_of_labels); otherwise — a value to
strip, a blank, a value outside the enumeration — as before, per distinct value. Either way
the coerced column and the issues (rows, values, messages) are those of the general reading
(the same values held as Python objects)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from valuation.core import validate_table as vt
from valuation.core.schema import fields_for

ENUMS = [f for f in fields_for("card") if f.kind == "enum" and f.column in vt.table_columns("card")]


def _issues(issues):
    return [(i.field, i.value, i.allowed, i.message_zh, i.message_en, i.row, i.asset_id) for i in issues]


def _both(f, values, needing=None):
    ids = [f"A{i}" for i in range(len(values))]
    out = {}
    for storage in ("pyarrow", "object"):
        s = pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan)) if storage == "pyarrow" \
            else pd.Series(values, dtype=object)
        issues: list = []
        col = vt.coerce_column(f, f.column, s, ids, issues, needing)
        out[storage] = (col, _issues(issues))
    return out


@pytest.mark.parametrize("f", ENUMS, ids=lambda f: f.column)
def test_enum_by_arrow_is_the_general_reading(f):
    lab = list(f.allowed)
    cases = [lab * 2, [lab[-1], None, lab[0], None], [None, None], [lab[0], " " + lab[0]],
             [lab[0], "", lab[-1]], [lab[0], "no-such-label", None], [f"{lab[0]} "] * 3]
    for values, needing in itertools.product(cases, (None, "alternate")):
        need = None if needing is None else np.arange(len(values)) % 2 == 0
        got = _both(f, values, need)
        (a, ia), (b, ib) = got["pyarrow"], got["object"]
        assert isinstance(a.dtype, pd.CategoricalDtype) and a.dtype == b.dtype, values
        np.testing.assert_array_equal(a.array.codes, b.array.codes)
        assert ia == ib, values


def test_enum_by_arrow_by_hand(monkeypatch):
    """holder_type: labels coded by their position; a missing value takes the default (or -1)
    and is an issue where the field is required; an unknown label is an issue naming it."""
    f = next(f for f in ENUMS if f.column == "holder_type")
    lab = list(f.allowed)
    s = pd.Series([lab[1], None, lab[0]], dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    with monkeypatch.context() as m:              # (Arrow's look-up: no distinct values read)
        m.setattr(vt, "_distinct", None)
        issues: list = []
        a = vt.coerce_column(f, f.column, s, ["A0", "A1", "A2"], issues)
        issues = _issues(issues)
    miss = lab.index(f.default) if f.default is not None else -1
    assert a.array.codes.tolist() == [1, miss, 0]
    assert [i[5] for i in issues] == ([1] if f.required else [])
    b, issues = _both(f, [lab[1], "nope"])["pyarrow"]
    assert b.array.codes.tolist() == [1, -1] and [(i[1], i[5]) for i in issues] == [("nope", 1)]


def test_item_enum_codes_by_arrow_are_the_factorised_ones():
    """A records table's enum item column (core/ragged._factor_codes): Arrow-stored labels
    coded by Arrow, the same codes as the column read value by value (held as objects); a
    value outside the enumeration (or one to strip) is refused the same way, naming its row."""
    from valuation.core import ragged
    from valuation.core.errors import ValidationError

    specs = [s for s in ragged.item_specs("market.comparables") if s.kind == "enum"]
    assert specs
    for spec in specs:
        lab = list(spec.labels)
        for values in ([lab[-1], None, lab[0]], lab * 3, [None, None], [lab[0], "nope"], [lab[0], lab[0] + " "]):
            got = []
            for dtype in (pd.StringDtype("pyarrow", na_value=np.nan), object):
                try:
                    got.append(ragged._factor_codes(spec, pd.Series(values, dtype=dtype)).tolist())
                except ValidationError as e:
                    got.append([(i.field, i.value, i.row) for i in e.issues])
            assert got[0] == got[1], (spec.name, values, got)
        miss = -1 if spec.default is None else spec.default
        assert ragged._factor_codes(spec, pd.Series([lab[1], None], dtype="str")).tolist() == [1, miss]
