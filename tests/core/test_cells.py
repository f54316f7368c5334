"""Formula neutralisation (issue 18, deliverable 4): one helper (``core/cells.py``) and every
CSV / spreadsheet writer of the project run with the payloads of the OWASP CSV-injection
guidance; a genuine negative number stays a number, only text is neutralised."""
from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from valuation.core.cells import FORMULA_RE, is_formula_text, neutralise_cell, neutralise_frame

PKG = Path(__file__).resolve().parents[2] / "valuation"
ROOT = PKG.parent
PAYLOADS = ['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1",
            "  =1+1", "\n@A1"]
# the part of each payload that survives in any rendering of it (quoting, prefixes)
CORES = ['HYPERLINK("x")', "cmd|' /C calc'!A0", "-1+1", "@SUM(A1)", "=1+1", "@A1"]


@pytest.mark.parametrize("p", PAYLOADS)
def test_payloads_are_neutralised_and_other_text_is_not(p):
    assert is_formula_text(p) and neutralise_cell(p) == "'" + p
    assert not is_formula_text(neutralise_cell(p))


@pytest.mark.parametrize("v", ["ok", "a-b", "数据 = 资产", "", " x", "'=1", "1-1"])
def test_plain_text_is_kept(v):
    assert neutralise_cell(v) == v


@pytest.mark.parametrize("v", [-1.5, -3, 0, np.float64(-2.0), None, True])
def test_numbers_stay_numbers(v):
    assert neutralise_cell(v) is v


def test_frames_keep_numeric_columns_and_neutralise_text_of_any_dtype():
    df = pd.DataFrame({"s": pd.array(["=1", "ok", None], dtype="str"),
                       "o": pd.Series(["@x", 5, None], dtype=object),
                       "c": pd.Categorical(["-1+1", "a", "a"]),
                       "n": [-1.0, -2.5, np.nan], "=col": [1, 2, 3]})
    out = neutralise_frame(df)
    assert out["s"].tolist()[:2] == ["'=1", "ok"] and pd.isna(out["s"].iloc[2])
    assert out["o"].tolist()[:2] == ["'@x", 5]
    assert out["c"].tolist() == ["'-1+1", "a", "a"]
    assert out["n"].dtype == float and out["n"].tolist()[:2] == [-1.0, -2.5]
    assert list(out.columns)[-1] == "'=col"
    assert df["s"].iloc[0] == "=1"  # the input is not changed


# ------------------------------------------------------------------ every writer
def _number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _unsafe(cell: tuple) -> bool:
    """A written cell a spreadsheet would run: text matching the formula pattern (a CSV cell
    that is a plain number, like -2.5, is data), or a formula cell carrying a payload (the
    working papers' own formulas are allowed)."""
    v, kind = cell
    if not isinstance(v, str):
        return False
    if kind == "f":
        return any(c in v for c in CORES)
    return FORMULA_RE.match(v) is not None and not (kind == "csv" and _number(v))


def _csv_cells(path: Path) -> list[tuple]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [(c, "csv") for row in csv.reader(fh) for c in row]


def _xlsx_cells(path_or_bytes) -> list[tuple]:
    import io

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    wb = load_workbook(src)
    return [(c.value, c.data_type) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def _check(cells: list[tuple], *, expect: int = 1) -> None:
    bad = [c[0] for c in cells if _unsafe(c)]
    assert not bad, bad
    carried = [v for v, _ in cells if isinstance(v, str) and any(x in v for x in CORES)]
    assert len(carried) >= expect, "the payload did not reach the file: the test cannot fail"


def test_batch_results_rejects_and_run_diff(tmp_path):
    from typer.testing import CliRunner

    from valuation.api import revalue
    from valuation.batch.synth import synthetic_portfolio
    from valuation.cli import app

    a, r = synthetic_portfolio(8, seed=3, prefix="T-")
    old = list(a["asset_id"])
    new = ["-1", "-2:x"] + old[2:]                     # valid ids that begin with "-"
    new[2], new[3], new[4], new[5] = PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[3]
    a["asset_id"] = new
    comps = r["market.comparables"]
    comps["asset_id"] = comps["asset_id"].map(dict(zip(old, new)))
    comps["case_id"] = comps["case_id"].astype(object)
    comps.loc[comps.index[0], "case_id"] = "@SUM(A1)"
    db = f"sqlite:///{tmp_path / 'h.db'}"
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"res{suffix}"
        revalue(a, out, records={"market.comparables": comps}, library="seed", db=db,
                as_of="2026-01-15", workers=1)
        cells = _csv_cells(out) if suffix == ".csv" else _xlsx_cells(out)
        values = [v for v, _ in cells]
        assert "'-1" in values and "'-2:x" in values and "-1" not in values
        _check(cells, expect=0)
        rej = _csv_cells(Path(f"{out}.rejects.csv"))
        _check(rej, expect=4)
    runs = pd.read_sql("SELECT id FROM batch_runs ORDER BY started_at", db)["id"].tolist()
    diff = tmp_path / "diff.csv"
    res = CliRunner().invoke(app, ["runs", "diff", runs[0], runs[1], "--db", db, "--all",
                                   "--out", str(diff)])
    assert res.exit_code == 0, res.output
    cells = _csv_cells(diff)
    values = [v for v, _ in cells]
    assert "'-1" in values and "-1" not in values
    _check(cells, expect=0)
    # numbers stay numbers: no quote before a number other than the text ids
    assert not [v for v in values if v.startswith("'") and _number(v[1:]) and v != "'-1"]


def test_working_papers(tmp_path):
    from valuation import api

    card = json.loads((ROOT / "examples" / "cards" / "E03_enterprise_ecommerce.json").read_text("utf-8"))
    card["asset"]["name"] = PAYLOADS[0]
    card["engagement"]["purpose_note"] = PAYLOADS[1] if "purpose_note" in card["engagement"] else None
    if card["engagement"]["purpose_note"] is None:
        del card["engagement"]["purpose_note"]
    data = api.report(card, fmt="xlsx", library="seed")
    _check(_xlsx_cells(data))


def test_backtest_predictions(tmp_path):
    from valuation.backtest import run_backtest

    cols = ["title", "provider", "description", "update_frequency", "coverage", "dimension", "url",
            "category", "category_aws", "platform", "currency", "price_mode", "price", "volume",
            "size", "data_sample"]

    def rows(titles, tag):
        return pd.DataFrame([{"title": t, "provider": "p", "description": "", "update_frequency": "no-update",
                              "coverage": "CN", "dimension": 0, "url": f"https://ex/{tag}/{i}",
                              "category": "c", "category_aws": "Manufacturing Data",
                              "platform": "Zhejiang Big Data Exchange", "currency": "RMB",
                              "price_mode": "one-off", "price": 1000.0 + 37 * i, "volume": 0, "size": 0,
                              "data_sample": ""} for i, t in enumerate(titles)], columns=cols)

    rows([f"指数{i}" for i in range(8)], "c").to_csv(tmp_path / "c.csv", index=False)
    rows(PAYLOADS[:4], "h").to_csv(tmp_path / "h.csv", index=False)
    pred = tmp_path / "pred.csv"
    run_backtest([tmp_path / "c.csv"], [tmp_path / "h.csv"], predictions=pred)
    _check(_csv_cells(pred), expect=4)


def test_blank_templates(tmp_path):
    from valuation.core.template import write_template

    for suffix in (".csv", ".xlsx"):
        p = write_template(tmp_path / f"t{suffix}")
        cells = _csv_cells(p) if suffix == ".csv" else _xlsx_cells(p)
        assert not [v for v, k in cells if _unsafe((v, k))]


# writers that need no neutralisation, with the reason
EXEMPT = {
    "cli/market.py": "an intermediate CSV in a temporary folder, read back by the case importer "
                     "(never opened by a person; a quote would change the imported titles)",
}
WRITER_CALLS = ("to_csv", "to_excel", "Workbook", "writer", "DictWriter", "ExcelWriter")


def test_every_writer_in_the_source_uses_the_helper():
    """A new CSV/xlsx writer without the helper fails here (the list above names the rest)."""
    missing = []
    for path in PKG.rglob("*.py"):
        rel = str(path.relative_to(PKG))
        tree = ast.parse(path.read_text("utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
            getattr(n.func, "attr", None) in WRITER_CALLS or getattr(n.func, "id", None) in WRITER_CALLS)]
        if not calls or rel in EXEMPT or rel == "core/cells.py":
            continue
        src = path.read_text("utf-8")
        if "neutralise_frame" not in src and "neutralise_cell" not in src:
            missing.append(f"{rel}: {[ast.unparse(c.func) for c in calls]}")
    assert not missing, "\n".join(missing)


# ------------------------------------------------------------------ properties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(alphabet=st.sampled_from(list("=+-@ \t\r\n\u3000\u00a0＝＠a1'(\"")) , max_size=6) | st.text(max_size=6)


@given(_TEXT)
def test_neutralised_text_never_reads_as_a_formula(v):
    out = neutralise_cell(v)
    assert not is_formula_text(out) or out.startswith("'")
    assert out in (v, "'" + v)
    assert (out != v) == bool(FORMULA_RE.match(v))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.none()), min_size=1, max_size=20))
def test_frame_paths_equal_the_cell_definition(vals):
    """The Arrow (RE2) path, the object path and the categorical path give what
    ``neutralise_cell`` gives cell by cell."""
    want = [None if v is None else neutralise_cell(v) for v in vals]
    for dtype in ("str", object, "category"):
        got = neutralise_frame(pd.DataFrame({"c": pd.Series(vals, dtype=dtype)}))["c"].tolist()
        got = [None if (g is None or (isinstance(g, float) and np.isnan(g))) else g for g in got]
        assert got == want, dtype
