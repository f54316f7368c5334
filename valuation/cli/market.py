"""CLI of the market approach: ``valuation backtest`` and ``valuation cases import|list``.

Commands parse arguments, call the library / back-test functions and print what they return.
Exit codes: 0 ok, 2 invalid input.
"""
from __future__ import annotations

import getpass
from pathlib import Path

import typer

from .common import DB_HELP, between, db_url, one_of

__all__ = ["cases_app", "register"]

cases_app = typer.Typer(name="cases", no_args_is_help=True, add_completion=False,
                        help="案例库：导入与列表 / case library: import and list")



def _paths(values: list[str]) -> list[str]:
    """Repeated options and comma-separated lists both work: --cases a.csv --cases b.csv,c.csv."""
    out: list[str] = []
    for v in values:
        out.extend(x for x in str(v).split(",") if x)
    return out


def _fail(e: Exception) -> None:
    from ..core.errors import ValuationError

    if isinstance(e, ValuationError):
        typer.echo(f"错误 / error: {e.message_zh}", err=True)
        if e.message_en != e.message_zh:
            typer.echo(f"               {e.message_en}", err=True)
        for issue in getattr(e, "issues", [])[5:20]:
            typer.echo(f"  - {issue.message_zh} / {issue.message_en}", err=True)
        raise typer.Exit(2)
    raise e


def backtest(cases: list[str] = typer.Option(..., "--cases", help="案例文件（可重复或逗号分隔）/ case files"),
             holdout: list[str] | None = typer.Option(None, "--holdout",
                                                       help="检验文件；省略则按 --group-by 拆分案例文件 / hold-out "
                                                            "files; without them the case files are split"),
             group_by: str = typer.Option("title", "--group-by",
                                          help="拆分分组：title（同系列挂牌）| provider | row / split groups: "
                                               "listing family (title) | provider | row (random, leaky)"),
             share: float = typer.Option(0.7, "--share", help="拟合部分的分组比例 / share of groups fitted"),
             seed: int = typer.Option(7, "--seed", help="拆分随机种子 / split seed"),
             format: str = typer.Option("dadada", "--format", help="dadada | csv"),
             mapping: Path | None = typer.Option(None, "--mapping", help="列映射 YAML（csv 格式）/ column mapping"),
             predictions: Path | None = typer.Option(None, "--predictions", help="预测结果 CSV / predictions CSV"),
             tables: Path | None = typer.Option(None, "--tables",
                                                help="按计价方式/交易所的表：PREFIX.json 与 PREFIX_*.csv / "
                                                     "per-mode and per-exchange tables: PREFIX.json and PREFIX_*.csv"),
             lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en")) -> None:
    """市场法回测 / back-test the market approach on held-out priced cases."""
    import tempfile

    from .. import api
    from ..core.errors import ValuationError

    if format not in ("dadada", "csv"):
        typer.echo("错误 / error: --format 须为 dadada 或 csv / must be dadada or csv", err=True)
        raise typer.Exit(2)
    if group_by not in ("title", "provider", "row") or not 0.0 < share < 1.0:
        typer.echo(f"错误 / error: --group-by 须为 title、provider 或 row，--share 在 0 与 1 之间 / --group-by must "
                   f"be title, provider or row and --share within (0, 1): {group_by!r}, {share!r}", err=True)
        raise typer.Exit(2)
    holdout = holdout or []
    files = _paths(cases) + _paths(holdout)
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        typer.echo(f"错误 / error: 文件不存在 / file not found: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    try:
        with tempfile.TemporaryDirectory(prefix="valuation-backtest-") as tmp:
            c_files, h_files = _paths(cases), _paths(holdout)
            if format == "csv" and mapping is not None:
                # api.backtest takes files in the case schema: map them first (identity afterwards)
                c_files = [_mapped(c_files, mapping, Path(tmp) / "cases.csv")]
                h_files = [_mapped(h_files, mapping, Path(tmp) / "holdout.csv")] if h_files else []
            res = api.backtest(c_files, h_files or None, fmt=format, group_by=group_by, fit_share=share, seed=seed,
                               predictions=str(predictions) if predictions else None)
    except ValuationError as e:
        _fail(e)
        return
    typer.echo(("案例 / cases: " if lang != "en" else "cases: ") +
               res.reports["cases"].summary(lang).splitlines()[0])
    typer.echo(("检验 / hold-out: " if lang != "en" else "hold-out: ") +
               res.reports["holdout"].summary(lang).splitlines()[0])
    typer.echo(res.summary(lang))
    typer.echo(res.tables_text())
    if tables:
        for path in res.write_tables(tables):
            typer.echo(path)
    if predictions:
        typer.echo(str(predictions))


@cases_app.command("import")
def import_(paths: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="PATH..."),
            format: str = typer.Option("dadada", "--format", help="dadada | csv"),
            mapping: Path | None = typer.Option(None, "--mapping", exists=True, dir_okay=False,
                                                   help="列映射 YAML / column mapping (csv)"),
            db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP),
            author: str | None = typer.Option(None, "--author", help="作者 / author"),
            dry_run: bool = typer.Option(False, "--dry-run", help="只报告不写库 / report only"),
            lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
            show_skipped: int = typer.Option(20, "--show-skipped", callback=between(0), help="列出前 N 个跳过的行 / list N skipped rows")
            ) -> None:
    """导入案例（报告每一行：导入或跳过及原因）/ import cases, reporting every row."""
    from ..core.errors import ValuationError
    from ..library.cases import import_dadada, import_table, store_items

    if format not in ("dadada", "csv"):
        typer.echo("错误 / error: --format 须为 dadada 或 csv / must be dadada or csv", err=True)
        raise typer.Exit(2)
    try:
        rep = import_dadada(paths) if format == "dadada" else import_table(paths, mapping)
    except ValuationError as e:
        _fail(e)
        return
    typer.echo(rep.summary(lang))
    if len(rep.skipped) and show_skipped:
        col = "reason_en" if lang == "en" else "reason_zh"
        for r in rep.skipped.head(show_skipped).itertuples(index=False):
            typer.echo(f"  {Path(r.file).name}:{r.row}  {r.reason}  {getattr(r, col)}  {r.title if isinstance(r.title, str) else ''}")
        if len(rep.skipped) > show_skipped:
            typer.echo(f"  … {len(rep.skipped) - show_skipped}")
    if dry_run or not rep.n_imported:
        return
    from .. import api

    try:
        store = api.open_library(db)
        who = author or _user()
        counts = store.put_many("cases", store_items(rep.imported), author=who,
                                note=f"import {format}: {', '.join(p.name for p in paths)}")
    except ValuationError as e:
        _fail(e)
        return
    typer.echo(("写入案例库 / stored: " if lang != "en" else "stored: ") +
               ", ".join(f"{k} {v}" for k, v in counts.items()))


def _mapped(paths: list[str], mapping: Path, out: Path) -> str:
    from ..library.cases import import_table

    import_table(paths, mapping).imported.to_csv(out, index=False)
    return str(out)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001  # pragma: no cover
        return "cli"


@cases_app.command("list")
def list_(db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP),
          price_mode: str | None = typer.Option(None, "--price-mode", help="one_off | subscription_year | per_call | free | negotiated"),
          category: str | None = typer.Option(None, "--category"),
          limit: int = typer.Option(30, "--limit", callback=between(1), help="最多显示行数 / rows to show"),
          lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en")) -> None:
    """列出案例库 / list the cases in the library."""
    import pandas as pd

    from .. import api
    from ..core.errors import ValuationError
    from ..library.cases import cases_frame_from_store

    try:
        c = cases_frame_from_store(api.open_library(db))
    except ValuationError as e:
        _fail(e)
        return
    if price_mode:
        c = c[c["price_mode"] == price_mode]
    if category:
        c = c[c["category"] == category]
    typer.echo(f"案例 {len(c)} 个" if lang != "en" else f"{len(c)} cases")
    if len(c):
        by = c.groupby(["price_mode", "price_unit"], dropna=False)["price"].agg(["size", "median"])
        typer.echo(by.to_string())
        with pd.option_context("display.width", 160, "display.max_colwidth", 30):
            typer.echo(c[["case_id", "title", "category", "price_mode", "price", "price_unit", "date",
                          "evidence_type"]].head(limit).to_string(index=False))


def register(app: typer.Typer) -> None:
    """Add ``backtest`` and the ``cases`` group to the main app."""
    app.command("backtest")(backtest)
    app.add_typer(cases_app, name="cases")
