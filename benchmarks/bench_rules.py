"""Benchmark: 30 rules over N assets (default 10^6) with the whitelisted compiler, and the rules
step of a single appraisal (facts from the asset table and the results, evaluation, flags with
their messages) on each example card.

Prints compile time, evaluation time and rows per second; per card, the median time of the
rules step and its Python function calls (cProfile; the figure to compare on a shared machine).
Run:
    .venv/bin/python benchmarks/bench_rules.py [--n N] [--repeat R]
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import json
import pstats
import statistics
import time
from pathlib import Path

import numpy as np

from valuation.rules import compile_rules, load_seed_rules
from valuation.rules.facts import FACTS


def facts_table(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {}
    for k, (t, _, _) in FACTS.items():
        if t == "number":
            v = rng.normal(0.5, 1.0, n)
            v[rng.random(n) < 0.05] = np.nan
            cols[k] = v
        elif t == "bool":
            cols[k] = rng.random(n) < 0.1
        else:
            cols[k] = rng.choice(np.array(["soe", "enterprise", "administrative", "public_governance", "industry"],
                                          dtype=object), n)
    cols["days_since_valuation"] = rng.integers(0, 800, n).astype(float)
    return cols


def thirty_rules() -> list[dict]:
    seed = load_seed_rules()
    extra = []
    for i in range(30 - len(seed)):
        extra.append({"id": f"BENCH_{i}", "severity": "info",
                      "condition": f"premium_ratio * {1 + i / 10} > discount_rate + {i / 20} and not pledged "
                                   f"or holder_type in ('soe', 'administrative') and abs(change_since_previous) > {i / 10}",
                      "message_zh": "基准测试规则", "message_en": "benchmark rule", "references": ["ENG.default"]})
    return seed + extra


def card_step(repeat: int) -> None:
    """The engine's rules step on each example card: median time and function calls."""
    from valuation import api, engine
    from valuation.core.portfolio import Portfolio

    snap = api.snapshot("seed")
    cards = sorted((Path(__file__).resolve().parents[1] / "examples" / "cards").glob("*.json"))
    times, calls = [], []
    for p in cards:
        pf = Portfolio.from_cards([json.loads(p.read_text(encoding="utf-8"))])
        ev = engine.evaluate(pf, snap)
        step = functools.partial(engine._flags, pf, ev.frame, ev.methods, snap, None)
        step()
        for _ in range(repeat):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        prof = cProfile.Profile()
        prof.runcall(step)
        calls.append(pstats.Stats(prof).total_calls)
    print(f"rules step of one card: median {statistics.median(times) * 1e3:.3f} ms over {len(cards)} example "
          f"cards × {repeat}; {statistics.mean(calls):,.0f} function calls a card")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    n = args.n
    card_step(args.repeat)
    t0 = time.perf_counter()
    facts = facts_table(n)
    t1 = time.perf_counter()
    rs = compile_rules(thirty_rules())
    t2 = time.perf_counter()
    hits = rs.evaluate(facts, n)
    t3 = time.perf_counter()
    print(f"facts table: {n} rows × {len(facts)} facts in {t1 - t0:.2f} s")
    print(f"compile: {len(rs.rules)} rules in {(t2 - t1) * 1000:.1f} ms")
    print(f"evaluate: {len(rs.rules)} rules × {n} assets in {t3 - t2:.2f} s "
          f"({n / (t3 - t2):,.0f} assets/s, {len(hits):,} hits)")


if __name__ == "__main__":
    main()
