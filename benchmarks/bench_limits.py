"""CPU time of the largest requests the schema's limits allow (docs/SECURITY.md "Bounded work").

Builds the largest card the schema table admits — every list that drives computation at its
``MAX_ITEMS`` (income scenarios × 50 periods, a 100-point monthly revenue history to forecast,
comparables, cost lines, quality sub-indicators, contributory assets) — and the largest
synchronous HTTP batch (``Settings.max_batch`` plain cards plus ``max_batch_forecasts`` cards
with a history), appraises each through ``valuation.api`` after one warm-up call, and prints
the process CPU time of each. The budget these limits are chosen for is about one second of
CPU per request on the 2-core reference machine.

Usage::

    .venv/bin/python benchmarks/bench_limits.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# One BLAS thread, as an appraisal wants: its matrices are small, and spare BLAS threads only
# spin (on a loaded 2-core machine they multiplied the CPU time of a history forecast by 4-8).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from valuation.core.schema import DEFAULT_MAX_ITEMS, MAX_ITEMS  # noqa: E402

BASE = ROOT / "examples" / "interchange_example.json"
_INDICATORS = ("N1", "N2", "N3", "C1", "C2", "C3", "A1", "A2", "A3", "K1", "K2", "K3",
               "T1", "T2", "T3", "S1", "S2", "S3", "S4", "S5")


def largest_card(variant: int = 0, *, shape: str = "history") -> dict[str, Any]:
    """The largest card the schema's limits allow.

    ``shape="history"``: the income approach forecasts a monthly revenue history of the
    maximum length over the maximum 50 periods (the dearest step); ``"scenarios"``: the most
    application scenarios × 50 periods instead. Both carry the most comparables, cost lines,
    quality sub-indicators and contributory assets. ``variant`` makes the numbers distinct, so
    no cache answers one variant for another.
    """
    c = json.loads(BASE.read_text(encoding="utf-8"))
    c["asset"]["asset_id"] = f"LIMIT-{variant}"
    periods = DEFAULT_MAX_ITEMS
    inc: dict[str, Any] = {
        "model": "direct", "periods": periods, "discount_rate": 0.12, "tax_rate": 0.25,
        "income_basis": "post_tax", "rate_basis": "post_tax", "timing": "mid",
        "terminal_growth": 0.02,
        "contributory": [{"asset_class": "fixed_assets", "rate": 0.08, "revenue_share": 0.001}
                         for _ in range(MAX_ITEMS["income.contributory"])]}
    if shape == "history":
        n = MAX_ITEMS["income.history.values"]
        inc["history"] = {"values": [1e6 * (1.01 ** i) * (1 + 0.05 * ((i * 7 + variant) % 11) / 11)
                                     for i in range(n)], "frequency": "monthly", "margin": 0.2}
    else:
        n = MAX_ITEMS["income.scenarios"]
        inc["scenarios"] = [{"name": f"S{k}", "share": 1.0 / n, "discount_rate": 0.1 + k * 1e-3,
                             "income": [1e4 + k + t + variant for t in range(periods)]}
                            for k in range(n)]
    c["income"] = inc
    c["market"] = {"price_mode": "one_off", "comparables": [
        {"case_id": f"C{i}", "price": 1e6 * (1 + (i % 17) / 10) + variant, "quality": 60 + i % 40,
         "date_index": 95 + i % 10, "records": 1e5 * (1 + i % 9)}
        for i in range(MAX_ITEMS["market.comparables"])]}
    c["cost"] = {"lines": [{"category": ("preliminary", "direct", "indirect")[i % 3],
                            "amount": 1000.0 + i + variant, "date_incurred": "2024-06-30",
                            "price_index": 98.0 + i % 5}
                           for i in range(MAX_ITEMS["cost.lines"])]}
    c["asset"].setdefault("quality", {})["indicators"] = [
        {"indicator": _INDICATORS[i % len(_INDICATORS)], "a": 80 + i % 20, "b": 100}
        for i in range(MAX_ITEMS["asset.quality.indicators"])]
    return c


def largest_batch(max_batch: int = 1000, forecasts: int = 1) -> list[dict[str, Any]]:
    """The largest synchronous batch: ``max_batch`` cards, ``forecasts`` of them with a history."""
    plain = json.loads(BASE.read_text(encoding="utf-8"))
    cards = []
    for i in range(max_batch):
        if i < forecasts:
            c = largest_card(i)
        else:
            c = copy.deepcopy(plain)
            c["asset"]["asset_id"] = f"B-{i}"
        cards.append(c)
    return cards


def _cpu(fn: Any) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000, help="Settings.max_batch")
    ap.add_argument("--forecasts", type=int, default=1, help="Settings.max_batch_forecasts")
    args = ap.parse_args(argv)
    from valuation import api

    api.appraise(json.loads(BASE.read_text(encoding="utf-8")), library="seed")    # warm-up
    k = 1000
    for shape in ("history", "scenarios"):
        cpus = []
        for _ in range(args.repeat):
            k += 1
            card = largest_card(k, shape=shape)
            cpus.append(_cpu(lambda card=card: api.appraise(card, library="seed")))
        print(f"largest card [{shape}]: cpu {max(cpus):.3f} s (max of {args.repeat}; "
              f"min {min(cpus):.3f} s)")
    cards = largest_batch(args.batch, args.forecasts)
    out: list[Any] = []
    cpu = _cpu(lambda: out.append(api.appraise_many(cards, library="seed", trace=False)))
    print(f"largest batch: {len(cards)} cards ({args.forecasts} with history) cpu {cpu:.3f} s, "
          f"{len(out[0].failures)} failed")


if __name__ == "__main__":
    main()
