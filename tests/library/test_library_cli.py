"""`valuation init` and `valuation library …` through a small local Typer app."""
from __future__ import annotations

import typer
import yaml
from typer.testing import CliRunner

from valuation.cli.library import register

app = typer.Typer()
register(app)
runner = CliRunner()

from valuation.library.seed.loader import seed_items  # noqa: E402


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_init_list_show_history_put_retire_audit(tmp_path):
    db = f"sqlite:///{tmp_path / 'lib.db'}"
    r = run("init", "--db", db)
    assert r.exit_code == 0, r.output
    n_std = str(len(seed_items()["standards"]))             # every standard in the seed file
    assert "标准库 standards" in r.output and n_std in r.output
    sid = r.output.split("快照 / snapshot:")[1].strip()
    r2 = run("init", "--db", db)                           # idempotent: same snapshot, no writes
    assert r2.exit_code == 0 and r2.output.split("快照 / snapshot:")[1].strip() == sid
    std_row = next(line for line in r2.output.splitlines() if line.startswith("标准库"))
    assert std_row.split()[2:6] == ["0", "0", n_std, n_std]

    r = run("library", "list", "standards", "--search", "90%", "--db", db)
    assert r.exit_code == 0 and "SASAC12.90pct" in r.output and "CAS2023.art2 " not in r.output
    r = run("library", "show", "standards", "MOF2024-1.4", "--db", db)
    assert r.exit_code == 0 and "虚增财政收入" in r.output and "版本 version: 1" in r.output

    content = tmp_path / "std.yaml"
    content.write_text(yaml.safe_dump({"id": "LOCAL.1", "summary_zh": "本地规定",
                                       "summary_en": "a local rule",
                                       "references": ["ENG.default"]}, allow_unicode=True), "utf-8")
    r = run("library", "put", "standards", "LOCAL.1", content, "--note", "add", "--author", "amy",
            "--db", db)
    assert r.exit_code == 0 and "版本 version 1" in r.output, r.output
    r = run("library", "put", "standards", "LOCAL.1", content, "--note", "stale", "--db", db)
    assert r.exit_code == 4 and "已存在" in r.output and "already exists" in r.output
    r = run("library", "put", "standards", "LOCAL.1", content, "--note", "v2",
            "--base-version", "1", "--author", "bob", "--db", db)
    assert r.exit_code == 0 and "版本 version 2" in r.output
    r = run("library", "put", "standards", "LOCAL.1", content, "--note", "late",
            "--base-version", "1", "--db", db)
    assert r.exit_code == 4 and "reload" in r.output
    r = run("library", "show", "standards", "LOCAL.1", "--version", "1", "--db", db)
    assert "ENG.default" in r.output and "amy" in r.output
    r = run("library", "retire", "standards", "LOCAL.1", "--note", "drop", "--base-version", "2",
            "--author", "cat", "--db", db)
    assert r.exit_code == 0, r.output
    r = run("library", "history", "standards", "LOCAL.1", "--db", db)
    assert r.exit_code == 0 and "3 个版本" in r.output and "retired" in r.output
    r = run("library", "show", "standards", "LOCAL.1", "--db", db)
    assert r.exit_code == 3 and "retired" in r.output
    r = run("library", "list", "standards", "--status", "retired", "--db", db)
    assert "LOCAL.1" in r.output
    r = run("library", "audit", "--key", "LOCAL.1", "--db", db)
    assert r.exit_code == 0 and "审计记录 / audit records: 3" in r.output
    assert [w for w in ("cat", "bob", "amy") if w in r.output] == ["cat", "bob", "amy"]
    r = run("library", "list", "nonsense", "--db", db)
    assert r.exit_code == 2


def test_export_import_between_databases(tmp_path):
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    sid = run("init", "--db", a).output.split("快照 / snapshot:")[1].strip()
    from valuation.library.seed.loader import seed_items

    total = sum(len(v) for v in seed_items().values())  # every seed item is one version
    r = run("library", "export", tmp_path / "all.yaml", "--db", a)
    assert r.exit_code == 0 and f"exported {total} versions" in r.output
    r = run("library", "import", tmp_path / "all.yaml", "--author", "ops", "--db", b)
    assert r.exit_code == 0 and f"inserted {total}" in r.output
    assert r.output.split("快照 / snapshot:")[1].strip() == sid
    bad = tmp_path / "bad.yaml"
    bad.write_text("hello: world\n", "utf-8")
    r = run("library", "import", bad, "--db", b)
    assert r.exit_code == 2 and "valuation-library-export" in r.output
