"""The cost approach's typed reads: the trace's row reader and the text test of the override reason."""
import numpy as np
import pandas as pd
import pytest
from cost_cards import random_cards

from valuation.core.portfolio import Portfolio
from valuation.methods.base import _plain
from valuation.methods.cost import approach
from valuation.methods.typed import text_has
from valuation.quality.composite import composite_columns


def test_text_has_means_text_other_than_whitespace():
    vals = np.array(["", "理由", "  ", "\u3000", "x ", "...", " a\t", None], dtype=object)
    assert text_has(vals).tolist() == [False, True, False, False, True, True, True, False]


@pytest.mark.parametrize("seed", [0, 1])
def test_trace_rows_equal_the_frames_rows(seed):
    pf = Portfolio.from_cards(random_cards(20, seed))
    p = approach.resolve_params(None)
    rows = np.arange(0, 20, 3)
    keys = [pf.index[i] for i in rows]
    plain = lambda d: {k: {c: _plain(v) for c, v in r.items()} for k, r in d.items()}  # noqa: E731
    rc = approach.replacement_cost(pf, p)
    frame = pd.DataFrame(rc, index=pf.index)
    assert plain(approach._row_dicts(rc, rows, keys)) == plain(frame.iloc[rows].to_dict(orient="index"))
    q = composite_columns(pf, errors="mark", library=p["quality_library"])
    qf = pd.DataFrame(q, index=pf.index)   # (the quality columns' table, built at this edge)
    assert plain(approach._row_dicts(q, rows, keys)) == plain(qf.iloc[rows].to_dict(orient="index"))
