"""The formatting layer: amounts in 元/万元, percentages, rates and dates, checked by hand."""
import datetime as dt
import math

import pytest

from valuation.core import formatting as F


def test_money_yuan_and_wan_by_hand():
    # 4,889,179.456 元 → two decimals, grouped by thousands; / 10,000 = 488.9179456 → 488.92 万元
    assert F.money(4889179.456) == "4,889,179.46 元"
    assert F.money(4889179.456, unit="wan") == "488.92 万元"
    assert F.money(4889179.456, lang="en") == "CNY 4,889,179.46"
    assert F.money(4889179.456, unit="wan", lang="en") == "CNY 488.92 ten-thousand"
    assert F.money(1234.5, currency="USD") == "1,234.50 美元"
    assert F.money(-1234.5) == "-1,234.50 元"


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf, "abc"])
def test_missing_values_show_a_dash(bad):
    assert F.money(bad) == "—"
    assert F.percent(bad) == "—"
    assert F.ratio(bad) == "—"


def test_percent_rate_ratio_by_hand():
    assert F.percent(0.1234) == "12.3%"
    assert F.rate(0.0825) == "8.25%"
    assert F.percent(1.0, decimals=0) == "100%"
    assert F.ratio(0.16666666666666666) == "0.1667"


def test_dates_in_both_languages():
    assert F.date(dt.date(2024, 12, 31)) == "2024年12月31日"
    assert F.date("2024-12-31", lang="en") == "2024-12-31"
    assert F.date(None) == "—"


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="yuan"):
        F.money(1.0, unit="k")
