"""Back-test: ratio-study figures by hand, and the CLI on tiny DaDaDa-format fixture files."""
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from valuation.backtest import PREDICTION_COLUMNS, backtest_frames, ratio_study

COLS = ["title", "provider", "description", "update_frequency", "coverage", "dimension", "url", "category",
        "category_aws", "platform", "currency", "price_mode", "price", "volume", "size", "data_sample"]


def _rows(spec, tag):
    out = []
    for i, (title, mode, price, aws) in enumerate(spec):
        out.append({"title": title, "provider": "p", "description": "", "update_frequency": "no-update",
                    "coverage": "CN", "dimension": 0, "url": f"https://ex/{tag}/{i}", "category": "c",
                    "category_aws": aws, "platform": "Zhejiang Big Data Exchange", "currency": "RMB",
                    "price_mode": mode, "price": price, "volume": 0, "size": 0, "data_sample": ""})
    return pd.DataFrame(out, columns=COLS)


FIN, MAN = "Financial Services Data", "Manufacturing Data"


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(3)
    cases = [(f"指数数据{i}", "one-off", float(round(1000 * np.exp(rng.normal(0, 0.3)))), MAN) for i in range(10)]
    cases += [(f"核验查询{i}", "usage-based", float(round(0.3 * np.exp(rng.normal(0, 0.3)), 3)), FIN) for i in range(8)]
    cases += [("面议", "negotiation", 0.0, FIN), ("免费", "free", 0.0, FIN)]
    hold = [("指数数据A", "one-off", 1100.0, MAN), ("指数数据B", "one-off", 900.0, MAN),
            ("核验查询A", "usage-based", 0.25, FIN), ("核验查询B", "usage-based", 0.4, FIN),
            ("面议", "negotiation", 0.0, FIN), ("免费", "free", 0.0, MAN)]
    a, b = tmp_path / "cases.csv", tmp_path / "holdout.csv"
    _rows(cases, "c").to_csv(a, index=False)
    _rows(hold, "h").to_csv(b, index=False)
    return a, b


def test_ratio_study_by_hand():
    e = np.array([110.0, 90.0, 100.0, 130.0])
    a = np.array([100.0, 100.0, 100.0, 100.0])
    rs = ratio_study(e, a, trim=None)
    r = e / a
    med = np.median(r)  # 1.05
    assert rs["cod"] == pytest.approx(100 * np.mean(np.abs(r - med)) / med)
    assert rs["cod"] == pytest.approx(100 * (0.05 + 0.15 + 0.05 + 0.25) / 4 / 1.05)
    assert rs["prd"] == pytest.approx(np.mean(r) / (e.sum() / a.sum()))
    trimmed = ratio_study(np.array([1.0, 1.1, 0.9, 1000.0]), np.ones(4))
    assert trimmed["n_trimmed"] == 1 and trimmed["cod_all"] > trimmed["cod"]


def test_backtest_frames_predicts_every_priced_holdout_row(files):
    from valuation.library.cases import import_dadada

    res = backtest_frames(import_dadada(files[0]).imported, import_dadada(files[1]).imported,
                          {"hedonic_min_rows": 5, "hedonic_min_level_count": 2})
    assert res.n_holdout == 4 and res.n_predicted == 4
    p = res.predictions
    assert set(p["price_mode"]) == {"one_off", "per_call"}
    assert (p["low"] <= p["estimate"]).all() and (p["estimate"] <= p["high"]).all()
    # per-call estimates stay per call: never mixed with the one-off prices
    assert (p.loc[p["price_mode"] == "per_call", "high"] < 10).all()
    assert 0 <= res.coverage <= 1 and np.isfinite(res.mdale) and np.isfinite(res.mdale_baseline)


def test_backtest_cli_writes_prediction_csv_with_exact_columns(files, tmp_path):
    from valuation.cli import app

    out = tmp_path / "pred.csv"
    r = CliRunner().invoke(app, ["backtest", "--cases", str(files[0]), "--holdout", str(files[1]),
                                 "--format", "dadada", "--predictions", str(out), "--lang", "en"])
    assert r.exit_code == 0, r.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == PREDICTION_COLUMNS == ["url", "title", "price_mode", "actual", "estimate", "low", "high"]
    assert len(pred) == 4 and (pred["actual"] > 0).all()
    assert "coverage" in r.output and "COD" in r.output and "baseline" in r.output


def test_backtest_command_takes_several_paths_after_one_flag(files, tmp_path):
    """The documented form ``--cases PATH... --holdout PATH...`` works from the real command."""
    import subprocess
    import sys

    c2, h2 = tmp_path / "cases2.csv", tmp_path / "holdout2.csv"
    pd.read_csv(files[0]).iloc[:6].to_csv(c2, index=False)
    # other products (another url and title: the same title at the same price would be a
    # duplicate listing, imported once)
    pd.read_csv(files[1]).iloc[:2].assign(url=lambda d: d["url"] + "-2", title=lambda d: d["title"] + "乙"
                                          ).to_csv(h2, index=False)
    out = tmp_path / "pred.csv"
    p = subprocess.run([sys.executable, "-m", "valuation", "backtest", "--cases", str(files[0]), str(c2),
                        "--holdout", str(files[1]), str(h2), "--format", "dadada", "--predictions", str(out),
                        "--lang", "en"], capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "cases: read 26 rows" in p.stdout and "hold-out: read 8 rows" in p.stdout
    assert len(pd.read_csv(out)) == 6        # 4 + 2 priced hold-out rows


def test_expand_multi_values():
    from valuation.cli import expand_multi_values as ex

    assert ex(["backtest", "--cases", "a", "b", "--holdout", "c", "--format", "dadada"]) == [
        "backtest", "--cases", "a", "--cases", "b", "--holdout", "c", "--format", "dadada"]
    assert ex(["backtest", "--cases", "a", "--cases", "b"]) == ["backtest", "--cases", "a", "--cases", "b"]
    assert ex(["appraise", "--cases", "a", "b"]) == ["appraise", "--cases", "a", "b"]


def test_backtest_cli_refuses_missing_file(tmp_path):
    from valuation.cli import app

    r = CliRunner().invoke(app, ["backtest", "--cases", str(tmp_path / "nope.csv"), "--holdout",
                                 str(tmp_path / "nope.csv")])
    assert r.exit_code == 2


def test_cases_import_and_list_cli(files, tmp_path):
    from valuation.cli import app

    db = f"sqlite:///{tmp_path / 'lib.db'}"
    r = CliRunner().invoke(app, ["cases", "import", "--format", "dadada", str(files[0]), "--db", db, "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "read 20 rows: imported 18, skipped 2" in r.output and "created 18" in r.output
    r = CliRunner().invoke(app, ["cases", "list", "--db", db, "--lang", "en", "--price-mode", "per_call"])
    assert r.exit_code == 0 and "8 cases" in r.output


def test_backtest_tables_per_mode_and_exchange_with_the_naive_median_by_hand(files, tmp_path):
    """``--tables`` writes the per-mode / per-exchange tables; the naive baseline is the median
    price of the same exchange, category and mode of the cases (by hand below)."""
    import json

    from valuation.cli import app
    from valuation.library.cases import import_dadada

    prefix = tmp_path / "bt"
    r = CliRunner().invoke(app, ["backtest", "--cases", str(files[0]), "--holdout", str(files[1]),
                                 "--format", "dadada", "--tables", str(prefix), "--lang", "en"])
    assert r.exit_code == 0, r.output
    by_mode = pd.read_csv(f"{prefix}_by_mode.csv").set_index("price_mode")
    by_ex = pd.read_csv(f"{prefix}_by_exchange.csv")
    doc = json.loads((tmp_path / "bt.json").read_text("utf-8"))
    assert set(doc) >= {"figures", "overall", "by_mode", "by_exchange"}
    assert list(by_ex["platform"]) == ["Zhejiang Big Data Exchange"] and by_ex["n"].iloc[0] == 4
    for col in ("n", "coverage", "mdale", "meanale", "mdale_naive", "meanale_naive", "median_width"):
        assert col in by_mode.columns
    # naive by hand: median of the 10 one-off case prices (all one category, one exchange)
    c = import_dadada(files[0]).imported
    med = float(np.median(c.loc[c["price_mode"] == "one_off", "price"]))
    want = np.median(np.abs(np.log(med / np.array([1100.0, 900.0]))))
    assert by_mode.loc["one_off", "mdale_naive"] == pytest.approx(want, rel=1e-5)   # CSV holds 6 digits
