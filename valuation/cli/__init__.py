"""The ``valuation`` command (Typer). Commands parse input, call :mod:`valuation.api` and
render what it returns; they hold no valuation logic."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import typer

from .. import __version__
from .common import db_url, one_of, write_output

app = typer.Typer(name="valuation", no_args_is_help=True, add_completion=False,
                  help="数据资产评估与定价引擎 / Data asset valuation and pricing engine")

# Command groups contributed by other modules: each exposes register(app).
_GROUPS = ("library", "rules", "market", "pricing", "batch", "service", "report", "db", "book",
           "share")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"valuation {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="版本 / show the version")) -> None:
    """数据资产评估与定价引擎（成本法、收益法、市场法；五库；指导价区间；风险标记）。"""


@app.command()
def schema(doc: str = typer.Option("card", callback=one_of("card", "product", "share"),
                                   help="card | product | share"),
           lang: str = typer.Option("en", callback=one_of("zh", "en"), help="zh | en (titles)"),
           out: Path | None = typer.Option(None, "--out", help="写入文件 / write to file")) -> None:
    """导出 JSON Schema / print the JSON Schema of the interchange format."""
    from ..api import share_schema  # the revenue-sharing spec (valuation.sharing.spec)
    from ..core.schema import json_schema

    body = share_schema(lang) if doc == "share" else json_schema(doc, lang)
    text = json.dumps(body, ensure_ascii=False, indent=2)
    if out:
        write_output(out, text.encode("utf-8"))
        typer.echo(str(out))
    else:
        typer.echo(text)


@app.command()
def template(file: Path = typer.Argument(..., help="FILE.xlsx | FILE.csv")) -> None:
    """生成空白资产组合模板 / write a blank portfolio template."""
    from ..core.template import write_template

    try:
        p = write_template(file)
    except ValueError as e:
        typer.echo(f"错误 / error: {e}", err=True)
        raise typer.Exit(2)
    except OSError as e:  # a folder that does not exist or cannot be written
        typer.echo(f"无法写入文件 / cannot write the file: {file} ({e.strerror or e})", err=True)
        raise typer.Exit(2) from e
    typer.echo(str(p))


@app.command()
def appraise(card: Path = typer.Argument(..., exists=True, dir_okay=False, help="CARD.json"),
             format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text"),
             lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
             db: str | None = typer.Option(None, "--db", callback=db_url(seed=True), help="数据库 URL；'seed' 仅用种子文件"),
             unit: str = typer.Option("wan", "--unit", callback=one_of("wan", "yuan"),
                                      help="wan 万元 | yuan 元 (text output)"),
             ) -> None:
    """评估一张资产卡片 / appraise one asset card."""
    from .. import api
    from ..core.errors import ValuationError
    from .common import read_json, refuse

    data = read_json(card, format, lang)
    try:
        res = api.appraise(data, library=db)
    except ValuationError as e:
        refuse(e, format, lang)
    if format == "json":
        typer.echo(res.to_json(indent=2))
    else:
        typer.echo(res.to_text(lang, unit=unit))


def _register_groups() -> None:
    for name in _GROUPS:
        try:
            mod = importlib.import_module(f"valuation.cli.{name}")
        except ImportError as e:  # a group whose optional dependency is missing
            if f"valuation.cli.{name}" in str(e) or "No module named 'valuation.cli" in str(e):
                continue
            raise
        reg = getattr(mod, "register", None)
        if reg is not None:
            reg(app)


_register_groups()


#: Options that take several paths after one flag (``--cases A B C``), as the back-test's
#: documented form has it; Click options take one value each, so they are spelled out.
MULTI_VALUE_OPTIONS = {"backtest": ("--cases", "--holdout")}


def expand_multi_values(argv: list[str]) -> list[str]:
    """``backtest --cases a b --holdout c`` → ``backtest --cases a --cases b --holdout c``."""
    cmd = next((a for a in argv if not a.startswith("-")), None)
    flags = MULTI_VALUE_OPTIONS.get(cmd or "", ())
    if not flags:
        return list(argv)
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        out.append(a)
        i += 1
        if a in flags:
            first = True
            while i < len(argv) and (first or not argv[i].startswith("-")):
                if not first:
                    out.append(a)
                out.append(argv[i])
                first = False
                i += 1
    return out


def main(argv: list[str] | None = None) -> None:  # console script entry point
    try:
        app(args=expand_multi_values(sys.argv[1:] if argv is None else argv))
    except Exception as e:  # noqa: BLE001 - only a database that cannot be opened is handled
        from .common import database_unreachable

        if not database_unreachable(e):
            raise
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
