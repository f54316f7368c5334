"""The records rows of a partition, checked by the worker that values it (docs/DESIGN.md §3;
issue 20 step 6).

A lazy plan (:func:`valuation.batch.plan.load` with ``lazy``: partitions by reference to an
input file) reads of each records table only its ``asset_id``: it assigns every records row to
the partition of its asset and leaves the rows' checks to the workers, where they run in
parallel instead of in the run's one process before any partition can start. The worker gives
the rejects the plan would have given (:mod:`valuation.batch.records_check`, the same
functions and texts, with row numbers of the whole table):

* a bad records row → a reject naming its table, row, field, value and reason;
* an asset with a bad records row → not valued: one reject of its main-table row naming the
  first bad records row; its other records rows → rejected as orphans;
* the rows of no kept asset (``PartRef.loose``, partition 0) → bad rows as above, the others
  as orphans;
* the records rows of an asset whose main-table row the partition rejects → rejected as unused.

``tests/batch/test_batch_remote.py`` and ``tests/batch/test_dask_records.py`` compare the
rejects file with the in-process run's, row by row.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pandas as pd

from .partition import PartitionOutput, PartitionTask
from .records_check import (
    REJECTS_COLUMNS,
    check_records,
    orphan_rejects,
    records_asset_rejects,
    unused_records_rejects,
)

__all__ = ["Found", "checked_task", "globalise", "with_records_rejects"]


def globalise(rej: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """Rejects of some rows of a table, whose ``row`` (1-based) and reasons count those rows,
    as rows of the whole table (``pos``: their positions in it); the first row number of each
    reason is its own (``第 n 行`` / ``row n``), as :func:`~valuation.batch.partition.issues_frame`
    translates a partition's rows."""
    if not len(rej):
        return rej
    rel = rej["row"].to_numpy(np.int64)
    glob = np.asarray(pos, dtype=np.int64)[rel - 1] + 1
    zh = [str(z).replace(f"第 {r} 行", f"第 {g} 行", 1) for z, r, g in zip(rej["reason_zh"], rel, glob)]
    en = [re.sub(rf"\brow {r}\b", f"row {g}", str(e), count=1) for e, r, g in zip(rej["reason_en"], rel, glob)]
    return rej.assign(row=glob.astype(np.int64), reason_zh=zh, reason_en=en)


@dataclasses.dataclass
class Found:
    """What the records check of a partition found: its rejects (with the ``table`` column)
    and, per records table, the kept rows' ``asset_id`` and positions (for the unused rows)."""

    rejects: list[pd.DataFrame]
    kept: dict[str, tuple[pd.DataFrame, np.ndarray]]


def checked_task(ref: Any, inp: Any) -> tuple[PartitionTask, Found]:
    """The partition's task with its records rows checked (``ref``: a
    :class:`~valuation.batch.remote.PartRef`, ``inp``: a :class:`~valuation.batch.remote.WorkerInput`):
    the main-table rows of assets with a bad records row and every unusable records row are
    left out, and rejected in :class:`Found`."""
    table = inp.rows(ref.rows)
    rejects: list[pd.DataFrame] = []
    checked = {}
    for name, pos in ref.records.items():
        raw = inp.records_rows(name, pos)
        chk = check_records(name, raw)
        chk.rejects = globalise(chk.rejects, pos)
        rejects.append(chk.rejects)
        checked[name] = (raw, chk, pos)
    ids = table["asset_id"].astype("str")
    rec_rej, rec_bad = records_asset_rejects(ids, {k: c for k, (_, c, _) in checked.items()},
                                             np.ones(len(ids), dtype=bool))
    rejects.append(globalise(rec_rej, ref.rows))
    gone = set(ids[rec_bad].tolist())
    recs, kept = {}, {}
    for name, (raw, chk, pos) in checked.items():
        of_gone = chk.frame["asset_id"].isin(gone).to_numpy(bool) if gone else np.zeros(len(raw), bool)
        orphan = of_gone & ~chk.bad
        if orphan.any():
            rejects.append(globalise(orphan_rejects(name, chk.frame, orphan), pos))
        use = ~(of_gone | chk.bad)
        fr = chk.frame[use]
        fr.index = raw.index[use]
        if len(fr):
            recs[name] = fr
        kept[name] = (fr[["asset_id"]], pos[use])
    rejects += _loose(ref, inp)
    keep = ~rec_bad
    task = PartitionTask(ref.index, table=table[keep] if rec_bad.any() else table, records=recs,
                         rows=ref.rows[keep])
    return task, Found([r for r in rejects if len(r)], kept)


def _loose(ref: Any, inp: Any) -> list[pd.DataFrame]:
    """Records rows of no kept asset: bad ones rejected by the check, the others as orphans."""
    out = []
    for name, pos in ref.loose.items():
        chk = check_records(name, inp.records_rows(name, pos))
        out.append(globalise(chk.rejects, pos))
        if (~chk.bad).any():
            out.append(globalise(orphan_rejects(name, chk.frame, ~chk.bad), pos))
    return out


def with_records_rejects(po: PartitionOutput, found: Found, size: int) -> PartitionOutput:
    """The partition's output with the records' rejects (:func:`checked_task`) and the records
    rows of the assets the partition rejected (unused) among its rejects, which then carry the
    ``table`` column; ``size``: the partition's rows, those left out included."""
    main = po.rejects.copy()
    main.insert(0, "table", "assets")
    rejected = {a for a in po.rejects["asset_id"] if a is not None}
    extra = list(found.rejects)
    if rejected:
        for name, (fr, pos) in found.kept.items():
            for r in unused_records_rejects({name: (fr, np.zeros(len(fr), dtype=np.int64))}, rejected):
                extra.append(globalise(r, pos))
    parts = [r[REJECTS_COLUMNS] for r in [main, *extra] if len(r)]
    rejects = pd.concat(parts, ignore_index=True) if parts else main
    return dataclasses.replace(po, rejects=rejects, size=size)
