"""``valuation book CARD.json [--format json|text] [--lang zh|en]``: 入表 and impairment test of
one card (财会〔2023〕11号; CAS 6, CAS 1, CAS 8). Parses, calls :func:`valuation.api.book`,
renders; no accounting logic here."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from .common import db_url, one_of, write_output

__all__ = ["register", "render_text"]

_FIGURES = (("classification", "分类", "Classification"), ("cost", "入账成本", "Cost"),
            ("expensed", "费用化金额", "Expensed"),
            ("accumulated_amortisation", "累计摊销", "Accumulated amortisation"),
            ("carrying_amount_before_impairment", "减值前账面价值", "Carrying amount before impairment"),
            ("value_in_use", "预计未来现金流量现值（收益法）", "Value in use (income approach)"),
            ("fair_value_less_costs_of_disposal", "公允价值减处置费用（市场法）",
             "Fair value less costs of disposal (market approach)"),
            ("net_realisable_value", "可变现净值", "Net realisable value"),
            ("recoverable_amount", "可收回金额", "Recoverable amount"),
            ("impairment_loss", "减值损失/存货跌价", "Impairment loss / write-down"),
            ("carrying_amount", "期末账面价值", "Carrying amount"))
_CLASS = {"intangible_asset": ("无形资产", "intangible asset"), "inventory": ("存货", "inventory"),
          "development_expenditure": ("开发支出", "development expenditure"), "expense": ("费用化", "expensed")}


def render_text(ans: dict[str, Any], lang: str = "zh") -> str:
    """The answer as text: figures, schedule, flags with their clauses, provenance."""
    from ..core.formatting import money

    en = lang == "en"
    lines = [("Data resource on the books — " if en else "数据资源入表 — ") + str(ans.get("asset_id"))]
    for key, zh, eng in _FIGURES:
        v = ans.get(key)
        if key == "classification":
            shown = _CLASS.get(v, (v, v))[1 if en else 0]
        else:
            shown = money(v, lang=lang)
        lines.append(f"  {eng if en else zh}: {shown}")
    if ans.get("schedule"):
        lines.append("Amortisation schedule:" if en else "摊销计划：")
        for r in ans["schedule"]:
            mark = " *" if r.get("balance_sheet_date") else ""
            lines.append(f"  {r['period_end']}  {money(r['amortisation'], lang=lang):>22}  "
                         f"{money(r['carrying_amount'], lang=lang):>22}{mark}")
    for f in ans.get("flags") or []:
        cited = [c["en" if en else "zh"] for c in f.get("citations") or []] or f["references"]
        sep = "; " if en else "；"
        lines.append(f"[{f['severity']}] {f['code']}: {f['message_en' if en else 'message_zh']} "
                     f"({sep.join(cited)})")
    prov = ans.get("provenance") or {}
    conv = prov.get("amortisation_convention") or {}
    lines.append(("Convention: " if en else "摊销计期：") + str(conv.get("en" if en else "zh", "")))
    lines.append(("Provenance: " if en else "来源：") + ", ".join(
        f"{k}={prov.get(k)}" for k in ("engine_version", "library_snapshot", "valuation_date", "balance_sheet_date")))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("book")
    def book_cmd(card: Path = typer.Argument(..., exists=True, dir_okay=False, help="CARD.json"),
                 format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text"),
                 lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
                 db: str | None = typer.Option(None, "--db", callback=db_url(seed=True), help="数据库 URL；'seed' 仅用种子文件"),
                 out: Path | None = typer.Option(None, "--out", help="入表底稿 / working paper FILE.docx|FILE.xlsx"),
                 ) -> None:
        """数据资源入表与减值测试 / classify, measure, amortise and impairment-test one card."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import read_json, refuse

        if format not in ("json", "text") or lang not in ("zh", "en"):
            typer.echo("--format: json | text; --lang: zh | en", err=True)
            raise typer.Exit(2)
        if out is not None and out.suffix.lower() not in (".docx", ".xlsx"):
            typer.echo(f"不支持的格式 / unsupported format: {out.suffix} (.docx, .xlsx)", err=True)
            raise typer.Exit(2)
        data = read_json(card, format, lang)
        try:
            ans = api.book(data, library=db)
        except ValuationError as e:
            refuse(e, format, lang)
        if out is not None:
            blob = api.book_papers(data, fmt=out.suffix.lower().lstrip("."), lang=lang, library=db, answer=ans)
            write_output(out, blob)  # never a half-written paper
            typer.echo(str(out))
            return
        if format == "json":
            from ..core.result import clean

            typer.echo(json.dumps(clean(ans), ensure_ascii=False, indent=2))
        else:
            typer.echo(render_text(ans, lang))
