"""Benchmark: revenue sharing games.

1. Exact Shapley for N participants (default 20) with a vectorised value function: the
   2**N coalition values are built as arrays (the synergy model, v(S) = Σ standalone + Σ pair
   synergies) and the Shapley value by enumeration over bitmasks; the error against the
   closed form φ_i = standalone_i + ½ Σ synergies of i is printed too.
2. Permutation sampling for M participants (default 100): accuracy (largest |φ̂ − φ| and the
   stated standard error) against time for growing numbers of random orders.

Run:  .venv/bin/python benchmarks/bench_sharing.py [--n 20] [--m 100] [--orders 200 1000 5000 20000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from valuation.sharing.games import shapley_exact, shapley_sampling
from valuation.sharing.valuemodels import table_from_function, value_function


def synergy_game(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    sa = rng.uniform(1e5, 1e6, n)
    a, b = rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n)
    keep = a != b
    w = rng.uniform(1e4, 5e5, keep.sum())
    model = {"kind": "synergy", "standalone": dict(zip(ids, sa.tolist())),
             "pairs": [{"members": [ids[i], ids[j]], "value": float(x)} for i, j, x in zip(a[keep], b[keep], w)]}
    exact = sa.copy()
    np.add.at(exact, a[keep], w / 2)
    np.add.at(exact, b[keep], w / 2)
    return value_function(model, ids, ["x"] * n), exact


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20, help="participants for exact Shapley")
    ap.add_argument("--m", type=int, default=100, help="participants for sampling")
    ap.add_argument("--orders", type=int, nargs="+", default=[200, 1000, 5000, 20000],
                    help="numbers of random orders to time")
    args = ap.parse_args()

    fn, exact = synergy_game(args.n)
    t0 = time.perf_counter()
    v = table_from_function(fn, args.n)
    t1 = time.perf_counter()
    phi = shapley_exact(v)
    t2 = time.perf_counter()
    err = float(np.abs(phi - exact).max())
    print(f"exact shapley: {args.n} participants, 2^{args.n} = {2 ** args.n:,} coalitions: "
          f"v(S) built in {t1 - t0:.3f} s, Shapley in {t2 - t1:.3f} s, total {t2 - t0:.3f} s "
          f"(max |φ − closed form| = {err:.2e}, Σφ − v(N) = {phi.sum() - v[-1]:.2e})")

    fn, exact = synergy_game(args.m, seed=1)
    scale = float(np.abs(exact).mean())
    print(f"sampling: {args.m} participants, mean |φ| = {scale:,.0f}")
    for perms in args.orders:
        t0 = time.perf_counter()
        r = shapley_sampling(fn, args.m, tolerance=0.0, max_permutations=perms, batch=200, seed=2,
                             min_permutations=perms)
        dt = time.perf_counter() - t0
        e = float(np.abs(r.values - exact).max())
        print(f"sampling: {args.m} participants, {r.permutations:>6,} orders in {dt:6.3f} s: "
              f"max |φ̂ − φ| = {e:,.0f} ({e / scale:.2%} of mean |φ|), max stated SE = "
              f"{r.std_error.max():,.0f}, within 4 SE: {bool(np.all(np.abs(r.values - exact) <= 4 * r.std_error + 1e-9 * scale))}")


if __name__ == "__main__":
    main()
