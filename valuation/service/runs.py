"""Background runs of the service: a batch larger than ``max_batch`` becomes a run.

The run appraises the cards with :func:`valuation.api.appraise_many` (columnar, no traces) in
one background worker thread, writes the results as JSON lines to ``runs_dir/<run_id>.jsonl``
and keeps a summary in memory (``GET /v1/runs/{id}``). Runs made by :mod:`valuation.batch`
(``valuation revalue``) are looked up there when that module offers ``load_run``/``run_summary``.
"""
from __future__ import annotations

import datetime as _dt
import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.errors import ValuationError
from ..core.result import clean

__all__ = ["RunRegistry", "failed_rows"]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat()


class RunRegistry:
    """Runs started by this process (bounded: the oldest finished summaries are forgotten)."""

    def __init__(self, runs_dir: str | Path, library: Callable[[], Any], *, keep: int = 1000,
                 history_db: Any = None):
        self.runs_dir = Path(runs_dir)
        self._history_db = history_db
        self._library = library
        self._keep = keep
        self._runs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="valuation-run")

    def start(self, cards: list[Any], *, submitted_by: str = "") -> dict[str, Any]:
        run_id = "svc-" + _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
        summary = {"run_id": run_id, "status": "queued", "source": "service",
                   "n_assets": len(cards), "n_ok": None, "n_failed": None, "total_estimate": None,
                   "flags": {}, "engine_version": __version__, "library_snapshot": None,
                   "submitted_at": _now(), "started_at": None, "finished_at": None,
                   "results_path": None, "error": None, "submitted_by": submitted_by}
        with self._lock:
            self._runs[run_id] = summary
            self._trim()
        self._pool.submit(self._execute, run_id, cards)
        return dict(summary)

    def _trim(self) -> None:
        done = [k for k, v in self._runs.items() if v["status"] in ("done", "failed")]
        for k in done[: max(0, len(self._runs) - self._keep)]:
            del self._runs[k]

    def _update(self, run_id: str, **kw: Any) -> None:
        with self._lock:
            self._runs[run_id].update(kw)

    def _execute(self, run_id: str, cards: list[Any]) -> None:
        from .. import api

        self._update(run_id, status="running", started_at=_now())
        try:
            snap = api.snapshot(self._library())
            br = api.appraise_many(cards, library=snap, trace=False)
            results = [r.to_dict() for r in br.results()]
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            path = self.runs_dir / f"{run_id}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for r in results:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
                for f in clean(br.failures):
                    fh.write(json.dumps({"failure": f}, ensure_ascii=False) + "\n")
            flags = Counter(f["code"] for r in results for f in r["flags"])
            total = sum(r["estimate"] for r in results if r["estimate"] is not None)
            self._update(run_id, status="done", finished_at=_now(), n_ok=len(results),
                         n_failed=failed_rows(br.failures), total_estimate=float(total),
                         flags=dict(flags), library_snapshot=snap.snapshot_id,
                         results_path=str(path))
        except ValuationError as e:
            self._update(run_id, status="failed", finished_at=_now(),
                         error={"code": e.code, "message_zh": e.message_zh,
                                "message_en": e.message_en, "issues": []})
        except Exception as e:  # noqa: BLE001 - a run reports its failure instead of vanishing
            self._update(run_id, status="failed", finished_at=_now(),
                         error={"code": "internal_error", "message_zh": "批量运行失败",
                                "message_en": f"run failed: {type(e).__name__}: {e}"[:500],
                                "issues": []})

    def get(self, run_id: str) -> dict[str, Any] | None:
        with self._lock:
            s = self._runs.get(run_id)
            if s is not None:
                return dict(s)
        return _batch_run(run_id, self._history_db)

    def wait(self, run_id: str, timeout: float = 60.0) -> dict[str, Any] | None:
        """Block until the run has finished (tests, CLI)."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.get(run_id)
            if s is None or s["status"] in ("done", "failed"):
                return s
            time.sleep(0.02)
        return self.get(run_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def failed_rows(failures: list[dict[str, Any]]) -> int:
    """Number of refused cards/rows (a card with several issues counts once)."""
    return len({(f.get("row"), f.get("asset_id")) for f in failures})


def _batch_run(run_id: str, db: Any) -> dict[str, Any] | None:
    """A run of ``valuation revalue`` recorded in the history tables of ``db``, in the shape of
    :class:`~valuation.service.models.RunSummary`."""
    from .. import api
    from ..core.errors import NotFoundError

    try:
        r = api.run(run_id, library=db)
    except NotFoundError:
        return None
    counts = r.get("counts") or {}
    status = {"finished": "done", "running": "running"}.get(str(r.get("status")), "failed")
    return clean({"run_id": run_id, "status": status, "source": "batch",
                  "n_assets": counts.get("total"), "n_ok": counts.get("valued"),
                  "n_failed": (counts.get("failed") or 0) + (counts.get("rejected") or 0),
                  "total_estimate": counts.get("total_estimate"), "flags": counts.get("flags") or {},
                  "engine_version": r.get("engine_version"), "library_snapshot": r.get("snapshot_id"),
                  "submitted_at": r.get("started_at"), "started_at": r.get("started_at"),
                  "finished_at": r.get("finished_at"), "results_path": r.get("out"),
                  "error": None, "counts": counts, "timings": r.get("timings"),
                  "input_hash": r.get("input_hash"), "options": r.get("options")})
