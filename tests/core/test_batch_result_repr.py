"""BatchResult prints as a summary line (not an object address) and has a reader's frame."""
import json
from pathlib import Path

from valuation import api

ROOT = Path(__file__).resolve().parents[2]


def test_batch_result_repr_and_frame():
    cards = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples/cards").glob("E0[12]*.json"))]
    b = api.appraise_many(cards + [{"asset": {}}], library="seed")
    r = repr(b)
    assert r.startswith("BatchResult(assets=2, with_estimate=2, ") and " at 0x" not in r
    assert "failures=0" not in r                        # the empty card is a failure
    fr = b.to_frame()
    assert list(fr.index) == ["E01-TRANS-2025", "E02-REG-2025"] and fr.index.name == "asset_id"
    assert fr.loc["E01-TRANS-2025", "estimate"] == api.appraise(cards[0], library="seed").estimate
    assert fr.loc["E01-TRANS-2025", "flags"] == "METHOD_DIVERGENCE" and bool(fr.loc["E01-TRANS-2025", "final"])
    assert {"cost_estimate", "income_weight", "market_applicable"} <= set(fr.columns)
    empty = api.BatchResult(None, [])
    assert repr(empty) == "BatchResult(assets=0, with_estimate=0, flagged=0, failures=0)"
    assert empty.to_frame().empty
