"""Whether a text column is all printable (core/validate_table._printable: then the input gate
has nothing to refuse in it): Arrow-stored text whose bytes are all printable ASCII is
answered from its bytes, anything else by Python's ``str.isprintable`` of the joined text —
the same answer for every storage and for a slice of a column."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.core.validate_table import _printable

ARROW = pd.StringDtype("pyarrow", na_value=np.nan)
CASES = [["ab", None, "c d", "~"], ["ab", "c\x01d"], ["x\x7f"], ["tab\there"], ["数据资产", "A-1"],
         ["line\u2028sep"], ["ok", ""], [None, None], [], ["é", "\x1b[31m"]]


@pytest.mark.parametrize("values", CASES, ids=range(len(CASES)))
def test_printable_as_python_reads_it(values):
    want = "".join(v for v in values if v is not None).isprintable()
    s = pd.Series(values, dtype=ARROW)
    assert _printable(s) is want
    assert _printable(pd.Series(values, dtype=object)) is want
    for a, b in ((1, None), (0, -1), (1, 2)):       # (slices: an Arrow array with an offset)
        part = [v for v in values[a:b] if v is not None]
        assert _printable(s.iloc[a:b]) is "".join(part).isprintable(), (values, a, b)
