"""Portfolio files in (CSV, Excel with record sheets, Parquet) and atomic, formula-safe output."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import small_portfolio

from valuation.batch.io import atomic_path, neutralise_formulas, read_portfolio, write_table
from valuation.core.errors import ValidationError


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_dtype=False, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_round_trip_with_records(tmp_path: Path, suffix: str):
    a, r = small_portfolio(6)
    comps = r["market.comparables"]
    p = tmp_path / f"pf{suffix}"
    if suffix == ".xlsx":
        with pd.ExcelWriter(p) as xw:
            a.to_excel(xw, sheet_name="assets", index=False)
            comps.to_excel(xw, sheet_name="market.comparables", index=False)
            pd.DataFrame({"column": ["x"]}).to_excel(xw, sheet_name="fields", index=False)  # template doc
    elif suffix == ".csv":
        a.to_csv(p, index=False)
        comps.to_csv(tmp_path / "pf.market.comparables.csv", index=False)
    else:
        a.to_parquet(p, index=False)
        comps.to_parquet(tmp_path / "pf.market.comparables.parquet", index=False)
    table, recs = read_portfolio(p)
    assert list(recs) == ["market.comparables"]
    assert table["asset_id"].tolist() == a["asset_id"].tolist()
    _same(table[["book_value", "income_discount_rate"]], a[["book_value", "income_discount_rate"]])
    _same(recs["market.comparables"][["price", "quality"]], comps[["price", "quality"]])


def test_unknown_sheet_and_format_are_refused(tmp_path: Path):
    a, _ = small_portfolio(2)
    p = tmp_path / "pf.xlsx"
    with pd.ExcelWriter(p) as xw:
        a.to_excel(xw, sheet_name="assets", index=False)
        a.to_excel(xw, sheet_name="comparables", index=False)
    with pytest.raises(ValidationError) as e:
        read_portfolio(p)
    assert "comparables" in e.value.message_en and "未知工作表" in e.value.message_zh
    with pytest.raises(ValidationError):
        read_portfolio(tmp_path / "pf.json")
    with pytest.raises(ValidationError):
        read_portfolio(tmp_path / "missing.csv")


def test_atomic_write_leaves_old_file_on_crash(tmp_path: Path):
    dest = tmp_path / "out.csv"
    write_table(pd.DataFrame({"a": [1, 2]}), dest)
    before = dest.read_bytes()

    def crash(tmp: Path) -> None:
        assert tmp.exists() and tmp.parent == dest.parent  # written next to the destination
        raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    with pytest.raises(KeyboardInterrupt):
        write_table(pd.DataFrame({"a": range(10_000)}), dest, before_replace=crash)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left behind
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "new.parquet") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert not (tmp_path / "new.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_xlsx_cells_that_look_like_formulas_are_neutralised(tmp_path: Path):
    df = pd.DataFrame({"asset_id": ["=1+1", "+SUM(A1)", "-2", "@x", "ok"], "v": [1.0, 2, 3, 4, 5]})
    out = neutralise_formulas(df)
    assert out["asset_id"].tolist() == ["'=1+1", "'+SUM(A1)", "'-2", "'@x", "ok"]
    assert out["v"].tolist() == [1.0, 2, 3, 4, 5]  # numbers are not text
    p = write_table(df, tmp_path / "r.xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(p)["results"]
    vals = [ws.cell(row=i, column=1).value for i in range(2, 7)]
    assert vals == ["'=1+1", "'+SUM(A1)", "'-2", "'@x", "ok"]
    assert all(ws.cell(row=i, column=1).data_type == "s" for i in range(2, 7))


def test_streamed_xlsx_keeps_types_blanks_and_the_header_style(tmp_path: Path):
    """write_xlsx (xlsxwriter, row by row): numbers stay numbers, NaN/None/NA are blank cells,
    ±inf the text pandas wrote, booleans booleans, datetimes dates; odd objects become text;
    read back with openpyxl (another reader than the one the batch uses)."""
    import datetime as dt
    from decimal import Decimal

    import numpy as np
    import openpyxl

    from valuation.batch.io import write_xlsx

    df = pd.DataFrame({
        "f": [1.5, np.nan, np.inf, -np.inf], "i": [1, 2, 3, -4], "b": [True, False, True, False],
        "s": pd.Series(["a", None, "=x", "-1"], dtype="str"),
        "o": [None, Decimal("2.5"), {"k": "=v"}, dt.date(2026, 1, 15)],
        "t": pd.to_datetime(["2026-01-15", None, "2025-12-31 12:30", "2024-02-29"], format="ISO8601"),
        "c": pd.Categorical(["x", "y", None, "x"]), "n": pd.array([1, None, 3, 4], dtype="Int64"),
    })
    p = write_xlsx(tmp_path / "t.xlsx", {"results": df, "empty": df.iloc[:0]})
    wb = openpyxl.load_workbook(p)
    ws = wb["results"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == list(df.columns) and ws["A1"].font.b
    assert [r[0] for r in rows[1:]] == [1.5, None, "inf", "'-inf"]    # text: neutralised
    assert [r[1] for r in rows[1:]] == [1, 2, 3, -4]
    assert [r[2] for r in rows[1:]] == [True, False, True, False]
    assert [r[3] for r in rows[1:]] == ["a", None, "'=x", "'-1"]
    assert [r[4] for r in rows[1:]] == [None, 2.5, "{'k': '=v'}", dt.datetime(2026, 1, 15)]
    assert [r[5] for r in rows[1:]] == [dt.datetime(2026, 1, 15), None, dt.datetime(2025, 12, 31, 12, 30),
                                        dt.datetime(2024, 2, 29)]
    assert [r[6] for r in rows[1:]] == ["x", "y", None, "x"] and [r[7] for r in rows[1:]] == [1, None, 3, 4]
    assert ws.cell(row=2, column=1).data_type == "n" and ws.cell(row=2, column=3).data_type == "b"
    assert [[c.value for c in r] for r in wb["empty"].iter_rows()] == [list(df.columns)]


def test_sheet_larger_than_excel_is_refused_before_writing(tmp_path: Path):
    from valuation.batch.io import write_xlsx

    wide = pd.DataFrame(np.zeros((1, 16_385)))
    dest = tmp_path / "wide.xlsx"
    with pytest.raises(ValidationError) as e:
        write_table(wide, dest)
    assert "16,384" in e.value.message_en and "Excel" in e.value.message_zh and ".parquet" in e.value.message_en
    assert not dest.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ValidationError):
        write_xlsx(tmp_path / "x.xlsx", {"results": wide})


def test_calamine_reads_the_example_workbook_as_openpyxl_does():
    """The reader changed from openpyxl to calamine: the same frames from the shipped example."""
    src = Path(__file__).resolve().parents[2] / "examples" / "portfolio_small.xlsx"
    table, recs = read_portfolio(src)
    want = pd.read_excel(src, sheet_name=None, dtype={"asset_id": "str"}, engine="openpyxl")
    pd.testing.assert_frame_equal(table, want["assets"])
    for name, fr in recs.items():
        pd.testing.assert_frame_equal(fr, want[name])


def test_failed_xlsx_write_leaves_nothing_behind(tmp_path: Path):
    """A failure in the middle of a streamed workbook (here a cell whose text cannot be made)
    leaves the old file and no temporary or row file of xlsxwriter in the folder."""
    class Bad:
        def __str__(self):
            raise RuntimeError("no text")

    dest = tmp_path / "r.xlsx"
    write_table(pd.DataFrame({"a": [1.0]}), dest)
    before = dest.read_bytes()
    with pytest.raises(RuntimeError, match="no text"):
        write_table(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", Bad()]}), dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


@pytest.mark.parametrize(("name", "content", "workers"), [
    ("pf.csv", b"asset_id,name\n" + b"A1,\xe9t\xe9\n" * 40, 1),      # latin-1, not UTF-8
    ("pf.csv", b"asset_id,name\n" + b"A1,\xe9t\xe9\n" * 40, 2),
    ("pf.csv", b"", 1),                                             # empty (too small for the pool)
    ("pf.xlsx", b"asset_id,name\n" + b"A1,x\n" * 40, 1),             # text named .xlsx (read by the run)
    ("pf.parquet", b"PAR1 this is not parquet" * 20, 1),            # no Parquet structure
    ("pf.parquet", b"PAR1 this is not parquet" * 20, 2),
])
def test_a_file_the_reader_cannot_parse_is_refused_as_bad_input(tmp_path, name, content, workers):
    """Read in this process (1 worker) or staged for the workers (2: partitions by reference,
    the file being over 64 bytes a row of ``chunk_size``): the same bilingual refusal naming
    the file, never the reader's own exception, and no results file."""
    from valuation import api

    src = tmp_path / name
    src.write_bytes(content)
    with pytest.raises(ValidationError) as e:
        api.revalue(src, tmp_path / "out.csv", library="seed", history=False, workers=workers, chunk_size=2)
    (issue,) = e.value.issues
    assert (issue.field, issue.value) == ("portfolio", name)
    assert "无法读取资产组合文件" in issue.message_zh and "cannot read the portfolio file" in issue.message_en
    assert not (tmp_path / "out.csv").exists()
