"""The array paths of the cost approach give what its frame / pandas paths give."""
import numpy as np
import pandas as pd
import pytest
from cost_cards import random_cards

from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.methods.base import _plain
from valuation.methods.cost import approach
from valuation.methods.cost.kernel import COMPONENTS
from valuation.methods.cost.lines import component_arrays, component_totals


def test_component_arrays_equal_component_totals_without_lines():
    rng = np.random.default_rng(5)
    vals = rng.uniform(0, 100, (12, 5))
    vals[rng.random((12, 5)) < 0.3] = np.nan
    idx = pd.Index([f"A{i}" for i in range(12)])
    comp, both, has_lines = component_arrays(vals, idx)
    fr, both0, lines0 = component_totals(pd.DataFrame(vals, index=idx, columns=list(COMPONENTS)), None,
                                         pd.Series(np.nan, index=idx))
    assert np.array_equal(comp, fr.to_numpy(float), equal_nan=True)
    assert both.tolist() == both0.tolist() and has_lines.tolist() == lines0.tolist()
    vals[3, 2] = -1.0
    with pytest.raises(ValidationError) as a:
        component_arrays(vals, idx)
    with pytest.raises(ValidationError) as b:
        component_totals(pd.DataFrame(vals, index=idx, columns=list(COMPONENTS)), None, pd.Series(np.nan, index=idx))
    assert [i.message_en for i in a.value.issues] == [i.message_en for i in b.value.issues]


TEXTS = ["", "理由", "  ", "\u3000", "x ", "...", "\x1c", " a\t", None, np.nan]


@pytest.mark.parametrize("dtype", [object, "str"])
@pytest.mark.parametrize("k", range(len(TEXTS)))
def test_short_text_helpers_equal_the_pandas_path(k, dtype):
    vals = TEXTS[k:] + TEXTS[:k]
    short = pd.DataFrame({"t": pd.Series(vals, dtype=dtype)})
    long = pd.DataFrame({"t": pd.Series(vals * 10, dtype=dtype)})   # > 64 rows: the pandas path
    s, lg = approach._str(short, "t"), approach._str(long, "t")
    assert s.tolist() == lg[:len(vals)].tolist()
    assert approach._has_text(s).tolist() == approach._has_text(lg)[:len(vals)].tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_trace_rows_equal_the_frames_rows(seed):
    pf = Portfolio.from_cards(random_cards(20, seed))
    p = approach.resolve_params(None)
    rows = np.arange(0, 20, 3)
    keys = [pf.index[i] for i in rows]
    plain = lambda d: {k: {c: _plain(v) for c, v in r.items()} for k, r in d.items()}  # noqa: E731
    rc = approach._replacement_cost_columns(pf, p)
    frame = approach.replacement_cost(pf, p)
    assert list(rc) == list(frame.columns)
    assert plain(approach._row_dicts(rc, rows, keys)) == plain(frame.iloc[rows].to_dict(orient="index"))
