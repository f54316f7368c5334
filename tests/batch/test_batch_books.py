"""Impairment register and 财会〔2023〕11号 disclosure tables of batch runs (issue 22).

A register row equals :func:`valuation.api.book` of the same asset's card (rebuilt from the
portfolio) on the same snapshot — the batch path and the single-card path share one module —
and the disclosure table sums the register. Tolerance 0.01 元 (the same floats either way)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from batch_helpers import AS_OF, small_portfolio
from openpyxl import load_workbook
from typer.testing import CliRunner

from valuation import api
from valuation.cli import app as cli_app
from valuation.core.portfolio import Portfolio

ACC_COLS = {
    # an intangible bought for 50,000,000 (far above its value): impaired
    0: {"accounting_intent": "own_use", "accounting_acquired_by": "purchase",
        "accounting_acquisition_date": "2023-01-01", "accounting_available_for_use": "2023-01-01",
        "accounting_useful_life_years": 10, "accounting_capitalised_cost": 50_000_000},
    # inventory with a stated price: NRV = 900,000 − 50,000 − 40,000 = 810,000
    1: {"accounting_intent": "sale", "accounting_acquired_by": "purchase",
        "accounting_acquisition_date": "2025-02-01", "accounting_capitalised_cost": 1_000_000,
        "accounting_expected_selling_price": 900_000, "accounting_costs_to_complete": 50_000,
        "accounting_selling_costs": 40_000},
    # self-developed from cost lines (records table accounting.costs)
    2: {"accounting_intent": "own_use", "accounting_acquired_by": "self_developed",
        "accounting_acquisition_date": "2024-01-01", "accounting_available_for_use": "2024-07-01",
        "accounting_useful_life_years": 5, "accounting_development_criteria_met": True},
    # refused: available before acquisition
    3: {"accounting_intent": "own_use", "accounting_acquired_by": "purchase",
        "accounting_acquisition_date": "2024-06-01", "accounting_available_for_use": "2024-01-01",
        "accounting_useful_life_years": 5, "accounting_capitalised_cost": 100_000},
}


def _portfolio():
    a, r = small_portfolio(6, seed=3)
    a = a.copy()
    for row, cols in ACC_COLS.items():
        for c, v in cols.items():
            if c not in a:
                a[c] = pd.Series([None] * len(a), dtype=object)
            a[c] = a[c].astype(object)
            a.loc[row, c] = v
    aid2 = a.loc[2, "asset_id"]
    r = dict(r)
    r["accounting.costs"] = pd.DataFrame({
        "asset_id": [aid2] * 3, "category": ["=调研", "开发", "采购"],
        "amount": [100_000.0, 400_000.0, 200_000.0], "phase": ["research", "development", "acquisition"]})
    return a, r


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    a, r = _portfolio()
    out = tmp_path_factory.mktemp("books") / "res.xlsx"
    s = api.revalue(a, out, records=r, library="seed", history=False, workers=1, as_of=AS_OF,
                    balance_sheet_date="2025-12-31")
    return a, r, s


def test_register_equals_api_book_of_each_card(run):
    a, r, s = run
    reg = pd.read_excel(s.books, sheet_name="register")
    assert set(reg["asset_id"]) >= set(a.loc[list(ACC_COLS), "asset_id"])
    pf = Portfolio.from_table(a, r)
    for row in (0, 1, 2):
        aid = a.loc[row, "asset_id"]
        card = pf.card(aid)
        card["accounting"]["balance_sheet_date"] = "2025-12-31"
        b = api.book(card, library="seed")
        got = reg[reg["asset_id"] == aid].iloc[0]
        assert got["status"] == "ok" and got["classification"] == b["classification"]
        for k in ("cost", "carrying_amount_before_impairment", "recoverable_amount",
                  "impairment_loss", "carrying_amount"):
            want = b[k]
            assert (pd.isna(got[k]) and want is None) or got[k] == pytest.approx(want, abs=0.01), (aid, k)
    row0 = reg[reg["asset_id"] == a.loc[0, "asset_id"]].iloc[0]
    # 50,000,000 over 10 years from 2023-01: 36 of 120 months → carrying before 35,000,000
    assert row0["carrying_amount_before_impairment"] == pytest.approx(35_000_000, abs=0.01)
    assert row0["impairment_loss"] > 0 and "IMPAIRMENT_LOSS" in row0["flags"]
    row1 = reg[reg["asset_id"] == a.loc[1, "asset_id"]].iloc[0]
    assert row1["net_realisable_value"] == pytest.approx(810_000, abs=0.01)
    assert row1["impairment_loss"] == pytest.approx(190_000, abs=0.01)
    row2 = reg[reg["asset_id"] == a.loc[2, "asset_id"]].iloc[0]
    assert row2["cost"] == pytest.approx(600_000, abs=0.01)      # 400,000 + 200,000
    assert row2["expensed"] == pytest.approx(100_000, abs=0.01)  # research
    row3 = reg[reg["asset_id"] == a.loc[3, "asset_id"]].iloc[0]
    assert row3["status"] == "refused" and "accounting.available_for_use" in row3["reason_en"]
    # assets without an accounting section but with a book value: the test on the book value
    plain = reg[reg["status"] == "book_value"]
    assert len(plain) == 2
    assert np.allclose(plain["carrying_amount"], plain["carrying_amount_before_impairment"]
                       - plain["impairment_loss"])


def test_disclosure_sums_the_register(run):
    _, _, s = run
    reg = pd.read_excel(s.books, sheet_name="register")
    dis = pd.read_excel(s.books, sheet_name="disclosure_en")
    ok = reg[reg["status"] == "ok"]
    for cat, label in (("intangible_asset", "Intangible"), ("inventory", "Inventories")):
        row = dis[dis["category"].str.startswith(label) & (dis["item"] == "Carrying amount")].iloc[0]
        assert row["total"] == pytest.approx(ok.loc[ok["classification"] == cat, "carrying_amount"].sum(),
                                             abs=0.01)
        assert row["total"] == pytest.approx(row["purchased"] + row["self-developed"] + row["other"], abs=0.01)


def test_spreadsheet_cells_are_neutralised(run):
    _, _, s = run
    wb = load_workbook(s.books, read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and v[:1] in "=+-@"), (ws.title, v)


def test_cli_high_impairment_writes_the_register(tmp_path):
    a, r = _portfolio()
    src = tmp_path / "pf.csv"
    a.to_csv(src, index=False)
    for name, fr in r.items():
        fr.to_csv(tmp_path / f"pf.{name}.csv", index=False)
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(cli_app, ["revalue", str(src), "--out", str(out), "--only", "high-impairment",
                                       "--db", "seed", "--no-history", "--workers", "1", "--as-of", AS_OF,
                                       "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "impairment register" in res.output
    reg = pd.read_csv(tmp_path / "out.books.csv")
    assert {"carrying_amount", "recoverable_amount", "impairment_loss", "basis"} <= set(reg.columns)
    assert (tmp_path / "out.books.disclosure.csv").exists()
    bad = CliRunner().invoke(cli_app, ["revalue", str(src), "--out", str(out), "--db", "seed",
                                       "--no-history", "--balance-sheet-date", "31/12/2025"])
    assert bad.exit_code == 2 and "balance_sheet_date" in bad.output


def test_books_of_a_file_run_by_reference_equal_those_of_a_run_in_one_process(tmp_path):
    """A CSV portfolio with its records side files, valued by the local pool's workers (the
    partitions go by reference; the run's process takes its whole table for the books from
    the staged copy, not from a second parse) and in one process: the same register, the same
    disclosure tables and the same results."""
    a, r = _portfolio()
    src = tmp_path / "pf.csv"
    a.to_csv(src, index=False)
    for t, fr in r.items():
        fr.to_csv(tmp_path / f"pf.{t}.csv", index=False)
    common = {"library": "seed", "history": False, "as_of": AS_OF, "balance_sheet_date": "2025-12-31",
              "chunk_size": 2}
    from valuation.batch import plan as plan_mod

    with pytest.MonkeyPatch.context() as mp:    # by reference: staged, then never parsed again
        mp.setattr(plan_mod, "read_portfolio", lambda *_a, **_k: pytest.fail("the input was parsed twice"))
        ref = api.revalue(src, tmp_path / "ref.parquet", backend="local", workers=2, **common)
    one = api.revalue(src, tmp_path / "one.parquet", backend="local", workers=1, **common)
    assert ref.books and one.books and ref.partitions == one.partitions == 3
    for name in ("ref", "one"):
        assert (tmp_path / f"{name}.books.parquet").exists()
    reg_ref, reg_one = pd.read_parquet(ref.books), pd.read_parquet(one.books)
    assert len(reg_ref) >= 3
    pd.testing.assert_frame_equal(reg_ref, reg_one)
    res_ref, res_one = (pd.read_parquet(tmp_path / f"{n}.parquet").drop(columns=["run_id"]) for n in ("ref", "one"))
    pd.testing.assert_frame_equal(res_ref, res_one)
