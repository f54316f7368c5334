"""Warm latency of one appraisal through the public API (``api.appraise``).

For every example card (``examples/cards/*.json`` and ``examples/interchange_example.json``)
the card is appraised once to warm the caches (snapshot, compiled rules, per-snapshot
derived data), then ``--calls`` more times; prints the median and p99 per-call latency in
milliseconds, one line per card, and a last summary line over all cards.

No I/O inside the timed calls: the cards are read before timing and the seed library is
used (``library="seed"``), so the figure is the engine's fixed per-call cost — the floor
under the HTTP service's latency.

Usage::

    .venv/bin/python benchmarks/bench_appraise.py [--calls 50] [--card examples/cards/E01_*.json]
        [--trace | --no-trace]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from valuation import api  # noqa: E402


def _cards(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    return sorted((ROOT / "examples" / "cards").glob("*.json")) + [ROOT / "examples" / "interchange_example.json"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=50, help="timed calls per card (after one warm-up)")
    ap.add_argument("--card", action="append", default=[], help="card file (repeatable); default all examples")
    ap.add_argument("--trace", action=argparse.BooleanOptionalAction, default=True,
                    help="appraise with the calculation trace (the API default)")
    a = ap.parse_args(argv)
    all_ms: list[float] = []
    for path in _cards(a.card):
        card = json.loads(path.read_text(encoding="utf-8"))
        api.appraise(card, library="seed", trace=a.trace)  # warm-up
        ms = []
        for _ in range(a.calls):
            t0 = time.perf_counter()
            api.appraise(card, library="seed", trace=a.trace)
            ms.append((time.perf_counter() - t0) * 1e3)
        arr = np.asarray(ms)
        all_ms.extend(ms)
        print(f"appraise {path.name}: median {np.median(arr):.1f} ms, p99 {np.percentile(arr, 99):.1f} ms "
              f"over {a.calls} calls")
    arr = np.asarray(all_ms)
    print(f"appraise: all cards median {np.median(arr):.1f} ms, p99 {np.percentile(arr, 99):.1f} ms "
          f"over {len(arr)} calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
