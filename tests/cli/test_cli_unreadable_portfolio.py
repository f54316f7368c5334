"""A portfolio file that is not what its name says — bytes that are not UTF-8 in a ``.csv``,
an empty ``.csv``, a text file named ``.xlsx``, a ``.parquet`` without Parquet's magic bytes —
is refused like any bad input: exit code 2 and a bilingual message naming the file and what is
allowed, no results file. Before, each ended in the reader's traceback (UnicodeDecodeError,
EmptyDataError, CalamineError, ArrowInvalid) with exit code 1; the dashboard's batch page
crashed the same way (its test is in tests/ui/test_batch_page_ids.py). The reading refuses
them (valuation/batch/io.readable); these tests hold the faces to it."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from valuation.cli import app

runner = CliRunner()

BAD = {"latin1.csv": "asset_id,name\nA1,caf\xe9\n".encode("latin-1"),
       "empty.csv": b"",
       "text.xlsx": b"this is not a workbook",
       "text.parquet": b"PAR1 not parquet"}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unreadable_portfolio_exits_2_naming_the_file(name, lang, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(BAD[name])
    r = runner.invoke(app, ["revalue", name, "--out", "out.csv", "--db", "seed", "--lang", lang])
    assert r.exit_code == 2, (r.exit_code, r.output[-1500:], r.exception)
    words = ("无法读取资产组合文件", "UTF-8 编码的 CSV") if lang == "zh" else \
        ("cannot read the portfolio file", "allowed: a UTF-8 CSV")
    assert name in r.output and all(w in r.output for w in words), r.output
    assert not (tmp_path / "out.csv").exists()


def test_the_refusal_is_json_with_the_field_when_asked(tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "text.xlsx").write_bytes(BAD["text.xlsx"])
    r = runner.invoke(app, ["revalue", "text.xlsx", "--out", "out.csv", "--db", "seed", "--format", "json"])
    assert r.exit_code == 2
    issue = json.loads(r.stdout)["issues"][0]
    assert issue["field"] == "portfolio" and issue["value"] == "text.xlsx" and "xlsx" in issue["allowed"]


@pytest.mark.parametrize("name", ["text.xlsx", "text.parquet"])
@pytest.mark.parametrize("command", [["cases", "import", "{f}", "--format", "csv", "--dry-run"],
                                     ["backtest", "--cases", "{f}", "--format", "csv"]],
                         ids=["cases-import", "backtest"])
def test_an_unreadable_case_file_exits_2_naming_the_file(name, command, tmp_path, monkeypatch):
    """The case-library reader (cases import, backtest) refused a CSV it could not decode
    but let a text file named .xlsx or .parquet end in CalamineError / ArrowInvalid
    tracebacks (exit 1)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'c.db'}")
    (tmp_path / name).write_bytes(BAD[name])
    r = runner.invoke(app, [a.replace("{f}", name) for a in command])
    assert r.exit_code == 2, (r.exit_code, r.output[-1500:], r.exception)
    kind = "Excel" if name.endswith(".xlsx") else "Parquet"
    assert f"不是可读的 {kind} 文件" in r.output and f"is not a readable {kind} file" in r.output
    assert name in r.output
