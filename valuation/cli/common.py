"""What the commands share: reading a JSON document given on the command line and reporting a
refusal (exit code 2) in the user's language or as JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer

__all__ = ["read_json", "refuse"]


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; invalid JSON exits with code 2 and the parser's message."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        typer.echo(f"JSON 解析失败 / invalid JSON: {e}", err=True)
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
