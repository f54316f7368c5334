"""``valuation rules list|show|add|test|facts`` — the rules library (规则库)."""
from __future__ import annotations

from pathlib import Path

import typer
import yaml

from .common import db_url, one_of

rules_app = typer.Typer(no_args_is_help=True, help="规则库 / rules library: list, show, add, test, facts")


def _store(db: str | None):
    from .. import api

    return api.open_library(db)


@rules_app.command("list")
def list_(db: str | None = typer.Option(None, "--db", callback=db_url(), help="数据库 URL / database URL"),
          lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"))) -> None:
    """列出生效的规则 / list the rules in force."""
    for e in sorted(_store(db).list("rules"), key=lambda e: e.key):
        c = e.content
        title = c.get("title_en" if lang == "en" else "title_zh") or ""
        typer.echo(f"{e.key:<24} v{e.version:<3} {c.get('severity', ''):<8} {title}  [{', '.join(c.get('references') or [])}]")


@rules_app.command("show")
def show(code: str, db: str | None = typer.Option(None, "--db", callback=db_url()),
         version: int | None = typer.Option(None, "--version")) -> None:
    """显示一条规则 / show one rule."""
    from ..core.errors import NotFoundError

    try:
        e = _store(db).get("rules", code, version)
    except NotFoundError as err:
        typer.echo(err.message("zh") + " / " + err.message("en"), err=True)
        raise typer.Exit(3)
    typer.echo(yaml.safe_dump({"version": e.version, "status": e.status, "author": e.author, "note": e.note,
                               **e.content}, allow_unicode=True, sort_keys=False))


@rules_app.command("add")
def add(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="RULE.yaml"),
        note: str = typer.Option(..., "--note", help="版本说明 / version note"),
        author: str = typer.Option("cli", "--author"),
        db: str | None = typer.Option(None, "--db", callback=db_url())) -> None:
    """新增或修改规则（先编译校验，保存为新版本）/ add or change a rule (compiled first, saved as a new version)."""
    from ..core.errors import ConflictError, NotFoundError, ValuationError
    from ..library.safe_load import load_document

    try:  # size, UTF-8, no YAML aliases, bounded depth — before anything is stored
        content = load_document(file, as_json=file.suffix.lower() == ".json")
    except ValuationError as err:
        typer.echo(f"错误 / error: {err.message_zh} / {err.message_en}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(content, dict):
        typer.echo(f"错误 / error: {file} 必须是 YAML 映射 / must be a YAML mapping", err=True)
        raise typer.Exit(2)
    store = _store(db)
    try:
        try:
            base = store.history("rules", content.get("id", ""))[-1].version
        except (NotFoundError, IndexError):
            base = None
        e = store.put("rules", str(content.get("id")), content, author=author, note=note, base_version=base)
    except ConflictError as err:
        typer.echo(err.message("zh") + " / " + err.message("en"), err=True)
        raise typer.Exit(4)
    except ValuationError as err:
        typer.echo(err.message("zh") + "\n" + err.message("en"), err=True)
        raise typer.Exit(2)
    typer.echo(f"已保存 / saved {e.key} v{e.version}")


@rules_app.command("test")
def test(expr: str = typer.Argument(..., help="规则表达式 / expression"),
         params: str | None = typer.Option(None, "--params", help='JSON，例如 {"threshold": 1.0}')) -> None:
    """编译测试一个表达式；被拒绝时以非零码退出并给出原因 / compile an expression; exit non-zero with the reason when refused."""
    from .. import api
    from ..core.errors import Issue, ValidationError, ValuationError
    from ..core.gate import parse_json

    try:
        p = parse_json(params, field="--params") if params else None
        if p is not None and not isinstance(p, dict):   # the compiler takes named constants only
            raise ValidationError([Issue(field="--params", value=params, allowed='{"名": 值} / {"name": value}',
                                         message_zh=f"--params 须为 JSON 对象（参数名 → 值），而不是 {params}",
                                         message_en=f"--params must be a JSON object (name → value), not {params}")])
        facts = api.test_rule(expr, p)
    except ValuationError as err:   # refused by the compiler, or --params by the input gate
        typer.echo(err.message("zh"), err=True)
        typer.echo(err.message("en"), err=True)
        raise typer.Exit(2)
    typer.echo("表达式可用 / accepted; facts: " + ", ".join(facts))


@rules_app.command("facts")
def facts(lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"))) -> None:
    """规则可读取的事实 / the facts a rule expression may read (name, type, meaning).

    The compiler's refusal of an unknown fact points here (``valuation/rules/compiler.py``)."""
    from ..rules.facts import describe_facts

    rows = describe_facts(lang)
    w = max(len(r["fact"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['fact']:<{w}}  {r['type']:<8}  {r['description']}")


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
