"""The pricing layer's fast paths give what the general pandas paths give (values, dtypes,
block layout), on the example cards and variants."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.core.portfolio import Portfolio
from valuation.core.trimmed import left_out
from valuation.pricing._sampling import _take_rows, copy_index, replicate_rows

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))


def _portfolio() -> Portfolio:
    cards = [json.loads(p.read_text("utf-8")) for p in CARDS]
    return Portfolio.from_cards(cards)


def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want)
    assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
    assert [b.mgr_locs.as_array.tolist() for b in got._mgr.blocks] == \
        [b.mgr_locs.as_array.tolist() for b in want._mgr.blocks]


@pytest.mark.parametrize("pos", [[0, 0, 0], [3, 1, 1, 5, 0], list(range(6))[::-1], []])
def test_take_rows_is_iloc(pos):
    pf = _portfolio()
    pos = np.asarray(pos, dtype=np.intp)
    index = pd.Index([f"r{k}" for k in range(len(pos))], name="asset_id")
    frames = [pf.assets, *pf.series.values()] + [r for r in pf.records.values() if len(r)]
    for fr in frames:
        p = pos % len(fr) if len(fr) else pos[:0]
        want = fr.iloc[p]
        want.index = index[:len(p)]
        _same_frame(_take_rows(fr, p, index[:len(p)]), want)


@pytest.mark.parametrize("pos", [[0, 0, 0], [3, 1, 1, 5, 0], []])
def test_take_rows_of_some_columns_is_iloc_of_them(pos):
    """Only the columns asked for (absent names ignored), in the frame's order: whole blocks,
    parts of the float block, single text columns — also on a frame whose blocks' columns are
    out of order (a column inserted, another moved by an assignment)."""
    pf = _portfolio()
    pos = np.asarray(pos, dtype=np.intp)
    index = pd.Index([f"r{k}" for k in range(len(pos))], name="asset_id")
    shuffled = pf.assets.copy()
    shuffled.insert(3, "inserted", np.arange(len(shuffled), dtype=float))
    shuffled["book_value"] = shuffled["book_value"] * 2
    some = ["income_model", "valuation_date", "income_discount_rate", "has_income", "book_value", "inserted",
            "rights_renewal_documented", "income_royalty_rate", "not_a_column", "income_model"]
    for fr in (pf.assets, shuffled):
        for cols in (some, some[:1], [], list(fr.columns)):
            want = fr.iloc[pos].loc[:, fr.columns.isin(cols)]
            want.index = index
            got = _take_rows(fr, pos, index, cols)
            pd.testing.assert_frame_equal(got, want)
            assert list(got.columns) == [c for c in fr.columns if c in cols]
            # marked with exactly the labels left out
            assert left_out(got) == frozenset(fr.columns.difference(got.columns, sort=False))
    assert [b.mgr_locs.as_array.tolist() for b in shuffled._mgr.blocks] != \
        sorted(b.mgr_locs.as_array.tolist() for b in shuffled._mgr.blocks)


def test_take_rows_gives_new_data():
    pf = _portfolio()
    out = _take_rows(pf.assets, np.array([0, 1]), pd.Index(["a", "b"], name="asset_id"))
    before = pf.assets["income_discount_rate"].to_numpy(copy=True)
    out["income_discount_rate"] = 99.0
    out.iloc[0, out.columns.get_loc("valuation_date")] = pd.Timestamp("2001-01-01")
    np.testing.assert_array_equal(pf.assets["income_discount_rate"].to_numpy(), before)


def _evaluated(cards):
    from valuation import api, engine
    snap = api.snapshot("seed")
    pf = Portfolio.from_cards(cards)
    results = {m: engine.run_method(m, pf, snap, trace=True) for m in ("cost", "income", "market")}
    return snap, pf, results


def _variants():
    cards = [json.loads(p.read_text("utf-8")) for p in CARDS]
    mixed = json.loads(json.dumps(cards[0]))
    mixed["asset"]["asset_id"] = "MIX"
    mixed["engagement"]["weights"] = {"cost": 0.25, "income": 0.5, "market": 0.25}
    mixed["engagement"]["weights_reason"] = "  blended on purpose  "
    return cards + [mixed]


def test_reconcile_explanation_is_the_public_explain_of_its_frame():
    """The engine path (columns and weights metadata handed over as arrays, tornados shared
    with the Monte Carlo run) gives the explanation the public explain gives from the frame."""
    from valuation.pricing.reconcile import explain, reconcile
    snap, pf, results = _evaluated(_variants())
    fr, ex = reconcile(pf, results, snap, explain=True)
    assert fr.loc["MIX", "weights_source"] == "card"
    again = explain(pf, results, fr, snap=snap)
    assert json.dumps(ex, sort_keys=True, default=str) == json.dumps(again, sort_keys=True, default=str)


def test_reconcile_frame_is_the_frame_of_separate_steps():
    """reconcile's frame (approach table, weights and keys derived once) is combine's."""
    from valuation.pricing.reconcile import combine, reconcile, weights_for
    snap, pf, results = _evaluated(_variants())
    fr, _ = reconcile(pf, results, snap, explain=False)
    pd.testing.assert_frame_equal(fr, combine(pf, results, snap))
    fr2, _ = reconcile(pf, results, snap, explain=True)
    pd.testing.assert_frame_equal(fr2, fr)
    app = pd.DataFrame({m: fr[f"{m}_applicable"].to_numpy(bool) for m in ("cost", "income", "market")},
                       index=pf.index)
    W, meta = weights_for(pf, app)
    np.testing.assert_array_equal(W.to_numpy(), fr[[f"{m}_weight" for m in W.columns]].fillna(0).to_numpy())
    assert meta["weights_source"].tolist() == fr["weights_source"].tolist()
    assert meta.loc["MIX", "weights_reason"] == "blended on purpose"


@pytest.mark.parametrize("applicable", [[True, False, True], [1, 0, np.nan], [True, None, True]])
def test_values_is_the_where_of_the_aligned_frame(applicable):
    from valuation.pricing._sampling import _values
    fr = pd.DataFrame({"estimate": [1.5, 2.0, np.nan], "applicable": applicable},
                      index=pd.Index(["a", "b", "c"], name="asset_id"))
    for index in (fr.index, pd.Index(["a", "b", "c"], name="asset_id"), pd.Index(["c", "x", "a"])):
        want = fr.reindex(index)
        want = want["estimate"].where(want["applicable"].astype(bool)).to_numpy(float)
        np.testing.assert_array_equal(_values(fr, index), want)


def test_asset_keys_depend_on_the_seed_only():
    from valuation.pricing._sampling import _splitmix, asset_keys
    ids = ["E01", "资产-甲~3", "", "E01 ", "x" * 300, "E01", "é"]
    index = pd.Index(ids, name="asset_id")
    seeds = np.array([0, 7, np.nan, 2**40, 1, 5, 3], dtype=float)
    s = np.nan_to_num(seeds, nan=0.0).astype(np.uint64)
    np.testing.assert_array_equal(asset_keys(index, seeds), _splitmix(_splitmix(s) ^ np.uint64(0x5EED5EED5EED5EED)))


def test_series_factor_is_the_frame_product():
    from valuation.pricing._sampling import Param, replicate
    pf = replicate(_portfolio(), 3)
    p = Param("f", "series", "f", "f", {"type": "relative_normal", "sd": 0.1},
              target=tuple(pf.series) + ("absent.path",))
    vals = np.linspace(0.5, 1.5, len(pf))
    vals[::4] = np.nan
    want = {k: s.mul(np.where(np.isnan(vals), 1.0, vals), axis=0) for k, s in pf.series.items()}
    p.apply(pf, vals)
    assert want and set(pf.series) == set(want)
    for k, s in want.items():
        pd.testing.assert_frame_equal(pf.series[k], s)
        np.testing.assert_array_equal(pf.series[k].to_numpy(), s.to_numpy())


def test_scale_float_rows_is_the_frame_product_in_place():
    from valuation.pricing._sampling import _scale_float_rows, replicate
    pf = replicate(_portfolio(), 3)
    f = np.linspace(0.5, 1.5, len(pf))
    done = 0
    for s in pf.series.values():
        want = s.mul(f, axis=0)
        if _scale_float_rows(s, f):
            done += 1
            pd.testing.assert_frame_equal(s, want, check_exact=True)
    assert done and done == len(pf.series)
    # shared data (a column Series alive), another kind of block: nothing written
    s = next(iter(pf.series.values()))
    col = s[s.columns[0]]
    before = s.to_numpy(copy=True)
    assert not _scale_float_rows(s, f)
    np.testing.assert_array_equal(s.to_numpy(), before)
    del col
    mixed = pd.DataFrame({1: [1.0, 2.0], 2: [1, 2]})
    assert not _scale_float_rows(mixed, np.ones(2)) and mixed[1].tolist() == [1.0, 2.0]


def test_income_runs_on_its_own_inputs_only():
    """The replicated run of the income approach copies only its own series and records
    (``income.READS``): on the example cards (one with contributory assets) and a card with
    application scenarios it gives the frame it gives on the whole portfolio."""
    from valuation.methods import income
    from valuation.pricing.reconcile import _read_by

    cards = [json.loads(p.read_text("utf-8")) for p in CARDS]
    cards.append({"asset": {"asset_id": "S", "name": "S"}, "engagement": {"valuation_date": "2025-12-31"},
                  "income": {"model": "direct", "discount_rate": 0.1, "scenarios": [
                      {"name": "A", "share": 0.6, "income": [100, 100]},
                      {"name": "B", "share": 0.4, "discount_rate": 0.2, "income": [50, 50, 50]}]}})
    pf = Portfolio.from_cards(cards)
    own = _read_by(pf, ["income"])
    assert own.assets is pf.assets and "market.comparables" in pf.records
    assert set(own.records) == {k for k in pf.records if k.startswith("income.")} \
        and {"income.contributory", "income.scenarios"} <= set(own.records)
    assert set(own.series) == {k for k in pf.series if k.startswith("income.")}
    pd.testing.assert_frame_equal(income.appraise(own).frame, income.appraise(pf).frame)
    # an approach that does not declare what it reads gets everything
    assert _read_by(pf, ["income", "market"]) is pf


@pytest.mark.parametrize("n, draws", [(0, 5), (1, 1), (3, 413), (10, 40)])
def test_uniforms_lhs_many_are_each_streams_uniforms(n, draws):
    from valuation.pricing._sampling import uniforms_lhs, uniforms_lhs_many
    keys = np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    streams = [1, 2, 7, 500, 2, 999]
    got = uniforms_lhs_many(keys, draws, streams)
    assert got.shape == (len(streams), n, draws)
    for s, u in zip(streams, got):
        np.testing.assert_array_equal(u, uniforms_lhs(keys, draws, s))
    assert uniforms_lhs_many(keys, draws, []).shape == (0, n, draws)


def _uniforms_reference(keys, draws, stream):
    """The draws as first written: one splitmix expression per step, no cache."""
    from valuation.pricing._sampling import _splitmix
    d = np.arange(draws, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = keys[:, None] ^ _splitmix(d[None, :] + np.uint64(stream) * np.uint64(0x100000001B3))
    z = _splitmix(_splitmix(x))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (2.0 ** -53)


@pytest.mark.parametrize("n", [0, 1, 3, 41])
@pytest.mark.parametrize("draws", [1, 2, 17, 400])
def test_uniforms_equal_the_plain_splitmix_expression(n, draws):
    from valuation.pricing._sampling import uniforms, uniforms_lhs
    keys = np.random.default_rng(n * 1000 + draws).integers(0, 2**64 - 1, size=n, dtype=np.uint64,
                                                            endpoint=True)
    for stream in (0, 1, 500, 999, 2**40):
        for _ in range(2):      # the second time from the cached draw hashes
            u = _uniforms_reference(keys, draws, stream)
            np.testing.assert_array_equal(uniforms(keys, draws, stream), u)
            perm = np.argsort(_uniforms_reference(keys, draws, stream + 1_000_003), axis=1)
            np.testing.assert_array_equal(uniforms_lhs(keys, draws, stream), (perm + u) / draws)


@pytest.mark.parametrize("n", [1, 3])
def test_reconciled_frame_of_equals_the_inferring_construction(n):
    from valuation.pricing.reconcile import _frame_of
    idx = pd.Index([f"a{i}" for i in range(n)], name="asset_id")
    rng = np.random.default_rng(n)
    cols = {"x": rng.random(n), "t": np.where(rng.random(n) > 0.5, "monte_carlo", ""),
            "o": np.array(["卡", " y "] * n, dtype=object)[:n], "b": rng.random(n) > 0.5,
            "mixed": np.array([None, "z"] * n, dtype=object)[:n], "u": np.array(["é"] * n),
            "y": rng.random(n), "lst": np.array([["r"]] * n + [None], dtype=object)[:n],
            "nan": np.array([np.nan, "s"] * n, dtype=object)[:n], "b2": np.ones(n, bool)}
    got, want = _frame_of(cols, idx), pd.DataFrame(cols, index=idx)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [(type(b.values), b.dtype, list(b.mgr_locs)) for b in got._mgr.blocks] == \
        [(type(b.values), b.dtype, list(b.mgr_locs)) for b in want._mgr.blocks]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_reconciled_frame_of_final_columns_equals_the_constructor(n):
    """Only float, bool and all-str columns (the reconciled frame's): assembled without the
    constructor, the same frame, dtypes and blocks."""
    from valuation.pricing import reconcile
    idx = pd.Index([f"a{i}" for i in range(n)], name="asset_id")
    rng = np.random.default_rng(n)
    cols = {"x": rng.random(n), "t": np.where(rng.random(n) > 0.5, "monte_carlo", ""),
            "o": np.array(["卡", " y "] * n, dtype=object)[:n], "b": rng.random(n) > 0.5,
            "y": np.full(n, np.nan), "u": np.array(["é"] * n), "b2": np.ones(n, bool), "z": rng.random(n)}
    got, want = reconcile._frame_of(cols, idx), pd.DataFrame(cols, index=idx)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [(type(b.values), b.dtype, list(b.mgr_locs)) for b in got._mgr.blocks] == \
        [(type(b.values), b.dtype, list(b.mgr_locs)) for b in want._mgr.blocks]
    got.iloc[0:1, 0] = -1.0 if n else 0.0       # the frame's data is its own
    assert n == 0 or cols["x"][0] != -1.0


def test_column_and_discount_apply_write_what_the_assignment_writes():
    from valuation.pricing import _sampling as S
    from valuation.pricing.reconcile import default_params
    base = _portfolio()
    ps = [p for p in default_params() if p.kind in ("column", "discount")]
    assert {p.kind for p in ps} == {"column", "discount"}
    rng = np.random.default_rng(5)
    for p in ps:
        fast, slow = S.replicate(base, 3), S.replicate(base, 3)
        before = base.assets.copy()
        v = np.where(rng.random(len(fast)) > 0.3, rng.random(len(fast)), np.nan)
        c = p.target[0] if p.kind == "column" else "income_discount_rate"
        blk = fast.assets._mgr.blocks[fast.assets._mgr.blknos[fast.assets.columns.get_loc(c)]]
        assert not blk.refs.has_reference()          # the fast path is the one taken
        p.apply(fast, v)
        kept = slow.assets[c]                         # a live Series: the block is shared
        p.apply(slow, v)
        pd.testing.assert_frame_equal(fast.assets, slow.assets, check_exact=True)
        assert np.array_equal(kept.to_numpy(), S.replicate(base, 3).assets[c].to_numpy(), equal_nan=True)
        pd.testing.assert_frame_equal(base.assets, before, check_exact=True)


def test_write_float_column_refuses_shared_absent_and_non_float_columns():
    from valuation.pricing._sampling import _write_float_column
    fr = pd.DataFrame({"x": [1.0, 2.0], "i": [1, 2], "t": ["a", "b"]})
    ok = np.array([True, False])
    view = fr["x"]
    assert not _write_float_column(fr, "x", np.array([9.0, 9.0]), ok)
    del view
    assert not _write_float_column(fr, "i", np.array([9.0, 9.0]), ok)
    assert not _write_float_column(fr, "t", np.array([9.0, 9.0]), ok)
    assert not _write_float_column(fr, "absent", np.array([9.0, 9.0]), ok)
    assert _write_float_column(fr, "x", np.array([9.0, 7.0]), ok)
    assert fr["x"].tolist() == [9.0, 2.0]


def test_column_is_the_frame_column():
    from valuation.pricing._sampling import _column
    fr = pd.DataFrame({"f": [1.5, np.nan], "b": [True, False], "i": [1, 2], "t": ["a", None],
                       "o": np.array([1.0, None], dtype=object), "e": pd.array([1.0, None], dtype="Float64")})
    for c in fr.columns:
        got = _column(fr, c)
        if c in ("f", "b", "i"):
            assert type(got) is np.ndarray
            np.testing.assert_array_equal(got, fr[c].to_numpy())
            assert got.dtype == fr[c].dtype
        else:
            pd.testing.assert_series_equal(got, fr[c])
    dup = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])
    pd.testing.assert_frame_equal(_column(dup, "x"), dup["x"])
    with pytest.raises(KeyError):
        _column(fr, "absent")


def test_text_is_the_frame_column_and_reads_as_it():
    """_text gives a text column's array (the Series for other columns); the reconcile readers
    (_num, _filled, _stripped, _rule_match) give from it what they give from the Series."""
    from valuation.pricing._sampling import _num, _text
    from valuation.pricing.reconcile import _filled, _rule_match, _stripped
    n = 5000      # past the readers' small-column fast path too
    t = [" a ", None, "b", "", "accounting"] * (n // 5)
    fr = pd.DataFrame({"t": t, "f": np.linspace(0, 1, n), "o": pd.Series([1, "x"] * (n // 2), dtype=object),
                       "e": pd.array([1.0, None] * (n // 2), dtype="Float64")})
    for k in (3, n):
        part = fr.iloc[:k]
        got = _text(part, "t")
        assert not isinstance(got, pd.Series)
        pd.testing.assert_extension_array_equal(got, part["t"].array)
        assert got.tolist() == part["t"].tolist() or str(got.tolist()) == str(part["t"].tolist())
        for f in (_filled, _stripped):
            np.testing.assert_array_equal(f(got), f(part["t"]))
        for rule in ({"purpose": "accounting"}, {"purpose": ["b", "accounting"]}, {"purpose": [1, "b"]}):
            np.testing.assert_array_equal(_rule_match({"purpose": got}, k, rule),
                                          _rule_match({"purpose": part["t"]}, k, rule))
        for c in ("f", "o", "e"):
            if c != "o":
                np.testing.assert_array_equal(_num(part, c), part[c].to_numpy(dtype=float, na_value=np.nan))
            pd.testing.assert_series_equal(_text(part, c), part[c])
    dup = pd.DataFrame([["a", "b"]], columns=["x", "x"])
    pd.testing.assert_frame_equal(_text(dup, "x"), dup["x"])
    with pytest.raises(KeyError):
        _text(fr, "absent")


def test_isna_is_pandas_isna_of_a_scalar():
    from valuation.pricing.reconcile import _isna
    for x in (1.5, float("nan"), np.nan, None, 0.0, -np.inf, np.float64("nan"), np.float64(2), 3, "", "a",
              True, pd.NA, pd.NaT, np.datetime64("NaT")):
        assert _isna(x) == bool(pd.isna(x)), x


def test_index_at_is_the_index_take():
    from valuation.pricing._sampling import _index_at
    idx = pd.Index(["a", "b", "c"], name="asset_id")
    for rows in (np.arange(3), np.array([0, 2]), np.array([2, 1, 0]), np.array([], dtype=np.intp),
                 np.array([0, 1, 1]), np.array([True, False, True])):
        pd.testing.assert_index_equal(_index_at(idx, rows), idx[rows], exact=True)
    assert _index_at(idx, np.arange(3)) is idx


def _copy_ids_plainly(ids, blocks):
    return np.concatenate([np.repeat(np.asarray(ids, dtype=object)[rows], K)
                           + np.tile(np.array([f"~{k}" for k in range(k0, k0 + K)], dtype=object), len(rows))
                           for rows, k0, K in blocks])


@pytest.mark.parametrize("ids, blocks", [
    (["A-1", "资产二", "x"], [([0, 1, 2], 0, 5), ([2, 0], 5, 3)]),
    (["only"], [([0], 0, 1)]),
    (["a", "b"], [([1], 0, 413), ([], 413, 7), ([0, 1], 413, 7)]),
    (["", "é~"], [([1, 0, 1], 0, 12)]),
])
def test_copy_index_is_the_index_of_the_concatenated_ids(ids, blocks):
    """The index written as Arrow buffers is the index pandas infers from the concatenated ids
    (values, dtype, Arrow type, name)."""
    ids = np.array(ids, dtype=object)
    blocks = [(np.asarray(r, dtype=np.intp), k0, K) for r, k0, K in blocks]
    got = copy_index(ids, blocks, "asset_id")
    want = pd.Index(_copy_ids_plainly(ids, blocks), name="asset_id")
    pd.testing.assert_index_equal(got, want, exact=True)
    assert got.dtype == want.dtype and got.array._pa_array.type == want.array._pa_array.type
    assert got.is_unique == want.is_unique


def test_copy_index_of_no_rows_or_other_ids_is_the_general_one():
    for ids, blocks in ((np.array(["a"], dtype=object), [(np.zeros(0, dtype=np.intp), 0, 4)]),
                        (np.array([np.str_("a"), np.str_("b")], dtype=object), [(np.array([0, 1]), 0, 2)])):
        got = copy_index(ids, blocks, "asset_id")
        pd.testing.assert_index_equal(got, pd.Index(_copy_ids_plainly(ids, blocks), name="asset_id"), exact=True)


def test_replicate_rows_with_an_index_of_ids_is_with_their_array():
    """Copies whose ids come as an index (copy_index) equal those given the ids' array: the
    assets, series, records (their asset ids) and matrices."""
    pf = _portfolio()
    pos = np.array([0, 0, 3, 1, 1, 5, 2, 4, 4], dtype=np.intp) % len(pf)
    ids = np.array([f"c{k}" for k in range(len(pos))], dtype=object)
    a = replicate_rows(pf, pos, ids)
    b = replicate_rows(pf, pos, pd.Index(ids, name="other"))
    _same_frame(b.assets, a.assets)
    assert b.assets.index.name == a.assets.index.name
    for k in a.series:
        _same_frame(b.series[k], a.series[k])
    assert any(len(r) for r in a.records.values())
    for k in a.records:
        _same_frame(b.records[k], a.records[k])
    assert b.matrices == a.matrices
