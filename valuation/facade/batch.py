"""Many assets at once, batch revaluation and its run history. Part of :mod:`valuation.api`.

The facade resolves the library and the history database and passes them to
:mod:`valuation.batch`, which never imports the facade.
"""
from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.portfolio import Portfolio, card_hash
from ..core.result import Result, clean
from ..engine import Evaluation, evaluate
from .library import LibraryLike, history_db, snapshot

__all__ = ["BatchResult", "appraise_many", "history", "history_assets", "revalue", "run", "runs", "runs_diff"]


class BatchResult:
    """Results of many assets: ``frame`` (one row per asset) and ``failures`` (rejected rows)."""

    def __init__(self, evaluation: Evaluation | None, failures: list[dict[str, Any]],
                 hashes: Mapping[str, str] | None = None):
        self.evaluation = evaluation
        self.failures = failures
        self._hashes = dict(hashes or {})

    @property
    def frame(self) -> pd.DataFrame:
        if self.evaluation is None:
            return pd.DataFrame()
        fr = self.evaluation.frame.copy()
        for m, mr in self.evaluation.methods.items():
            fr[f"{m}_estimate"] = mr.frame["estimate"]
            fr[f"{m}_applicable"] = mr.frame["applicable"]
        fr["flags"] = [";".join(f["code"] for f in self.evaluation.flags.get(a, []))
                       for a in fr.index]
        return fr

    def results(self) -> list[Result]:
        if self.evaluation is None:
            return []
        return [self.evaluation.result(a, input_hash=self._hashes.get(a, ""))
                for a in self.evaluation.frame.index]

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results()],
                "failures": clean(self.failures)}

    def to_frame(self) -> pd.DataFrame:
        """One row per appraised asset (index ``asset_id``): estimate, low, high, coverage,
        currency, final, flags (codes joined by ``;``) and per approach its estimate, weight and
        applicability — the columns a reader wants, not the engine's working columns."""
        fr = self.frame
        if not len(fr):
            return pd.DataFrame(columns=["estimate", "low", "high", "coverage", "currency", "final", "flags"])
        out = fr[[c for c in ("estimate", "low", "high", "coverage", "currency") if c in fr.columns]].copy()
        flags = self.evaluation.flags if self.evaluation is not None else {}
        out["final"] = [not any(f.get("severity") == "blocker" for f in flags.get(a, [])) for a in fr.index]
        out["flags"] = fr["flags"]
        for m in ("cost", "income", "market"):
            for k in ("estimate", "weight", "applicable"):
                if f"{m}_{k}" in fr.columns:
                    out[f"{m}_{k}"] = fr[f"{m}_{k}"]
        out.index.name = "asset_id"
        return out

    def __repr__(self) -> str:
        ev = self.evaluation
        n = 0 if ev is None else len(ev.frame)
        valued = 0 if ev is None else int(ev.frame["estimate"].notna().sum())
        flagged = 0 if ev is None else sum(1 for v in ev.flags.values() if v)
        return (f"BatchResult(assets={n}, with_estimate={valued}, flagged={flagged}, "
                f"failures={len(self.failures)})")


def appraise_many(portfolio: Portfolio | pd.DataFrame | Sequence[Mapping[str, Any]], *,
                  library: LibraryLike = None, trace: bool = False,
                  as_of: _dt.date | None = None) -> BatchResult:
    """Appraise many assets at once (columnar). Bad cards/rows become failures with their
    reasons; the rest is appraised."""
    snap = snapshot(library)
    hashes: dict[str, str] = {}
    if isinstance(portfolio, Portfolio):
        pf = portfolio
    elif isinstance(portfolio, pd.DataFrame):
        pf = Portfolio.from_table(portfolio, strict=False)
    else:
        cards = list(portfolio)
        pf = Portfolio.from_cards(cards, strict=False)
        for c in cards:
            sec = c.get("asset") if isinstance(c, Mapping) else None
            aid = sec.get("asset_id") if isinstance(sec, Mapping) else None
            if isinstance(aid, str):
                hashes[aid] = card_hash(c)
    failures = [i.to_dict() for i in getattr(pf, "rejected", [])]
    if len(pf) == 0:
        return BatchResult(None, failures)
    ev = evaluate(pf, snap, trace=trace, as_of=as_of)
    return BatchResult(ev, failures, hashes)


def revalue(portfolio: Any, out: str | os.PathLike[str], *, library: LibraryLike = None,
            db: Any = None, **kwargs: Any) -> Any:
    """Batch revaluation of a portfolio file or frame (see :mod:`valuation.batch.pipeline`).

    ``library`` is resolved to a snapshot here (see :func:`snapshot`); the run is recorded in
    ``db`` if given, else in the store's database (the default database for ``"seed"``/``None``).
    The other keyword arguments are those of :func:`valuation.batch.pipeline.revalue`.
    """
    from ..batch.pipeline import revalue as _revalue

    return _revalue(portfolio, out, snapshot=snapshot(library),
                    db=db if db is not None else history_db(library), **kwargs)


def runs(*, library: LibraryLike = None, limit: int | None = None) -> pd.DataFrame:
    """Batch revaluation runs, newest first (docs/DESIGN.md §2 "Run").

    Columns: ``id, status, started_at, finished_at, snapshot_id, input_name, only`` and the
    counts ``total, rejected, screened, valued, failed, flagged``.

    >>> import tempfile, pathlib
    >>> db = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "h.db")
    >>> len(runs(library=db))
    0
    """
    from ..batch.rundb import runs_list

    return runs_list(db=history_db(library), limit=limit)


def run(run_id: str, *, library: LibraryLike = None) -> dict[str, Any]:
    """One batch run: options, counts, timings per stage, library snapshot id, input hash.
    Raises :class:`~valuation.core.errors.NotFoundError` for an unknown id."""
    from ..batch.rundb import run_show

    return run_show(run_id, db=history_db(library))


def runs_diff(a: str, b: str, *, library: LibraryLike = None) -> pd.DataFrame:
    """Per asset of either run: estimate/low/high in run ``a`` and run ``b``, ``change``,
    ``change_ratio`` (b against a), ``flags_new`` and ``flags_cleared``."""
    from ..batch.rundb import runs_diff as _diff

    return _diff(a, b, db=history_db(library))


def history(asset_id: str, *, library: LibraryLike = None) -> pd.DataFrame:
    """Value over time of one asset across batch runs (财资〔2024〕1号: 动态跟踪价值变动):
    ``run_id, started_at, finished_at, snapshot_id, status, estimate, low, high, flags,
    valuation_date`` (the run's valuation date; None for runs recorded before it was kept)."""
    from ..batch.rundb import history as _history

    return _history(asset_id, db=history_db(library))


def history_assets(*, library: LibraryLike = None, limit: int = 5000) -> list[str]:
    """Asset ids with a valued result in the run history (for choosing one), sorted."""
    from ..batch.rundb import assets_with_history

    return assets_with_history(db=history_db(library), limit=limit)
