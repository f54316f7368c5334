"""The market approach's arrays: per-subject sums, the adjustment coefficients, the typed
case table, the explicit comparables read from the typed records and the currency of the
result (CAS 2023 art. 23 and annex; docs/DOMAIN.md §4)."""
import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.ragged import Ragged
from valuation.library.cases.table import case_table, parse_dates
from valuation.methods.market import grid

# a pair: (subject 0…4, adjusted price or NaN, Σ|ln X|, weighting)
_PAIR = st.tuples(st.integers(0, 4), st.one_of(st.floats(1e-3, 1e9), st.just(float("nan"))),
                  st.floats(0.0, 3.0), st.sampled_from(["equal", "inverse_adjustment"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_PAIR, min_size=1, max_size=30), st.booleans())
def test_per_subject_aggregates_are_the_exact_sums(pairs, sort):
    # the reference: exact sums (math.fsum, statistics on Fractions) of each subject's pairs,
    # missing prices (NaN) left out; n counts every pair; a subject without pairs is NaN.
    # Tolerance 1e-12 relative (the golden outputs' tolerance; the sums here are compensated)
    if sort:
        pairs = sorted(pairs, key=lambda r: r[0])
    subj = np.array([r[0] for r in pairs])
    p = np.array([r[1] for r in pairs])
    tot = np.array([r[2] for r in pairs])
    scheme = np.array([r[3] for r in pairs], dtype=object)
    w = grid.pair_weights(subj, tot, scheme)
    cols = grid.aggregate_columns(grid.Groups(subj), w, p, 6)
    for s in range(6):
        at = subj == s
        ok = at & ~np.isnan(p)
        if not at.any():
            assert all(np.isnan(cols[k][s]) for k in grid.AGGREGATES)
            continue
        assert cols["n"][s] == at.sum()
        # the weights of a subject sum to 1 (equal: 1/n; inverse adjustment: ∝ 1/Σ|ln X|)
        assert math.fsum(w[at]) == pytest.approx(1.0, rel=1e-12)
        if (scheme[at] == "equal").all():
            assert np.allclose(w[at], 1 / at.sum(), rtol=1e-15)
        if not ok.any():
            continue
        lp = [math.log(x) for x in p[ok]]
        assert cols["estimate"][s] == pytest.approx(math.fsum(w[ok] * p[ok]), rel=1e-12)
        assert cols["p_min"][s] == p[ok].min() and cols["p_max"][s] == p[ok].max()
        assert cols["spread"][s] == pytest.approx(p[ok].max() / p[ok].min(), rel=1e-15)
        assert cols["mean_log"][s] == pytest.approx(statistics.fmean(lp), rel=1e-12, abs=1e-12)
        if len(lp) > 1:
            assert cols["sd_log"][s] == pytest.approx(statistics.stdev(lp), rel=1e-9, abs=1e-12)
        else:
            assert np.isnan(cols["sd_log"][s])


def test_aggregates_by_hand():
    # subject 0: prices 100 and 400, equal weights → P = 250, spread 4, ln P_i = ln 100, ln 400:
    # mean ln 200, sd |ln 400 − ln 100| / √2 = ln 4 / √2; subject 1: no pairs → NaN
    subj = np.array([0, 0])
    p = np.array([100.0, 400.0])
    w = grid.pair_weights(subj, np.array([0.1, 0.2]), np.array(["equal", "equal"], dtype=object))
    cols = grid.aggregate_columns(grid.Groups(subj), w, p, 2)
    assert cols["estimate"][0] == pytest.approx(250.0, rel=1e-15) and cols["spread"][0] == 4.0
    assert cols["mean_log"][0] == pytest.approx(math.log(200.0), rel=1e-15)
    assert cols["sd_log"][0] == pytest.approx(math.log(4.0) / math.sqrt(2.0), rel=1e-14)
    assert cols["n"][0] == 2 and all(np.isnan(cols[k][1]) for k in grid.AGGREGATES)


def test_weights_by_hand():
    # subject 0: equal → 1/2 each; subject 1: inverse adjustment, Σ|ln X| = 0.1 and 0.3 →
    # w ∝ 10 and 3.333… → 0.75, 0.25 (tolerance 1e-15)
    subj = np.array([0, 0, 1, 1])
    w = grid.pair_weights(subj, np.array([0.2, 0.0, 0.1, 0.3]),
                          np.array(["equal", "equal", "inverse_adjustment", "inverse_adjustment"], dtype=object))
    assert np.allclose(w, [0.5, 0.5, 0.75, 0.25], rtol=0, atol=1e-15)


def test_coefficients_by_hand():
    # X1 = 80/70; X4 ratio 1e6/2e6 = 0.5 (β NaN) and (1e6/5e5)^0.5 = √2; X5 exclusivity
    # sole/exclusive = 0.95 and evidence transaction/listing = 0.9; a given X3 wins; a missing
    # quality, an unknown level and a missing record count give 1
    cols = {"price": np.array([10.0, 12.0, 9.0]), "q_s": np.array([80.0, 80.0, np.nan]),
            "q_c": np.array([70.0, 90.0, 85.0]), "n_s": np.array([1e6, 1e6, 2e6]),
            "n_c": np.array([2e6, 5e5, np.nan]), "beta": np.array([np.nan, 0.5, 0.5]),
            "ex_s": np.array(["sole", "sole", None], dtype=object),
            "ex_c": np.array(["exclusive", None, "sole"], dtype=object),
            "ev_s": np.array(["transaction"] * 3, dtype=object),
            "ev_c": np.array(["listing", "transaction", "x"], dtype=object),
            "x3_given": np.array([np.nan, 1.1, np.nan])}
    out = grid.coefficient_columns(cols, 3, x5_exclusivity={"exclusive": 1.0, "sole": 0.95},
                                   x5_evidence_type={"listing": 1.0, "transaction": 0.9})
    assert out["x1"] == pytest.approx([80 / 70, 80 / 90, 1.0], rel=1e-15)
    assert out["x3"] == pytest.approx([1.0, 1.1, 1.0], rel=1e-15)
    assert out["x4"] == pytest.approx([0.5, 2 ** 0.5, 1.0], rel=1e-15)
    assert out["x5"] == pytest.approx([0.95 * 0.9, 1.0, 1.0], rel=1e-15)
    prod = np.prod([out[k] for k in grid.COEFFICIENTS], axis=0)
    assert out["product"] == pytest.approx(prod, rel=1e-15)
    assert out["p_adj"] == pytest.approx(cols["price"] * prod, rel=1e-15)


def test_case_table_has_one_missing_convention():
    fr = pd.DataFrame({"case_id": ["a", "b", "c"], "price_mode": pd.array(["one_off", None, ""], dtype="str"),
                       "price": [1.0, np.nan, 3.0], "date": ["2024-01-31", None, "2023-12-01"]})
    t = case_table(fr)
    assert t["price_mode"].tolist() == ["one_off", None, None]      # None, never NaN or ""
    assert t["price"].dtype == np.float64 and np.isnan(t["price"][1])
    assert t["date"].dtype == np.dtype("datetime64[D]") and np.isnat(t["date"][1])
    assert t["date"][0] == np.datetime64("2024-01-31")
    sub = t.take(np.array([2, 0]))
    assert sub["case_id"].tolist() == ["c", "a"] and len(sub) == 2
    assert t.take(np.array([False, True, True]))["case_id"].tolist() == ["b", "c"]      # a mask too
    with pytest.raises(ValueError):
        t["price"][0] = 2.0                                          # frozen arrays


@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_parse_dates():
    assert parse_dates(["2024-02-29", "1999-12-31"]).tolist() == [np.datetime64("2024-02-29").item(),
                                                                   np.datetime64("1999-12-31").item()]
    got = parse_dates(["2024-02-30", None, "2024-03-01"])            # an invalid day is missing
    assert np.isnat(got[0]) and np.isnat(got[1]) and got[2] == np.datetime64("2024-03-01")
    assert len(parse_dates([])) == 0


def test_comparables_are_read_from_the_typed_records_with_none_for_missing_text():
    from valuation.methods.market.inputs import comparables_of

    rec = pd.DataFrame({"asset_id": ["B", "A", "X", "B"], "case_id": ["c1", 7, "c3", ""],
                        "price": [10.0, None, 3.0, "12"], "price_mode": ["one_off", None, "per_call", "one_off"]})
    got = comparables_of(Ragged.from_frame("market.comparables", rec, np.array(["A", "B"], dtype=object)))
    assert "price_mode" in got and got._done == {}          # (each column made when first read)
    # the asset X is not in the portfolio: left out; rows by asset (A, then B in the given order)
    assert got["subject"].tolist() == [0, 1, 1]
    assert got["case_id"].tolist() == ["7", "c1", None]                 # text; "" is missing too
    assert np.array_equal(got["price"], [np.nan, 10.0, 12.0], equal_nan=True)
    assert got["price_mode"].tolist() == [None, "one_off", "one_off"]    # enum labels, None missing
    assert np.isnan(got["x1"]).all() and got["exclusivity"].tolist() == [None] * 3   # absent columns
    assert comparables_of(None) is None
    assert comparables_of(Ragged.from_frame("market.comparables", rec.iloc[:0], np.array(["A"], dtype=object))) is None


def test_level_of_text_values():
    # a level per known label; None, an unknown label and a non-text value → NaN
    got = grid.level_of(np.array(["sole", None, "x", "exclusive", 3], dtype=object), {"exclusive": 1.0, "sole": 0.95})
    assert np.array_equal(got, [0.95, np.nan, np.nan, 1.0, np.nan], equal_nan=True)


def _currency_portfolio():
    import json

    from valuation.core.portfolio import Portfolio

    base = json.loads((Path(__file__).resolve().parents[2] / "examples" / "cards" /
                       "E04_public_data_authorised_operation.json").read_text(encoding="utf-8"))
    cards = []
    for aid, cur, day in (("cny", None, "2025-12-31"), ("usd-lib", "USD", "2025-12-31"),
                          ("usd-old", "USD", "2026-03-31"), ("usd-card", "USD", "2025-12-31"),
                          ("hkd-lib", "HKD", "2025-12-31")):
        c = json.loads(json.dumps(base))
        c["asset"]["asset_id"] = aid
        c["engagement"]["valuation_date"] = day
        if cur:
            c["engagement"]["currency"] = cur
        cards.append(c)
    return Portfolio.from_cards(cards)


def test_market_currency_on_arrays():
    # library evidence in CNY: a USD card with a USD rate dated ≤ 31 days before its date is
    # converted (÷ 8 CNY per USD: 800 → 100); the same card dated 2026-03-31 (the rate 90 days
    # old) and an HKD card (no rate) are refused with the reason; comparables given on a USD card
    # are in USD already (relabelled only); the CNY card is untouched
    from valuation.methods.fx import apply_market_currency
    from valuation.methods.result import MethodResult

    pf = _currency_portfolio()
    n = len(pf)
    res = MethodResult("market", None, {"usd-lib": [{"step": "estimate", "unit": "CNY"}]}, {}, {}, index=pf.index,
                       columns={"estimate": np.full(n, 800.0), "low": np.full(n, 400.0), "high": np.full(n, 1600.0),
                                "applicable": np.ones(n, bool), "reason_zh": np.full(n, "", dtype=object),
                                "reason_en": np.full(n, "", dtype=object), "hedonic_estimate": np.full(n, 80.0),
                                "comparables_source": np.array(["library"] * 3 + ["explicit", "library"], dtype=object),
                                "price_unit": np.full(n, "CNY/year", dtype=object)})
    table = {"library_currency": "CNY", "max_age_days": 31,
             "rates": [{"currency": "USD", "cny_per_unit": 8.0, "date": "2025-12-30", "source": "test"},
                       {"currency": "USD", "cny_per_unit": 5.0, "date": "2026-01-05", "source": "later"}]}
    out = apply_market_currency(res, pf, None, table=table)
    assert np.array_equal(out.num("estimate"), [800.0, 100.0, np.nan, 800.0, np.nan], equal_nan=True)
    assert np.array_equal(out.num("low"), [400.0, 50.0, np.nan, 400.0, np.nan], equal_nan=True)
    assert out.num("hedonic_estimate").tolist() == [80.0, 10.0, 80.0, 80.0, 80.0]
    assert out.flag("applicable").tolist() == [True, True, False, True, False]
    assert out.columns["price_unit"].tolist() == ["CNY/year", "USD/year", "USD/year", "USD/year", "HKD/year"]
    zh, en = out.txt("reason_zh"), out.txt("reason_en")
    assert zh[0] == zh[1] == zh[3] == "" and "2026-03-31" in en[2] and "USD" in en[2] and "never relabelled" in en[2]
    assert "HKD" in zh[4] and "HKD" in en[4] and "2025-12-31" in en[4]
    fx = out.traces["usd-lib"][-1]
    assert fx["step"] == "fx" and fx["value"] == 100.0 and fx["inputs"]["rate_date"] == "2025-12-30"
    assert out.traces["usd-lib"][0]["unit"] == "USD"
    assert [w["code"] for w in out.warnings["usd-lib"]] == ["FX_CONVERTED"] and list(out.warnings) == ["usd-lib"]
    assert res.num("estimate").tolist() == [800.0] * 5          # the given result stays as it was
    cny = pf.subset(["cny"])                                      # nothing to convert: the result itself
    one = MethodResult("market", None, {}, {}, {}, index=cny.index,
                       columns={k: v[:1] for k, v in res.columns.items()})
    assert apply_market_currency(one, cny, None, table=table) is one


def test_a_run_builds_no_frame_until_a_face_asks(monkeypatch):
    # the appraisal (a portfolio mixing a demonstration with other assets: run in two parts)
    # gives its columns; the pandas frame is made once, when .frame is read, from those columns
    import json

    import valuation.core.frames as frames
    from valuation.core.portfolio import Portfolio
    from valuation.methods import base, result
    from valuation.methods.market import outputs
    from valuation.methods.market.approach import MARKET

    root = Path(__file__).resolve().parents[2] / "examples" / "cards"
    cards = [json.loads((root / f).read_text(encoding="utf-8")) for f in
             ("E01_soe_transport_licensing.json", "E05_purchased_third_party.json")]
    cards[1].setdefault("market", {})["demonstration"] = True
    pf = Portfolio.from_cards(cards)
    built = []
    real = frames.frame_of_arrays
    for module in (frames, result, base, outputs):     # (every name the frame is built by)
        monkeypatch.setattr(module, "frame_of_arrays", lambda *a, **k: built.append(1) or real(*a, **k))
    res = MARKET.appraise(pf, MARKET.params(), trace=True)
    assert built == [] and res.columns["applicable"].tolist() == [True, True]
    fr = res.frame
    assert built == [1] and fr.index.tolist() == pf.index.tolist()
    assert fr["estimate"].tolist() == res.num("estimate").tolist() and list(fr.columns) == list(res.columns)


_ITEM = st.fixed_dictionaries({"price": st.floats(1.0, 1e6), "case_id": st.one_of(st.none(), st.text("ab1", max_size=3)),
                               "price_mode": st.sampled_from([None, "one_off", "per_call"]),
                               "exclusivity": st.sampled_from([None, "exclusive", "sole", "non_exclusive"])})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_ITEM, max_size=4), min_size=1, max_size=6))
def test_each_comparable_belongs_to_its_asset_with_its_labels(per_asset):
    # the reference is the cards' items themselves: asset i's items, in their order, with
    # enum labels and text as given ("" missing)
    from valuation.methods.market.inputs import comparables_of

    items = [it for its in per_asset for it in its]
    got = comparables_of(Ragged.from_items("market.comparables", [len(x) for x in per_asset], items))
    if not items:
        assert got is None
        return
    assert got["subject"].tolist() == [i for i, its in enumerate(per_asset) for _ in its]
    assert got["price"].tolist() == [it["price"] for it in items]
    assert got["price_mode"].tolist() == [it["price_mode"] for it in items]
    assert got["exclusivity"].tolist() == [it["exclusivity"] for it in items]
    assert got["case_id"].tolist() == [it["case_id"] or None for it in items]
    assert got["rights_type"].tolist() == [None] * len(items) and np.isnan(got["quality"]).all()


@pytest.mark.parametrize("shuffled", [False, True])
def test_groups_are_pandas_groupby_bit_for_bit(shuffled):
    """Groups all of one size (the usual: 3 comparables each) and of several sizes, NaN among
    the values: sums, means, standard deviations (Welford in row order), least and greatest
    are pandas' ``groupby`` ones exactly (the market approach's numbers were defined with it)."""
    import pandas as pd

    rng = np.random.default_rng(7)
    for sizes in (np.full(400, 3), rng.integers(1, 6, 400), np.full(50, 1)):
        lab = np.repeat(np.arange(len(sizes)) * 3 + 2, sizes)
        if shuffled:
            rng.shuffle(lab)
        for nan_share in (0.0, 0.15):
            v = rng.lognormal(0.0, 2.0, len(lab))
            v[rng.random(len(lab)) < nan_share] = np.nan
            g = grid.Groups(lab)
            by = pd.Series(v).groupby(lab)
            for mine, theirs in ((g.sum(v), by.sum()), (g.mean(v), by.mean()), (g.std(v), by.std()),
                                 (g.min(v), by.min()), (g.max(v), by.max())):
                np.testing.assert_array_equal(mine, theirs.to_numpy())
            assert g.keys.tolist() == by.sum().index.tolist()


def test_subjects_text_columns_are_made_when_read():
    """The subjects' text columns (name, description, category …) are made when first read —
    the grid compares enum codes; what it reads is the same either way."""
    from valuation.batch.synth import synthetic_portfolio
    from valuation.core.portfolio import Portfolio
    from valuation.methods.market.inputs import _subject_columns
    from valuation.methods.market.params import resolve_params

    assets, records = synthetic_portfolio(4, seed=0)
    pf = Portfolio.from_table(assets, records)
    cols = _subject_columns(pf, resolve_params({}), np.ones(4, bool))
    assert "title" in cols and cols._done == {}
    assert cols["title"].tolist() == assets["name"].tolist()
    assert cols["source"].tolist() == ["explicit"] * 4 and list(cols) == list(dict(cols))
