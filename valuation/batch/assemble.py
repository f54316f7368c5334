"""The end of a batch run: checkpoints → diff → results file, one partition at a time.

The finished partitions (``<out>.parts/``, :mod:`valuation.batch.checkpoints`) are read in
partition order; each is diffed against its assets' previous results (:func:`diff`) and
appended to the results file while the next is read, so the run never holds the whole result
table: Parquet is written by row groups through one :class:`pyarrow.parquet.ParquetWriter`,
CSV by appending rows after one header (UTF-8 with BOM, formula text neutralised by
``core.cells`` as in :func:`~valuation.batch.io.write_table`). The file is written atomically
(:func:`~valuation.batch.io.atomic_path`). A run that writes the books (impairment register,
disclosure tables) or an ``.xlsx`` file still assembles the whole table — the books read every
asset at once and an ``.xlsx`` file holds at most 1,048,575 rows.

Read back, a streamed file equals the file the whole table gives (same columns, dtypes and
values; ``tests/batch/test_batch_stream.py`` compares one partition with many).
"""
from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import neutralise_frame
from . import rundb as hist
from .checkpoints import part_files
from .io import atomic_path
from .partition import REJECT_COLUMNS
from .records_check import unused_records_rejects

__all__ = ["DIFF_COLUMNS", "REJECTS_FILE_COLUMNS", "Tally", "diff", "read_part", "read_rejects", "run_ids",
           "stream_results"]

DIFF_COLUMNS = ["run_id", "previous_run_id", "previous_estimate", "change", "change_ratio",
                "previous_low", "previous_high", "low_change", "high_change", "flags_new", "flags_cleared"]
REJECTS_FILE_COLUMNS = ["table"] + REJECT_COLUMNS


def diff(results: pd.DataFrame, prev: pd.DataFrame | None, run_id: str) -> pd.DataFrame:
    """``results`` with the run id and, per asset, its previous run, estimate and range, the
    change and change ratio, and the flags new and cleared (row by row: a partition is diffed
    exactly as the whole table would be)."""
    n = len(results)
    if prev is None or not len(prev):
        # nothing to compare with (first run): no per-asset lookups at all
        p = pd.DataFrame({"run_id": np.full(n, None, dtype=object), "flags": np.full(n, "", dtype=object),
                          **{c: np.full(n, np.nan) for c in ("estimate", "low", "high")}})
    else:
        p = prev.reindex(pd.Index(results["asset_id"].astype(str)))
    pe, pl, ph = (pd.to_numeric(p[c], errors="coerce").to_numpy(float) for c in ("estimate", "low", "high"))
    est, lo, hi = (results[c].to_numpy(float) for c in ("estimate", "low", "high"))
    has_prev = ~pd.isna(p["run_id"]).to_numpy(bool)
    before = np.where(has_prev, p["flags"].fillna("").astype(object).to_numpy(), "")
    after = results["flags"].fillna("").astype(object).to_numpy()
    failed = results["status"].to_numpy(object) == "failed"
    # without a previous result there is nothing to compare: new/cleared stay empty
    cmp_rows = np.flatnonzero(has_prev & ~failed)
    new_all = np.full(n, "", dtype=object)
    cleared_all = np.full(n, "", dtype=object)
    if len(cmp_rows):
        new, cleared = hist.flag_changes(before[cmp_rows].astype(object), after[cmp_rows])
        new_all[cmp_rows], cleared_all[cmp_rows] = new, cleared
    with np.errstate(divide="ignore", invalid="ignore"):
        added = {"run_id": np.full(n, run_id, dtype=object), "previous_run_id": p["run_id"].to_numpy(object),
                 "previous_estimate": pe, "change": est - pe,
                 "change_ratio": np.where(pe != 0, (est - pe) / pe, np.nan),
                 "previous_low": pl, "previous_high": ph, "low_change": lo - pl, "high_change": hi - ph,
                 "flags_new": new_all, "flags_cleared": cleared_all}
    # one frame: the results' columns as they are, then the diff's (DIFF_COLUMNS order)
    return pd.DataFrame({**{c: results[c] for c in results.columns}, **{c: added[c] for c in DIFF_COLUMNS}},
                        index=results.index)


def read_rejects(pdir: Path, n_parts: int, pre: list[pd.DataFrame],
                 assigned: dict[str, Any]) -> tuple[pd.DataFrame, int]:
    """``(all rejects sorted as the rejects file lists them, assets screened out)``: the rejects
    found before valuation, those of each partition, and the records rows no asset used."""
    rej_parts, screened_out = list(pre), 0
    for i in range(n_parts):
        _, rej_p, meta_p = part_files(pdir, i)
        rj = pd.read_feather(rej_p)
        if len(rj):
            if "table" not in rj.columns:   # with it: records rows a worker checked (batch.remote_records)
                rj.insert(0, "table", "assets")
            rej_parts.append(rj)
        screened_out += int(json.loads(meta_p.read_text(encoding="utf-8"))["screened_out"])
    part_rej = {a for r in rej_parts[len(pre):] for a in r["asset_id"] if a is not None}
    rej_parts += unused_records_rejects(assigned, part_rej)
    rej_parts = [r for r in rej_parts if len(r)]
    rejects = (pd.concat(rej_parts, ignore_index=True) if rej_parts
               else pd.DataFrame(columns=REJECTS_FILE_COLUMNS))
    rejects = rejects[REJECTS_FILE_COLUMNS]
    if len(rejects):
        rejects = rejects.assign(_t=(rejects["table"] != "assets").astype(int)).sort_values(
            ["_t", "table", "row"], kind="stable").drop(columns="_t").reset_index(drop=True)
    return rejects, screened_out


def read_part(pdir: Path, i: int, columns: list[str] | None = None) -> pd.DataFrame:
    """The results of checkpointed partition ``i`` (an Arrow IPC file, read as a Parquet file
    reads: text as pandas "str")."""
    return pd.read_feather(part_files(pdir, i)[0], columns=columns)


def run_ids(pdir: Path, n_parts: int) -> pd.Series:
    """The asset ids of every result row, in partition order (one column read per partition)."""
    ids = [read_part(pdir, i, ["asset_id"])["asset_id"] for i in range(n_parts)]
    return pd.concat(ids, ignore_index=True) if ids else pd.Series([], dtype=object)


@dataclasses.dataclass
class Tally:
    """The run's counts of result rows, added up partition by partition."""

    screened: int = 0
    valued: int = 0
    no_estimate: int = 0
    failed: int = 0
    flagged: int = 0

    def add(self, fr: pd.DataFrame) -> None:
        status = fr["status"].to_numpy(object)
        self.screened += len(fr)
        self.valued += int((status == "ok").sum())
        self.no_estimate += int((status == "no_estimate").sum())
        self.failed += int((status == "failed").sum())
        self.flagged += int((fr["flags"].fillna("").astype(str) != "").sum())


def _schema(pdir: Path, n_parts: int, first: pd.DataFrame, has_prev: bool) -> Any:
    """The Arrow schema of the whole results table, as the whole table converts: text is
    ``large_string`` (pandas' ``str`` columns), numbers ``double``, ``final`` ``bool``. A column
    missing in every row of a partition is ``null`` in that partition's checkpoint, so the
    first other type wins; ``previous_run_id`` is text when any asset has a previous result
    and ``null`` otherwise (all missing), as in a table converted at once."""
    import pyarrow as pa

    def norm(t: Any) -> Any:
        return pa.large_string() if pa.types.is_string(t) or pa.types.is_large_string(t) else t

    types: dict[str, Any] = {}
    for i in range(n_parts):
        with pa.memory_map(str(part_files(pdir, i)[0])) as src:
            s = pa.ipc.open_file(src).schema
        for name, typ in zip(s.names, s.types):
            if types.get(name, pa.null()) == pa.null():
                types[name] = norm(typ)
    types["previous_run_id"] = pa.large_string() if has_prev else pa.null()
    base = pa.Table.from_pandas(first.iloc[:0], preserve_index=False).schema
    return pa.schema([pa.field(f.name, types.get(f.name, norm(f.type))) for f in base])


def stream_results(pdir: Path, n_parts: int, prev: pd.DataFrame | None, run_id: str, dest: Path,
                   tally: Tally, timings: dict[str, float]) -> None:
    """Diff every checkpointed partition (``n_parts`` ≥ 1) and append it to ``dest``
    (``.parquet`` or ``.csv``), atomically; ``tally`` counts the rows, ``timings`` gets the
    ``diff`` and ``write`` seconds."""
    t0, t_diff = time.perf_counter(), 0.0

    def parts() -> Iterator[pd.DataFrame]:
        nonlocal t_diff
        for i in range(n_parts):
            t = time.perf_counter()
            fr = diff(read_part(pdir, i), prev, run_id)
            tally.add(fr)
            t_diff += time.perf_counter() - t
            yield fr

    with atomic_path(dest) as tmp:
        if dest.suffix.lower() == ".parquet":
            _write_parquet(parts(), tmp, pdir, n_parts, prev is not None and len(prev) > 0)
        else:
            _write_csv(parts(), tmp)
    timings["diff"] = t_diff
    timings["write"] = time.perf_counter() - t0 - t_diff


def _write_parquet(parts: Iterator[pd.DataFrame], tmp: Path, pdir: Path, n_parts: int, has_prev: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for fr in parts:
            if writer is None:
                schema = _schema(pdir, n_parts, fr, has_prev)
                # dictionary pages for the text and flag columns only: the float columns (estimates,
                # changes) hold nearly all distinct values, for which Arrow builds a dictionary per
                # row group and falls back to plain — half the write's CPU and ~14 % more bytes at
                # 10⁶ rows, for the same values read back
                writer = pq.ParquetWriter(tmp, schema, use_dictionary=[
                    f.name for f in schema if not pa.types.is_floating(f.type)])
            writer.write_table(pa.Table.from_pandas(fr, schema=writer.schema, preserve_index=False, nthreads=1))
    finally:
        if writer is not None:
            writer.close()


def _write_csv(parts: Iterator[pd.DataFrame], tmp: Path) -> None:
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        for i, fr in enumerate(parts):
            neutralise_frame(fr).to_csv(fh, index=False, header=i == 0)
