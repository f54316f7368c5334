"""What the commands share: reading a JSON document given on the command line and reporting a
refusal (exit code 2) in the user's language or as JSON."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

__all__ = ["DB_HELP", "between", "iso_date", "database_unreachable", "db_url", "one_of", "read_json", "refuse", "write_output"]

#: the help text of every command's --db option
DB_HELP = "数据库 URL（默认 VALUATION_DB_URL 或 ./var/valuation.db）/ database URL"


def one_of(*allowed: str) -> Callable[[typer.Context, typer.CallbackParam, Any], Any]:
    """Callback of an option that takes one of ``allowed``: any other value is refused while
    the command line is parsed (before any file is read or written) with Click's usage error,
    exit code 2, naming the option, the value and what is allowed in both languages."""
    def check(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value is None or value in allowed or ctx.resilient_parsing:
            return value
        raise typer.BadParameter(f"{value!r} 不是允许值（允许：{' | '.join(allowed)}）/ "
                                 f"{value!r} is not allowed (allowed: {' | '.join(allowed)})")
    return check


def between(lo: int, hi: int | None = None) -> Callable[[typer.Context, typer.CallbackParam, Any], Any]:
    """Callback of an integer option allowed from ``lo`` to ``hi`` (no upper bound when None):
    a value outside is refused while parsing, naming the value and the range in both languages."""
    def check(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value is None or ctx.resilient_parsing or (value >= lo and (hi is None or value <= hi)):
            return value
        zh, en = (f"{lo} 至 {hi}", f"{lo} to {hi}") if hi is not None else (f"≥ {lo}", f"≥ {lo}")
        raise typer.BadParameter(f"{value} 超出允许范围（{zh}）/ {value} is outside the allowed range ({en})")
    return check


def iso_date(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """Callback of a date option: ``YYYY-MM-DD`` (a calendar date), else refused while parsing
    (``--as-of 2025-13-01`` ended in Python's ValueError traceback)."""
    import datetime as dt

    if value is None or ctx.resilient_parsing:
        return value
    try:
        dt.date.fromisoformat(value)     # what the batch reads it with (20251231 passes too)
    except ValueError:
        raise typer.BadParameter(f"{value!r} 不是日期（允许：YYYY-MM-DD，如 2025-12-31）/ "
                                 f"{value!r} is not a date (allowed: YYYY-MM-DD, e.g. 2025-12-31)") from None
    return value


def db_url(*, seed: bool = False) -> Callable[[typer.Context, typer.CallbackParam, Any], Any]:
    """Callback of a ``--db`` option: a database URL whose driver is installed (SQLite,
    PostgreSQL), or ``seed`` where the command can run on the seed files alone. A value that
    is neither is refused with exit code 2 instead of a driver's traceback."""
    def check(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value is None or ctx.resilient_parsing or (seed and value == "seed"):
            return value
        import sqlalchemy as sa

        from ..library.database import normalise_url

        try:
            sa.make_url(normalise_url(value)).get_dialect()
        except Exception as e:  # noqa: BLE001 - unparsable URL or driver not installed
            allowed = ("'seed' | " if seed else "") + "sqlite:///FILE | postgresql://USER@HOST/DB"
            raise typer.BadParameter(f"{value!r} 不是可用的数据库 URL（允许：{allowed}）/ "
                                     f"{value!r} is not a usable database URL (allowed: {allowed}): {e}") from e
        return value
    return check


def read_json(path: Path, format: str = "text", lang: str = "zh") -> Any:
    """The JSON document in ``path`` through the input gate (:mod:`valuation.core.gate`: size,
    UTF-8, depth, duplicate keys, big integers, control characters); a refusal exits with code
    2 naming the field, the value and what is allowed. The size is checked before reading."""
    from ..core.gate import LIMITS, GateError, parse_json, too_large

    try:
        size = path.stat().st_size
        if size > LIMITS.max_bytes:
            raise too_large(path.name, size)
        return parse_json(path.read_bytes(), field=path.name)
    except GateError as e:
        refuse(e, format, lang)
    except OSError as e:
        typer.echo(f"无法读取文件 / cannot read the file: {e}", err=True)
        raise typer.Exit(2) from e


def refuse(e: Any, format: str, lang: str) -> NoReturn:
    """Print a :class:`~valuation.core.errors.ValuationError` with every issue, exit code 2."""
    if format == "json":
        typer.echo(json.dumps(e.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(e.message(lang), err=True)
        for i in getattr(e, "issues", []):
            typer.echo("  - " + i.message(lang), err=True)
    raise typer.Exit(2)


def write_output(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` whole or not at all (a temporary file beside it, then a
    rename); a folder that does not exist or cannot be written exits with code 2."""
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        typer.echo(f"无法写入文件 / cannot write the file: {out} ({e.strerror or e})", err=True)
        raise typer.Exit(2) from e


def database_unreachable(e: BaseException) -> bool:
    """When ``e`` is the driver's refusal to open the database of ``--db`` (or
    ``VALUATION_DB_URL``) — no server at that address, a wrong password, a SQLite file that
    cannot be created — print it without a traceback and return True (the caller exits with
    code 2); else return False.
    The driver's message names the host or file, never the password."""
    import sqlalchemy as sa

    if not isinstance(e, sa.exc.OperationalError):
        return False
    why = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    typer.echo(f"无法打开数据库（--db 或 VALUATION_DB_URL）/ cannot open the database (--db or "
               f"VALUATION_DB_URL): {why}", err=True)
    return True
