"""`valuation rules` commands: list, show, add (compiled before saving), test EXPR."""
from typer.testing import CliRunner

from valuation.cli import app

RUN = CliRunner()


def test_rules_test_accepts_and_refuses():
    ok = RUN.invoke(app, ["rules", "test", "premium_ratio >= 1.0 and holder_type in ('soe',)"])
    assert ok.exit_code == 0 and "premium_ratio" in ok.output
    bad = RUN.invoke(app, ["rules", "test", "__import__('os').system('echo hi')"])
    assert bad.exit_code == 2 and "refused" in bad.output


def test_rules_list_show_add(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert RUN.invoke(app, ["init", "--db", db]).exit_code == 0
    out = RUN.invoke(app, ["rules", "list", "--db", db])
    assert out.exit_code == 0 and "HIGH_PREMIUM" in out.output and "BELOW_90" in out.output
    show = RUN.invoke(app, ["rules", "show", "BELOW_90", "--db", db])
    assert show.exit_code == 0 and "SASAC12.90pct" in show.output
    f = tmp_path / "r.yaml"
    f.write_text("id: HIGH_PREMIUM\nseverity: warning\ncondition: premium_ratio >= threshold\n"
                 "params: {threshold: 0.8}\nmessage_zh: 增值率 {premium_ratio:.0%}\nmessage_en: premium {premium_ratio:.0%}\n"
                 "references: [EXCH.premium100]\n", "utf-8")
    add = RUN.invoke(app, ["rules", "add", str(f), "--note", "lower threshold", "--db", db])
    assert add.exit_code == 0 and "v2" in add.output
    f.write_text("id: EVIL\nseverity: warning\ncondition: open('x') == 1\nmessage_zh: a\nmessage_en: b\n"
                 "references: [ENG.default]\n", "utf-8")
    bad = RUN.invoke(app, ["rules", "add", str(f), "--note", "x", "--db", db])
    assert bad.exit_code == 2
    assert RUN.invoke(app, ["rules", "show", "EVIL", "--db", db]).exit_code == 3
