"""Warm latency of one appraisal through the public API (``api.appraise``).

For every example card (``examples/cards/*.json`` and ``examples/interchange_example.json``)
the card is appraised once to warm the caches (snapshot, compiled rules, per-snapshot
derived data), then ``--calls`` more times; prints the median and p99 per-call latency in
milliseconds, one line per card, and a last summary line over all cards.

No I/O inside the timed calls: the cards are read before timing and the seed library is
used (``library="seed"``), so the figure is the engine's fixed per-call cost — the floor
under the HTTP service's latency. ``--library default`` appraises against the default store
instead (its snapshot id resolved on every call, as ``api.appraise(card)`` does).

``--clock cpu`` times the process's CPU time (``time.process_time``) instead of the wall
clock: on a machine shared with other work, waiting for a core is then not counted (the
README's figures are wall-clock figures on an idle machine).

Usage::

    .venv/bin/python benchmarks/bench_appraise.py [--calls 50] [--card examples/cards/E01_*.json]
        [--trace | --no-trace] [--library seed|default] [--clock wall|cpu]
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
    ap.add_argument("--library", choices=("seed", "default"), default="seed",
                    help="the seed files (default) or the default library store")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall clock (default) or the process's CPU time (a shared machine)")
    a = ap.parse_args(argv)
    library = "seed" if a.library == "seed" else None
    clock = time.perf_counter if a.clock == "wall" else time.process_time
    all_ms: list[float] = []
    for path in _cards(a.card):
        card = json.loads(path.read_text(encoding="utf-8"))
        api.appraise(card, library=library, trace=a.trace)  # warm-up
        ms = []
        for _ in range(a.calls):
            t0 = clock()
            api.appraise(card, library=library, trace=a.trace)
            ms.append((clock() - t0) * 1e3)
        arr = np.asarray(ms)
        all_ms.extend(ms)
        print(f"appraise {path.name}: median {np.median(arr):.1f} ms, p99 {np.percentile(arr, 99):.1f} ms "
              f"over {a.calls} calls")
    arr = np.asarray(all_ms)
    print(f"appraise: all cards median {np.median(arr):.1f} ms, p99 {np.percentile(arr, 99):.1f} ms "
          f"over {len(arr)} calls ({a.clock} clock, library {a.library})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
