"""The options of a batch run (:func:`valuation.batch.pipeline.revalue`), checked before anything
is read: a bad value refuses the run with the bilingual error naming the option, the value and
what is allowed (:class:`~valuation.core.errors.ValidationError`; CLI exit 2, HTTP 422).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from pathlib import Path
from typing import Any

from ..core.errors import Issue, ValidationError
from .backends import BACKENDS

__all__ = ["ONLY", "OUT_SUFFIXES", "RunOptions", "bad_option", "run_options"]

#: screening before valuation (docs/DESIGN.md §2 "Run"; :mod:`valuation.batch.partition`)
ONLY = ("all", "high-premium", "high-impairment")
#: results formats, chosen by the suffix of ``out``
OUT_SUFFIXES = (".csv", ".parquet", ".xlsx")


def bad_option(field: str, value: Any, allowed: str) -> ValidationError:
    """The error refusing option ``field`` = ``value``, in Chinese and English."""
    return ValidationError([Issue(field=field, value=value, allowed=allowed,
                                  message_zh=f"参数 {field} 的值 {value!r} 无效；允许：{allowed}",
                                  message_en=f"option {field}: value {value!r} is not allowed; allowed: {allowed}")])


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The options of :func:`~valuation.batch.pipeline.revalue`, checked (dates parsed)."""

    only: str
    backend: str
    workers: int | None
    scheduler: str | None
    resume: bool
    chunk_size: int
    progress: Any
    as_of: _dt.date | None
    history: bool
    flag_messages: bool
    balance_sheet_date: _dt.date | None

    @property
    def nworkers(self) -> int:
        """The local backend's worker processes: ``workers``, else one per core."""
        return int(self.workers or os.cpu_count() or 1)


def _dates(as_of: _dt.date | str | None, balance_sheet_date: _dt.date | str | None
           ) -> tuple[_dt.date | None, _dt.date | None]:
    """``as_of`` and ``balance_sheet_date`` as dates (ISO text accepted)."""
    if isinstance(as_of, str):
        as_of = _dt.date.fromisoformat(as_of)
    if isinstance(balance_sheet_date, str):
        try:
            balance_sheet_date = _dt.date.fromisoformat(balance_sheet_date)
        except ValueError:
            raise bad_option("balance_sheet_date", balance_sheet_date, "a date YYYY-MM-DD") from None
    return as_of, balance_sheet_date


def _check(only: str, backend: str, chunk_size: Any, workers: Any, out: Path) -> None:
    if only not in ONLY:
        raise bad_option("only", only, ", ".join(ONLY))
    if backend not in BACKENDS:
        raise bad_option("backend", backend, ", ".join(BACKENDS))
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise bad_option("chunk_size", chunk_size, "an integer >= 1")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise bad_option("workers", workers, "an integer >= 1")
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise bad_option("out", str(out), ", ".join(OUT_SUFFIXES))


def run_options(out: Path, *, only: str, backend: str, workers: int | None, scheduler: str | None,
                resume: bool, chunk_size: int, progress: Any, as_of: _dt.date | str | None,
                history: bool, flag_messages: bool, balance_sheet_date: _dt.date | str | None) -> RunOptions:
    """The options of a run writing to ``out``, checked; raises ``ValidationError`` naming the
    first bad option (the parameters are those of :func:`~valuation.batch.pipeline.revalue`)."""
    _check(only, backend, chunk_size, workers, out)
    as_of, balance_sheet_date = _dates(as_of, balance_sheet_date)
    return RunOptions(only, backend, workers, scheduler, bool(resume), chunk_size, progress, as_of, history,
                      bool(flag_messages), balance_sheet_date)
