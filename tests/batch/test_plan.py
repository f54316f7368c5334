"""The plan's matching of ids in the run's process (``valuation.batch.plan``): duplicate ids,
and each records row's asset among the kept rows, computed by Arrow with a shortcut for the
usual file (ids sorted; records in the order of the main table) and a hash lookup otherwise.
Whichever way is taken, the result must be the one worked out here row by row, by a Python
dictionary of first occurrences; the strategies build both kinds of input (sorted or not,
records aligned or not, missing ids, any chunking of the Arrow columns)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.batch.plan import Columns, Input, _duplicates, _index_in_runs, make_plan
from valuation.batch.synth import synthetic_portfolio

NAMES = ["A-1", "A-2", "B-1", "B-10", "B-2", "C", "中-1", "中-2"]


def _chunked(values: list, cuts: list[int]) -> pa.ChunkedArray:
    """``values`` as large_string chunks cut at ``cuts`` (as Parquet batches come)."""
    at = sorted({min(max(c, 0), len(values)) for c in cuts} | {0, len(values)})
    return pa.chunked_array([pa.array(values[a:b], pa.large_string()) for a, b in zip(at, at[1:])],
                            pa.large_string())


def _first_seen(ids: list) -> dict:
    """id → position of its first row among the rows kept (missing ids are kept, match nothing)."""
    first: dict = {}
    for v in ids:
        if v is not None and v not in first:
            first[v] = len(first)
    return first


ids_lists = st.lists(st.one_of(st.none(), st.sampled_from(NAMES)), max_size=25)
cuts = st.lists(st.integers(0, 40), max_size=4)


@settings(max_examples=300, deadline=None)
@given(ids=ids_lists, sort=st.booleans(), cut=cuts)
def test_duplicates_are_the_repeats_of_an_earlier_id(ids, sort, cut):
    """Sorted unique ids (the shortcut: no duplicate) or any ids (dictionary encoding): a row
    is a duplicate exactly when a row above has the same, present id."""
    if sort:
        ids = sorted({v for v in ids if v is not None})
    got = _duplicates(_chunked(ids, cut))
    want = [v is not None and v in ids[:r] for r, v in enumerate(ids)]   # by hand, row by row
    assert got.dtype == bool and got.tolist() == want


@st.composite
def records_of(draw):
    """Kept ids and records ids: usually each kept id's rows together in the kept order (the
    shortcut), sometimes with one change that breaks it (an asset without rows, an unknown or
    missing id added, an asset's rows with their id missing, two runs swapped, an id split into
    two runs)."""
    kept = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=8))
    if draw(st.booleans()):
        kept = sorted(kept)
    reps = draw(st.lists(st.integers(1, 3), min_size=len(kept), max_size=len(kept)))
    runs = [[k] * n for k, n in zip(kept, reps)]
    change = draw(st.sampled_from(["none", "none", "drop", "extra", "missing", "blank", "swap", "split"]))
    if runs and change == "drop":
        runs.pop(draw(st.integers(0, len(runs) - 1)))
    elif change in ("extra", "missing"):
        runs.insert(draw(st.integers(0, len(runs))), ["NO-SUCH" if change == "extra" else None])
    elif runs and change == "blank":  # same number of runs, one without its id
        runs[draw(st.integers(0, len(runs) - 1))] = [None]
    elif len(runs) > 1 and change == "swap":
        i = draw(st.integers(0, len(runs) - 2))
        runs[i], runs[i + 1] = runs[i + 1], runs[i]
    elif runs and change == "split":
        runs.append([runs[draw(st.integers(0, len(runs) - 1))][0]])
    return kept, [v for run in runs for v in run]


@settings(max_examples=300, deadline=None)
@given(case=records_of(), cut_ids=cuts, cut_kept=cuts)
def test_records_positions_aligned_or_not(case, cut_ids, cut_kept):
    """Each records row's position among the kept ids (-1: unknown or missing), whether the
    records follow the kept order (positions read off the runs) or not (hash lookup)."""
    kept, ids = case
    got = _index_in_runs(_chunked(ids, cut_ids), _chunked(kept, cut_kept))
    where = {k: i for i, k in enumerate(kept)}
    assert got.dtype == np.int64 and got.tolist() == [where.get(v, -1) for v in ids]


def _lazy_input(ids: list, rec_ids: list, cut: list[int]) -> Input:
    """A by-reference input as ``plan.load(lazy=True)`` makes it (the Arrow-backed ``str``
    columns of a Parquet read), for a valid card table of ``len(ids)`` rows."""
    assets, recs = synthetic_portfolio(1, seed=1, prefix="T-")
    comps = recs["market.comparables"]
    col = pa.table({"asset_id": _chunked(ids, cut)}).to_pandas()["asset_id"]
    rcol = pa.table({"asset_id": _chunked(rec_ids, cut)}).to_pandas()["asset_id"]
    return Input(None, {"market.comparables": pd.DataFrame({"asset_id": rcol})}, None, "h", "test",
                 Columns(assets.iloc[:0], col, None, len(ids), {"market.comparables": comps.iloc[:0]}))


@settings(max_examples=200, deadline=None)
@given(ids=ids_lists, sort=st.booleans(), case=records_of(), chunk=st.integers(1, 6), cut=cuts)
def test_lazy_plan_matches_by_hand(ids, sort, case, chunk, cut):
    """The lazy plan of any ids and records: kept rows (first occurrences, missing ids kept),
    each records row in the partition holding its asset's kept position, the rows of no kept
    asset loose (to partition 0's worker) and in no partition."""
    if sort:
        ids = sorted(v for v in ids if v is not None)
    rec_ids = case[1]
    plan = make_plan(_lazy_input(ids, rec_ids, cut), chunk)
    first = _first_seen(ids)
    keep = [r for r, v in enumerate(ids) if v is None or ids.index(v) == r]
    assert plan.keep.tolist() == keep and plan.n_total == len(ids)
    kept_pos = {ids[r]: k for k, r in enumerate(keep) if ids[r] is not None}
    assert kept_pos.keys() == first.keys()
    part = [next(i for i in range(plan.n_parts) if plan.bounds[i] <= kept_pos[v] < plan.bounds[i + 1])
            if v in kept_pos else -1 for v in rec_ids]
    _, order, starts = plan.rec_plan["market.comparables"]
    for i in range(plan.n_parts):
        assert order[starts[i]:starts[i + 1]].tolist() == [r for r, p in enumerate(part) if p == i]
    assert plan.loose["market.comparables"].tolist() == [r for r, p in enumerate(part) if p < 0]
    assert len(plan.pre_rejects) == (1 if len(keep) < len(ids) else 0)


def test_records_sorted_or_shuffled_give_the_same_partitions():
    """The shortcut and the hash lookup agree on 2,000 assets with 3 rows each: the records in
    the main table's order, then shuffled (each row still goes to its asset's partition)."""
    ids = [f"SYN-{i:07d}" for i in range(2000)]
    rec = [v for v in ids for _ in range(3)]
    perm = np.random.default_rng(7).permutation(len(rec))
    a = make_plan(_lazy_input(ids, rec, [700]), 300)
    b = make_plan(_lazy_input(ids, [rec[p] for p in perm], [700]), 300)
    _, order_a, starts_a = a.rec_plan["market.comparables"]
    _, order_b, starts_b = b.rec_plan["market.comparables"]
    np.testing.assert_array_equal(order_a, np.arange(6000))        # already in partition order
    np.testing.assert_array_equal(starts_a, starts_b)
    for i in range(a.n_parts):          # shuffled row j is row perm[j] of the sorted records
        sl = slice(starts_a[i], starts_a[i + 1])
        np.testing.assert_array_equal(np.sort(perm[order_b[sl]]), order_a[sl])
        assert (order_a[sl] // 3 >= a.bounds[i]).all() and (order_a[sl] // 3 < a.bounds[i + 1]).all()
    assert a.loose["market.comparables"].size == b.loose["market.comparables"].size == 0


def test_bench_plan_prints_its_figures():
    """benchmarks/bench_plan.py runs at a tiny size and prints the lines the report quotes
    (no timing is asserted: speed is measured by the script, not by tests)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    p = subprocess.run([sys.executable, "benchmarks/bench_plan.py", "--n", "300", "--chunk", "50",
                        "--shuffle"], cwd=root, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert re.search(r"make_plan: pf300\.parquet \(shuffled\), 6 partitions: first [\d.]+ CPU-s, "
                     r"best of 3 [\d.]+ CPU-s", p.stdout), p.stdout


@pytest.mark.parametrize("n, chunk", [(300, 1), (40_000, 1)])
def test_many_partitions_in_wider_numbers(n, chunk):
    """More than 127 (and 32,767) partitions: the partition numbers take 16 (32) bits and each
    records row still lands in its asset's partition; an unknown id stays loose."""
    ids = [f"A-{i:06d}" for i in range(n)]
    rec = [v for v in ids for _ in range(2)] + ["NO-SUCH"]
    plan = make_plan(_lazy_input(ids, rec, [n // 3]), chunk)
    _, order, starts = plan.rec_plan["market.comparables"]
    assert plan.n_parts == n and starts.tolist() == list(range(1, 2 * n + 2, 2))
    np.testing.assert_array_equal(order, np.r_[2 * n, np.arange(2 * n)])   # loose row first (-1)
    assert plan.loose["market.comparables"].tolist() == [2 * n]


@settings(max_examples=100, deadline=None)
@given(ids=ids_lists, sort=st.booleans(), case=records_of(), chunk=st.integers(1, 6))
def test_table_plan_matches_by_hand(ids, sort, case, chunk):
    """The plan of a table held in memory (records checked here): the same kept rows; each
    records row in its asset's partition (``assigned``), a row without id bad (-1, rejected
    once, as a records row), a row of no kept asset an orphan (-1, rejected as one)."""
    if sort:
        ids = sorted(v for v in ids if v is not None)
    rec_ids = case[1]
    assets, recs = synthetic_portfolio(max(len(ids), 1), seed=1, prefix="T-")
    table = assets.iloc[:len(ids)].assign(asset_id=pd.Series(ids, dtype=object).astype("str"))
    comps = recs["market.comparables"]
    rec = comps.iloc[np.arange(len(rec_ids)) % len(comps)].reset_index(drop=True)
    rec["asset_id"] = pd.Series(rec_ids, dtype=object).astype("str")
    plan = make_plan(Input(table, {"market.comparables": rec}, None, "h", "test"), chunk)
    keep = [r for r, v in enumerate(ids) if v is None or ids.index(v) == r]
    assert plan.keep.tolist() == keep
    kept_pos = {ids[r]: k for k, r in enumerate(keep) if ids[r] is not None}
    part = [next(i for i in range(plan.n_parts) if plan.bounds[i] <= kept_pos[v] < plan.bounds[i + 1])
            if v in kept_pos else -1 for v in rec_ids]
    assert plan.assigned["market.comparables"][1].tolist() == part
    rej = pd.concat(plan.pre_rejects) if plan.pre_rejects else pd.DataFrame(columns=["table", "row"])
    rec_rej = rej[rej["table"] == "market.comparables"]
    assert sorted(rec_rej["row"].tolist()) == [r + 1 for r, p in enumerate(part) if p < 0]
    assert len(rec_rej) == len(set(rec_rej["row"]))                  # each rejected once
    dup_rows = rej.loc[(rej["table"] == "assets") & (rej["field"] == "asset_id"), "row"].tolist()
    assert sorted(dup_rows) == [r + 1 for r in range(len(ids)) if r not in keep]
