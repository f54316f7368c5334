"""Benchmark: the floor — a batch revaluation's arithmetic in bare numpy — against the real batch.

For N synthetic assets (default 200,000; :func:`valuation.batch.synth.synthetic_portfolio`,
3 explicit comparables each) the floor computes from prepared arrays what
:func:`valuation.batch.revalue` computes for them, with the same formulas and parameters
(the seed libraries):

* cost (CAS 2023 art. 22, ``methods/cost/kernel.py``): Q = Σ w_j s_j over the six GB/T 36344
  dimensions (weights 1/6), δ = Q / 100, C = (preliminary + direct + indirect + opportunity)
  × (1 + profit rate) + taxes (opportunity and profit rates 0 by default), P = C × δ;
  the δ band C × [max(δ (1 − z · 0.10), 0), min(δ (1 + z · 0.10), max(δ, 1))], z = Φ⁻¹(0.90);
* income (art. 21, relief from royalty, ``methods/income/kernel.py``): revenue_t = base ×
  (1 + g)^(t−1), F_t = revenue_t × royalty × (1 − tax), P = Σ_{t ≤ n} F_t (1 + i)^−t with
  n = min(periods, rights term); low / high at the rate i × (1 ± z · 0.10);
* market (art. 23, adjustment grid, ``methods/market/grid.py``): per comparable P_i = price ×
  X1 (Q_s / Q_c) × X2 × X3 (100 / I_c) × X4 (N_s / N_c) × X5 (each 1 where its inputs are missing or equal),
  equal weights, P = mean P_i; range P × exp(∓ t_{0.90, n−1} s_ln √(1 + 1/n));
* reconciliation (art. 24, ``models/reconcile.yaml``): the primary approach of the purpose
  (accounting → cost; licensing, financing → income; transfer → market) with weight 1; the
  guided range as the batch draws it at this size — the weighted mixture of the approaches'
  two-piece distributions (``pricing/uncertainty.mixture_quantiles``): assets × draws exceeds
  ``mc_max_rows`` (200,000) in every partition above 500 assets, so neither the batch nor the
  floor makes Monte Carlo draws (0 draws each); the ±10 % floating band;
* flags (``library/seed/rules.yaml``): the 10 rules whose facts the synthetic assets carry —
  HIGH_PREMIUM, HIGH_IMPAIRMENT (enterprise / SOE holders, a book value), METHOD_DIVERGENCE, VALUE_SWING,
  STALE_RESULT, INCOME_BEYOND_RIGHTS, AGGRESSIVE_ASSUMPTIONS, THIN_MARKET, QUALITY_OVER_1,
  SYNTHETIC_EVIDENCE — as boolean masks, joined into the batch's ``flags`` text (timed too).

What the floor leaves out (the batch does it): reading and validating the input against the
schema (types, bounds, enums, bilingual issues), building the Portfolio, the 11 rules whose facts
no synthetic asset has (declared / proposed prices, public data, pledges, fiscal revenue, losses —
false on every asset, but the batch evaluates them), the rules' applicability and citations,
warnings and reasons, the approaches' branches that these inputs never take (cost lines, other
δ bases, other income models, forecasts, scenarios, terminal values, attrition, library
comparables, hedonic and learned models), ragged comparables (the floor uses an (n, 3) array),
the partitioning, the run diff and writing the results file. It also checks itself: the floor's
estimate, range and flags are compared with the batch's on every asset and the largest
relative difference is printed (it should be ~1e-15; a larger one means the floor no longer
does the batch's arithmetic).

Prints the floor's and the batch's assets per second, the same ratio in CPU seconds (the
floor's process time against the batch's: its process and its worker processes, reaped when
the run closes its pool — a figure a shared machine's load distorts far less than wall time),
what share of the batch's work lies
outside the floor (read, checks, building the Portfolio, the engine beyond the floor's
arithmetic, checkpoints, writing — from the run's stage timings) and, as its LAST line,
``floor: <N> assets, floor <F> assets/s, batch <B> assets/s, batch/floor <R>×``. The line
before it is the I/O floor (:func:`io_floor`): the CPU a batch spends only reading its input
files and writing its results file, as a multiple of the floor — the part of any 3× budget that
no engine can spend on checks and formulas.
The machine may be shared: run it twice and read the figures as noisy.

Run:
    .venv/bin/python benchmarks/bench_floor.py [--n 200000] [--workers W] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special, stats

AS_OF = "2026-01-15"
QUALITY = ("normativeness", "completeness", "accuracy", "consistency", "timeliness", "accessibility")
PRIMARY = {"accounting": 0, "licensing": 1, "financing": 1, "transfer": 2}   # cost, income, market
COVERAGE, DELTA_SD, RATE_SD = 0.80, 0.10, 0.10          # reconcile.yaml, cost_cas.yaml, income_discount
INDEX_AT_VALUATION = 100.0   # the subject's date index when the card has none (methods/market/approach.py)
BAND = 0.10                                              # reconcile.yaml band_up / band_down
RULES = ("HIGH_PREMIUM", "HIGH_IMPAIRMENT", "METHOD_DIVERGENCE", "VALUE_SWING", "STALE_RESULT",
         "INCOME_BEYOND_RIGHTS", "AGGRESSIVE_ASSUMPTIONS", "THIN_MARKET", "QUALITY_OVER_1",
         "SYNTHETIC_EVIDENCE")


@dataclass(frozen=True)
class Prepared:
    """The synthetic portfolio as plain arrays (what a columnar core would hand the kernels)."""

    quality: np.ndarray           # (n, 6) dimension scores
    cost: np.ndarray              # (n, 4) preliminary, direct, indirect, taxes
    revenue: np.ndarray           # (n,) base revenue
    growth: np.ndarray            # (n,)
    royalty: np.ndarray
    tax: np.ndarray
    rate: np.ndarray
    periods: np.ndarray           # (n,) int
    rights_years: np.ndarray      # (n,) remaining rights term in years
    records: np.ndarray           # (n,)
    comp_price: np.ndarray        # (n, k)
    comp_quality: np.ndarray      # (n, k)
    comp_records: np.ndarray      # (n, k)
    comp_index: np.ndarray        # (n, k) price index at the transaction date
    primary: np.ndarray           # (n,) 0 cost, 1 income, 2 market
    enterprise_or_soe: np.ndarray  # (n,) the holders HIGH_PREMIUM and HIGH_IMPAIRMENT bind
    book: np.ndarray
    previous: np.ndarray
    days_since_valuation: np.ndarray


def prepare(assets, records) -> Prepared:
    """Arrays from the synthetic frames (not timed: the batch's reading and validation are not
    in the floor either)."""
    a = assets
    n = len(a)
    comps = records["market.comparables"]
    k = len(comps) // n
    vd = a["valuation_date"].to_numpy("datetime64[D]")
    end = a["rights_term_end"].to_numpy("datetime64[D]")
    f = lambda c: a[c].to_numpy(float)  # noqa: E731
    return Prepared(
        quality=np.column_stack([f(f"quality_{d}") for d in QUALITY]),
        cost=np.column_stack([f(f"cost_{c}") for c in ("preliminary", "direct", "indirect", "taxes")]),
        revenue=f("income_revenue_base"), growth=f("income_revenue_growth"), royalty=f("income_royalty_rate"),
        tax=f("income_tax_rate"), rate=f("income_discount_rate"), periods=a["income_periods"].to_numpy(int),
        rights_years=(end - vd).astype(float) / 365.0, records=f("records"),
        comp_price=comps["price"].to_numpy(float).reshape(n, k),
        comp_quality=comps["quality"].to_numpy(float).reshape(n, k),
        comp_records=comps["records"].to_numpy(float).reshape(n, k),
        comp_index=comps["date_index"].to_numpy(float).reshape(n, k),
        primary=np.array([PRIMARY[p] for p in a["purpose"]], dtype=np.int8),
        enterprise_or_soe=a["holder_type"].isin(["enterprise", "soe"]).to_numpy(),
        book=f("book_value"), previous=f("previous_value"),
        days_since_valuation=(np.datetime64(AS_OF) - vd).astype(float))


def _two_piece(est, low, high, cov, u):
    """pricing/uncertainty.two_piece_quantile: lognormal pieces (all positive) else normal."""
    z = special.ndtri(0.5 + cov / 2)
    zu = special.ndtri(u)
    with np.errstate(divide="ignore", invalid="ignore"):
        logq = est * np.exp(np.where(zu < 0, np.log(est / low), np.log(high / est)) / z * zu)
    linq = est + np.where(zu < 0, est - low, high - est) / z * zu
    return np.where((est > 0) & (low > 0) & (high > 0), logq, linq)


def floor(p: Prepared) -> dict[str, np.ndarray]:
    """The batch's arithmetic over the prepared arrays (see the module docstring)."""
    n = len(p.book)
    z = special.ndtri(0.5 + COVERAGE / 2)
    # cost: P = C × δ, δ = Q / 100, band P (1 ∓ z sd)
    q = p.quality @ np.full(6, 1 / 6)
    c = p.cost[:, :3].sum(axis=1) * (1.0 + 0.0) + p.cost[:, 3]
    delta = q / 100.0
    cost = c * delta
    cost_lo = c * np.maximum(delta * (1 - z * DELTA_SD), 0.0)
    cost_hi = c * np.minimum(delta * (1 + z * DELTA_SD), np.maximum(delta, 1.0))   # δ ≤ delta_max = 1
    # income: relief from royalty, end-of-period discounting over the life
    T = int(p.periods.max())
    t = np.arange(1, T + 1, dtype=float)
    life = np.minimum(p.periods, p.rights_years)
    w = np.clip(life[:, None] - (t - 1), 0.0, 1.0)                         # share of period t inside life
    flows = (p.revenue[:, None] * (1 + p.growth[:, None]) ** (t - 1)) * (p.royalty * (1 - p.tax))[:, None] * w

    def pv(rate):
        return (flows * (1 + rate[:, None]) ** -t).sum(axis=1)

    income = pv(p.rate)
    inc_lo, inc_hi = pv(p.rate * (1 + z * RATE_SD)), pv(np.maximum(p.rate * (1 - z * RATE_SD), 1e-4))
    # market: adjustment grid, equal weights, dispersion range
    x1 = q[:, None] / p.comp_quality
    x3 = INDEX_AT_VALUATION / p.comp_index
    x4 = p.records[:, None] / p.comp_records
    p_adj = p.comp_price * x1 * x3 * x4
    k = p_adj.shape[1]
    market = p_adj.mean(axis=1)
    half = stats.t.ppf(0.5 + COVERAGE / 2, k - 1) * np.log(p_adj).std(axis=1, ddof=1) * np.sqrt(1 + 1 / k)
    mkt_lo, mkt_hi = market * np.exp(-half), market * np.exp(half)
    # reconciliation: weight 1 on the primary approach; range = quantiles of the mixture
    E = np.column_stack([cost, income, market])
    L = np.column_stack([cost_lo, inc_lo, mkt_lo])
    H = np.column_stack([cost_hi, inc_hi, mkt_hi])
    r = np.arange(n)
    j = p.primary
    est = E[r, j]
    low = _two_piece(est, L[r, j], H[r, j], COVERAGE, (1 - COVERAGE) / 2)
    high = _two_piece(est, L[r, j], H[r, j], COVERAGE, (1 + COVERAGE) / 2)
    band_low, band_high = est * (1 - BAND), est * (1 + BAND)
    # flags (rules.yaml thresholds)
    spread = E.max(axis=1) / E.min(axis=1) - 1
    hits = np.column_stack([
        p.enterprise_or_soe & (est / p.book - 1 >= 1.0),                   # HIGH_PREMIUM
        p.enterprise_or_soe & (p.book > 0) & (1 - est / p.book >= 0.3),    # HIGH_IMPAIRMENT
        spread > 0.3,                                                      # METHOD_DIVERGENCE
        np.abs(est / p.previous - 1) > 0.5,                                # VALUE_SWING
        p.days_since_valuation > 365,                                      # STALE_RESULT
        life - p.rights_years > 0.0,                                       # INCOME_BEYOND_RIGHTS
        (p.growth > 0.3) | (p.rate < 0.08) | (p.royalty > 0.1) | (life > 10),  # AGGRESSIVE_ASSUMPTIONS
        (j == 2) & (k < 3),                                                # THIN_MARKET
        delta > 1,              # QUALITY_OVER_1 (the batch's x1_max fact is missing: no such column)
        np.zeros(n, bool),                                                 # SYNTHETIC_EVIDENCE (0 cases)
    ])
    return {"estimate": est, "low": low, "high": high, "band_low": band_low, "band_high": band_high,
            "cost": cost, "income": income, "market": market, "flags": flag_text(hits)}


def flag_text(hits: np.ndarray) -> np.ndarray:
    """The batch's ``flags`` column (codes sorted, joined by ';') from the hit masks: one text
    per distinct combination (a bit pattern per asset), then taken by index."""
    order = np.argsort(RULES)
    names = [RULES[i] for i in order]
    bits = hits[:, order].astype(np.int64) @ (1 << np.arange(len(RULES), dtype=np.int64))
    combos, inverse = np.unique(bits, return_inverse=True)
    texts = np.array([";".join(nm for b, nm in enumerate(names) if c >> b & 1) for c in combos.tolist()],
                     dtype=object)
    return texts[inverse]


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its reaped children (the run's
    worker processes are reaped when it closes its pool)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def outside_floor(t: dict[str, float], floor_s: float) -> str:
    """What of the batch's work is not the floor's arithmetic, as shares of the batch's
    process-seconds (serial stages of the main process + the partitions' seconds summed over
    the workers). ``value`` is the engine on the screened assets; beyond the floor's seconds it
    is the engine's own overhead (pandas carriers, per-asset Python, traces and reasons)."""
    parts = {
        "read": t.get("read", 0.0),
        "plan (table + records checks)": t.get("plan", 0.0),
        "validate (Portfolio per partition)": t.get("cpu_validate", 0.0),
        "engine beyond the floor": max(t.get("cpu_value", 0.0) - floor_s, 0.0),
        "checkpoints + history rows": t.get("checkpoint", 0.0),
        "assemble, diff, write": t.get("assemble", 0.0) + t.get("diff", 0.0) + t.get("write", 0.0),
        "history (record)": t.get("history", 0.0),
    }
    total = sum(parts.values()) + min(floor_s, t.get("cpu_value", floor_s))
    shares = ", ".join(f"{k} {v / total:.0%}" for k, v in parts.items())
    return (f"batch work {total:.2f} process-s, the floor's arithmetic {floor_s / total:.0%} of it; "
            f"outside the floor: {shares}")


def io_floor(assets, records, results: Path, folder: Path, repeat: int) -> tuple[float, float]:
    """CPU seconds (best of ``repeat``, one thread) of a batch that only moves the data: read the
    input's two Parquet files (assets, comparables) with pyarrow and write the batch's results
    table to a Parquet file (dictionary pages as ``batch/assemble.ResultsSink`` writes them);
    and the same plus turning the input into the arrays :func:`prepare` hands the floor (through
    pandas, as :func:`prepare` does). No check, no formula: what any batch that reads files and
    writes results spends before its first line of valuation."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    src, comp, out = folder / "in.parquet", folder / "in.comparables.parquet", folder / "io.parquet"
    assets.to_parquet(src, index=False)
    records["market.comparables"].to_parquet(comp, index=False)
    table = pq.read_table(results)
    dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
    moved = converted = np.inf
    for _ in range(max(1, repeat)):
        c = time.process_time()
        a, b = pq.read_table(src, use_threads=False), pq.read_table(comp, use_threads=False)
        pq.write_table(table, out, use_dictionary=dictionary)
        moved = min(moved, time.process_time() - c)
        c = time.process_time()
        a, b = pq.read_table(src, use_threads=False), pq.read_table(comp, use_threads=False)
        prepare(a.to_pandas(), {"market.comparables": b.to_pandas()})
        pq.write_table(table, out, use_dictionary=dictionary)
        converted = min(converted, time.process_time() - c)
    return moved, converted


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="floor runs (the best is reported)")
    args = ap.parse_args(argv)

    import pandas as pd

    from valuation.api import revalue
    from valuation.batch.synth import synthetic_portfolio

    assets, records = synthetic_portfolio(args.n, seed=0)
    prep = prepare(assets, records)
    best, best_cpu = np.inf, np.inf
    for _ in range(max(1, args.repeat)):
        t, c = time.perf_counter(), time.process_time()
        out = floor(prep)
        best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
    floor_rate = args.n / best
    print(f"floor: {best:.3f} s for {args.n} assets (best of {args.repeat})", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench_floor.") as tmp:
        dest = Path(tmp) / "out.parquet"
        t, c0 = time.perf_counter(), _cpu()
        s = revalue(assets, dest, records=records, library="seed", history=False, as_of=AS_OF,
                    progress=False, workers=args.workers)
        batch_s, batch_cpu = time.perf_counter() - t, _cpu() - c0
        res = pd.read_parquet(dest).set_index("asset_id").reindex(assets["asset_id"])
        moved, converted = io_floor(assets, records, dest, Path(tmp), args.repeat)
    batch_rate = args.n / batch_s
    print("batch stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in s.timings.items()), flush=True)

    def rel(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.nanmax(np.abs(a - b) / np.abs(b)))

    checks = {c: rel(out[c], res[c].to_numpy(float)) for c in ("estimate", "low", "high")}
    checks.update({f"{m}_estimate": rel(out[m], res[f"{m}_estimate"].to_numpy(float))
                   for m in ("cost", "income", "market")})
    same_flags = float(np.mean(out["flags"] == res["flags"].fillna("").to_numpy(object)))
    print("floor vs batch, largest relative difference: "
          + ", ".join(f"{k} {v:.1e}" for k, v in checks.items()) + f"; same flags on {same_flags:.2%} of assets",
          flush=True)
    methods = res["range_method"].value_counts().to_dict()
    print(f"batch: {batch_s:.2f} s ({s.counts['valued']} valued; range method {methods}: the floor "
          f"takes the mixture's quantiles, 0 Monte Carlo draws)", flush=True)
    print(outside_floor(s.timings, best), flush=True)
    print(f"CPU seconds: floor {best_cpu:.3f}, batch {batch_cpu:.2f} (its process and workers): "
          f"batch/floor {batch_cpu / best_cpu:.1f}× ({batch_cpu / args.n * 1e6:.1f} µs of CPU an asset); "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True)
    print(f"I/O alone (one thread, best of {args.repeat}): read the input's Parquet files and write the "
          f"results file {moved:.3f} CPU-s = {moved / best_cpu:.1f}× the floor; with the input turned into "
          f"the floor's arrays {converted:.3f} CPU-s = {converted / best_cpu:.1f}× — before any check, rule "
          f"or formula", flush=True)
    print(f"floor: {args.n} assets, floor {floor_rate:,.0f} assets/s, batch {batch_rate:,.0f} assets/s, "
          f"batch/floor {floor_rate / batch_rate:.1f}×")


if __name__ == "__main__":
    main()
