"""Back-test the market approach on the real DaDaDa listings (not a test; prints figures).

Split: each of the five exchange files is split 70/30 by groups (``--group-by``, default
``title``: listing families — exchange, provider, title without digits — never lie on both
sides; ``provider``: sellers; ``row``: the leaky random split of the first round) — the split
files are written to a temporary folder outside the repository (the listings are never copied
into it). The 70 % parts are the case library, every priced row of the rest is predicted; the
share of hold-out rows with a duplicate, a family sibling or the same provider in the case
library is printed.

Prints the per-mode and per-exchange tables of issue 16 (n, coverage of the 80 % range,
median / mean |ln error| of the model and of the naive median of the same exchange, category
and mode — computed on the 70 % part only — and the median width high / low); with
``--repeats`` their mean over the seeds; ``--tables PREFIX`` writes them as CSV and JSON.

Run: ``.venv/bin/python benchmarks/backtest_dadada.py [--data ../shared/data/dadada] [--seed 7]
[--group-by title|provider|row] [--repeats 5] [--predictions /tmp/pred.csv] [--tables /tmp/bt] [--set library_estimate=hedonic ...]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from valuation.backtest import run_backtest  # noqa: E402
from valuation.backtest.splitting import GROUP_BY, split_mask  # noqa: E402
from valuation.library.cases.listings import family_key, listing_key  # noqa: E402  (after the path set-up)

FILES = ("shanghai", "guiyang", "beijing", "zhejiang", "guangzhou")


def split(data: Path, out: Path, seed: int, share: float = 0.7, group_by: str = "row"
          ) -> tuple[list[Path], list[Path]]:
    """Split every exchange file into a fitting and a hold-out file in ``out`` by groups
    (``group_by`` = row | title | provider, :mod:`valuation.backtest.splitting`)."""
    rng = np.random.default_rng(seed)
    cases, hold = [], []
    for name in FILES:
        df = pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
        if group_by == "row":    # the first round's split, kept draw for draw
            mask = rng.random(len(df)) < share
        else:
            mask = split_mask(df, group_by, share=share, seed=seed)
        a, b = out / f"{name}_cases.csv", out / f"{name}_holdout.csv"
        df[mask].to_csv(a, index=False)
        df[~mask].to_csv(b, index=False)
        cases.append(a)
        hold.append(b)
    return cases, hold


def leakage(cases: list[Path], hold: list[Path]) -> dict[str, float]:
    """Share of the priced hold-out rows that have, in the fitting part, a duplicate listing
    (same exchange, provider, normalised title, price, mode), a row of the same listing family
    (title without digits), a row of the same provider (when named), the same price in the
    same exchange and mode."""
    read = lambda ps: pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in ps],  # noqa: E731
                                ignore_index=True)
    c, h = read(cases), read(hold)
    h = h[pd.to_numeric(h["price"], errors="coerce").fillna(0) > 0]
    c = c[pd.to_numeric(c["price"], errors="coerce").fillna(0) > 0]
    prov = lambda d: (d["platform"] + "|" + d["provider"]).where(d["provider"].str.strip() != "")  # noqa: E731
    same_price = lambda d: d["platform"] + "|" + d["price_mode"] + "|" + d["price"]  # noqa: E731
    return {"n": len(h),
            "duplicate": float(listing_key(h).isin(set(listing_key(c))).mean()),
            "family": float(family_key(h).isin(set(family_key(c))).mean()),
            "provider": float(prov(h).isin(set(prov(c).dropna())).mean()),
            "same_price": float(same_price(h).isin(set(same_price(c))).mean())}


def _value(v: str):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "dadada")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--group-by", choices=GROUP_BY, default="title",
                    help="split by row (random) or by listing family (title) or provider")
    ap.add_argument("--repeats", type=int, default=1, help="several seeds: mean of the figures")
    ap.add_argument("--predictions", type=Path, default=None)
    ap.add_argument("--set", action="append", default=[], help="parameter override name=value")
    ap.add_argument("--tables", type=Path, default=None, help="write PREFIX.json and PREFIX_<table>.csv")
    a = ap.parse_args(argv)
    params = {k: _value(v) for k, v in (s.split("=", 1) for s in a.set)}
    figs, tabs = [], []
    with tempfile.TemporaryDirectory(prefix="dadada-split-") as tmp:
        for r in range(a.repeats):
            cases, hold = split(a.data, Path(tmp), a.seed + r, group_by=a.group_by)
            leak = leakage(cases, hold)
            res = run_backtest(cases, hold, fmt="dadada", params=params,
                               predictions=a.predictions if r == 0 else None)
            if r == 0:
                print(f"split seed {a.seed} by {a.group_by}: 70 % of each exchange file's groups → cases, "
                      "the rest → hold-out")
                print("hold-out rows with, in the cases, a duplicate listing {duplicate:.3f}, a row of the same "
                      "family {family:.3f}, of the same provider {provider:.3f}, the same price in the same "
                      "exchange and mode {same_price:.3f}".format(**leak))
                print("cases:  ", res.reports["cases"].summary("en").splitlines()[0])
                print("holdout:", res.reports["holdout"].summary("en").splitlines()[0])
                print(res.summary("en"))
                print(res.tables_text())
            figs.append({**res.figures(), **{f"leak_{k}": v for k, v in leak.items() if k != "n"}})
            t = res.tables()
            for k in ("overall", "by_mode", "by_exchange"):
                key = {"overall": "group", "by_mode": "price_mode", "by_exchange": "platform"}[k]
                tabs.append(t[k].rename(columns={key: "group"}).assign(table=k, seed=a.seed + r))
    allt = pd.concat(tabs, ignore_index=True)
    if a.tables:
        allt.to_csv(f"{a.tables}_per_seed.csv", index=False, float_format="%.6g")
        mean = allt.drop(columns="seed").groupby(["table", "group"], sort=False).mean(numeric_only=True)
        mean.reset_index().to_json(f"{a.tables}_mean.json", orient="records", indent=1, force_ascii=False)
        print(f"wrote {a.tables}_per_seed.csv, {a.tables}_mean.json")
    if a.repeats > 1:
        f = pd.DataFrame(figs)
        print(f"\nmean over {a.repeats} seeds ({a.seed}…{a.seed + a.repeats - 1}):")
        print(f[["n_predicted", "coverage", "mdale", "mdale_baseline", "cod", "prd", "leak_duplicate",
                 "leak_family", "leak_provider"]].agg(["mean", "min", "max"])
              .round(3).to_string())
        cols = ["n", "coverage", "mdale", "meanale", "mdale_naive", "meanale_naive", "median_width", "exact_share"]
        g = allt.groupby(["table", "group"], sort=False)
        print("\nper table, mean over seeds [min coverage, max coverage]:")
        out = g[cols].mean().join(g["coverage"].agg(["min", "max"]).add_prefix("coverage_"))
        print(out.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
