"""``valuation report CARD.json --out FILE.docx|.xlsx|.pdf``."""
from __future__ import annotations

from pathlib import Path

import typer

from .common import db_url, one_of, write_output


def register(app: typer.Typer) -> None:
    @app.command()
    def report(card: Path = typer.Argument(..., exists=True, dir_okay=False, help="CARD.json"),
               out: Path = typer.Option(..., "--out", help="FILE.docx | FILE.xlsx | FILE.pdf"),
               lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
               db: str | None = typer.Option(None, "--db", callback=db_url(seed=True), help="数据库 URL / database URL")) -> None:
        """生成评估报告与工作底稿 / write the appraisal report or working papers."""
        from .. import api
        from ..core.errors import ValuationError

        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("docx", "xlsx", "pdf"):
            typer.echo(f"不支持的格式 / unsupported format: {out.suffix} (docx, xlsx, pdf)", err=True)
            raise typer.Exit(2)
        from .common import read_json

        doc = read_json(card, "text", lang)
        try:
            data = api.report(doc, fmt=fmt, lang=lang, library=db)
        except ValuationError as e:
            typer.echo(e.message(lang), err=True)
            raise typer.Exit(2)
        write_output(out, data)  # never leave a half-written report
        typer.echo(str(out))
