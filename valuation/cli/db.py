"""``valuation db upgrade`` / ``valuation db status``: set the database up once.

Opening the store only checks the schema version (``library/migrate.py``); the DDL runs here
(and in ``valuation init``), in one transaction under the set-up lock, so parallel processes
never race on it. Exit codes: 0 ok, 2 the database is newer than this engine.
"""
from __future__ import annotations

import typer

from .common import DB_HELP, db_url

__all__ = ["db_app", "register", "upgrade_database"]

db_app = typer.Typer(name="db", no_args_is_help=True, add_completion=False,
                     help="数据库结构（迁移）/ database schema (migrations)")



def upgrade_database(db: str | None) -> tuple[int, int]:
    """Library tables to the current schema version, plus the batch-history tables."""
    from ..batch.rundb import ensure_schema
    from ..library.database import make_engine
    from ..library.migrate import upgrade

    eng = make_engine(db)
    found = upgrade(eng)
    ensure_schema(eng)
    return found


@db_app.command("upgrade")
def upgrade_cmd(db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """升级数据库结构到本程序的版本（幂等）/ bring the schema to this engine's version."""
    from ..core.errors import ValuationError

    try:
        old, new = upgrade_database(db)
    except ValuationError as e:
        typer.echo(f"错误 / error: {e.message_zh}\n               {e.message_en}", err=True)
        raise typer.Exit(2) from None
    if old == new:
        typer.echo(f"数据库结构已是版本 {new} / schema already at version {new}")
    else:
        typer.echo(f"数据库结构 {old} → {new} / schema upgraded {old} → {new}")


@db_app.command("status")
def status_cmd(db: str | None = typer.Option(None, "--db", callback=db_url(), help=DB_HELP)) -> None:
    """显示数据库结构版本 / show the schema version of the database."""
    from ..library.database import make_engine
    from ..library.migrate import SCHEMA_VERSION, current_version

    found = current_version(make_engine(db))
    shown = "空 / empty" if found is None else str(found)
    typer.echo(f"数据库 / database: {shown}; 程序 / engine: {SCHEMA_VERSION}")
    if found != SCHEMA_VERSION:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
