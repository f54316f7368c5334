"""The asset table of cards built a storage kind at a time (core/card_columns.py): a card's
row does not depend on the other cards, the columns are read-only, and a label outside its
enumeration is refused naming field, value and row."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from valuation.core.columns import AssetTable, asset_specs
from valuation.core.errors import ValidationError
from valuation.core.validate import check_document

ROOT = Path(__file__).resolve().parents[2]
CARDS = [check_document(json.loads(p.read_text("utf-8")))[0]
         for p in sorted((ROOT / "examples" / "cards").glob("*.json"))]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and all(x == y or (x != x and y != y) for x, y in zip(a.tolist(), b.tolist()))


def test_each_row_is_the_card_alone():
    many = AssetTable.from_cards(CARDS, checked=True)
    assert [s.name for s in asset_specs()] == list(many.columns)       # the schema's order
    for i, card in enumerate(CARDS):
        one = AssetTable.from_cards([card], checked=True)
        for name in many.columns:
            assert _same(many[name][i:i + 1], one[name]), (card["asset"]["asset_id"], name)


def test_columns_are_read_only_one_dimensional_arrays():
    t = AssetTable.from_cards(CARDS[:2], checked=True)
    for name, a in t.columns.items():
        assert a.shape == (2,) and not a.flags.writeable, name
    with pytest.raises(ValueError):
        t["cost_direct"][0] = 1.0


def test_label_outside_its_enumeration_names_field_value_and_row():
    # validated cards never carry one; a card that skipped validation is still refused
    bad = json.loads(json.dumps(CARDS[1]))
    bad["asset"]["rights"] = {**(bad["asset"].get("rights") or {}), "type": "lease"}
    with pytest.raises(ValidationError) as e:
        AssetTable.from_cards([CARDS[0], bad], checked=True)
    issue = e.value.issues[0]
    assert (issue.field, issue.value, issue.row) == ("asset.rights.type", "lease", 1)
    assert "holding" in issue.allowed


def test_no_cards_no_rows():
    t = AssetTable.from_cards([], checked=True)
    assert len(t) == 0 and all(len(a) == 0 for a in t.columns.values())
