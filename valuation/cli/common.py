"""What the commands share: reading a JSON document given on the command line and reporting a
refusal (exit code 2) in the user's language or as JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer

__all__ = ["DB_HELP", "read_json", "refuse"]

#: the help text of every command's --db option
DB_HELP = "数据库 URL（默认 VALUATION_DB_URL 或 ./var/valuation.db）/ database URL"


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
