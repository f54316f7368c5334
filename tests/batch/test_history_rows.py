"""History rows (valuation/batch/rundb.py) on SQLite and on PostgreSQL: a partition's rows are
inserted from its columns in blocks (more rows than one block here), missing numbers stay
NULL, flag codes become JSON lists, and the run's rows read back as they were given."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from valuation.batch import rundb


def _frame(n: int) -> pd.DataFrame:
    est = np.arange(n, dtype=float) + 0.5
    est[3] = np.nan                                             # a row without an estimate
    flags = np.array(["", "A;B", None, "C"] * (n // 4), dtype=object)
    return pd.DataFrame({"asset_id": [f"H{i:05d}" for i in range(n)], "status": ["ok"] * n,
                         "estimate": est, "low": est * 0.9, "high": est * 1.1,
                         "flags": pd.array(flags, dtype="str")})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_partition_rows_in_blocks_read_back(backend, tmp_path, monkeypatch, request):
    url = f"sqlite:///{tmp_path / 'h.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    eng = sa.create_engine(url)
    rundb.ensure_schema(eng)
    monkeypatch.setattr(rundb, "_BLOCK", 7)                    # 40 rows: 6 blocks, the last short
    run_id = f"hist-{backend}-{tmp_path.name}"[:40]
    fr = _frame(40)
    rundb.clear_results(eng, run_id)
    rundb.insert_partition(eng, run_id, fr)
    with eng.connect() as c:
        got = pd.read_sql_query(sa.select(rundb.results).where(rundb.results.c.run_id == run_id)
                                .order_by(rundb.results.c.asset_id), c)
    assert got["asset_id"].tolist() == fr["asset_id"].tolist()
    assert got["estimate"].isna().tolist() == [i == 3 for i in range(40)]
    np.testing.assert_array_equal(got["high"].to_numpy(float), fr["high"].to_numpy(float))
    # "" and missing → no flags; "A;B" → ["A", "B"]
    assert got["flags"].tolist()[:4] == ["[]", '["A", "B"]', "[]", '["C"]']
    eng.dispose()
