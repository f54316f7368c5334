"""CLI: revalue, runs list / show / diff / history (a local Typer app and the main app)."""
import json
from pathlib import Path

import pandas as pd
import typer
from batch_helpers import AS_OF, small_portfolio
from typer.testing import CliRunner

from valuation.cli.batch import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test app"""

    register(app)
    return app


def test_cli_revalue_and_runs(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'runs.db'}")
    a, recs = small_portfolio(8, seed=4)
    src = tmp_path / "pf.csv"
    a.to_csv(src, index=False)
    recs["market.comparables"].to_csv(tmp_path / "pf.market.comparables.csv", index=False)
    app = _app()
    base = ["revalue", str(src), "--db", "seed", "--workers", "1", "--as-of", AS_OF]
    r1 = runner.invoke(app, [*base, "--out", str(tmp_path / "r1.xlsx"), "--lang", "en"])
    assert r1.exit_code == 0, r1.output
    assert "8 rows, 0 rejected, 8 screened, 8 valued" in r1.output
    assert pd.read_excel(tmp_path / "r1.xlsx", sheet_name="results").shape[0] == 8
    a.loc[0, "income_royalty_rate"] = 0.5
    a.to_csv(src, index=False)
    r2 = runner.invoke(app, [*base, "--out", str(tmp_path / "r2.csv"), "--format", "json"])
    assert r2.exit_code == 0, r2.output
    s2 = json.loads(r2.output)
    assert s2["counts"]["valued"] == 8
    lst = runner.invoke(app, ["runs", "list", "--format", "json"])
    runs = json.loads(lst.output)
    assert runs[0]["id"] == s2["run_id"] and len(runs) == 2
    show = runner.invoke(app, ["runs", "show", s2["run_id"]])
    assert show.exit_code == 0 and json.loads(show.output)["counts"]["total"] == 8
    diff = runner.invoke(app, ["runs", "diff", runs[1]["id"], runs[0]["id"]])
    assert diff.exit_code == 0 and a.loc[0, "asset_id"] in diff.output
    hist = runner.invoke(app, ["runs", "history", a.loc[0, "asset_id"]])
    assert hist.exit_code == 0 and s2["run_id"] in hist.output
    missing = runner.invoke(app, ["runs", "show", "nope", "--lang", "en"])
    assert missing.exit_code == 2 and "no batch run" in missing.output
    bad = runner.invoke(app, [*base, "--out", str(tmp_path / "x.csv"), "--only", "premium", "--lang", "en"])
    assert bad.exit_code == 2 and "high-premium" in bad.output


def test_main_app_has_the_commands():
    from valuation.cli import app

    out = runner.invoke(app, ["revalue", "--help"])
    assert out.exit_code == 0 and "--scheduler" in out.output and "--resume" in out.output
    out = runner.invoke(app, ["runs", "--help"])
    assert out.exit_code == 0 and "diff" in out.output
