"""The results file is written while the partitions run (valuation/batch/assemble.py,
``ResultsSink``): partitions appended in order whatever order they finish in, the Arrow diff
equal to the pandas diff, the file atomic (a temporary file in the checkpoint folder until the
end), a crashed Parquet run resumed to the same file, and a run whose assets are all new to a
non-empty history typed as the whole table converts."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_helpers import AS_OF, small_portfolio
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.api import revalue
from valuation.batch.assemble import Previous, ResultsSink, diff, diff_table, results_schema
from valuation.batch.checkpoints import parts_dir, write_part
from valuation.batch.partition import RESULT_COLUMNS, TEXT_COLUMNS, PartitionOutput, result_frame
from valuation.batch.pipeline import CRASH_HOOK_ENV

RUN = "20260115T000000-abcdef12"


def _results(ids, est, low, high, flags, status) -> pd.DataFrame:
    """A results frame as a worker leaves it (partition.result_frame): the given columns, the
    other numbers NaN and text empty."""
    n = len(ids)
    given_cols = {"asset_id": ids, "estimate": est, "low": low, "high": high, "flags": flags, "status": status}
    cols = {c: np.asarray(given_cols[c], dtype=object if c in TEXT_COLUMNS else float) if c in given_cols else
            (np.full(n, "", dtype=object) if c in TEXT_COLUMNS else
             np.zeros(n, dtype=bool) if c == "final" else np.full(n, np.nan)) for c in RESULT_COLUMNS}
    return result_frame(cols)


def _prev(rows) -> pd.DataFrame:
    """Previous results as rundb.previous_results gives them (indexed by asset id)."""
    return pd.DataFrame(rows, columns=["asset_id", "run_id", "estimate", "low", "high", "flags"]).set_index("asset_id")


def test_diff_by_hand_and_arrow_diff_equals_it():
    res = _results(["A", "B", "C", "D"], [120.0, 50.0, 10.0, np.nan], [100.0, 40.0, 8.0, np.nan],
                   [150.0, 60.0, 12.0, np.nan], ["Y;Z", "", "X", "Y"], ["ok", "ok", "ok", "failed"])
    prev = _prev([("A", "r0", 100.0, 90.0, 110.0, "X;Y"), ("B", "r0", 0.0, 0.0, 0.0, ""),
                  ("D", "r0", 7.0, 6.0, 8.0, "X"), ("Q", "r0", 1.0, 1.0, 1.0, "")])
    d = diff(res, prev, RUN)
    # A: 120 - 100 = 20, 20 / 100 = 0.2; low 100 - 90 = 10, high 150 - 110 = 40; Z new, X cleared
    # B: 50 - 0 = 50, ratio undefined (previous 0) → NaN; C: no previous result → all missing
    # D: failed (estimate missing) → change NaN, no flags compared
    np.testing.assert_allclose(d["change"].to_numpy(), [20.0, 50.0, np.nan, np.nan], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["change_ratio"].to_numpy(), [0.2, np.nan, np.nan, np.nan], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["low_change"].to_numpy()[:2], [10.0, 40.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["high_change"].to_numpy()[:2], [40.0, 60.0], rtol=0, atol=1e-12)
    assert d["flags_new"].tolist() == ["Z", "", "", ""] and d["flags_cleared"].tolist() == ["X", "", "", ""]
    assert d["previous_run_id"].isna().tolist() == [False, False, True, False]
    assert (d["run_id"] == RUN).all()
    schema = results_schema(True)
    got = diff_table(pa.Table.from_pandas(res, preserve_index=False), prev, RUN, schema)
    assert got.equals(pa.Table.from_pandas(d, schema=schema, preserve_index=False))


_floats = st.one_of(st.just(float("nan")), st.just(0.0), st.floats(-1e9, 1e9, allow_nan=False))
_flags = st.sampled_from(["", "A", "B", "A;B", "B;C"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_floats, _floats, _floats, _flags, st.sampled_from(["ok", "failed", "no_estimate"]),
                          st.one_of(st.none(), st.tuples(_floats, _floats, _floats, _flags))), max_size=12))
def test_arrow_diff_equals_pandas_diff(rows):
    """Any partition, with or without previous results: diff_table equals diff converted."""
    ids = [f"X-{i}" for i in range(len(rows))]
    res = _results(ids, *([r[k] for r in rows] for k in range(5)))
    prev_rows = [(i, "r0", *r[5]) for i, r in zip(ids, rows) if r[5] is not None]
    for prev in (_prev(prev_rows) if prev_rows else None, None):
        schema = results_schema(prev is not None)
        got = diff_table(pa.Table.from_pandas(res, preserve_index=False), prev, RUN, schema)
        assert got.equals(pa.Table.from_pandas(diff(res, prev, RUN), schema=schema, preserve_index=False))


def _checkpoints(pdir: Path, n_parts: int = 5) -> None:
    """``n_parts`` checkpointed partitions of synthetic results (one of them empty)."""
    pdir.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in range(n_parts):
        n = 0 if i == 2 else 4
        ids = [f"P{i}-{k}" for k in range(n)]
        est = rng.uniform(1, 100, n)
        res = _results(ids, est, est * 0.9, est * 1.1, rng.choice(["", "A", "A;B"], n), ["ok"] * n)
        write_part(pdir, PartitionOutput(i, res, pd.DataFrame(), 0, n, {}))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_partitions_are_appended_in_order_whatever_order_they_finish_in(tmp_path, suffix):
    _checkpoints(tmp_path / "parts")
    files = []
    for k, order in enumerate(([0, 1, 2, 3, 4], [4, 2, 0, 3, 1], [1, 2, 3, 4, 0])):
        dest = tmp_path / f"out{k}{suffix}"
        with ResultsSink(tmp_path / "parts", 5, dest, None, RUN, set()) as sink:
            for i in order:
                sink.add(i)
                # written as far as the partitions are in order, nothing beyond
                assert sink.next == next(j for j in range(6) if j not in set(order[:order.index(i) + 1]))
            assert not dest.exists()
            tally = sink.close()
        assert tally.screened == 16 and tally.valued == 16
        files.append(dest.read_bytes())
    assert files[0] == files[1] == files[2]
    if suffix == ".parquet":
        f = pq.ParquetFile(tmp_path / f"out0{suffix}")
        assert f.metadata.num_row_groups == 5        # one row group per partition, the empty one too
        assert f.read().column("asset_id").to_pylist()[:5] == ["P0-0", "P0-1", "P0-2", "P0-3", "P1-0"]


def test_resumed_partitions_are_written_first_and_a_failed_run_leaves_no_file(tmp_path):
    _checkpoints(tmp_path / "parts")
    ref = tmp_path / "ref.parquet"
    with ResultsSink(tmp_path / "parts", 5, ref, None, RUN, set()) as sink:
        for i in range(5):
            sink.add(i)
        sink.close()
    out = tmp_path / "out.parquet"
    with ResultsSink(tmp_path / "parts", 5, out, None, RUN, {0, 1, 3}) as sink:   # 0, 1, 3 taken over
        sink.add(2)
        assert sink.next == 4
        sink.add(4)
        sink.close()
    assert out.read_bytes() == ref.read_bytes()
    out.unlink()
    with ResultsSink(tmp_path / "parts", 5, out, None, RUN, set(range(5))) as sink:   # all taken over
        sink.close()
    assert out.read_bytes() == ref.read_bytes()
    with pytest.raises(KeyboardInterrupt), ResultsSink(tmp_path / "parts", 5, out, None, RUN, set()) as sink:
        sink.add(0)
        assert sink.tmp.exists()
        raise KeyboardInterrupt
    assert not sink.tmp.exists() and out.read_bytes() == ref.read_bytes()   # the old file untouched


def test_results_file_grows_while_the_partitions_run(tmp_path):
    a, recs = small_portfolio(30, seed=2)
    out = tmp_path / "res.parquet"
    seen = []

    def progress(done, total):
        tmp = parts_dir(out) / "results.tmp.parquet"
        seen.append((done, tmp.stat().st_size if tmp.exists() else -1, out.exists()))

    s = revalue(a, out, records=recs, library="seed", as_of=AS_OF, workers=1, chunk_size=5, history=False,
                progress=progress)
    assert s.partitions == 6 and len(pd.read_parquet(out)) == 30
    # every partition is in the file (before the footer) when its progress is reported
    sizes = [size for done, size, _ in seen if done]
    assert len(sizes) == 6 and sizes[0] > 0 and all(b > a for a, b in zip(sizes, sizes[1:]))
    assert not any(exists for *_, exists in seen)           # the results file appears at the end only


def test_all_new_assets_against_a_non_empty_history_type_as_the_whole_table(tmp_path):
    old, old_recs = small_portfolio(12, seed=1)
    old["asset_id"] = "OLD-" + old["asset_id"].astype(str)
    old_recs = {k: v.assign(asset_id="OLD-" + v["asset_id"].astype(str)) for k, v in old_recs.items()}
    a, recs = small_portfolio(20, seed=4)
    outs = []
    for chunk in (3, 1000):
        db = f"sqlite:///{tmp_path / f'h{chunk}.db'}"
        revalue(old, tmp_path / f"old{chunk}.parquet", records=old_recs, library="seed", as_of=AS_OF,
                workers=1, db=db)
        out = tmp_path / f"new{chunk}.parquet"
        revalue(a, out, records=recs, library="seed", as_of=AS_OF, workers=1, chunk_size=chunk, db=db)
        outs.append(out)
    many, one = (pq.read_table(p) for p in outs)
    assert many.schema.equals(one.schema) and str(many.schema.field("previous_run_id").type) == "null"
    assert many.drop_columns(["run_id"]).equals(one.drop_columns(["run_id"]))


def test_previous_results_looked_up_per_partition_equal_the_whole_table(tmp_path):
    """A small run against a large history reads the previous results per partition."""
    from valuation.batch import rundb

    eng = rundb.engine_for(f"sqlite:///{tmp_path / 'h.db'}")
    n = 200
    frame = pd.DataFrame({"asset_id": [f"H-{i}" for i in range(n)], "status": "ok",
                          "estimate": np.arange(n, dtype=float), "low": 0.0, "high": 1.0, "flags": "A"})
    rundb.start_run(eng, "r0", snapshot_id="s", input_hash="h", input_name="x", out="o", engine_version="0",
                    options={})
    rundb.insert_results(eng, "r0", frame)
    small, big = Previous(eng, 10), Previous(eng, 100)
    got = small.for_ids(["H-3", "H-150", "nope"])
    assert small.whole is None and big.any() and big.whole is not None and len(big.whole) == n
    assert got.loc["H-150", "estimate"] == 150.0 and got.loc["H-3", "flags"] == "A" and "nope" not in got.index


def _cli(args, env_extra, cwd):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "valuation", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("crash_after", [2, 5])    # 5: every partition checkpointed, none left to value
def test_killed_parquet_run_resumes_to_the_same_file(tmp_path, crash_after):
    a, recs = small_portfolio(24, seed=11)
    src = tmp_path / "pf.parquet"
    a.to_parquet(src)
    recs["market.comparables"].to_parquet(tmp_path / "pf.market.comparables.parquet")
    out = tmp_path / "res.parquet"
    args = [str(src), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'runs.db'}", "--workers", "1",
            "--chunk-size", "5", "--as-of", AS_OF, "--format", "json"]
    p = _cli(["revalue", *args], {CRASH_HOOK_ENV: str(crash_after)}, tmp_path)
    assert p.returncode == 70, p.stderr[-2000:]
    # crashed: the results written so far are in the checkpoint folder, no results file
    assert not out.exists() and (parts_dir(out) / "results.tmp.parquet").exists()
    p2 = _cli(["revalue", *args, "--resume"], {}, tmp_path)
    assert p2.returncode == 0, p2.stderr[-2000:]
    assert json.loads(p2.stdout)["resumed_parts"] == crash_after and not parts_dir(out).exists()
    ref = tmp_path / "ref.parquet"
    revalue(src, ref, library="seed", db=f"sqlite:///{tmp_path / 'ref.db'}", workers=1, chunk_size=5, as_of=AS_OF)
    got, want = pq.read_table(out), pq.read_table(ref)
    assert got.schema.equals(want.schema) and got.num_rows == 24
    assert got.drop_columns(["run_id"]).equals(want.drop_columns(["run_id"]))
    assert pq.ParquetFile(out).metadata.num_row_groups == pq.ParquetFile(ref).metadata.num_row_groups == 5


def test_marker_counts_the_rejects_and_an_older_marker_still_reads_them(tmp_path):
    """The checkpoint marker holds the partition's reject count (checkpoints.write_part), so
    part_rejects opens no rejects file of a partition that rejected nothing; a marker written
    without the count (a checkpoint of an earlier version, resumed) has the file read."""
    from valuation.batch.assemble import part_rejects
    from valuation.batch.checkpoints import part_files
    from valuation.batch.partition import REJECT_COLUMNS

    pdir = tmp_path / "parts"
    _checkpoints(pdir, 2)
    rej = pd.DataFrame([[3, "P1-x", "book_value", "-5", ">= 0", "账面价值为负", "negative book value"]],
                       columns=REJECT_COLUMNS)
    res = _results(["P1-0"], [1.0], [0.9], [1.1], [""], ["ok"])
    write_part(pdir, PartitionOutput(1, res, rej, 2, 1, {}))
    metas = [json.loads(part_files(pdir, i)[2].read_text("utf-8")) for i in (0, 1)]
    assert [m["rejects"] for m in metas] == [0, 1]
    part_files(pdir, 0)[1].write_bytes(b"not an Arrow file")     # never opened: the marker says 0
    assert part_rejects(pdir, 0) == (None, 0)
    got, screened_out = part_rejects(pdir, 1)
    assert screened_out == 2 and got["table"].tolist() == ["assets"] and got["asset_id"].tolist() == ["P1-x"]
    del metas[1]["rejects"]                                         # an older marker: the file is read
    part_files(pdir, 1)[2].write_text(json.dumps(metas[1]), "utf-8")
    again, _ = part_rejects(pdir, 1)
    pd.testing.assert_frame_equal(again, got)
