"""CLI of the five libraries: ``valuation init`` and ``valuation library …``.

The commands parse arguments, call the store and print readable text (Chinese label / English
label). Exit codes: 0 ok, 2 invalid input, 3 not found, 4 version conflict.
"""
from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import typer
import yaml

from ..library.records import LIBRARIES
from .common import DB_HELP, between, db_url, one_of

__all__ = ["library_app", "register"]

LIB_LABELS = {"standards": "标准库 standards", "rules": "规则库 rules",
              "indicators": "指标库 indicators", "models": "模型库 models", "cases": "案例库 cases"}
STATUS_LABELS = {"active": "生效 active", "draft": "草稿 draft", "retired": "停用 retired"}

library_app = typer.Typer(name="library", no_args_is_help=True, add_completion=False,
                          help="五库：标准、规则、指标、模型、案例 / the five libraries "
                               "(standards, rules, indicators, models, cases)")



def _open(db: str | None) -> Any:
    from .. import api

    return api.open_library(db)  # registers the library validators (e.g. the rule compiler)


def _fail(e: Exception) -> None:
    """Print a typed error in both languages and exit with its code."""
    from ..core.errors import ConflictError, NotFoundError, ValidationError, ValuationError

    if isinstance(e, ValuationError):
        typer.echo(f"错误 / error: {e.message_zh}", err=True)
        if e.message_en != e.message_zh:
            typer.echo(f"               {e.message_en}", err=True)
        for issue in getattr(e, "issues", [])[5:]:
            typer.echo(f"  - {issue.message_zh} / {issue.message_en}", err=True)
        code = 4 if isinstance(e, ConflictError) else 3 if isinstance(e, NotFoundError) else 2
        if not isinstance(e, (ConflictError, NotFoundError, ValidationError)):
            code = 1
        raise typer.Exit(code)
    raise e


def _lib(value: str) -> str:
    if value not in LIBRARIES:
        raise typer.BadParameter(f"库名须为 / must be one of: {', '.join(LIBRARIES)}")
    return value


def _title(content: dict[str, Any]) -> str:
    for k in ("title_zh", "name_zh", "title", "name", "document", "message_zh"):
        v = content.get(k)
        if v:
            return str(v).replace("\n", " ")[:50]
    return ""


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no login name in some containers
        return "cli"


def _dump(content: Any) -> str:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=100).rstrip()


def init(db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """建库并载入种子（幂等）/ create the schema and load the seed libraries (idempotent)."""
    from ..core.errors import ValuationError
    from ..library.seed.loader import load_seeds
    from .db import upgrade_database

    try:
        upgrade_database(db)  # the schema is set up (or upgraded) here, not on every open
        store = _open(db)
        counts = load_seeds(store)
    except ValuationError as e:
        _fail(e)
    typer.echo(f"数据库 / database: {store.url}")
    typer.echo(f"{'库 library':<24}{'新增 new':>10}{'更新 updated':>14}{'未变 unchanged':>16}"
               f"{'生效 active':>12}")
    active = store.counts()
    for lib in LIBRARIES:
        c = counts.get(lib, {"created": 0, "updated": 0, "unchanged": 0})
        typer.echo(f"{LIB_LABELS[lib]:<24}{c['created']:>10}{c['updated']:>14}"
                   f"{c['unchanged']:>16}{active.get(lib, 0):>12}")
    typer.echo(f"快照 / snapshot: {store.snapshot_id()}")


@library_app.command("list")
def list_(library: str = typer.Argument(..., callback=_lib, help="standards|rules|indicators|models|cases"),
          search: str | None = typer.Option(None, "--search", "-s", help="检索 / search text"),
          status: str = typer.Option("active", "--status",
                                     help="active | draft | retired | all"),
          db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """列出条目 / list the entries of a library."""
    from ..core.errors import ValuationError

    try:
        entries = _open(db).list(library, status=status, search=search)
    except ValuationError as e:
        _fail(e)
    typer.echo(f"{LIB_LABELS[library]} — {len(entries)} 条 / entries "
               f"({STATUS_LABELS.get(status, status)})")
    if entries:
        width = min(max(len(e.key) for e in entries), 40)
        typer.echo(f"{'键 key':<{width + 2}}{'版本 v':>7}  {'状态 status':<12}{'标题 title'}")
    for e in entries:
        typer.echo(f"{e.key:<{width + 2}}{e.version:>7}  {e.status:<12}{_title(e.content)}")


@library_app.command("show")
def show(library: str = typer.Argument(..., callback=_lib),
         key: str = typer.Argument(...),
         version: int | None = typer.Option(None, "--version", "-v",
                                               help="版本号（默认生效版本）/ version (default: in force)"),
         fmt: str = typer.Option("yaml", "--format", callback=one_of("yaml", "json"), help="yaml | json"),
         db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """显示一个条目 / show one entry."""
    from ..core.errors import ValuationError

    try:
        e = _open(db).get(library, key, version)
    except ValuationError as err:
        _fail(err)
    typer.echo(f"{LIB_LABELS[library]} / {e.key}")
    typer.echo(f"版本 version: {e.version}    状态 status: {STATUS_LABELS.get(e.status, e.status)}")
    typer.echo(f"作者 author: {e.author}    时间 time: {e.created_at:%Y-%m-%d %H:%M:%S %Z}")
    typer.echo(f"说明 note: {e.note}")
    if e.effective_from:
        typer.echo(f"生效日 effective from: {e.effective_from}")
    if e.references:
        typer.echo(f"依据 references: {', '.join(e.references)}")
    typer.echo(f"内容哈希 content hash: {e.content_hash[:16]}")
    typer.echo("内容 content:")
    typer.echo(json.dumps(e.content, ensure_ascii=False, indent=2) if fmt == "json"
               else _dump(e.content))


@library_app.command("history")
def history(library: str = typer.Argument(..., callback=_lib), key: str = typer.Argument(...),
            db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """条目的全部版本 / every version of an entry."""
    from ..core.errors import ValuationError

    try:
        hist = _open(db).history(library, key)
    except ValuationError as e:
        _fail(e)
    typer.echo(f"{LIB_LABELS[library]} / {key} — {len(hist)} 个版本 / versions")
    typer.echo(f"{'版本 v':>7}  {'状态 status':<12}{'作者 author':<16}{'时间 time (UTC)':<22}说明 note")
    for h in hist:
        typer.echo(f"{h.version:>7}  {h.status:<12}{h.author:<16}"
                   f"{h.created_at:%Y-%m-%d %H:%M:%S}   {h.note}")


@library_app.command("export")
def export(file: Path = typer.Argument(..., help="FILE.yaml | FILE.json"),
           db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """导出全部版本 / export every version to a YAML or JSON file."""
    from ..core.errors import ValuationError

    try:
        store = _open(db)
        n = store.export(file)
    except ValuationError as e:
        _fail(e)
    typer.echo(f"已导出 {n} 个版本 / exported {n} versions → {file}")
    typer.echo(f"快照 / snapshot: {store.snapshot_id()}")


@library_app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                        help="导出文件 / export file"),
            author: str | None = typer.Option(None, "--author", help="导入人 / who imports"),
            db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """导入导出文件（保留版本号与作者）/ import an export file (versions kept)."""
    from ..core.errors import ValuationError

    try:
        store = _open(db)
        c = store.import_(file, author=_author(author))
    except ValuationError as e:
        _fail(e)
    typer.echo(f"新增 {c['inserted']} 个版本，已存在 {c['unchanged']} 个 / inserted "
               f"{c['inserted']} versions, {c['unchanged']} already present")
    typer.echo(f"快照 / snapshot: {store.snapshot_id()}")


@library_app.command("put")
def put(library: str = typer.Argument(..., callback=_lib), key: str = typer.Argument(...),
        file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                    help="内容文件 / content file (YAML or JSON mapping)"),
        note: str = typer.Option(..., "--note", "-m", help="版本说明 / version note"),
        base_version: int | None = typer.Option(
            None, "--base-version", help="所依据的版本（新条目省略）/ version this change is based "
                                         "on (omit for a new entry)"),
        status: str = typer.Option("active", "--status", help="active | draft"),
        author: str | None = typer.Option(None, "--author", help="作者 / author"),
        db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """写入新版本 / write a new version from a file."""
    from ..core.errors import ValuationError
    from ..library.safe_load import load_document

    try:  # size, UTF-8, no YAML aliases, bounded depth — before anything is stored
        content = load_document(file, as_json=file.suffix.lower() == ".json")
    except ValuationError as err:
        _fail(err)
    if isinstance(content, dict):
        refs = content.get("references")
        refs = refs if isinstance(refs, list) and all(isinstance(r, str) for r in refs) else None
        eff = content.get("effective_from")
    else:
        refs = eff = None
    try:
        e = _open(db).put(library, key, content, author=_author(author), note=note,
                          base_version=base_version, status=status, references=refs,
                          effective_from=eff)
    except ValuationError as err:
        _fail(err)
    typer.echo(f"已保存 / saved {library}/{e.key} 版本 version {e.version} "
               f"({STATUS_LABELS.get(e.status, e.status)})")


@library_app.command("retire")
def retire(library: str = typer.Argument(..., callback=_lib), key: str = typer.Argument(...),
           note: str = typer.Option(..., "--note", "-m", help="停用原因 / reason"),
           base_version: int = typer.Option(..., "--base-version",
                                            help="所依据的版本 / version this is based on"),
           author: str | None = typer.Option(None, "--author", help="作者 / author"),
           db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """停用（删除）条目 / retire (delete) an entry — a new version with status retired."""
    from ..core.errors import ValuationError

    try:
        e = _open(db).retire(library, key, author=_author(author), note=note,
                             base_version=base_version)
    except ValuationError as err:
        _fail(err)
    typer.echo(f"已停用 / retired {library}/{e.key} (版本 version {e.version})")


@library_app.command("audit")
def audit(library: str | None = typer.Option(None, "--library", "-l",
                                                help="只看某库 / one library"),
          key: str | None = typer.Option(None, "--key", "-k", help="只看某条目 / one entry"),
          limit: int = typer.Option(50, "--limit", "-n", callback=between(1), help="条数 / number of records"),
          db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """审计日志（最新在前）/ audit log, newest first."""
    from ..core.errors import ValuationError

    try:
        if library is not None:
            _lib(library)
        records = _open(db).audit(library=library, key=key, limit=limit)
    except ValuationError as e:
        _fail(e)
    typer.echo(f"审计记录 / audit records: {len(records)}")
    typer.echo(f"{'时间 time (UTC)':<22}{'人 who':<14}{'动作 action':<12}{'库 library':<12}"
               f"{'键 key':<28}{'版本 v':>7}  说明 note")
    for r in records:
        typer.echo(f"{r.at:%Y-%m-%d %H:%M:%S}   {r.who:<14}{r.action:<12}{r.library:<12}"
                   f"{r.key:<28}{r.version:>7}  {r.note}")


def register(app: typer.Typer) -> None:
    """Add ``init`` and the ``library`` command group to the main ``valuation`` app."""
    app.command("init")(init)
    app.add_typer(library_app, name="library")
