"""The CLI refuses a bad option value while parsing the command line — exit code 2 and a
bilingual message naming the option, the value and what is allowed — instead of silently
running with a default (``--lang fr`` printed Chinese, ``--format xml`` printed text) or
ending in a traceback (``schema --doc foo``, ``--db nonsense://x``, ``--out`` into a folder
that does not exist). Nothing is written when an option is refused."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from valuation.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
CARD = str(ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json")
PRODUCT = str(ROOT / "examples" / "product_public_data.json")

# (command line, option, bad value, an allowed value the message must list)
CASES = [
    (["appraise", CARD, "--db", "seed", "--lang", "fr"], "--lang", "fr", "en"),
    (["appraise", CARD, "--db", "seed", "--format", "xml"], "--format", "xml", "json"),
    (["appraise", CARD, "--db", "seed", "--unit", "usd"], "--unit", "usd", "yuan"),
    (["price", PRODUCT, "--format", "yaml"], "--format", "yaml", "json"),
    (["price", PRODUCT, "--lang", "de"], "--lang", "de", "zh"),
    (["schema", "--doc", "foo"], "--doc", "foo", "product"),
    (["schema", "--lang", "fr"], "--lang", "fr", "zh"),
    (["library", "show", "standards", "x", "--format", "xml"], "--format", "xml", "yaml"),
    (["rules", "list", "--lang", "fr"], "--lang", "fr", "en"),
    (["keys", "list", "--format", "csv"], "--format", "csv", "json"),
    (["runs", "list", "--format", "csv"], "--format", "csv", "json"),
    (["report", CARD, "--out", "r.docx", "--lang", "fr"], "--lang", "fr", "en"),
    (["appraise", CARD, "--db", "nonsense://x"], "--db", "nonsense://x", "sqlite:///"),
    (["library", "list", "standards", "--db", "seed"], "--db", "seed", "postgresql://"),
    (["book", CARD, "--db", "not a url"], "--db", "not a url", "seed"),
]


@pytest.mark.parametrize(("argv", "option", "value", "allowed"), CASES,
                         ids=[" ".join(c[0][:1] + c[0][-2:]).replace(CARD, "CARD") for c in CASES])
def test_a_bad_option_value_exits_2_naming_option_value_and_allowed(argv, option, value, allowed, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)           # a default database or an --out file would land here
    r = runner.invoke(app, argv)
    assert r.exit_code == 2, (r.exit_code, r.output[-1500:], r.exception)
    text = " ".join(r.output.split())     # the error panel wraps lines
    assert option in text and repr(value) in text and allowed in text, text
    assert "不是" in text and "not" in text  # both languages
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize("argv", [
    ["schema", "--out", "{missing}/schema.json"],
    ["template", "{missing}/t.xlsx"],
    ["template", "{missing}/t.csv"],
    ["report", CARD, "--db", "seed", "--out", "{missing}/r.docx"],
    ["book", CARD, "--db", "seed", "--out", "{missing}/b.xlsx"],
], ids=["schema", "template-xlsx", "template-csv", "report", "book"])
def test_an_output_into_a_missing_folder_exits_2_with_the_path(argv, tmp_path):
    missing = tmp_path / "no-such-folder"
    argv = [a.replace("{missing}", str(missing)) for a in argv]
    r = runner.invoke(app, argv)
    assert r.exit_code == 2, (r.exit_code, r.output[-1500:], r.exception)
    assert "无法写入文件 / cannot write the file" in r.output and str(missing) in r.output
    assert not missing.exists()


def test_the_allowed_values_still_run(tmp_path):
    r = runner.invoke(app, ["schema", "--doc", "product", "--lang", "zh", "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s.json").stat().st_size > 0 and not list(tmp_path.glob("*.tmp"))
    r = runner.invoke(app, ["appraise", CARD, "--db", "seed", "--lang", "en", "--format", "text"])
    assert r.exit_code == 0 and "Conclusion (estimate)" in r.output, r.output[-800:]


def test_a_database_that_cannot_be_opened_exits_2_without_a_traceback(tmp_path):
    """``--db`` naming a PostgreSQL server that is not there (port 1 refuses at once) ended in
    a 480-line traceback with exit code 1; the console entry point prints the driver's one
    line (host and port, never the password) and exits with code 2."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "valuation", "library", "list", "standards",
                        "--db", "postgresql://u:secret@127.0.0.1:1/x"],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stderr[-1500:])
    assert "无法打开数据库（--db 或 VALUATION_DB_URL）/ cannot open the database" in p.stderr
    assert "127.0.0.1" in p.stderr and "Traceback" not in p.stderr and "secret" not in p.stderr + p.stdout
    assert len(p.stderr.splitlines()) <= 3


@pytest.mark.parametrize(("argv", "option", "value"), [
    (["--log-level", "loud"], "--log-level", "loud"),
    (["--port", "70000"], "--port", "70000"),
    (["--workers", "0"], "--workers", "0"),
    (["--library", "nonsense://x"], "--library", "nonsense://x"),
])
def test_serve_refuses_a_bad_option_before_starting(argv, option, value, monkeypatch, tmp_path):
    """``serve --log-level loud`` ended in uvicorn's KeyError traceback; ``--port 70000`` and
    ``--workers 0`` started a server that never served. uvicorn.run is replaced by a recorder
    only so that the unfixed code fails here instead of serving."""
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 's.db'}")
    r = runner.invoke(app, ["serve", *argv])
    assert r.exit_code == 2 and not started, (r.exit_code, started, r.output[-800:], r.exception)
    text = " ".join(r.output.split())
    assert option in text and value in text, text


@pytest.mark.parametrize("command", ["book", "share", "appraise", "price"])
def test_a_refused_input_file_honours_lang_and_format(command, tmp_path):
    """``book`` and ``share`` read their file without the command's --lang/--format: a refused
    file was reported in Chinese text under ``--lang en --format json``."""
    import json

    f = tmp_path / "dup.json"
    f.write_bytes(b'{"asset": {}, "asset": {}}')           # a duplicate key: refused by the gate
    r = runner.invoke(app, [command, str(f), "--db", "seed", "--lang", "en", "--format", "json"])
    assert r.exit_code == 2, (r.exit_code, r.output[-800:], r.exception)
    body = json.loads(r.stdout)                             # JSON, as asked
    assert body["code"] == "validation_error" and body["issues"][0]["field"] == "asset"
    r = runner.invoke(app, [command, str(f), "--db", "seed", "--lang", "en"])
    assert r.exit_code == 2 and "key given twice" in r.output, r.output
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in r.output), r.output   # no Chinese under --lang en


@pytest.mark.parametrize("params", ["[1]", '"x"', "5"])
def test_rules_test_refuses_params_that_are_not_an_object(params):
    """``rules test EXPR --params [1]`` ended in the compiler's TypeError traceback."""
    r = runner.invoke(app, ["rules", "test", "x > threshold", "--params", params])
    assert r.exit_code == 2, (r.exit_code, r.output[-800:], r.exception)
    assert "--params 须为 JSON 对象" in r.output and "--params must be a JSON object" in r.output
    assert params in r.output


def test_rules_test_still_takes_an_object():
    r = runner.invoke(app, ["rules", "test", "premium_ratio > threshold", "--params", '{"threshold": 1}'])
    assert r.exit_code == 0 and "accepted" in r.output, r.output


def test_the_command_an_unknown_fact_points_to_exists_and_lists_the_facts():
    """The compiler refuses an unknown fact with "see `valuation rules facts`" — a command
    that did not exist ("No such command 'facts'")."""
    from valuation.rules.facts import FACTS

    r = runner.invoke(app, ["rules", "test", "no_such_fact > 1"])
    assert r.exit_code == 2 and "valuation rules facts" in r.output
    r = runner.invoke(app, ["rules", "facts", "--lang", "en"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert [ln.split()[0] for ln in lines] == list(FACTS)
    assert any(ln.split()[:2] == ["premium_ratio", "number"] and "appreciation ratio" in ln for ln in lines)


PORTFOLIO = str(ROOT / "examples" / "portfolio_small.csv")


@pytest.mark.parametrize("value", ["2025-13-01", "2025/12/31", "yesterday"])
def test_revalue_refuses_an_as_of_that_is_not_a_date(value, tmp_path):
    """``revalue --as-of 2025-13-01`` ended in Python's ValueError traceback (exit 1)."""
    r = runner.invoke(app, ["revalue", PORTFOLIO, "--out", str(tmp_path / "o.csv"), "--db", "seed",
                            "--as-of", value])
    assert r.exit_code == 2, (r.exit_code, r.output[-800:], r.exception)
    text = " ".join(r.output.split())
    assert "--as-of" in text and repr(value) in text and "YYYY-MM-DD" in text
    assert not (tmp_path / "o.csv").exists()


def test_revalue_names_a_dask_scheduler_it_cannot_reach(tmp_path):
    """``--backend dask --scheduler tcp://127.0.0.1:1`` (nothing listens there) ended after the
    connect timeout in an OSError traceback; it is a bad --scheduler value (exit 2)."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        r = runner.invoke(app, ["revalue", PORTFOLIO, "--out", str(tmp_path / "o.csv"), "--db", "seed",
                                "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 2, (r.exit_code, r.output[-800:], r.exception)
    assert "无法连接 Dask 调度器（--scheduler tcp://127.0.0.1:1）" in r.output
    assert "cannot reach the Dask scheduler" in r.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("argv", [["cases", "list", "--limit", "-1"], ["library", "audit", "--limit", "-5"],
                                  ["cases", "import", PORTFOLIO, "--format", "csv", "--dry-run",
                                   "--show-skipped", "-3"]],
                         ids=["cases-list", "library-audit", "cases-import"])
def test_a_negative_count_is_refused_not_read_as_none(argv, tmp_path, monkeypatch):
    """``cases list --limit -1`` printed "案例 0 个" (no cases) and ``library audit --limit -5``
    an empty list, as if the library were empty."""
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'c.db'}")
    r = runner.invoke(app, argv)
    assert r.exit_code == 2, (r.exit_code, r.output[-800:], r.exception)
    text = " ".join(r.output.replace("│", " ").split())   # the error panel's borders split lines
    assert argv[-1] in text and "超出允许范围" in text and "outside the allowed range" in text, text
