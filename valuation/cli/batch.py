"""``valuation revalue`` and ``valuation runs list|show|diff|history``: batch revaluation and its
history. The commands parse options, call :func:`valuation.api.revalue` /
:mod:`valuation.batch` and render what they return; they hold no valuation logic."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from .common import db_url, iso_date, one_of

__all__ = ["register"]


def _fail(e: Exception, lang: str, fmt: str = "text") -> None:
    from ..core.errors import ValuationError

    if isinstance(e, ValuationError):
        if fmt == "json":
            typer.echo(json.dumps(e.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            typer.echo(e.message(lang), err=True)
            for i in getattr(e, "issues", [])[:50]:
                typer.echo("  - " + i.message(lang), err=True)
        raise typer.Exit(2)
    raise e


def _db_args(db: str | None) -> dict[str, Any]:
    """``--db URL``: library store and run history in that database; ``--db seed``: the seed
    files as the library, the history in the default database."""
    if db is None:
        return {"library": None, "db": None}
    if db == "seed":
        return {"library": "seed", "db": None}
    return {"library": db, "db": db}


_RATIO_COLUMNS = ("ratio", "coverage", "share")


def _frame_text(fr: Any, lang: str = "zh") -> str:
    """A table for the terminal: amounts with thousands separators and two decimals, ratios as
    percentages, missing values as — (valuation.core.formatting), never raw floats."""
    import pandas as pd

    from ..core import formatting as F

    out = fr.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            if any(k in str(c) for k in _RATIO_COLUMNS):
                out[c] = [F.percent(x, 1, lang) for x in out[c]]
            else:
                out[c] = [F.number(x, 2, lang) for x in out[c]]
        elif out[c].dtype == object:
            out[c] = ["—" if x is None or (isinstance(x, float) and x != x) else x for x in out[c]]
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 200):
        return out.to_string(index=False)


def register(app: typer.Typer) -> None:
    """Add ``revalue`` and the ``runs`` group to ``app``."""
    _add_revalue(app)
    app.add_typer(_runs_app(), name="runs")


def _add_revalue(app: typer.Typer) -> None:
    @app.command("revalue")
    def revalue_cmd(
        portfolio: Path = typer.Argument(..., exists=True, dir_okay=False,
                                         help="资产组合文件 / portfolio file (.csv, .xlsx, .parquet)"),
        out: Path = typer.Option(..., "--out", "-o", help="结果文件 / results file (.csv, .parquet, .xlsx)"),
        only: str = typer.Option("all", "--only", help="all | high-premium | high-impairment"),
        backend: str = typer.Option("local", "--backend", help="local | dask"),
        workers: int | None = typer.Option(None, "--workers", min=1, help="进程数 / worker processes"),
        scheduler: str | None = typer.Option(None, "--scheduler", help="Dask 调度器地址 / Dask scheduler address"),
        resume: bool = typer.Option(False, "--resume", help="从检查点继续 / resume from checkpoints"),
        db: str | None = typer.Option(None, "--db", callback=db_url(seed=True), help="数据库 URL；'seed' 仅用种子文件 / DB URL or 'seed'"),
        chunk_size: int | None = typer.Option(None, "--chunk-size", min=1,
                                              help="每个分区的资产数（默认 10000）/ assets per partition (default 10000)"),
        as_of: str | None = typer.Option(None, "--as-of", callback=iso_date,
                                         help="规则的“今天” YYYY-MM-DD / rules' today"),
        no_history: bool = typer.Option(False, "--no-history", help="不记录、不比对历史（仅用于基准测试）"),
        balance_sheet_date: str | None = typer.Option(
            None, "--balance-sheet-date", help="资产负债表日：入表减值台账与披露表 / balance-sheet run (YYYY-MM-DD)"),
        format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text"),
        lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
    ) -> None:
        """批量重估资产组合 / revalue a portfolio (screen, value, diff, record)."""
        from .. import api

        try:
            size = {} if chunk_size is None else {"chunk_size": chunk_size}   # None: the pipeline's default
            s = api.revalue(str(portfolio), str(out), only=only, backend=backend, workers=workers,
                            scheduler=scheduler, resume=resume, as_of=as_of, **size,
                            history=not no_history, balance_sheet_date=balance_sheet_date,
                            **_db_args(db))
        except Exception as e:  # noqa: BLE001 - typed errors become exit 2, others propagate
            if scheduler and isinstance(e, OSError) and scheduler in str(e):
                # the Dask scheduler named by --scheduler cannot be reached (a 30 s timeout and
                # its traceback before): a bad option value, with the driver's reason
                typer.echo(f"无法连接 Dask 调度器（--scheduler {scheduler}）/ cannot reach the Dask scheduler "
                           f"(--scheduler {scheduler}): {e}", err=True)
                raise typer.Exit(2) from e
            _fail(e, lang, format)
            return
        if format == "json":
            typer.echo(json.dumps(s.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(s.to_text(lang))
            if s.books:
                typer.echo(("impairment register: " if lang == "en" else "减值台账与披露表：") + s.books)


def _runs_app() -> typer.Typer:
    """The ``runs`` group: list, show, diff, history."""
    runs_app = typer.Typer(name="runs", no_args_is_help=True, add_completion=False,
                           help="批量重估记录 / batch revaluation runs (list, show, diff, history)")

    @runs_app.command("list")
    def runs_list_cmd(db: str | None = typer.Option(None, "--db", callback=db_url(seed=True), help="数据库 URL / DB URL"),
                      limit: int = typer.Option(20, "--limit", min=1),
                      format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text")) -> None:
        """列出重估记录 / list runs (newest first)."""
        from ..batch import runs_list

        fr = runs_list(db=_db_args(db)["db"], limit=limit)
        if format == "json":
            typer.echo(fr.to_json(orient="records", date_format="iso", force_ascii=False))
        elif not len(fr):
            typer.echo("（无记录 / no runs）")
        else:
            typer.echo(_frame_text(fr))

    @runs_app.command("show")
    def runs_show_cmd(run_id: str = typer.Argument(...),
                      db: str | None = typer.Option(None, "--db", callback=db_url(seed=True)),
                      lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en")) -> None:
        """显示一次重估 / show one run (options, counts, timings)."""
        from ..batch import run_show

        try:
            d = run_show(run_id, db=_db_args(db)["db"])
        except Exception as e:  # noqa: BLE001
            _fail(e, lang)
            return
        typer.echo(json.dumps(d, ensure_ascii=False, indent=2, default=str))

    @runs_app.command("diff")
    def runs_diff_cmd(a: str = typer.Argument(..., help="较早的记录 / earlier run"),
                      b: str = typer.Argument(..., help="较晚的记录 / later run"),
                      db: str | None = typer.Option(None, "--db", callback=db_url(seed=True)),
                      out: Path | None = typer.Option(None, "--out", help="写入文件 / write to file"),
                      changed_only: bool = typer.Option(True, "--changed-only/--all",
                                                        help="只显示有变化的资产 / only changed assets"),
                      lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en")) -> None:
        """比较两次重估 / compare two runs per asset (value change, new and cleared flags)."""
        from ..batch import runs_diff, write_table

        try:
            fr = runs_diff(a, b, db=_db_args(db)["db"])
        except Exception as e:  # noqa: BLE001
            _fail(e, lang)
            return
        if changed_only:
            ch = fr["change"].fillna(0).abs() > 1e-9
            ch |= fr["flags_new"].astype(str).ne("") | fr["flags_cleared"].astype(str).ne("")
            ch |= fr["estimate_a"].isna() != fr["estimate_b"].isna()
            fr = fr[ch]
        if out is not None:
            write_table(fr, out)
            typer.echo(str(out))
            return
        cols = ["asset_id", "estimate_a", "estimate_b", "change", "change_ratio", "flags_new", "flags_cleared"]
        typer.echo(_frame_text(fr[cols], lang) if len(fr) else "（无变化 / no changes）")

    @runs_app.command("history")
    def runs_history_cmd(asset_id: str = typer.Argument(...),
                         db: str | None = typer.Option(None, "--db", callback=db_url(seed=True))) -> None:
        """一项资产的历次重估值 / value of one asset across runs."""
        from ..batch import history

        fr = history(asset_id, db=_db_args(db)["db"])
        typer.echo(_frame_text(fr) if len(fr) else "（无记录 / no runs）")

    return runs_app
