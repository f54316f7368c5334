"""The faces of revenue sharing: CLI (exit codes, text and JSON), HTTP (auth, 422, ledger),
``valuation schema --doc share`` — each equal to ``api.share``."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from valuation import api
from valuation.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sharing" / "public_data_operation.json"
runner = CliRunner()


def test_cli_share_text_json_and_refusal(tmp_path):
    r = runner.invoke(app, ["share", str(EXAMPLE), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "Revenue sharing DL-AO-2025-001" in r.output and "SHARE_NON_TAX_REVENUE" in r.output
    r = runner.invoke(app, ["share", str(EXAMPLE), "--format", "json"])
    got = json.loads(r.output)
    want = api.share(json.loads(EXAMPLE.read_text("utf-8")), library="seed")
    assert [s["amount"] for s in got["shares"]] == [s["amount"] for s in want["shares"]]
    bad = tmp_path / "bad.json"
    spec = json.loads(EXAMPLE.read_text("utf-8"))
    spec["participants"][1]["id"] = spec["participants"][0]["id"]
    bad.write_text(json.dumps(spec), "utf-8")
    r = runner.invoke(app, ["share", str(bad), "--lang", "en"])
    assert r.exit_code == 2 and "participants[1].id" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["share", str(bad), "--format", "json"])
    assert r.exit_code == 2 and json.loads(r.output)["code"] == "validation_error"


def test_cli_ledger_commands(tmp_path):
    db = f"sqlite:///{tmp_path / 'l.db'}"
    r = runner.invoke(app, ["share", str(EXAMPLE), "--record", "--ledger-db", db, "--ran-by", "tester",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    rid = json.loads(r.output)["ledger"]["record_id"]
    r = runner.invoke(app, ["shares", "history", "DL-AO-2025-001", "--db", db])
    assert r.exit_code == 0 and rid in r.output and "tester" in r.output
    out = tmp_path / "x.csv"
    r = runner.invoke(app, ["shares", "export", rid, "--out", str(out), "--db", db])
    assert r.exit_code == 0 and out.exists()
    r = runner.invoke(app, ["shares", "show", "missing", "--db", db, "--lang", "en"])
    assert r.exit_code == 2 and "unknown" in r.output


def test_schema_doc_share():
    r = runner.invoke(app, ["schema", "--doc", "share"])
    s = json.loads(r.output)
    assert r.exit_code == 0 and set(s["required"]) == {"arrangement_id", "distributable", "method", "participants"}
    assert s["properties"]["participants"]["items"]["properties"]["holder_type"]["enum"][0] == "enterprise"


def test_report_section_docx_cites_clauses(tmp_path):
    import docx

    out = tmp_path / "s.docx"
    r = runner.invoke(app, ["share", str(EXAMPLE), "--docx", str(out)])
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "收益分配" in text and "大财资〔2025〕325号" in text and "四、（六）16" in text
    assert "政府非税收入" in text and "e* =" in text
    rows = [[c.text for c in row.cells] for row in d.tables[0].rows]
    want = api.share(json.loads(EXAMPLE.read_text("utf-8")), library="seed")
    assert rows[1][0] == "DL-BUREAU" and rows[1][4] == f"{want['shares'][0]['amount']:,.2f}"
    en = docx.Document(__import__("io").BytesIO(api.share_report(want, lang="en", library="seed")))
    assert "Revenue sharing" in "\n".join(p.text for p in en.paragraphs)


def test_share_api_doctests(monkeypatch):
    import doctest

    import valuation.share_api as mod

    monkeypatch.chdir(EXAMPLE.parents[2])
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
