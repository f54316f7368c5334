"""A run killed mid-way leaves no half-written output; resumed, it gives the same output as an
uninterrupted run. The crash is a hard exit (os._exit) of the CLI process after the first
checkpoint (test hook VALUATION_BATCH_CRASH_AFTER)."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from batch_helpers import AS_OF, comparable, small_portfolio

from valuation.api import revalue
from valuation.batch.pipeline import CRASH_HOOK_ENV, parts_dir, rejects_path

ROOT = Path(__file__).resolve().parents[2]


def _cli(args, env_extra, cwd):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "valuation", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_killed_run_resumes_to_the_same_output(tmp_path: Path):
    a, recs = small_portfolio(60, seed=11)
    src = tmp_path / "pf.xlsx"
    with pd.ExcelWriter(src) as xw:
        a.to_excel(xw, sheet_name="assets", index=False)
        recs["market.comparables"].to_excel(xw, sheet_name="market.comparables", index=False)
    out = tmp_path / "res.csv"
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    args = [str(src), "--out", str(out), "--db", db, "--workers", "1", "--chunk-size", "15",
            "--as-of", AS_OF, "--format", "json"]
    p = _cli(["revalue", *args], {CRASH_HOOK_ENV: "1"}, tmp_path)
    assert p.returncode == 70, p.stderr[-2000:]
    # crashed: no output (not even half of one), one partition checkpointed
    assert not out.exists() and not rejects_path(out).exists()
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".res.csv")]
    parts = parts_dir(out)
    assert len(list(parts.glob("part-*.json"))) == 1
    # the history shows the killed run as running, and none of its partial rows as value over time
    aid0 = str(a.loc[0, "asset_id"])
    from valuation.batch import history, runs_list

    assert runs_list(db=db)["status"].tolist() == ["running"]
    assert len(history(aid0, db=db)) == 0
    p2 = _cli(["revalue", *args, "--resume"], {}, tmp_path)
    assert p2.returncode == 0, p2.stderr[-2000:]
    import json

    summary = json.loads(p2.stdout)
    assert summary["resumed_parts"] == 1 and summary["partitions"] == 4
    assert not parts.exists()
    resumed = pd.read_csv(out)
    # the same input without interruption (another database, so that neither has a previous run)
    s = revalue(src, tmp_path / "ref.csv", library=db, db=f"sqlite:///{tmp_path / 'ref.db'}", workers=1,
                chunk_size=15, as_of=AS_OF)
    assert s.resumed_parts == 0
    comparable(resumed, pd.read_csv(tmp_path / "ref.csv"))
    assert len(resumed) == 60
    # resumed: one finished run, every asset recorded exactly once (no rows of the killed attempt twice)
    import sqlalchemy as sa

    assert runs_list(db=db)["status"].tolist() == ["finished"]
    with sa.create_engine(db).connect() as c:
        n, distinct = c.execute(sa.text("SELECT count(*), count(DISTINCT asset_id) FROM batch_results")).one()
    assert n == distinct == 60
    assert len(history(aid0, db=db)) == 1


def test_resume_with_other_options_starts_over(tmp_path: Path):
    a, recs = small_portfolio(10, seed=2)
    out = tmp_path / "o.parquet"
    pdir = parts_dir(out)
    pdir.mkdir()
    (pdir / "manifest.json").write_text('{"input_hash": "other"}')
    (pdir / "part-00000.json").write_text("{}")
    s = revalue(a, out, records=recs, library="seed", as_of=AS_OF, workers=1, resume=True, history=False)
    assert s.resumed_parts == 0 and s.counts["valued"] == 10 and not pdir.exists()
