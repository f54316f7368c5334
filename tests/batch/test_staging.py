"""The staged copy of a run's input (``valuation.batch.staging``): what a worker cuts from it
must be what ``read_portfolio`` gives, cut by ``iloc`` — column types, missing values, text —
for Parquet and CSV, consecutive and scattered positions, the main table and a records table,
with record batches smaller than a partition (a cut spans several batches)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuation.batch import staging
from valuation.batch.io import read_portfolio
from valuation.batch.plan import load
from valuation.batch.remote import WorkerInput

N = 23


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A main table with every kind of column a card file has (text with Chinese, missing
    text, integers, floats with NaN, booleans with a gap, dates as text, a column with
    nothing in it) and a records table with ids of assets in and out of the table."""
    i = np.arange(N)
    main = pd.DataFrame({
        "asset_id": [f"A-{k:03d}" for k in i],
        "name": [None if k % 5 == 0 else f"数据集 {k}，含逗号" for k in i],
        "records": i * 1000,
        "book_value": np.where(i % 4 == 0, np.nan, i * 1.5 + 0.25),
        "flag": [None if k == 3 else bool(k % 2) for k in i],
        "valuation_date": [f"2025-{1 + k % 12:02d}-15" for k in i],
        "empty": [None] * N,
        "kind": ["国有"] * 6 + ["集体", None, "国有"] * 5 + ["新值"] * 2,   # few values, a gap
    })
    rec = pd.DataFrame({
        "asset_id": [f"A-{k % N:03d}" if k % 7 else "NO-SUCH" for k in range(3 * N)],
        "case_id": [f"C{k}" for k in range(3 * N)],
        "price": [np.nan if k % 6 == 0 else 100.0 + k for k in range(3 * N)],
    })
    return main, rec


@pytest.fixture(scope="module", params=[".parquet", ".csv"])
def staged(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param.strip("."))
    main, rec = _frames()
    src = tmp / f"pf{request.param}"
    side = tmp / f"pf.market.comparables{request.param}"
    if request.param == ".csv":
        main.to_csv(src, index=False)
        rec.to_csv(side, index=False)
    else:
        main.to_parquet(src, index=False)
        rec.to_parquet(side, index=False)
    mp = pytest.MonkeyPatch()
    mp.setattr(staging, "BATCH", 5)                 # several record batches per cut
    inp = load(src, None, lazy=True, stage=tmp / "stg")
    mp.undo()
    table, records = read_portfolio(src)
    return inp, WorkerInput(inp.staged), table, records["market.comparables"]


def test_the_plan_gets_its_columns_from_the_staging_read(staged):
    inp, _, table, rec = staged
    assert inp.table is None and inp.columns.n_rows == N
    pd.testing.assert_series_equal(inp.columns.ids, table["asset_id"])
    pd.testing.assert_series_equal(inp.columns.dates, table["valuation_date"])
    assert list(inp.columns.empty.columns) == list(table.columns)
    pd.testing.assert_series_equal(inp.records["market.comparables"]["asset_id"], rec["asset_id"])
    assert inp.staged.tables == ("market.comparables",)


@pytest.mark.parametrize("pos", [np.arange(0, 7), np.arange(4, 23), np.array([0, 2, 5, 6, 22]),
                                 np.array([11]), np.array([], dtype=np.int64)])
def test_staged_rows_are_the_rows_pandas_reads(staged, pos):
    _, w, table, rec = staged
    got = w.rows(pos)
    w.let_go()                                  # the pages unmapped: the frame still holds its rows
    pd.testing.assert_frame_equal(got, table.iloc[pos])
    if len(pos):
        assert got["name"].isna().tolist() == [k % 5 == 0 for k in pos]       # missing text stays missing
    rpos = np.concatenate([pos, pos + N]) if len(pos) else pos
    pd.testing.assert_frame_equal(w.records_rows("market.comparables", rpos), rec.iloc[rpos])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.lists(st.booleans(), min_size=3 * N, max_size=3 * N))
def test_any_increasing_positions_cut_as_iloc(staged, pick):
    _, w, table, rec = staged
    rpos = np.flatnonzero(pick)
    pos = rpos[rpos < N]
    pd.testing.assert_frame_equal(w.rows(pos), table.iloc[pos])
    pd.testing.assert_frame_equal(w.records_rows("market.comparables", rpos), rec.iloc[rpos])


def test_staging_a_categorical_parquet_column(tmp_path: Path):
    """Pandas writes a categorical column as an Arrow dictionary, one per record batch when
    decoded in batches: the copy unifies them and the rows still come back as categories."""
    main, _ = _frames()
    main["category"] = pd.Categorical(["a", "b", "c"] * 7 + ["a", "b"])
    main.to_parquet(tmp_path / "pf.parquet", index=False)
    inp = load(tmp_path / "pf.parquet", None, lazy=True, stage=tmp_path / "stg")
    table, _ = read_portfolio(tmp_path / "pf.parquet")
    pos = np.array([1, 8, 20])
    pd.testing.assert_frame_equal(WorkerInput(inp.staged).rows(pos), table.iloc[pos])


def test_settle_moves_the_copy_into_the_parts_folder(tmp_path: Path):
    main, _ = _frames()
    main.to_parquet(tmp_path / "pf.parquet", index=False)
    out = tmp_path / "out.csv"
    parts = tmp_path / "out.csv.parts"
    (parts / "input").mkdir(parents=True)
    (parts / "input" / "main.arrow").write_bytes(b"an interrupted run's copy")
    inp = load(tmp_path / "pf.parquet", None, lazy=True, stage=staging.staging_dir(out))
    settled = staging.settle(inp.staged, parts)
    assert settled.folder == str(parts / "input") and not staging.staging_dir(out).exists()
    pd.testing.assert_frame_equal(WorkerInput(settled).rows(np.arange(3)), main.iloc[:3])
    staging.staging_dir(out).mkdir()
    with staging.discard(out):                  # a run that stops before settling leaves nothing
        pass
    assert not staging.staging_dir(out).exists()


def test_staging_allocates_from_its_own_pool_and_restores_the_default(tmp_path: Path):
    """While staging, Arrow allocates from jemalloc's pool (or the system allocator's): the
    staging threads' buffers come from it, the default pool is the same one again afterwards
    — also when the staging fails — and the kept columns stay readable."""
    import pyarrow as pa

    main, _ = _frames()
    main.to_parquet(tmp_path / "pf.parquet", index=False)
    before = pa.default_memory_pool().backend_name
    seen = []
    real = staging._stage_parquet

    def spy(*a):
        seen.append(pa.default_memory_pool().backend_name)
        return real(*a)

    mp = pytest.MonkeyPatch()
    mp.setattr(staging, "_stage_parquet", spy)
    try:
        inp = load(tmp_path / "pf.parquet", None, lazy=True, stage=tmp_path / "stg")
        assert seen and seen[0] in ("jemalloc", "system")     # not the default mimalloc
        assert pa.default_memory_pool().backend_name == before
        assert inp.columns.ids.tolist() == main["asset_id"].tolist()
        mp.setattr(staging, "_stage_parquet", lambda *a: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            load(tmp_path / "pf.parquet", None, lazy=True, stage=tmp_path / "stg2")
        assert pa.default_memory_pool().backend_name == before
    finally:
        mp.undo()
