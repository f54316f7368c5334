"""The options of a batch run are checked before anything is read (``batch/options.py``): each
bad one refuses the run naming the option, the value and what is allowed, in Chinese and
English; dates given as ISO text are parsed."""
import datetime as dt
from pathlib import Path

import pytest

from valuation.batch.options import ONLY, run_options
from valuation.core.errors import ValidationError

GOOD = dict(only="all", backend="local", workers=None, scheduler=None, resume=False, chunk_size=10,
            progress=None, as_of=None, history=True, flag_messages=False, balance_sheet_date=None)


def test_good_options_are_kept_and_dates_parsed():
    o = run_options(Path("out.parquet"), **{**GOOD, "as_of": "2025-06-30", "balance_sheet_date": "2025-12-31",
                                           "resume": 1, "only": ONLY[2]})
    assert o.as_of == dt.date(2025, 6, 30) and o.balance_sheet_date == dt.date(2025, 12, 31)
    assert o.resume is True and o.only == "high-impairment" and o.chunk_size == 10


@pytest.mark.parametrize("field, value, out, allowed", [
    ("only", "premium", "o.csv", "all, high-premium, high-impairment"),
    ("backend", "spark", "o.csv", "local"),
    ("chunk_size", 0, "o.csv", "an integer >= 1"),
    ("chunk_size", 2.5, "o.csv", "an integer >= 1"),
    ("workers", 0, "o.csv", "an integer >= 1"),
    ("balance_sheet_date", "31/12/2025", "o.csv", "a date YYYY-MM-DD"),
    ("out", None, "o.json", ".csv, .parquet, .xlsx"),
])
def test_a_bad_option_is_named_with_its_value_and_what_is_allowed(field, value, out, allowed):
    opts = dict(GOOD) if field == "out" else {**GOOD, field: value}
    with pytest.raises(ValidationError) as e:
        run_options(Path(out), **opts)
    (issue,) = e.value.issues
    shown = out if field == "out" else value
    assert issue.field == field and issue.value == shown and allowed in issue.allowed
    assert f"参数 {field}" in issue.message_zh and repr(shown) in issue.message_zh
    assert f"option {field}" in issue.message_en and allowed in issue.message_en
