"""The distribution ledger on a real SQLite file (and PostgreSQL): immutable records per
arrangement and period, history, diff, reconciliation, formula-safe export."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from valuation import api
from valuation.core.errors import NotFoundError, RefusedError
from valuation.library.database import forget_engine, make_engine

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sharing" / "public_data_operation.json"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    yield url
    forget_engine(url)


def _spec():
    return json.loads(EXAMPLE.read_text("utf-8"))


def _ledger_roundtrip(db):
    s = _spec()
    r1 = api.share(s, library="seed", record=True, ran_by="张三", db=db)
    r2 = api.share({**s, "method": "nucleolus"}, library="seed", record=True, ran_by="李四", db=db)
    assert (r1["ledger"]["seq"], r2["ledger"]["seq"]) == (1, 2)
    h = api.share_history("DL-AO-2025-001", "2025", db=db)
    assert h["seq"].tolist() == [1, 2] and h["ran_by"].tolist() == ["张三", "李四"]
    assert h["method"].tolist() == ["shapley", "nucleolus"] and (h["distributable"] == 12_000_000).all()
    rec = api.share_record(r1["ledger"]["record_id"], db=db)
    assert rec["inputs"] == s and rec["snapshot_id"] == r1["provenance"]["library_snapshot"]
    assert sum(x["amount"] for x in rec["allocation"]) == pytest.approx(12_000_000, abs=1e-6)
    d = api.share_diff(r1["ledger"]["record_id"], r2["ledger"]["record_id"], db=db).set_index("id")
    by1 = {x["id"]: x["amount"] for x in r1["shares"]}
    by2 = {x["id"]: x["amount"] for x in r2["shares"]}
    for k in by1:
        assert d.loc[k, "change"] == pytest.approx(by2[k] - by1[k], abs=1e-6)
    assert d["change"].sum() == pytest.approx(0, abs=1e-6)        # both reconcile to D
    return r1


def test_ledger_history_show_diff_sqlite(db):
    _ledger_roundtrip(db)


@pytest.mark.postgres
def test_ledger_history_show_diff_postgres(pg_url):
    eng = make_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS sharing_records")
    from valuation.sharing import ledger

    ledger._ENSURED.clear()
    r1 = _ledger_roundtrip(pg_url)
    # concurrent writers of one arrangement and period: each gets its own seq, none is lost
    from concurrent.futures import ThreadPoolExecutor

    s, ans = _spec(), api.share(_spec(), library="seed")
    with ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda k: ledger.record(eng, s, ans, ran_by=f"w{k}"), range(16)))
    assert sorted(g["seq"] for g in got) == list(range(3, 19))
    with pytest.raises(sa.exc.DBAPIError):
        with eng.begin() as c:
            c.execute(sa.text("UPDATE sharing_records SET ran_by = 'x' WHERE id = :i"), {"i": r1["ledger"]["record_id"]})


def test_records_are_immutable_in_the_database(db):
    r = api.share(_spec(), library="seed", record=True, ran_by="t", db=db)
    eng = make_engine(db)
    for sql in ("UPDATE sharing_records SET ran_by = 'x'", "DELETE FROM sharing_records"):
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            with eng.begin() as c:
                c.execute(sa.text(sql))
    assert api.share_record(r["ledger"]["record_id"], db=db)["ran_by"] == "t"
    with pytest.raises(NotFoundError):
        api.share_record("nope", db=db)


def test_unreconciled_answers_are_never_recorded(db):
    from valuation.sharing.ledger import history, record

    ans = api.share(_spec(), library="seed")
    ans["shares"][0]["amount"] += 0.01
    with pytest.raises(RefusedError):
        record(make_engine(db), _spec(), ans, ran_by="t")
    assert len(history(make_engine(db))) == 0


def test_export_is_formula_safe(db, tmp_path):
    s = _spec()
    s["participants"][0]["name"] = "=HYPERLINK(\"http://x\",\"y\")"
    s["participants"][1]["name"] = "@SUM(A1)"
    r = api.share(s, library="seed", record=True, ran_by="+cmd", db=db)
    rid = r["ledger"]["record_id"]
    p = api.share_export([rid], tmp_path / "out.csv", db=db)
    rows = list(csv.DictReader(p.open(encoding="utf-8-sig")))
    assert rows[0]["name"].startswith("'=") and rows[1]["name"] == "'@SUM(A1)" and rows[0]["ran_by"] == "'+cmd"
    assert float(rows[2]["amount"]) == r["shares"][2]["amount"]            # numbers stay numbers
    x = api.share_export([rid], tmp_path / "out.xlsx", db=db)
    ws = openpyxl.load_workbook(x).active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)
    assert ws.cell(row=2, column=1).data_type == "s"
