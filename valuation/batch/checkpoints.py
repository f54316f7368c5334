"""Checkpoints of a batch run (docs/DESIGN.md §2 "Run"): each finished partition is written to
``<out>.parts/`` — results, rejects, then a JSON marker, each atomically — so that an
interrupted run resumes with the same input, snapshot and options and gives the same output.

Results and rejects are Arrow IPC files (uncompressed): the run's process writes them while
the workers value the next partitions, and a 10,000-row partition with Arrow text
(:func:`~valuation.batch.partition.result_frame`) costs it a copy of the buffers, where
Parquet would encode every column. They live only until the run is recorded (:mod:`valuation.batch.assemble`
reads them back)."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyarrow import feather

from .io import atomic_path
from .partition import PartitionOutput

__all__ = ["CRASH_HOOK_ENV", "crash_hook", "done_parts", "part_files", "parts_dir", "prepare_parts",
           "progress_bar", "write_part"]

CRASH_HOOK_ENV = "VALUATION_BATCH_CRASH_AFTER"  # test hook: hard exit after N checkpoints


def parts_dir(out: str | os.PathLike[str]) -> Path:
    return Path(str(out) + ".parts")


def part_files(d: Path, i: int) -> tuple[Path, Path, Path]:
    stem = d / f"part-{i:05d}"
    return Path(f"{stem}.arrow"), Path(f"{stem}.rejects.arrow"), Path(f"{stem}.json")


def write_part(d: Path, out: PartitionOutput) -> None:
    res_p, rej_p, meta_p = part_files(d, out.index)
    for fr, path in ((out.results, res_p), (out.rejects, rej_p)):
        with atomic_path(path) as tmp:
            # one thread: the columns are Arrow text and numbers (zero-copy); a thread per
            # column costs more in thread hand-offs than it converts
            feather.write_feather(pa.Table.from_pandas(fr, preserve_index=False, nthreads=1), tmp,
                                  compression="uncompressed")
    with atomic_path(meta_p) as tmp:  # the marker: written last
        # "rejects": its row count, so that the run's results sink opens no rejects file of a
        # partition that rejected nothing (most of them; assemble.part_rejects)
        tmp.write_text(json.dumps({"index": out.index, "size": out.size, "screened_out": out.screened_out,
                                   "rejects": len(out.rejects), "seconds": out.seconds}), encoding="utf-8")


def done_parts(d: Path, n: int) -> set[int]:
    return {i for i in range(n) if all(p.exists() for p in part_files(d, i))}


def prepare_parts(d: Path, manifest: dict[str, Any], resume: bool, as_of_given: bool
                   ) -> tuple[dict[str, Any], set[int]]:
    """Reuse the checkpoints of an interrupted run with the same input, snapshot and options
    (``resume``), else start an empty checkpoint folder with ``manifest``."""
    mpath = d / "manifest.json"
    if resume and mpath.exists():
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        ignore = {"run_id"} | (set() if as_of_given else {"as_of"})
        if isinstance(old, dict) and {k: v for k, v in old.items() if k not in ignore} == \
                {k: v for k, v in manifest.items() if k not in ignore}:
            return old, done_parts(d, int(manifest["n_parts"]))
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    with atomic_path(mpath) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest, set()


def crash_hook(written: int) -> None:
    k = os.environ.get(CRASH_HOOK_ENV)
    if k and written >= int(k):
        sys.stderr.write(f"{CRASH_HOOK_ENV}: simulated crash after {written} checkpoint(s)\n")
        sys.stderr.flush()
        os._exit(70)


def progress_bar(total: int, enabled: bool | None) -> Any:
    from tqdm import tqdm  # a dependency of the package (pyproject.toml)
    on = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, unit="asset", disable=not on, desc="revalue", smoothing=0.1)
