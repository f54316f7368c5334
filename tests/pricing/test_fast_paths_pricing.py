"""The pricing layer's fast paths give what the general pandas paths give (values, dtypes,
block layout), on the example cards and variants."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.core.portfolio import Portfolio
from valuation.pricing._sampling import _take_rows

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))


def _portfolio() -> Portfolio:
    cards = [json.loads(p.read_text("utf-8")) for p in CARDS]
    return Portfolio.from_cards(cards)


def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want)
    assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
    assert [b.mgr_locs.as_array.tolist() for b in got._mgr.blocks] == \
        [b.mgr_locs.as_array.tolist() for b in want._mgr.blocks]


@pytest.mark.parametrize("pos", [[0, 0, 0], [3, 1, 1, 5, 0], list(range(6))[::-1], []])
def test_take_rows_is_iloc(pos):
    pf = _portfolio()
    pos = np.asarray(pos, dtype=np.intp)
    index = pd.Index([f"r{k}" for k in range(len(pos))], name="asset_id")
    frames = [pf.assets, *pf.series.values()] + [r for r in pf.records.values() if len(r)]
    for fr in frames:
        p = pos % len(fr) if len(fr) else pos[:0]
        want = fr.iloc[p]
        want.index = index[:len(p)]
        _same_frame(_take_rows(fr, p, index[:len(p)]), want)


def test_take_rows_gives_new_data():
    pf = _portfolio()
    out = _take_rows(pf.assets, np.array([0, 1]), pd.Index(["a", "b"], name="asset_id"))
    before = pf.assets["income_discount_rate"].to_numpy(copy=True)
    out["income_discount_rate"] = 99.0
    out.iloc[0, out.columns.get_loc("valuation_date")] = pd.Timestamp("2001-01-01")
    np.testing.assert_array_equal(pf.assets["income_discount_rate"].to_numpy(), before)
