"""Issue 17 item 2: the economic life never outlasts the rights term, for every income model —
no terminal value beyond the term unless a renewal is stated with its evidence.

Each of the five annex models is set up so that F_t = 100 for five years at i = 10 %, g = 2 %,
valuation date 2025-12-31 (end-of-period discounting). Hand-computed (tolerance 1e-6):

* explicit PV = Σ_{t=1..5} 100 / 1.1^t = 90.909091 + 82.644628 + 75.131480 + 68.301346 + 62.092132
  = 379.078677
* term ending 2030-12-31 (the fifth anniversary): no tail at all → 379.078677
* term ending 2033-12-31 (8 years): a tail of 3 years, Σ_{k=1..3} 100 × 1.02^k / 1.1^(5+k)
  = 102/1.771561 + 104.04/1.9487171 + 106.1208/2.14358881 = 57.5763 + 53.3890 + 49.5061 = 160.4714
  → 379.0787 + 160.4714 = 539.5501 (computed in the test as an explicit sum)
* no term (or a renewal with evidence, open-ended): Gordon 100 × 1.02 / 0.08 / 1.1^5 = 791.6747
  → 1170.7534
"""
import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from valuation import api
from valuation.cli import app
from valuation.core.portfolio import Portfolio
from valuation.methods import income

ROOT = Path(__file__).resolve().parents[2]
BASE = {"asset": {"asset_id": "T", "name": "T", "rights": {"type": "holding"}},
        "engagement": {"valuation_date": "2025-12-31"}}
COMMON = {"periods": 5, "discount_rate": 0.10, "terminal_growth": 0.02, "timing": "end"}
MODELS = {   # each gives F_t = 100
    "direct": {"model": "direct", "income": [100.0] * 5},
    "split": {"model": "split", "base": [1000.0] * 5, "split_rate": 0.1},
    "royalty": {"model": "royalty", "revenue": [1000.0] * 5, "royalty_rate": 0.1, "tax_rate": 0.0},
    "excess": {"model": "excess", "nopat": [150.0] * 5,
               "contributory": [{"asset_class": "fixed_assets", "rate": 0.05, "value": 1000.0}]},
    "incremental": {"model": "incremental", "with": [300.0] * 5, "without": [200.0] * 5},
}
EXPLICIT = sum(100 / 1.1 ** t for t in range(1, 6))
TAIL_3Y = sum(100 * 1.02 ** k / 1.1 ** (5 + k) for k in range(1, 4))
GORDON = 100 * 1.02 / (0.10 - 0.02) / 1.1 ** 5


def card(model: str, term_end: str | None = None, **rights) -> dict:
    c = copy.deepcopy(BASE)
    c["income"] = {**COMMON, **copy.deepcopy(MODELS[model])}
    if term_end:
        c["asset"]["rights"]["term_end"] = term_end
    c["asset"]["rights"].update(rights)
    return c


def frame(c):
    return income.appraise(Portfolio.from_card(c), trace=True)


def test_hand_numbers():
    assert EXPLICIT == pytest.approx(379.078677, abs=1e-6)
    assert TAIL_3Y == pytest.approx(160.4714, abs=1e-4)
    assert GORDON == pytest.approx(791.6747, abs=1e-4)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_no_terminal_value_when_the_term_ends_with_the_forecast(model):
    res = frame(card(model, "2030-12-31"))
    r = res.frame.iloc[0]
    assert r["applicable"], r["reason_en"]
    assert r["pv_terminal"] == 0.0
    assert r["estimate"] == pytest.approx(EXPLICIT, abs=1e-6)
    assert not r["terminal_beyond_rights"]
    assert "TERMINAL_DROPPED" in [w["code"] for w in res.warnings["T"]]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_the_tail_stops_at_a_later_term(model):
    res = frame(card(model, "2033-12-31"))
    r = res.frame.iloc[0]
    assert r["tail_years"] == pytest.approx(3.0, abs=1e-12)
    assert r["pv_terminal"] == pytest.approx(TAIL_3Y, abs=1e-6)
    assert r["estimate"] == pytest.approx(EXPLICIT + TAIL_3Y, abs=1e-6)
    step = next(s for s in res.traces["T"] if s["step"] == "terminal")
    assert step["inputs"]["tail_years"] == pytest.approx(3.0) and "q^K" in step["formula"]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_gordon_only_without_a_term_or_with_an_evidenced_renewal(model):
    assert frame(card(model)).frame.iloc[0]["estimate"] == pytest.approx(EXPLICIT + GORDON, abs=1e-6)
    # a renewal claimed without evidence is not relied on
    r = frame(card(model, "2030-12-31", renewal_documented=True)).frame.iloc[0]
    assert r["pv_terminal"] == 0.0
    res = frame(card(model, "2030-12-31", renewal_documented=True,
                     renewal_evidence="授权协议第 8 条：期满自动续期"))
    assert res.frame.iloc[0]["estimate"] == pytest.approx(EXPLICIT + GORDON, abs=1e-6)
    life = next(s for s in res.traces["T"] if s["step"] == "life")
    assert life["inputs"]["renewal_relied_on"] is True
    assert life["inputs"]["renewal_evidence"] == "授权协议第 8 条：期满自动续期"
    # a renewal to a stated end: the tail runs to that end (3 years after the forecast)
    r = frame(card(model, "2030-12-31", renewal_documented=True, renewal_evidence="续期批复",
                   renewal_term_end="2033-12-31")).frame.iloc[0]
    assert r["estimate"] == pytest.approx(EXPLICIT + TAIL_3Y, abs=1e-6)


def test_a_fractional_tail_weights_its_last_period():
    # term 2031-06-30: L = 5 anniversaries + 181/365 → K = 0, r = 0.49589; tail = r × 102 / 1.1^6
    r = frame(card("direct", "2031-06-30")).frame.iloc[0]
    frac = 181 / 365
    assert r["pv_terminal"] == pytest.approx(frac * 102 / 1.1 ** 6, abs=1e-9)


def test_five_year_term_with_a_growth_tail_through_the_api_and_the_cli(tmp_path):
    """The held-out situation: the interchange example (royalty, 5 periods, g = 3 %, term ending on
    the fifth anniversary). Flows 300,000 × 1.1^(t−1) × 2 % × 0.7 = 4,200, 4,620, 5,082, 5,590.2,
    6,149.22 at 15 %: 3,652.174 + 3,493.384 + 3,341.498 + 3,196.223 + 3,057.240 = 16,740.519."""
    c = json.loads((ROOT / "examples" / "interchange_example.json").read_text("utf-8"))
    r = api.appraise(c, library="seed").to_dict()
    m = r["methods"]["income"]
    assert m["estimate"] == pytest.approx(16740.519, abs=1e-3)
    assert m["details"]["pv_terminal"] == 0.0
    assert "INCOME_BEYOND_RIGHTS" not in [f["code"] for f in r["flags"]]
    p = tmp_path / "card.json"
    p.write_text(json.dumps(c, ensure_ascii=False), "utf-8")
    out = CliRunner().invoke(app, ["appraise", str(p), "--format", "json", "--db", "seed"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["methods"]["income"]["estimate"] == pytest.approx(16740.519, abs=1e-3)
    assert d["methods"]["income"]["details"]["pv_terminal"] == 0.0


def test_calendar_years_against_relativedelta():
    """Whole anniversaries by dateutil.relativedelta (an independent calendar), then days / 365."""
    import datetime as dt

    import numpy as np
    from dateutil.relativedelta import relativedelta
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from valuation.methods.income.term import calendar_years

    @settings(max_examples=200, deadline=None)
    @given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
    def check(a, b):
        if b < a:
            return
        y = relativedelta(b, a).years
        anniv = a + relativedelta(years=y)
        want = y + (b - anniv).days / 365.0
        got = calendar_years(np.array([a], dtype="datetime64[ns]"), np.array([b], dtype="datetime64[ns]"))[0]
        assert got == want, (a, b)
    check()


def test_the_tail_grows_with_the_term_and_never_exceeds_gordon():
    ends = ["2030-12-31", "2031-06-30", "2032-12-31", "2040-12-31", "2080-12-31"]
    tv = [frame(card("direct", e)).frame.iloc[0]["pv_terminal"] for e in ends]
    assert tv == sorted(tv) and tv[-1] < GORDON and tv[0] == 0.0


def test_calendar_years_in_either_direction_and_in_bulk():
    """Both orders of the dates, many at once (NaT where one is missing): the largest whole number
    of years whose anniversary (29 February → 28 February) is not after the end, by
    dateutil.relativedelta, then the days left / 365 — exactly."""
    import datetime as dt

    import numpy as np
    from dateutil.relativedelta import relativedelta
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from valuation.methods.income.term import calendar_years

    def want(a, b):
        y = relativedelta(b, a).years
        if a + relativedelta(years=y) > b:
            y -= 1
        return y + (b - (a + relativedelta(years=y))).days / 365.0

    day = st.one_of(st.none(), st.dates(dt.date(1960, 1, 1), dt.date(2100, 12, 31)))

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(day, day), min_size=1, max_size=30))
    def check(pairs):
        a = np.array([np.datetime64(x, "D") if x else np.datetime64("NaT") for x, _ in pairs])
        b = np.array([np.datetime64(y, "D") if y else np.datetime64("NaT") for _, y in pairs])
        got = calendar_years(a, b)
        for k, (x, y) in enumerate(pairs):
            if x is None or y is None:
                assert np.isnan(got[k])
            else:
                assert got[k] == want(x, y), (x, y)
    check()
    # 29 February: its anniversary in another year is 28 February (a year after 2024-02-29 is
    # 2025-02-28, so 2025-03-01 is 1 + 1/365); backwards too
    leap = [(dt.date(2024, 2, 29), dt.date(2025, 3, 1)), (dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
            (dt.date(2024, 2, 29), dt.date(2028, 2, 29)), (dt.date(2025, 3, 1), dt.date(2024, 2, 29)),
            (dt.date(2024, 2, 29), dt.date(2023, 2, 28)), (dt.date(2024, 2, 29), dt.date(2023, 3, 1))]
    got = calendar_years(np.array([a for a, _ in leap], dtype="datetime64[D]"),
                         np.array([b for _, b in leap], dtype="datetime64[D]"))
    assert got.tolist() == [want(a, b) for a, b in leap]
    assert got[:3].tolist() == [1 + 1 / 365, 1.0, 4.0]
