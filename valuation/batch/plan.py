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
from .io import (
    RECORD_TABLES,
    file_sha256,
    frame_sha256,
    read_portfolio,
    record_siblings,
    require_record_ids,
)
from .partition import PartitionTask, issues_frame, row_positions
from .records_check import (
    RecordsCheck,
    check_all,
    dup_rejects,
    orphan_rejects,
    records_asset_rejects,
)

__all__ = ["Plan", "Tasks", "load", "make_plan", "valuation_dates"]


@dataclasses.dataclass
class Columns:
    """What the plan keeps of a table it does not hold (:func:`load` with ``lazy``): the main
    table with no rows (its column names and types), its ``asset_id`` column (``None`` when
    absent: the table check refuses the run), its ``valuation_date`` column and its number of
    rows; each records table with no rows (``Input.records`` holds their ``asset_id`` only)."""

    empty: pd.DataFrame
    ids: pd.Series | None
    dates: pd.Series | None
    n_rows: int
    records_empty: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Input:
    """The run's input: a table (``table``, or only its ``columns`` when the workers read the
    rows themselves), its records tables, or a validated portfolio; its hash and name; the
    staged copy of an input file whose partitions go by reference (``staged``)."""

    table: pd.DataFrame | None
    records: dict[str, pd.DataFrame]
    portfolio: Portfolio | None
    input_hash: str
    name: str
    columns: Columns | None = None
    staged: Any = None                  # the staged copy the workers read (staging.Staged)


def valuation_dates(inp: Input, keep: int = 20) -> list[str]:
    """The distinct valuation dates of the portfolio (ISO, sorted, at most ``keep`` latest),
    recorded with the run so the value history is plotted by valuation date, not run time."""
    col = None
    if inp.columns is not None:
        col = inp.columns.dates
    elif inp.table is not None and "valuation_date" in inp.table:
        col = inp.table["valuation_date"]
    elif inp.portfolio is not None and "valuation_date" in inp.portfolio.assets:
        col = inp.portfolio.assets["valuation_date"]
    if col is None:
        return []
    dates = pd.to_datetime(col, errors="coerce").dropna().dt.date.unique()
    return sorted(d.isoformat() for d in dates)[-keep:]


def load(portfolio: Any, records: Mapping[str, pd.DataFrame] | None, lazy: bool = False,
         stage: Path | None = None) -> Input:
    """The run's input. ``stage`` (a ``.csv``/``.parquet`` file whose partitions go by
    reference, :mod:`valuation.batch.remote`): the input is read once and staged there
    (:func:`valuation.batch.staging.stage`) for the workers — without ``lazy``, the whole
    table the run holds is converted from the staged copy, not parsed again; ``lazy`` (with
    ``stage``: the workers also check the records rows): of that read the plan keeps only the
    main table's columns, ``asset_id`` and ``valuation_date``, and each records table's columns
    and ``asset_id``."""
    if isinstance(portfolio, Portfolio):
        return Input(None, {}, portfolio, frame_sha256(portfolio.assets, portfolio.records), "<Portfolio>")
    if isinstance(portfolio, pd.DataFrame):
        recs = {k: v for k, v in (records or {}).items()}
        return Input(portfolio, recs, None, frame_sha256(portfolio, recs), "<DataFrame>")
    p = Path(portfolio)
    files = [p] + [q for _, q in sorted(record_siblings(p).items())] if p.suffix.lower() != ".xlsx" else [p]
    staged, h = None, ""
    if stage is not None:
        from .staging import stage as stage_input

        staged, main, rec_reads, h = stage_input(p, stage, ("asset_id", "valuation_date"), ("asset_id",),
                                                 lambda: file_sha256(files))
        if lazy and main.n_rows:        # else nothing to cut: the plan checks the records itself
            recs = {t: ids_frame(r.columns) for t, r in rec_reads.items() if r.n_rows}
            return Input(None, recs, None, h, str(p),
                         Columns(main.empty, main.columns.get("asset_id"), main.columns.get("valuation_date"),
                                 main.n_rows, {t: r.empty for t, r in rec_reads.items()}),   # empty ones checked too
                         staged=staged)
        if main.n_rows:                 # the whole table from the staged copy, not parsed again
            from .remote import staged_frames

            require_record_ids({t: r.empty.columns for t, r in rec_reads.items()})
            table, recs = staged_frames(staged)
            return Input(table, recs, None, h, str(p), staged=staged)
    table, recs = read_portfolio(p)     # (first: it refuses a missing file before the hash is tried)
    return Input(table, recs, None, h if staged is not None else file_sha256(files), str(p), staged=staged)


def ids_frame(cols: Mapping[str, pd.Series]) -> pd.DataFrame:
    """A records table's ``asset_id`` as :func:`~valuation.batch.io.read_portfolio` types it (text);
    no column when the table has none (the table check refuses the run)."""
    return pd.DataFrame({"asset_id": cols["asset_id"].astype("str")} if "asset_id" in cols else {})


def _table_issues(empty: pd.DataFrame, records: Mapping[str, pd.DataFrame]) -> None:
    """Refuse the run for problems of the table itself (not of a row); ``empty``: the table
    with no rows."""
    issues = [i for i in validate_table(empty, "card")[1] if i.row is None]
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
    -1 for a rejected row). ``lazy``: the records rows are checked by the workers, which get
    ``loose`` (the rows of no kept asset) with partition 0."""

    n_total: int
    keep: np.ndarray
    n_parts: int
    bounds: np.ndarray
    pre_rejects: list[pd.DataFrame]
    rec_plan: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)
    assigned: dict[str, tuple[pd.DataFrame, np.ndarray]] = dataclasses.field(default_factory=dict)
    lazy: bool = False
    loose: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

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
                recs[name] = fr.iloc[row_positions(sl)]
        return PartitionTask(i, table=inp.table.iloc[row_positions(rows)], records=recs, rows=rows)


    def ref(self, i: int) -> Any:
        """Partition ``i`` by reference (:class:`~valuation.batch.remote.PartRef`): the positions
        of its rows, which a worker reads itself; file input only."""
        from .remote import PartRef

        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        recs = {name: order[starts[i]:starts[i + 1]] for name, (_, order, starts) in self.rec_plan.items()
                if starts[i + 1] > starts[i]}
        loose = {k: v for k, v in self.loose.items() if len(v)} if i == 0 else {}
        return PartRef(i, self.keep[a:b], recs, check=self.lazy, loose=loose)


def make_plan(inp: Input, chunk_size: int, max_rows: int | None = None,
              too_many: Callable[[], Exception] | None = None) -> Plan:
    """Check the input, drop duplicate ids and rows whose records are bad, and cut the rest into
    partitions of ``chunk_size``; ``too_many()`` is raised when more than ``max_rows`` are kept."""
    if inp.table is not None or inp.columns is not None:
        ids, text, checks, pre, keep = _table_rows(inp)
        n_total = len(ids)
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
    plan = Plan(n_total, keep, n_parts, bounds, pre, lazy=inp.columns is not None)
    if (inp.table is not None or inp.columns is not None) and inp.records:
        kept = text if len(keep) == len(text) else text.take(keep)     # all kept: no copy
        _assign_records(plan, kept, checks, inp.records)
    return plan


def _table_rows(inp: Input) -> tuple[pd.Series, Any, dict[str, Any], list[pd.DataFrame], np.ndarray]:
    """``(ids, ids as Arrow text, records checks, rejects, kept rows)`` of a table input: the
    table-level checks (refuse the run), duplicate ids (rejected) and — unless the input is
    lazy, whose records rows the workers check (:func:`valuation.batch.remote.checked_task`) —
    the records rows against the card schema, and the assets whose records rows are bad
    (rejected)."""
    if inp.columns is not None:
        _table_issues(inp.columns.empty, inp.columns.records_empty)
        check_all(inp.columns.records_empty)          # unknown or missing required records columns
        checks = {k: RecordsCheck([], pd.DataFrame(), np.zeros(len(fr), bool), fr) for k, fr in inp.records.items()}
        raw = inp.columns.ids
    else:
        assert inp.table is not None
        _table_issues(inp.table.iloc[:0], inp.records)
        checks = check_all(inp.records)  # records rows: the card schema, row by row
        raw = inp.table["asset_id"]
    ids = raw.astype("str")  # type: ignore[union-attr]
    text = _arrow_text(ids)
    dup = _duplicates(text)
    pre = [dup_rejects(ids, dup)] if dup.any() else []
    if inp.columns is not None:
        return ids, text, checks, pre, np.flatnonzero(~dup)
    rec_rej, rec_bad = records_asset_rejects(ids, checks, ~dup)
    pre += [c.rejects for c in checks.values() if len(c.rejects)] + [rec_rej]
    return ids, text, checks, pre, np.flatnonzero(~dup & ~rec_bad)


def _duplicates(ids: Any) -> np.ndarray:
    """The rows whose id (Arrow text; a missing id repeats nothing) repeats an earlier row's.

    Ids that strictly increase (the usual input: sorted by id) have none, which one pass of
    adjacent comparisons shows; otherwise Arrow's dictionary encoding numbers the distinct ids
    and the first occurrence of each number is kept (``numpy.unique`` ``return_index``). Both
    replace ``Series.duplicated`` (a factorisation plus a second hash table of the codes, in
    the run's serial plan; ``benchmarks/bench_plan.py``)."""
    import pyarrow.compute as pc

    n = len(ids)
    if n < 2 or (ids.null_count == 0 and _all(pc.greater(ids.slice(1), ids.slice(0, n - 1)))):
        return np.zeros(n, bool)
    codes = ids.combine_chunks().dictionary_encode().indices    # null id → null code
    valid = np.flatnonzero(codes.is_valid().to_numpy(zero_copy_only=False))
    _, first = np.unique(codes.drop_null().to_numpy(), return_index=True)   # each one's first row
    dup = np.zeros(n, bool)
    dup[valid] = True
    dup[valid[first]] = False
    return dup


def _all(mask: Any) -> bool:
    """Every value of an Arrow boolean array true (a null — a missing id — counts as false)."""
    import pyarrow.compute as pc

    return mask.null_count == 0 and bool(pc.all(mask).as_py() is not False)


def _assign_records(plan: Plan, kept: Any, checks: Mapping[str, Any],
                    records: Mapping[str, pd.DataFrame]) -> None:
    """Records rows → the partition of their asset (its first, kept occurrence; ``kept``: the
    kept ids as Arrow text); rows of no kept asset are rejected as orphans (a row already bad
    is not rejected twice). A lazy plan has not checked the rows: those of no kept asset go to
    partition 0 (``loose``), whose worker rejects each as bad or as an orphan.

    The ids are matched by Arrow on the text columns as they are (:func:`_index_in_runs`): a
    pandas ``Index`` of the ids made a Python string of every id and record id first, in the
    run's serial plan (``benchmarks/bench_plan.py``)."""
    # the partition of each kept position, in the smallest integer type (numpy's stable sort of
    # 8/16-bit keys is a radix sort: O(n) for records in any order); position -1 (no kept
    # asset) takes the last entry, -1
    small = np.min_scalar_type(-plan.n_parts - 1)
    part_of = np.full(plan.n_keep + 1, -1, small)
    part_of[:-1] = np.repeat(np.arange(plan.n_parts, dtype=small), np.diff(plan.bounds))
    for name in records:
        fr, bad_rec = checks[name].frame, checks[name].bad
        pos = _index_in_runs(_arrow_text(fr["asset_id"].astype("str")), kept)
        pnum = part_of[pos]
        orphan = pos < 0
        if bad_rec.any():
            orphan &= ~bad_rec
            pnum[bad_rec] = -1
        if plan.lazy:
            plan.loose[name] = np.flatnonzero(orphan)
        elif orphan.any():
            plan.pre_rejects.append(orphan_rejects(name, fr, orphan))
        if not plan.lazy:               # else the workers reject the unused rows themselves
            plan.assigned[name] = (fr, pnum)
        plan.rec_plan[name] = (fr, np.argsort(pnum, kind="stable"), _starts(pnum, plan.n_parts))


def _starts(pnum: np.ndarray, n_parts: int) -> np.ndarray:
    """Where each partition's rows begin among the rows sorted by partition (``pnum``, -1 first),
    and the end: ``starts[k]`` rows have a partition below ``k``. Counted (``bincount``) — a
    ``searchsorted`` with the sort order as ``sorter`` checks every index of it (one per
    records row, in the run's serial plan)."""
    counts = np.bincount(pnum.astype(np.intp) + 1, minlength=n_parts + 1)
    return np.cumsum(counts[:n_parts + 1])


def _index_in_runs(ids: Any, kept: Any) -> np.ndarray:
    """Position in ``kept`` of each of ``ids`` (Arrow text arrays; -1: not kept or missing),
    found once per run of equal consecutive ids: a records table lists an asset's rows
    together, so at 10⁶ assets with 3·10⁶ records rows 10⁶ ids are looked up, not 3·10⁶.

    When the runs' ids are the kept ids in the same order (records written in the order of
    the main table, each kept asset with at least one row: the usual file), one pass of
    comparisons shows it and the positions are those of the runs; otherwise Arrow's hash
    lookup (``pyarrow.compute.index_in``) finds each run's id (a hash table of the kept ids
    and a probe per run, in the run's serial plan; ``benchmarks/bench_plan.py --shuffle``).
    Any order gives the same positions."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(ids)
    starts = np.ones(n, bool)           # a row that starts a run (a missing id starts one)
    if n > 1:
        change = pc.not_equal(ids.slice(1), ids.slice(0, n - 1)).fill_null(True)
        starts[1:] = change.to_numpy(zero_copy_only=False)
    run = np.cumsum(starts, dtype=np.int64)
    run -= 1                            # each row's run
    first = ids.filter(pa.array(starts))
    if len(first) == len(kept) and _all(pc.equal(first, kept)):
        return run                      # the k-th run is the k-th kept id
    found = pc.index_in(first, value_set=kept, skip_nulls=True).fill_null(-1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)[run]


def _arrow_text(s: pd.Series) -> Any:
    """A text column as one Arrow ``large_string`` chunked array (missing → null): pandas'
    Arrow-backed ``str`` columns convert without copying the text, and their chunks (one per
    Parquet batch) are kept as they are — joining them copied every records id of a run only
    for the lookups, which all take chunked arrays."""
    import pyarrow as pa

    arr = pa.array(s, from_pandas=True)
    return (arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])).cast(pa.large_string())
