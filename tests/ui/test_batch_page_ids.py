"""The batch page reads the results and rejects files back as written: an asset id made of
digits (``00042``, common for registry numbers) was read back by pandas as the integer 42, so
the page showed and its CSV download carried ids that match no asset of the portfolio."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def test_digit_asset_ids_keep_their_leading_zeros(tmp_path):
    pf = pd.read_excel(ROOT / "examples" / "portfolio_small.xlsx", sheet_name=0, dtype={"asset_id": str},
                       engine="openpyxl")
    ids = [f"{i:05d}" for i in range(len(pf))]
    pf["asset_id"] = ids
    pf.loc[3, "quality_accuracy"] = 150            # refused (0–100): a row of the rejects file
    folder = tmp_path / "examples"
    folder.mkdir()
    pf.to_excel(folder / "portfolio_small.xlsx", index=False, sheet_name="assets")
    # the page values "the example portfolio" from its examples folder: point it at this one
    at = AppTest.from_string("from pathlib import Path\nimport valuation.ui.pages.batch as b\n"
                             f"b.EXAMPLES = Path({str(folder)!r})\nb.batch_page()\n", default_timeout=300)
    at.session_state["lang"] = "en"
    at.run()
    at.button(key="run_batch_btn").click().run()
    assert not at.exception, at.exception
    res, rej = at.session_state["batch_results"], at.session_state["batch_rejects"]
    assert sorted(res["asset_id"]) == [i for i in ids if i != "00003"]
    assert rej["asset_id"].tolist() == ["00003"]
    shown = [df for df in at.dataframe]
    assert "00000" in shown[1].value.iloc[:, 0].tolist(), shown[1].value.head()   # the results table
    assert shown[-1].value.iloc[:, 1].tolist() == ["00003"], shown[-1].value      # the rejects table


def test_an_unreadable_portfolio_is_a_message_not_a_crash(tmp_path):
    folder = tmp_path / "examples"
    folder.mkdir()
    (folder / "portfolio_small.xlsx").write_bytes(b"this is not a workbook")
    at = AppTest.from_string("from pathlib import Path\nimport valuation.ui.pages.batch as b\n"
                             f"b.EXAMPLES = Path({str(folder)!r})\nb.batch_page()\n", default_timeout=300)
    at.session_state["lang"] = "zh"
    at.run()
    at.button(key="run_batch_btn").click().run()
    assert not at.exception, at.exception
    assert any("无法读取资产组合文件 portfolio_small.xlsx" in e.value for e in at.error), [e.value for e in at.error]
