"""Record the outputs of every example card (estimate, range, per-approach values, flags).

Used to list each changed number in CHANGELOG.md when a policy change moves them (issue 17):

    PYTHONPATH=$PWD python scripts/example_outputs.py > before.json
    ... change ...
    PYTHONPATH=$PWD python scripts/example_outputs.py --diff before.json

The valuation is pinned (``as_of`` = the card's valuation date) so that staleness does not move.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from valuation import api

ROOT = Path(__file__).resolve().parents[1]


def outputs() -> dict[str, dict]:
    out: dict[str, dict] = {}
    paths = sorted((ROOT / "examples" / "cards").glob("*.json")) + [ROOT / "examples" / "interchange_example.json"]
    for p in paths:
        card = json.loads(p.read_text(encoding="utf-8"))
        as_of = dt.date.fromisoformat(card["engagement"]["valuation_date"])
        r = api.appraise(card, library="seed", trace=False, as_of=as_of).to_dict()
        out[p.name] = {
            "status": r["status"], "estimate": r["estimate"], "low": r["low"], "high": r["high"],
            "currency": r["currency"], "final": r["final"],
            "methods": {m: {"applicable": d.get("applicable"), "estimate": d.get("estimate"),
                            "low": d.get("low"), "high": d.get("high")}
                        for m, d in r["methods"].items()},
            "flags": [f"{f['code']}:{f['severity']}" for f in r["flags"]],
        }
    prod = ROOT / "examples" / "product_public_data.json"
    r = api.price(json.loads(prod.read_text(encoding="utf-8")), library="seed")
    out[prod.name] = json.loads(json.dumps(r, ensure_ascii=False, default=str))
    return out


def _walk(a: object, b: object, path: str, lines: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            _walk(a.get(k), b.get(k), f"{path}.{k}" if path else k, lines)
    elif a != b:
        lines.append(f"{path}: {a!r} -> {b!r}")


def main(argv: list[str]) -> None:
    now = outputs()
    if len(argv) >= 2 and argv[0] == "--diff":
        before = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        lines: list[str] = []
        _walk(before, now, "", lines)
        print("\n".join(lines) or "no change")
    else:
        print(json.dumps(now, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
