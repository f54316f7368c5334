"""The pure partition function of batch revaluation: ``rows of a portfolio → result rows``.

The same function runs in-process, in a :class:`concurrent.futures.ProcessPoolExecutor` and on
a Dask cluster (docs/DESIGN.md §3). For one partition it

1. validates and builds the partition (:meth:`Portfolio.from_table`, ``strict=False``): bad
   rows become rejects with their global row number, field, value and bilingual reason;
2. screens the assets (:func:`screen`);
3. values them with the engine (:func:`valuation.engine.evaluate` — every applicable approach,
   reconciliation, guided range, risk flags);
4. isolates failures: when the partition raises, its assets are valued one by one and each
   asset that still fails becomes a ``failed`` row with the reason; the run goes on
   (docs/DESIGN.md §8).

Screening (decided here, documented in ARCHITECTURE/README of the batch):

* **before** revaluation the last known value ``V0`` — ``previous_value``, else the declared
  value (``engagement.declared_value``) — is compared with ``book_value``:
  ``premium = (V0 − book) / book``. ``high-premium`` selects ``premium ≥ threshold`` of the
  rule HIGH_PREMIUM of the library snapshot (EXCH.premium100, MOF2024-167);
  ``high-impairment`` selects ``−premium ≥ threshold`` of HIGH_IMPAIRMENT or any CAS 8
  impairment indicator (CAS8.impairment);
* assets without a usable ``V0`` or book value cannot be ruled out: they are revalued and kept
  when their **new** result raises the flag (screen basis ``after_valuation``);
* **after** revaluation every flag of every selected asset is reported (HIGH_PREMIUM and
  HIGH_IMPAIRMENT included, whether or not they still hold).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.columns import AssetTable
from ..core.errors import Issue, ValuationError
from ..core.portfolio import Portfolio
from ..core.result import METHOD_NAMES
from ..core.snapshot import LibrarySnapshot
from ..pricing.config import RECONCILE_ID, reconcile_config, setting

__all__ = [
    "FAIL_HOOK_ENV",
    "RESULT_COLUMNS",
    "PartitionOutput",
    "PartitionTask",
    "row_positions",
    "run_partition",
    "run_snapshot",
    "screen",
    "thresholds",
]

FAIL_HOOK_ENV = "VALUATION_BATCH_FAIL_IDS"  # test hook: comma-separated asset ids that raise
SEVERITY_RANK = {"info": 0, "warning": 1, "blocker": 2}
DEFAULT_THRESHOLDS = {"HIGH_PREMIUM": 1.0, "HIGH_IMPAIRMENT": 0.3}  # rules.yaml seed values

RESULT_COLUMNS = (
    ["asset_id", "status", "estimate", "low", "high", "coverage", "range_method"]
    + [f"{m}_{k}" for m in METHOD_NAMES for k in ("estimate", "weight")]
    + ["flags", "max_severity", "final", "screen_basis", "screen_ratio", "book_value",
       "previous_value", "reason_zh", "reason_en"])


@dataclasses.dataclass
class PartitionTask:
    """One unit of work. ``table`` (+ ``records`` and the global ``rows`` of its lines) for
    file/frame input, or ``portfolio`` for an already validated :class:`Portfolio`."""

    index: int
    table: pd.DataFrame | None = None
    records: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    rows: np.ndarray | None = None
    portfolio: Portfolio | None = None

    @property
    def size(self) -> int:
        return len(self.table) if self.table is not None else len(self.portfolio or ())


def row_positions(rows: np.ndarray) -> slice | np.ndarray:
    """Increasing row positions as a slice when they are consecutive (the usual case: no row
    rejected in between, records sorted by asset): a slice of the table is a view, where taking
    positions copies every column (most of the plan's time for 10⁶ assets). How the plan cuts a
    task's rows and a worker its staged rows (:mod:`valuation.batch.plan`,
    :mod:`valuation.batch.remote`)."""
    if len(rows) and int(rows[-1]) - int(rows[0]) == len(rows) - 1 and bool((np.diff(rows) == 1).all()):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


@dataclasses.dataclass
class PartitionOutput:
    index: int
    results: pd.DataFrame            # RESULT_COLUMNS
    rejects: pd.DataFrame            # row, asset_id, field, value, allowed, reason_zh, reason_en
    screened_out: int
    size: int
    seconds: dict[str, float]
    written: bool = False            # the worker wrote the checkpoint itself (batch.remote)


# --------------------------------------------------------------------------- snapshot
def thresholds(snap: LibrarySnapshot) -> dict[str, float]:
    """Screening thresholds from the rules of the snapshot (``params.threshold``)."""
    out = dict(DEFAULT_THRESHOLDS)
    for r in snap.rules or []:
        rid = r.get("id")
        if rid in out and (r.get("status") or "active") == "active":
            t = (r.get("params") or {}).get("threshold")
            if isinstance(t, (int, float)):
                out[rid] = float(t)
    return out


def run_snapshot(snap: LibrarySnapshot, n_total: int) -> tuple[LibrarySnapshot, str]:
    """A copy of the snapshot whose range method is fixed for the whole run.

    The reconciliation chooses Monte Carlo when ``assets × draws ≤ mc_max_rows`` of the
    portfolio it is given, else the analytic mixture. A batch cut into partitions would
    otherwise mix the two (and a one-by-one retry would switch to Monte Carlo). The choice is
    made once on the whole run, so results do not depend on partitioning and equal what
    :func:`valuation.engine.evaluate` gives on the whole portfolio. The snapshot id is kept:
    no library content changes.
    """
    cfg = reconcile_config(snap)
    draws = int(setting(cfg, "draws"))
    mc = n_total * draws <= int(setting(cfg, "mc_max_rows"))
    params = dict(cfg.get("parameters") or {})
    params["mc_max_rows"] = {**(params.get("mc_max_rows") or {}),
                             "default": 10 ** 15 if mc else 0}
    models = {**snap.models, RECONCILE_ID: {**cfg, "parameters": params}}
    return dataclasses.replace(snap, models=models), ("monte_carlo" if mc else "mixture")


# --------------------------------------------------------------------------- screening
def screen(table: AssetTable, only: str, thr: Mapping[str, float]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(selected, after_valuation, basis, ratio)`` for every asset of the typed asset table
    (``Portfolio.columns``; see the module docstring).

    ``ratio`` is the appreciation ratio ``(V0 − book) / book`` before revaluation (NaN when
    unknown); ``basis`` says where V0 came from (``previous_value``, ``declared_value``, ``""``).
    """
    n = len(table)
    prev, decl, book = (table.number(c) for c in ("previous_value", "declared_value", "book_value"))
    v0 = np.where(np.isnan(prev), decl, prev)
    basis = np.where(~np.isnan(prev), "previous_value", np.where(~np.isnan(decl), "declared_value", ""))
    known = ~np.isnan(v0) & (book > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(known, (v0 - book) / np.where(book > 0, book, 1.0), np.nan)
    if only == "all":
        return np.ones(n, bool), np.zeros(n, bool), basis.astype(object), ratio
    if only == "high-premium":
        sel = known & (ratio >= thr["HIGH_PREMIUM"])
        after = ~known
    elif only == "high-impairment":
        # (None missing; a blank text names no indicator)
        has_ind = np.array([bool(t.strip()) for t in table.text("impairment_indicators").tolist()], dtype=bool)
        sel = (known & (-ratio >= thr["HIGH_IMPAIRMENT"])) | has_ind
        after = ~known & ~has_ind
    else:  # pragma: no cover - validated by the pipeline
        raise ValueError(only)
    basis = np.where(after, "after_valuation", basis)
    return sel | after, after, basis.astype(object), ratio


# --------------------------------------------------------------------------- evaluation
def _fail_hook(index: pd.Index) -> None:
    ids = os.environ.get(FAIL_HOOK_ENV)
    if ids:
        bad = [a for a in ids.split(",") if a and a in index]
        if bad:
            raise RuntimeError(f"simulated failure of asset {bad[0]} (test hook {FAIL_HOOK_ENV})")


def _codes_from_lists(index: pd.Index, flags: Mapping[str, list[dict[str, Any]]]
                      ) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array([";".join(f["code"] for f in flags.get(a, [])) for a in index], dtype=object)
    sev = np.array([max((SEVERITY_RANK.get(f.get("severity"), 0) for f in flags.get(a, [])), default=-1)
                    for a in index], dtype=np.int8)
    return codes, sev


def _codes_from_hits(index: pd.Index, hits: Any, rules: list[Any]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Flag codes per asset from the rules' hit table without formatting the messages.

    Codes are listed in the order :func:`valuation.rules.engine.flags_for` gives them (severity
    blocker → info, then rule order). Each distinct combination of flags is joined once
    (bit mask → text), so a million assets cost a few array operations."""
    n = len(index)
    if not len(hits):
        return np.full(n, "", dtype=object), np.full(n, -1, dtype=np.int8)
    k = len(rules)
    rank = np.array([SEVERITY_RANK[r.severity] for r in rules])
    order = sorted(range(k), key=lambda j: (-rank[j], j))        # position in the text
    bit = np.empty(k, dtype=np.int64)
    bit[order] = np.arange(k)
    pos, rule_j = hits.rows, hits.rules   # (valuation.rules.engine.Hits: positions)
    mask = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(mask, pos, np.left_shift(np.int64(1), bit[rule_j]))
    sev = np.full(n, -1, dtype=np.int8)
    np.maximum.at(sev, pos, rank[rule_j].astype(np.int8))
    uniq, inv = np.unique(mask, return_inverse=True)
    ids = [rules[j].id for j in order]
    text = np.array([";".join(ids[b] for b in range(k) if (u >> b) & 1) for u in uniq.tolist()], dtype=object)
    return text[inv], sev


def _text_or_blank(v: Any) -> np.ndarray:
    """A text column as an object array, "" where missing (None or NaN: the one value that
    is not equal to itself)."""
    out = np.array(v, dtype=object)
    out[np.equal(out, None) | np.not_equal(out, out)] = ""
    return out


def evaluate_columns(pf: Portfolio, snap: LibrarySnapshot, *, as_of: _dt.date | None = None,
                     flag_messages: bool = False) -> dict[str, np.ndarray]:
    """Value a portfolio with the engine: one result array a column, one value an asset.

    With ``flag_messages=True`` this is exactly :func:`valuation.engine.evaluate` (flags with
    their bilingual messages, which the batch output does not carry). Otherwise the same engine
    steps run — :func:`valuation.engine.run_method` per approach, the engine's reconciliation,
    :func:`valuation.engine.rule_hits` (the facts and the compiled rule set of the snapshot) — but
    only flag *codes* are produced: formatting a bilingual message per flag is Python work per
    flag, which adds up over 10⁶ assets. ``tests/batch`` checks that both give identical numbers and codes.
    """
    # the engine's own reconciliation and compiled rule set (the package ships whole)
    from ..engine import evaluate, reconciled, rule_hits, run_method

    _fail_hook(pf.index)
    if flag_messages:
        ev = evaluate(pf, snap, as_of=as_of)
        rec = ev.reconciled
        codes, sev = _codes_from_lists(pf.index, ev.flags)
    else:
        # the engine's steps up to its rule hits (engine.rule_hits), codes instead of messages
        results = {m: run_method(m, pf, snap) for m in METHOD_NAMES}
        rec, _ = reconciled(pf, results, snap)
        ruleset, _, hits = rule_hits(pf, rec, results, snap, as_of)
        codes, sev = _codes_from_hits(pf.index, hits, list(ruleset.rules))
    n = len(pf)
    out: dict[str, Any] = {"asset_id": pf.index.to_numpy(dtype=object)}

    def numbers(c: str) -> np.ndarray:
        if c not in rec:
            return np.full(n, np.nan)
        v = np.asarray(rec[c])    # (a column of numbers as it is; anything else coerced, NaN)
        return v.astype(float) if v.dtype.kind in "fiub" else \
            pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(float)

    est = numbers("estimate")
    out["status"] = np.array(("ok", "no_estimate"), dtype=object)[np.isnan(est).astype(np.intp)]
    for c in ("estimate", "low", "high", "coverage"):
        out[c] = numbers(c)
    out["range_method"] = (np.asarray(rec["range_method"], dtype=object) if "range_method" in rec
                           else np.full(n, "", dtype=object))
    for m in METHOD_NAMES:
        for k in ("estimate", "weight"):
            out[f"{m}_{k}"] = numbers(f"{m}_{k}")
    out["flags"] = codes
    names = np.array(["", "info", "warning", "blocker"], dtype=object)
    out["max_severity"] = names[sev.astype(int) + 1]
    out["final"] = sev < SEVERITY_RANK["blocker"]
    for c in ("reason_zh", "reason_en"):
        out[c] = _text_or_blank(rec[c]) if c in rec else np.full(n, "", dtype=object)
    return out


#: the result columns of the screening (:func:`screen`), added to the engine's
SCREEN_COLUMNS = ("screen_basis", "screen_ratio", "book_value", "previous_value")
#: the result columns holding text (the others are numbers, and ``final`` a bool)
TEXT_COLUMNS = ("asset_id", "status", "range_method", "flags", "max_severity", "screen_basis",
                "reason_zh", "reason_en")


def _failed_rows(ids: list[str], exc: BaseException) -> dict[str, np.ndarray]:
    if isinstance(exc, ValuationError):
        zh, en = exc.message_zh, exc.message_en
    else:
        msg = f"{type(exc).__name__}: {exc}"
        zh, en = f"估值失败：{msg}", f"valuation failed: {msg}"
    n = len(ids)
    text = {"asset_id": list(ids), "status": "failed", "reason_zh": zh, "reason_en": en}
    out: dict[str, np.ndarray] = {}
    for c in RESULT_COLUMNS:
        if c in SCREEN_COLUMNS:                   # (added by the caller)
            continue
        if c in TEXT_COLUMNS:
            out[c] = np.empty(n, dtype=object)
            out[c][:] = text.get(c, "")
        else:
            out[c] = np.zeros(n, dtype=bool) if c == "final" else np.full(n, np.nan)
    return out


def _value_isolating(pf: Portfolio, snap: LibrarySnapshot, as_of: _dt.date | None,
                     flag_messages: bool) -> dict[str, np.ndarray]:
    """Value a partition; if it raises, value its assets one at a time and turn each asset
    that still fails into a failed row with the reason (rows in the portfolio's order)."""
    try:
        return evaluate_columns(pf, snap, as_of=as_of, flag_messages=flag_messages)
    except Exception:  # noqa: BLE001, S110 - isolate the failing assets below
        pass
    parts = []
    for aid in pf.index:
        try:
            parts.append(evaluate_columns(pf.subset([aid]), snap, as_of=as_of, flag_messages=flag_messages))
        except Exception as e:  # noqa: BLE001 - one asset's failure is a failed row
            parts.append(_failed_rows([aid], e))
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}


def result_frame(cols: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The result rows as a frame of :data:`RESULT_COLUMNS`: text in pandas' Arrow-backed
    "str" (the output leaves the worker pickled as buffers and the run's process writes it to
    the checkpoint without converting it; Python-stored text would be unpickled one Python
    string per value in the run's process), numbers float64, ``final`` bool."""
    return pd.DataFrame({c: pd.array(cols[c], dtype=_ARROW_TEXT) if c in TEXT_COLUMNS else
                         cols[c].astype(bool if c == "final" else float) for c in RESULT_COLUMNS})


_ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


# --------------------------------------------------------------------------- rejects
REJECT_COLUMNS = ["row", "asset_id", "field", "value", "allowed", "reason_zh", "reason_en"]


def issues_frame(issues: list[Issue], rows: np.ndarray | None = None) -> pd.DataFrame:
    """Rejects as a frame; ``row`` is the 1-based data row of the input table (the header is
    not counted), translated from the partition's positions to the whole table."""
    if not issues:       # (most partitions: the empty frame built typed, not converted)
        return pd.DataFrame({c: pd.array([], dtype="Int64") if c == "row" else pd.Series([], dtype=object)
                             for c in REJECT_COLUMNS})
    recs = []
    for i in issues:
        r = i.row
        zh, en = i.message_zh, i.message_en
        if r is not None and rows is not None:
            g = int(rows[r])
            zh = zh.replace(f"第 {r + 1} 行", f"第 {g + 1} 行", 1)
            en = re.sub(rf"^row {r + 1}\b", f"row {g + 1}", en)
            r = g
        v = i.value
        recs.append({"row": None if r is None else r + 1, "asset_id": i.asset_id, "field": i.field,
                     "value": None if v is None else str(v), "allowed": i.allowed,
                     "reason_zh": zh, "reason_en": en})
    fr = pd.DataFrame(recs, columns=REJECT_COLUMNS)
    fr["row"] = fr["row"].astype("Int64")
    return fr.astype({c: object for c in REJECT_COLUMNS if c != "row"})


def _build(task: PartitionTask) -> tuple[Portfolio, pd.DataFrame]:
    """Validate and build the partition; a chunk that makes the builder raise is rebuilt
    row by row so that only the offending rows are rejected."""
    table = task.table.reset_index(drop=True)  # type: ignore[union-attr]
    rows = task.rows if task.rows is not None else np.arange(len(table))
    try:
        pf = Portfolio.from_table(table, task.records or None, strict=False)
        return pf, issues_frame(list(getattr(pf, "rejected", [])), rows)
    except Exception:  # noqa: BLE001, S110 - fall back to rows one by one
        pass
    parts, rej = [], []
    ids = table["asset_id"].astype("str") if "asset_id" in table else pd.Series([None] * len(table))
    for r in range(len(table)):
        aid = ids.iloc[r]
        recs = {k: v[v["asset_id"] == aid] for k, v in (task.records or {}).items()}
        try:
            p = Portfolio.from_table(table.iloc[[r]].reset_index(drop=True), recs or None, strict=False)
        except Exception as e:  # noqa: BLE001
            zh = e.message_zh if isinstance(e, ValuationError) else f"无法读取该行：{e}"
            en = e.message_en if isinstance(e, ValuationError) else f"row could not be read: {e}"
            rej.append(pd.DataFrame([{"row": int(rows[r]) + 1, "asset_id": aid, "field": "*", "value": None,
                                      "allowed": "", "reason_zh": zh, "reason_en": en}]))
            continue
        rej.append(issues_frame(list(getattr(p, "rejected", [])), rows[[r]]))
        if len(p):
            parts.append(p)
    pf = Portfolio.concat(parts) if parts else Portfolio.from_table(table.iloc[:0], None, strict=False)
    rj = pd.concat(rej, ignore_index=True) if rej else issues_frame([])
    return pf, rj


def run_partition(task: PartitionTask, snap: LibrarySnapshot, opts: Mapping[str, Any]) -> PartitionOutput:
    """Validate, screen and value one partition (pure: no files, no database).

    Text columns built here use pandas' Python string storage instead of Arrow: the engine
    reads ids and codes element by element, and each element read from Arrow strings makes a
    fresh Python string (same ``str`` dtype and missing-value semantics; numbers are unaffected). The
    result rows leave with Arrow text (:func:`result_frame`)."""
    with pd.option_context("mode.string_storage", "python"):
        return _run_partition(task, snap, opts)


def _run_partition(task: PartitionTask, snap: LibrarySnapshot, opts: Mapping[str, Any]) -> PartitionOutput:
    import time

    t0 = time.perf_counter()
    if task.portfolio is not None:
        pf, rejects = task.portfolio, issues_frame([])
    else:
        pf, rejects = _build(task)
    t1 = time.perf_counter()
    only = opts.get("only", "all")
    sel, after, basis, ratio = screen(pf.columns, only, opts["thresholds"])
    pos = np.flatnonzero(sel)                   # the valued assets' rows, in the portfolio's order
    sub = pf if len(pos) == len(pf) else pf.subset(pf.index[pos])
    if len(sub):
        cols = _value_isolating(sub, snap, opts.get("as_of"), bool(opts.get("flag_messages")))
    else:
        cols = _failed_rows([], RuntimeError())
    cols["screen_basis"], cols["screen_ratio"] = basis[pos], ratio[pos]
    cols["book_value"] = pf.columns.number("book_value")[pos]
    cols["previous_value"] = pf.columns.number("previous_value")[pos]
    screened_out = int((~sel).sum())
    if only != "all" and after.any() and len(pos):
        drop = _screened_after(cols, "HIGH_PREMIUM" if only == "high-premium" else "HIGH_IMPAIRMENT")
        screened_out += int(drop.sum())
        cols = {c: v[~drop] for c, v in cols.items()}
    res = result_frame(cols)
    t2 = time.perf_counter()
    return PartitionOutput(task.index, res, rejects, screened_out, task.size,
                           {"validate": t1 - t0, "value": t2 - t1})


def _screened_after(cols: Mapping[str, np.ndarray], code: str) -> np.ndarray:
    """Rows screened after valuation (no usable V0 or book value) whose new result does not
    raise ``code``: they leave the results (failed rows stay)."""
    post = cols["screen_basis"] == "after_valuation"
    inv, uniq = pd.factorize(cols["flags"])
    has = np.array([code in str(f).split(";") for f in uniq] + [False], dtype=bool)[inv]
    return post & ~has & (cols["status"] != "failed")
