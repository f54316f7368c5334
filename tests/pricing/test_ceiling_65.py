"""Issue 17 item 6: the 65号 ceiling comes from the standards library; caps rounded down to a unit."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from valuation import api
from valuation.cli import app
from valuation.pricing.ceiling import premium_ceiling, round_down

ROOT = Path(__file__).resolve().parents[2]


def f7(items=None, **period) -> dict:
    p = {"allowed_cost": 800, "profit_base": 2000, "cgb10y": 0.017, "taxes": 30}
    p.update(period)
    return {"product": {"product_id": "F7", "name": "F7", "period": p,
                        "items": items or [{"item_id": "api", "use_category": "industry", "unit": "per_call",
                                            "expected_volume": 100}]}}


def test_a_request_for_a_10pp_premium_is_capped_at_the_library_ceiling_and_flagged():
    r = api.price(f7(premium_cap=0.10), library="seed")
    # 1.7 % + min(10 %, 6 %) = 7.7 %; profit 2000 × 7.7 % = 154; MAR = 800 + 154 + 30 = 984
    assert r["premium_cap"] == pytest.approx(0.06, abs=1e-12)
    assert r["rate_cap"] == pytest.approx(0.077, abs=1e-12) and r["mar"] == pytest.approx(984.0, abs=1e-9)
    f = next(x for x in r["flags"] if x["code"] == "PREMIUM_CAP_BREACH")
    assert f["value"] == 0.10 and f["limit"] == 0.06 and f["references"] == ["NDRC2025-65.profit"]
    assert "10.00%" in f["message_zh"] and "6.00%" in f["message_en"]
    step = next(s for s in r["trace"] if s["step"] == "premium_cap")
    assert step["inputs"]["premium_cap_requested"] == 0.10 and step["inputs"]["ceiling"] == 0.06
    assert step["inputs"]["ceiling_source"]["standard"] == "NDRC2025-65.profit"


def test_a_lower_premium_is_allowed_without_a_flag():
    r = api.price(f7(premium_cap=0.03), library="seed")
    # 2000 × (1.7 % + 3 %) = 94 → MAR 924
    assert r["rate_cap"] == pytest.approx(0.047, abs=1e-12) and r["mar"] == pytest.approx(924.0, abs=1e-9)
    assert not any(x["code"] == "PREMIUM_CAP_BREACH" for x in r["flags"])


def test_the_ceiling_is_versioned_in_the_standards_library(tmp_path):
    store = api.open_library(f"sqlite:///{tmp_path / 'lib.db'}", init=True)
    std = dict(store.get("standards", "NDRC2025-65.profit").content)
    assert premium_ceiling(api.snapshot(store))[0] == 0.06
    std["limits"] = {"premium_over_cgb10y_max": 0.05, "unit": "ratio"}
    store.put("standards", "NDRC2025-65.profit", std, author="t", note="stricter reading",
              base_version=store.get("standards", "NDRC2025-65.profit").version)
    r = api.price(f7(premium_cap=0.06), library=store)
    assert r["rate_cap"] == pytest.approx(0.067, abs=1e-12)      # 1.7 % + 5 %, the request cannot raise it
    assert any(x["code"] == "PREMIUM_CAP_BREACH" for x in r["flags"])


def test_caps_are_rounded_down_to_the_stated_unit_and_shown():
    items = [{"item_id": "call", "use_category": "industry", "unit": "per_call", "expected_volume": 1400,
              "cost_share": 0.5},
             {"item_id": "year", "use_category": "sector", "unit": "per_period", "expected_volume": 7,
              "cost_share": 0.5}]
    r = api.price(f7(items), library="seed")
    call, year = r["items"]
    # 984 × 0.5 / 1400 = 0.35142857… → 0.3514 per call (4 decimals, down)
    assert call["cap"] == 0.3514 and call["cap_rounding"]["cap_unrounded"] == pytest.approx(492 / 1400, abs=1e-15)
    assert call["cap_rounding"]["unit"] == 0.0001 and call["cap_rounding"]["mode"] == "down"
    # 984 × 0.5 / 7 = 70.2857142… → 70.28 (0.01 CNY, down)
    assert year["cap"] == 70.28 and year["cap_rounding"]["unit"] == 0.01
    st_ = next(s for s in r["trace"] if s["step"] == "cap:call")
    assert st_["value"] == 0.3514 and "0.0001" in st_["note_en"]
    assert r["revenue_at_caps"] <= r["mar"]


def test_round_down_is_decimal_exact():
    assert round_down(0.246, 0.0001) == 0.246          # 0.246 / 0.0001 is 2459.999… in binary
    assert round_down(0.7028571428, 0.0001) == 0.7028
    assert round_down(123000.0, 0.01) == 123000.0
    assert round_down(0.019999, 0.01) == 0.01


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e7), st.sampled_from(["per_call", "per_period", "per_product"])),
                min_size=1, max_size=4),
       st.floats(0, 1e8), st.floats(0, 1e8))
def test_rounded_caps_never_exceed_the_mar(vols, cost, base):
    items = [{"item_id": f"i{k}", "use_category": "industry", "unit": u, "expected_volume": v}
             for k, (v, u) in enumerate(vols)]
    r = api.price(f7(items, allowed_cost=cost, profit_base=base), library="seed")
    assert r["revenue_at_caps"] <= r["mar"] * (1 + 1e-12) + 1e-9
    for it in r["items"]:
        assert it["cap"] <= it["cap_rounding"]["cap_unrounded"]


def test_cli_price_caps_a_10pp_premium(tmp_path):
    prod = json.loads((ROOT / "examples" / "product_public_data.json").read_text("utf-8"))
    prod["product"]["period"]["premium_cap"] = 0.10
    p = tmp_path / "p.json"
    p.write_text(json.dumps(prod, ensure_ascii=False), "utf-8")
    r = CliRunner().invoke(app, ["price", str(p), "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    # 20,000,000 × (1.7 % + 6 %) = 1,540,000 → MAR 9,840,000 as with the default premium
    assert d["rate_cap"] == pytest.approx(0.077) and d["mar"] == 9_840_000.0
    assert "PREMIUM_CAP_BREACH" in [f["code"] for f in d["flags"]]
