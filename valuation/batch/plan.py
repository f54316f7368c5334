"""The plan of a batch run: the input read once, table-level checks, duplicate ids, records
rows checked against the card schema and assigned to the partition of their asset, and the
partitions themselves, built on demand (docs/DESIGN.md §2 "Run", §3)."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import Issue, ValidationError
from ..core.portfolio import Portfolio
from ..core.validate import validate_table
from .io import RECORD_TABLES, file_sha256, frame_sha256, read_portfolio, record_siblings
from .partition import PartitionTask, issues_frame
from .records_check import check_all, dup_rejects, orphan_rejects, records_asset_rejects

__all__ = ["Plan", "Tasks", "load", "make_plan", "valuation_dates"]


@dataclasses.dataclass
class Input:
    table: pd.DataFrame | None
    records: dict[str, pd.DataFrame]
    portfolio: Portfolio | None
    input_hash: str
    name: str


def valuation_dates(inp: Input, keep: int = 20) -> list[str]:
    """The distinct valuation dates of the portfolio (ISO, sorted, at most ``keep`` latest),
    recorded with the run so the value history is plotted by valuation date, not run time."""
    col = None
    if inp.table is not None and "valuation_date" in inp.table:
        col = inp.table["valuation_date"]
    elif inp.portfolio is not None and "valuation_date" in inp.portfolio.assets:
        col = inp.portfolio.assets["valuation_date"]
    if col is None:
        return []
    dates = pd.to_datetime(col, errors="coerce").dropna().dt.date.unique()
    return sorted(d.isoformat() for d in dates)[-keep:]


def load(portfolio: Any, records: Mapping[str, pd.DataFrame] | None) -> Input:
    if isinstance(portfolio, Portfolio):
        return Input(None, {}, portfolio, frame_sha256(portfolio.assets, portfolio.records), "<Portfolio>")
    if isinstance(portfolio, pd.DataFrame):
        recs = {k: v for k, v in (records or {}).items()}
        return Input(portfolio, recs, None, frame_sha256(portfolio, recs), "<DataFrame>")
    p = Path(portfolio)
    table, recs = read_portfolio(p)
    files = [p] + [q for _, q in sorted(record_siblings(p).items())] if p.suffix.lower() != ".xlsx" else [p]
    return Input(table, recs, None, file_sha256(files), str(p))


def _table_issues(table: pd.DataFrame, records: Mapping[str, pd.DataFrame]) -> None:
    """Refuse the run for problems of the table itself (not of a row)."""
    issues = [i for i in validate_table(table.iloc[:0], "card")[1] if i.row is None]
    for k, fr in records.items():
        if k not in RECORD_TABLES:
            issues.append(Issue(field=k, value=k, allowed=", ".join(RECORD_TABLES),
                                message_zh=f"未知明细表 {k}", message_en=f"unknown records table {k}"))
        elif "asset_id" not in fr.columns:
            issues.append(Issue(field=f"{k}.asset_id", value=None, allowed="an asset_id column",
                                message_zh=f"明细表 {k} 缺少 asset_id 列", message_en=f"records table {k} has no asset_id column"))
    if issues:
        raise ValidationError(issues)


class Tasks:
    """Partitions built on demand (the input is not copied all at once)."""

    def __init__(self, n: int, make: Callable[[int], PartitionTask], skip: set[int]):
        self.todo = [i for i in range(n) if i not in skip]
        self.make = make

    def __len__(self) -> int:
        return len(self.todo)

    def __iter__(self) -> Iterator[PartitionTask]:
        for i in self.todo:
            yield self.make(i)


@dataclasses.dataclass
class Plan:
    """What a run values: ``keep`` (positions of the input rows kept after the table checks) cut
    into ``n_parts`` partitions at ``bounds``; the rejects found before valuation; and per records
    table its rows sorted by partition (``rec_plan``) and each row's partition (``assigned``,
    -1 for a rejected row)."""

    n_total: int
    keep: np.ndarray
    n_parts: int
    bounds: np.ndarray
    pre_rejects: list[pd.DataFrame]
    rec_plan: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)
    assigned: dict[str, tuple[pd.DataFrame, np.ndarray]] = dataclasses.field(default_factory=dict)

    @property
    def n_keep(self) -> int:
        return len(self.keep)

    def rows_in(self, parts: set[int]) -> int:
        """Input rows in the partitions ``parts``."""
        return int(sum(self.bounds[i + 1] - self.bounds[i] for i in parts))

    def task(self, inp: Input, i: int) -> PartitionTask:
        """Partition ``i`` of the kept rows, with its records rows."""
        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        if inp.table is None:
            assert inp.portfolio is not None
            return PartitionTask(i, portfolio=inp.portfolio.subset(inp.portfolio.index[a:b]))
        rows = self.keep[a:b]
        recs = {}
        for name, (fr, order, starts) in self.rec_plan.items():
            sl = order[starts[i]:starts[i + 1]]
            if len(sl):
                recs[name] = fr.iloc[_positions(sl)]
        return PartitionTask(i, table=inp.table.iloc[_positions(rows)], records=recs, rows=rows)


    def ref(self, i: int) -> Any:
        """Partition ``i`` by reference (:class:`~valuation.batch.remote.PartRef`): the positions
        of its rows, which a worker reads itself; file input only."""
        from .remote import PartRef

        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        return PartRef(i, self.keep[a:b], {name: order[starts[i]:starts[i + 1]]
                                           for name, (_, order, starts) in self.rec_plan.items()
                                           if starts[i + 1] > starts[i]})


def _positions(rows: np.ndarray) -> slice | np.ndarray:
    """Increasing row positions as a slice when they are consecutive (the usual case: no row
    rejected in between, records sorted by asset): a slice of the table is a view, where taking
    positions copies every column (most of the plan's time for 10⁶ assets)."""
    if len(rows) and int(rows[-1]) - int(rows[0]) == len(rows) - 1 and bool((np.diff(rows) == 1).all()):
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def make_plan(inp: Input, chunk_size: int, max_rows: int | None = None,
              too_many: Callable[[], Exception] | None = None) -> Plan:
    """Check the input, drop duplicate ids and rows whose records are bad, and cut the rest into
    partitions of ``chunk_size``; ``too_many()`` is raised when more than ``max_rows`` are kept."""
    if inp.table is not None:
        table = inp.table
        _table_issues(table, inp.records)
        checks = check_all(inp.records)  # records rows: the card schema, row by row
        ids = table["asset_id"].astype("str")
        dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy(bool)
        pre = [dup_rejects(ids, dup)] if dup.any() else []
        rec_rej, rec_bad = records_asset_rejects(ids, checks, ~dup)
        pre += [c.rejects for c in checks.values() if len(c.rejects)] + [rec_rej]
        n_total, keep = len(table), np.flatnonzero(~dup & ~rec_bad)
    else:
        pf_in = inp.portfolio
        assert pf_in is not None
        prior = list(getattr(pf_in, "rejected", []) or [])
        pre = []
        if prior:
            r = issues_frame(prior)
            r.insert(0, "table", "assets")
            pre.append(r)
        n_total = len(pf_in) + len({(i.row, i.asset_id) for i in prior})
        keep = np.arange(len(pf_in))
    if max_rows is not None and too_many is not None and len(keep) > max_rows:
        raise too_many()
    n_parts = max(1, math.ceil(len(keep) / chunk_size)) if len(keep) else 0
    bounds = np.linspace(0, len(keep), n_parts + 1).round().astype(int) if n_parts else np.array([0])
    plan = Plan(n_total, keep, n_parts, bounds, pre)
    if inp.table is not None and inp.records:
        _assign_records(plan, ids.to_numpy(object)[keep], checks, inp.records)
    return plan


def _assign_records(plan: Plan, kept_ids: np.ndarray, checks: Mapping[str, Any],
                    records: Mapping[str, pd.DataFrame]) -> None:
    """Records rows → the partition of their asset (its first, kept occurrence); rows of no
    kept asset are rejected as orphans (a row already bad is not rejected twice)."""
    part_of_row = np.searchsorted(plan.bounds, np.arange(plan.n_keep), side="right") - 1
    valid = pd.notna(kept_ids)
    id_index = pd.Index(kept_ids[valid])
    part_of_id = part_of_row[valid]
    for name in records:
        fr, bad_rec = checks[name].frame, checks[name].bad
        pos = id_index.get_indexer(fr["asset_id"].astype("str"))
        orphan = (pos < 0) & ~bad_rec
        if orphan.any():
            plan.pre_rejects.append(orphan_rejects(name, fr, orphan))
        pnum = np.where(orphan | bad_rec, -1, part_of_id[np.where(pos < 0, 0, pos)])
        plan.assigned[name] = (fr, pnum)
        order = np.argsort(pnum, kind="stable")
        starts = np.searchsorted(pnum[order], np.arange(plan.n_parts + 1), side="left")
        plan.rec_plan[name] = (fr, order, starts)
