"""`valuation price PRODUCT.json` prints the 65号 result (json | text), exit code 0."""
import json
from pathlib import Path

from typer.testing import CliRunner

from valuation.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "product_public_data.json")
runner = CliRunner()


def test_price_json():
    r = runner.invoke(app, ["price", EXAMPLE, "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["mar"] == 9_840_000.0 and d["provenance"]["input_hash"]
    assert [i["free"] for i in d["items"]] == [False, False, True]


def test_price_text_both_languages():
    zh = runner.invoke(app, ["price", EXAMPLE])
    en = runner.invoke(app, ["price", EXAMPLE, "--lang", "en"])
    assert zh.exit_code == 0 and en.exit_code == 0
    assert "最高准许收入" in zh.output and "9,840,000.00" in zh.output and "0.2460" in zh.output
    assert "Maximum allowed revenue" in en.output and "REVENUE_ABOVE_MAR" in en.output


def test_price_bad_input_exit_2(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"product": {"product_id": "x", "name": "x", "items": [], "period": {}}}),
                 encoding="utf-8")
    r = runner.invoke(app, ["price", str(p), "--format", "json"])
    assert r.exit_code == 2
    assert "product.period.allowed_cost" in r.output


def test_price_text_formats_amounts_and_cites_documents():
    zh = runner.invoke(app, ["price", EXAMPLE]).output
    # MAR 9,840,000 元 written through core.formatting; the flag names 《…》, not the code
    assert "最高准许收入 MAR：9,840,000.00 元" in zh
    assert "依据：《关于建立公共数据资源授权运营价格形成机制的通知》" in zh and "NDRC2025-65.review" not in zh
    en = runner.invoke(app, ["price", EXAMPLE, "--lang", "en"]).output
    assert "Maximum allowed revenue (MAR): CNY 9,840,000.00" in en
