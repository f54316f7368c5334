"""The facts rules read, built from the typed asset table and the results (rules/facts.py),
checked against numbers worked out by hand from the card; and the missing-text convention of
the compiled conditions (None, NaN and "" are all missing; a comparison with a missing value
is False)."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import api, engine
from valuation.core.portfolio import Portfolio
from valuation.rules import compile_rules
from valuation.rules.facts import FACTS, empty_facts, fact_arrays

CARD = json.loads((Path(__file__).resolve().parents[2] / "examples" / "cards"
                   / "E01_soe_transport_licensing.json").read_text(encoding="utf-8"))
SNAP = api.snapshot("seed")


def _facts(card: dict, as_of: str = "2026-12-31"):
    pf = Portfolio.from_cards([card])
    ev = engine.evaluate(pf, SNAP)
    methods = {m: mr.columns for m, mr in ev.methods.items()}
    return fact_arrays(pf.columns, ev.reconciled, methods=methods, as_of=as_of), ev


def test_facts_of_a_card_by_hand():
    card = copy.deepcopy(CARD)
    a, e = card["asset"], card["engagement"]
    a["previous_value"] = 4_000_000.0
    a["impairment_indicators"] = ["obsolete", "disputed"]
    a["rights"]["term_end"] = "2029-12-31"
    e["valuation_date"] = "2025-12-31"
    e["proposed_price"] = 4_000_000.0
    f, ev = _facts(card)
    assert list(f) == list(FACTS)
    est = float(ev.frame["estimate"].iloc[0])
    # 增值率 = (estimate − 3,200,000) / 3,200,000; change = (estimate − 4,000,000) / 4,000,000
    assert f["premium_ratio"][0] == pytest.approx((est - 3.2e6) / 3.2e6, rel=1e-12)
    assert f["impairment_ratio"][0] == pytest.approx((3.2e6 - est) / 3.2e6, rel=1e-12)
    assert f["change_since_previous"][0] == pytest.approx(est / 4e6 - 1, rel=1e-12)
    assert f["proposed_price_ratio"][0] == pytest.approx(4e6 / est, rel=1e-12)
    # 2025-12-31 → 2026-12-31: 365 days
    assert f["days_since_valuation"][0] == 365.0
    # the remaining rights term is the income approach's own: 2025-12-31 → 2029-12-31 is four
    # calendar years (docs/POLICY_CHOICES.md §3), not 1,461 days / 365
    assert f["rights_years_remaining"][0] == pytest.approx(4.0, rel=1e-12)
    assert f["life_vs_rights"][0] == pytest.approx(5 - 4.0, rel=1e-12)   # income.periods = 5
    # without results, from the card's dates, counted the same way
    card_only = fact_arrays(Portfolio.from_cards([card]).columns, as_of="2026-12-31")
    assert card_only["rights_years_remaining"][0] == pytest.approx(4.0, rel=1e-12)
    assert f["n_impairment_indicators"][0] == 2.0          # two CAS 8 indicators named
    assert f["holder_type"].tolist() == ["soe"] and f["use_category"].tolist() == ["industry"]
    assert f["rights_type"].dtype == object and f["pledged"].dtype == bool
    assert f["n_methods"][0] == 3.0 and f["cost_used"][0] and f["market_used"][0]


def test_missing_facts_and_documented_renewal():
    card = copy.deepcopy(CARD)
    card["asset"]["rights"].update(term_end="2027-12-31", renewal_documented=True,
                                   renewal_evidence="续期协议 2025-08")
    f, _ = _facts(card)
    assert np.isnan(f["previous_value"][0]) and np.isnan(f["change_since_previous"][0])
    assert np.isnan(f["life_vs_rights"][0])                # a documented renewal: no rights bound
    table = Portfolio.from_cards([card]).columns
    undated = fact_arrays(table.with_columns(valuation_date=np.array(["NaT"], dtype="datetime64[D]")))
    assert np.isnan(undated["days_since_valuation"][0])   # no valuation date: missing, not 0
    assert np.isnan(undated["estimate"][0]) and not undated["income_used"][0]   # no results yet


def test_results_must_be_aligned_with_the_assets():
    pf = Portfolio.from_cards([CARD])
    with pytest.raises(ValueError, match="aligned"):
        fact_arrays(pf.columns, {"estimate": np.array([1.0, 2.0])})


RULES = [{"id": f"T{i}", "severity": "info", "condition": cond, "message_zh": "{holder_type}",
          "message_en": "{purpose}", "references": ["ENG.default"]}
         for i, cond in enumerate([
             'holder_type in ("soe", "administrative")', 'holder_type not in ("soe", "")',
             'holder_type == "enterprise"', 'holder_type != "enterprise"', "isnull(holder_type)",
             'coalesce(holder_type, "none") == "none"', 'purpose == holder_type'])]


def test_text_conditions_treat_none_nan_and_empty_as_missing():
    f = empty_facts(6)
    f["holder_type"] = np.array(["soe", "administrative", "enterprise", "", None, np.nan], dtype=object)
    f["purpose"] = np.array(["soe", "x", "enterprise", "", "z", "y"], dtype=object)
    hits = compile_rules(RULES).evaluate(f)
    fired = {c: sorted(hits.rows[hits.code == c].tolist()) for c in dict.fromkeys(hits.code.tolist())}
    assert fired.get("T0") == [0, 1]
    assert fired.get("T1") == [1, 2]          # missing is neither in nor out of the list
    assert fired.get("T2") == [2]
    assert fired.get("T3") == [0, 1]          # missing is not "different" either
    assert fired.get("T4") == [3, 4, 5]
    assert fired.get("T5") == [3, 4, 5]
    assert fired.get("T6") == [0, 2, 3]       # "" == "" compares equal as text (as before)


_TABLE = Portfolio.from_cards([{**copy.deepcopy(CARD), "asset": {**CARD["asset"], "asset_id": f"P{i}"}}
                               for i in range(5)]).columns
_money = st.one_of(st.just(float("nan")), st.just(0.0), st.floats(-1e9, -1e-2), st.floats(1e-2, 1e9))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_money, _money, _money), min_size=5, max_size=5))
def test_ratio_facts_follow_their_formulas(rows):
    """premium = (P − B)/B and impairment = (B − P)/B only where B > 0 (else missing), so they
    sum to 0 where both exist; proposed ratio = price / P only where P > 0."""
    book, est, price = (np.array(c, dtype=float) for c in zip(*rows))
    f = fact_arrays(_TABLE.with_columns(book_value=book, proposed_price=price), {"estimate": est})
    with np.errstate(all="ignore"):
        want = np.where(book > 0, (est - book) / book, np.nan)
        ratio = np.where(est > 0, price / est, np.nan)
    np.testing.assert_array_equal(f["premium_ratio"], want)
    np.testing.assert_array_equal(f["proposed_price_ratio"], ratio)
    both = ~np.isnan(f["premium_ratio"]) & ~np.isnan(f["impairment_ratio"])
    np.testing.assert_allclose((f["premium_ratio"] + f["impairment_ratio"])[both], 0.0, atol=1e-9)
    assert np.isnan(f["premium_ratio"][~(book > 0)]).all()


_CELL = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-10**6, 10**6), st.booleans(),
                  st.sampled_from(["1.5", " 2 ", "1_000", "nan", "-inf", "x", ""]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=8))
def test_result_column_floats_as_float_of_each_value(cells):
    """A result column of objects is read in one cast where numpy can: the figures must be
    float() of each value, missing (None, text float() refuses, pandas' NA) NaN — the reader
    value by value (rules/facts._to_float) is the reference."""
    import pandas as pd

    from valuation.rules.facts import _floats, _to_float

    texts = [c for c in cells if isinstance(c, str)]
    for values in (cells, cells + [pd.NA], texts + texts):   # (text only: read by distinct value)
        col = np.empty(len(values), dtype=object)
        col[:] = values
        want = np.array([_to_float(x) for x in col.tolist()], dtype=float)
        np.testing.assert_array_equal(_floats(col), want)


def test_category_facts_are_the_labels_with_missing_as_empty_text():
    """A category fact is the enum column's label per asset, "" where the card gives none (the
    facts' convention): here E01 as given (rights type "product_operation", read from the card
    itself) and a copy without a rights type."""
    bare = copy.deepcopy(CARD)
    bare["asset"]["asset_id"] = "E01-bare"
    bare["asset"]["rights"].pop("type", None)
    f = fact_arrays(Portfolio.from_cards([CARD, bare]).columns)
    assert f["rights_type"].tolist() == [CARD["asset"]["rights"]["type"], ""]
    assert f["rights_type"].dtype == object
    assert f["purpose"].tolist() == [CARD["engagement"]["purpose"]] * 2


def test_life_bound_names_what_bounded_the_income_life():
    """``life_bound`` is the income approach's label of the bound that set the life (art. 21(7)):
    E01 asks for 5 periods; rights ending 4 years after the valuation date bound it instead.
    Where income does not apply the fact is missing (""), and a rule can test the label."""
    card = copy.deepcopy(CARD)
    card["asset"]["rights"]["term_end"] = "2029-12-31"
    card["engagement"]["valuation_date"] = "2025-12-31"
    f, _ = _facts(card)
    # four calendar years to the day (docs/POLICY_CHOICES.md §3), not 1,461 days / 365
    assert f["life_bound"].tolist() == ["rights"] and f["life"][0] == pytest.approx(4.0, rel=1e-12)
    f_periods, _ = _facts(copy.deepcopy(CARD))
    assert f_periods["life_bound"].tolist() == ["periods"]
    no_income = copy.deepcopy(CARD)
    del no_income["income"]
    f_none, _ = _facts(no_income)
    assert f_none["life_bound"].tolist() == [""] and not f_none["income_used"][0]
    rule = [{"id": "RIGHTS_BOUND", "severity": "info", "condition": 'life_bound == "rights"',
             "message_zh": "{life_bound}", "message_en": "{life_bound}", "references": ["ENG.default"]}]
    both = {k: np.concatenate([f[k], f_periods[k], f_none[k]]) for k in f}
    assert compile_rules(rule).evaluate(both).rows.tolist() == [0]


# ----------------------------------------------------------------- only the facts a rule set needs
def _card_portfolio():
    cards = [json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((Path(__file__).resolve().parents[2] / "examples" / "cards").glob("E0*.json"))]
    return Portfolio.from_cards(cards)


def test_fact_subset_equals_the_full_table():
    """``names`` computes those facts only, each the same array as in the full table (every
    declared fact is built: the full table has them all, in FACTS order)."""
    pf = _card_portfolio()
    ev = engine.evaluate(pf, SNAP)
    methods = {m: mr.columns for m, mr in ev.methods.items()}
    full = fact_arrays(pf.columns, ev.reconciled, methods=methods, as_of="2026-12-31")
    assert list(full) == list(FACTS)
    for names in (["life_vs_rights", "holder_type", "premium_ratio"], ["income_used", "x1_max"], []):
        sub = fact_arrays(pf.columns, ev.reconciled, methods=methods, as_of="2026-12-31", names=names)
        assert list(sub) == [k for k in FACTS if k in names]
        for k in names:
            np.testing.assert_array_equal(sub[k], full[k])


def test_ruleset_facts_cover_what_flags_read_and_show():
    """The seed rule set's :attr:`RuleSet.facts` hold every fact a condition, an ``applies_to`` or
    a message reads, and the flags of the example cards built from those facts alone equal the
    flags built from all facts (values shown included)."""
    rs = engine.ruleset_of(SNAP)
    for r in rs.rules:
        assert set(r.shown_facts) <= rs.facts
    assert set(rs._read) <= rs.facts < set(FACTS)       # (fewer than all: the subset pays)
    pf = _card_portfolio()
    ev = engine.evaluate(pf, SNAP)
    methods = {m: mr.columns for m, mr in ev.methods.items()}
    full = fact_arrays(pf.columns, ev.reconciled, methods=methods, as_of="2026-12-31")
    sub = fact_arrays(pf.columns, ev.reconciled, methods=methods, as_of="2026-12-31", names=rs.facts)
    assert rs.flags(sub, pf.columns.ids) == rs.flags(full, pf.columns.ids)
    assert any(rs.flags(full, pf.columns.ids).values())      # (some flag is raised: the check bites)
