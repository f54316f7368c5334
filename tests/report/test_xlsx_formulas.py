"""The xlsx working papers hold numbers and Excel formulas that recompute to the engine's values.

The workbooks are recomputed by the pure-Python Excel formula engine ``formulas`` (what Excel or
LibreOffice would do on opening them) and compared with the engine's values, relative tolerance
1e-9 (Excel keeps 15 significant digits). A reviewer who changes a rate sees the value move:
the income sheet's discount rate is edited and the recomputed value checked against a hand
computation.
"""
import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from valuation import api
from valuation.report import render

# a dev dependency (pyproject.toml); CI installs it, so there the test never skips
if os.environ.get("CI") == "true":
    import formulas
else:
    formulas = pytest.importorskip("formulas")

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))
REL = 1e-9


def _card(name):
    return json.loads((ROOT / "examples" / "cards" / name).read_text(encoding="utf-8"))


def _recompute(wb_bytes: bytes, tmp_path: Path, name: str = "wp.xlsx") -> dict:
    """{(sheet, cell): value} after recomputing every formula."""
    path = tmp_path / name
    path.write_bytes(wb_bytes)
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for k, v in sol.items():
        ref = str(k).split("]", 1)[-1]
        sheet, _, cell = ref.rpartition("!")
        if ":" in cell:
            continue
        val = getattr(v, "value", v)
        try:
            val = val[0][0]
        except (TypeError, IndexError):
            pass
        out[(sheet.strip("'").upper(), cell.upper())] = val
    return out


def _row_of(ws, label: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == label:
            return row[0].row
    raise AssertionError(f"no row {label!r} on sheet {ws.title}")


def _value(wb, values, sheet: str, label: str) -> float:
    ws = wb[sheet]
    r = _row_of(ws, label)
    assert ws.cell(row=r, column=2).data_type == "f", (sheet, label, "is not a formula")
    return float(values[(sheet.upper(), f"B{r}")])


@pytest.mark.parametrize("path", CARDS, ids=[p.stem for p in CARDS])
def test_formulas_recompute_to_engine_values(path, tmp_path):
    card = json.loads(path.read_text(encoding="utf-8"))
    res = api.appraise(card, library="seed").to_dict()
    data = render(card, res, "xlsx", "zh")
    wb = load_workbook(io.BytesIO(data))
    assert {"摘要", "成本法", "收益法", "市场法", "综合结论", "披露事项"} <= set(wb.sheetnames)
    values = _recompute(data, tmp_path)
    checks = {"成本法": ("cost", "成本法评估值 P"), "收益法": ("income", "收益法评估值 P"),
              "市场法": ("market", "市场法评估值 P")}
    n = 0
    for sheet, (m, label) in checks.items():
        d = res["methods"][m]
        if not d["applicable"] or d.get("details", {}).get("grid_estimate") not in (None, d["estimate"]):
            continue
        got = _value(wb, values, sheet, label)
        assert got == pytest.approx(d["estimate"], rel=REL), (path.stem, m)
        n += 1
    assert n >= 1
    concl = _value(wb, values, "综合结论", "评估结论")
    assert concl == pytest.approx(res["estimate"], rel=REL)
    # the summary links to it, in 元 and in 万元 (÷ 10,000)
    assert _value(wb, values, "摘要", "评估结论") == pytest.approx(res["estimate"], rel=REL)
    assert _value(wb, values, "摘要", "评估结论（万元）") == pytest.approx(res["estimate"] / 1e4, rel=REL)
    # numbers are numbers, with a number format
    ws = wb["综合结论"]
    r = _row_of(ws, "其他调整（如发改价格〔2025〕65号上限）")
    assert ws.cell(row=r, column=2).data_type == "n" and ws.cell(row=r, column=2).number_format == "#,##0.00"


def test_reviewer_changes_the_discount_rate(tmp_path):
    # E06: pledged loan, income approach, given rate i = 15 %, end-of-period flows (万元)
    # 150, 180, 200, 200, 190, 170.  At 15 %: 130.4348 + 136.1059 + 131.5032 + 114.3506 +
    # 94.4636 + 73.4957 = 680.3538 万元 (the engine's 6,803,538.09 元).  A reviewer sets
    # i = 10 %: 150/1.1 + 180/1.21 + 200/1.331 + 200/1.4641 + 190/1.61051 + 170/1.771561
    # = 136.363636 + 148.760331 + 150.262960 + 136.602691 + 117.975051 + 95.960568
    # = 785.925238 万元 = 7,859,252.38 元.
    card = _card("E06_pledged_loan.json")
    res = api.appraise(card, library="seed").to_dict()
    data = render(card, res, "xlsx", "zh")
    before = _recompute(data, tmp_path, "a.xlsx")
    wb = load_workbook(io.BytesIO(data))
    assert _value(wb, before, "收益法", "收益法评估值 P") == pytest.approx(6_803_538.09, abs=0.01)
    ws = wb["收益法"]
    r = _row_of(ws, "折现率 i")
    assert ws.cell(row=r, column=2).data_type == "n"      # a given rate is an input cell
    ws.cell(row=r, column=2).value = 0.10
    buf = io.BytesIO()
    wb.save(buf)
    after = _recompute(buf.getvalue(), tmp_path, "b.xlsx")
    assert _value(wb, after, "收益法", "收益法评估值 P") == pytest.approx(7_859_252.38, abs=0.01)
    # income carries weight 1 in E06: the conclusion follows
    assert _value(wb, after, "综合结论", "评估结论") == pytest.approx(7_859_252.38, abs=0.01)


def test_build_up_rate_is_a_formula_of_its_components(tmp_path):
    # E01: i = 1.75 % + 3 % + 3 % + 2.5 % + 2 % + … = 12.25 % as the sum of its component cells
    card = _card("E01_soe_transport_licensing.json")
    res = api.appraise(card, library="seed").to_dict()
    data = render(card, res, "xlsx", "en")
    wb = load_workbook(io.BytesIO(data))
    assert "Income approach" in wb.sheetnames and "Reconciliation" in wb.sheetnames
    values = _recompute(data, tmp_path)
    ws = wb["Income approach"]
    r = _row_of(ws, "Discount rate i")
    assert ws.cell(row=r, column=2).data_type == "f"
    assert float(values[("INCOME APPROACH", f"B{r}")]) == pytest.approx(0.1225, abs=1e-12)


@pytest.mark.parametrize("edit", ["publication", "expert_delta", "end_timing"])
def test_formulas_follow_the_card_variants(edit, tmp_path):
    """Publication rounding (Q 2 dp, i 2 dp in %, v_t 4 dp), an expert δ (an input cell) and
    end-of-period discounting recompute to the engine's values too."""
    card = _card("E01_soe_transport_licensing.json")
    if edit == "publication":
        card["engagement"]["rounding"] = "publication"
    elif edit == "expert_delta":
        card["cost"]["adjustment"] = {"basis": "expert", "functional_obsolescence": 0.1,
                                      "economic_obsolescence": 0.05}
    else:
        card["income"]["timing"] = "end"
    res = api.appraise(card, library="seed").to_dict()
    data = render(card, res, "xlsx", "zh")
    wb = load_workbook(io.BytesIO(data))
    values = _recompute(data, tmp_path)
    assert _value(wb, values, "成本法", "成本法评估值 P") == pytest.approx(res["methods"]["cost"]["estimate"], rel=REL)
    assert _value(wb, values, "收益法", "收益法评估值 P") == pytest.approx(res["methods"]["income"]["estimate"],
                                                                   rel=REL)
    assert _value(wb, values, "综合结论", "评估结论") == pytest.approx(res["estimate"], rel=REL)
    if edit == "publication":
        r = _row_of(wb["收益法"], "折现率 i")
        assert "ROUND" in wb["收益法"].cell(row=r, column=2).value
    if edit == "expert_delta":   # δ = 1 − (10 % + 5 %) = 0.85, a formula of its two rates
        assert _value(wb, values, "成本法", "价值调整系数 δ") == pytest.approx(0.85, abs=1e-12)
