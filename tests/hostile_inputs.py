"""Hostile and careless inputs of issue 18 (the input gate's classes), shared by the tests of
every face (CLI ``tests/core/test_hostile_cli_api.py``, API, HTTP
``tests/service/test_service_hostile.py``).

``TEXT_CASES``: name → the raw bytes of a card file / request body. ``API_CASES``: name → a
Python object handed to ``valuation.api``. Each must be refused with the bilingual validation
error naming ``field`` (a path that contains the given text): exit code 2, HTTP 4xx.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CARD: dict[str, Any] = json.loads((ROOT / "examples" / "interchange_example.json").read_text(encoding="utf-8"))


def card(**changes: Any) -> dict[str, Any]:
    """The example card with ``section__key=value`` changes (``asset__rights__term_end``)."""
    c = copy.deepcopy(CARD)
    for path, v in changes.items():
        *head, last = path.split("__")
        d = c
        for k in head:
            d = d.setdefault(k, {})
        d[last] = v
    return c


def _text(c: dict[str, Any]) -> str:
    return json.dumps(c, ensure_ascii=True)


def _replace(old: str, new: str, c: dict[str, Any] | None = None) -> bytes:
    t = _text(c or CARD)
    assert old in t, old
    return t.replace(old, new, 1).encode()


_ID = json.dumps(CARD["asset"]["asset_id"])

#: name → (raw bytes, a text the refused field's path contains)
TEXT_CASES: dict[str, tuple[bytes, str]] = {
    "deep nesting": (b'{"asset": ' + b"[" * 5000 + b"]" * 5000 + b"}", ""),
    "deep objects": (('{"asset": ' + '{"a": ' * 200 + "1" + "}" * 200 + "}").encode(), "asset"),
    "lone surrogate": (_replace(_ID, '"A\\ud800"'), "asset.asset_id"),
    "lone surrogate in free text": (_text(card(asset__description="x")).replace(
        '"description": "x"', '"description": "\\udfff"').encode(), "asset.description"),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ""),
    "5000-digit integer": (_replace('"seed": 20231001', '"seed": ' + "9" * 5000,
                                    card(engagement__seed=20231001)), "engagement.seed"),
    "NUL in an identifier": (_replace(_ID, '"A\\u0000B"'), "asset.asset_id"),
    "control character in a name": (_text(card(asset__name="a\u0007b")).encode(), "asset.name"),
    "bidi override in a name": (_text(card(asset__name="abc\u202edef")).encode(), "asset.name"),
    "duplicate section": (_text(CARD)[:-1].encode() + b', "engagement": {"valuation_date": "2020-01-01"}}',
                          "engagement"),
    "duplicate key": (_replace('"engagement": {', '"engagement": {"seed": 1, "seed": 2, '), "engagement.seed"),
    "seed 2^64": (_text(card(engagement__seed=2 ** 64)).encode(), "engagement.seed"),
    "seed 2^53": (_text(card(engagement__seed=2 ** 53)).encode(), "engagement.seed"),
    "unknown currency": (_text(card(engagement__currency="XYZ")).encode(), "engagement.currency"),
    "rights term ends before it starts": (_text(card(asset__rights__term_start="2026-01-01",
                                                     asset__rights__term_end="2025-01-01")).encode(),
                                          "asset.rights.term_end"),
    "thousands of scenarios": (_text(card(income__scenarios=[
        {"name": f"s{i}", "share": 1 / 3000, "income": [1.0] * 5} for i in range(3000)])).encode(),
                               "income.scenarios"),
    "long history": (_text(card(income__history={"values": [1.0 + i for i in range(5000)]})).encode(),
                     "income.history.values"),
    "NaN": (_replace('"seed": 20231001', '"seed": NaN', card(engagement__seed=20231001)), ""),
}

def _deep(n: int) -> Any:
    x: Any = 1
    for _ in range(n):
        x = [x]
    return x


#: name → (object, a text the refused field's path contains)
API_CASES: dict[str, tuple[Any, str]] = {
    "deep nesting": (card(asset__description=_deep(10_000)), "asset.description"),
    "lone surrogate": (card(asset__name="a\ud800"), "asset.name"),
    "400-digit integer": (card(engagement__seed=10 ** 400), "engagement.seed"),
    "5000-digit integer": (card(asset__records=10 ** 5000), "asset.records"),
    "control character in an id": (card(asset__asset_id="A\x1bB"), "asset.asset_id"),
    "seed 2^64": (card(engagement__seed=2 ** 64), "engagement.seed"),
    "unknown currency": (card(engagement__currency="XYZ"), "engagement.currency"),
    "rights term ends before it starts": (card(asset__rights__term_start="2026-01-01",
                                               asset__rights__term_end="2025-01-01"), "asset.rights.term_end"),
    "a 20 MB text": (card(asset__description="x" * 20_000_000), "asset.description"),
    "too many comparables": (card(market__comparables=[{"price": 1.0}] * 5000), "market.comparables"),
    "too many cost lines": (card(cost__lines=[{"category": "direct", "amount": 1.0}] * 50_000), "cost.lines"),
    "a stream of 10,000 periods": (card(income__revenue=[1.0] * 10_000), "income.revenue"),
}
