"""``valuation share SPEC.json`` and ``valuation shares history|show|diff|export``: revenue
sharing and its ledger. Parse, call :mod:`valuation.api`, render; no sharing logic here."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from .common import db_url, one_of, write_output

__all__ = ["register", "render_text"]


def render_text(r: dict[str, Any], lang: str = "zh") -> str:
    """Text summary of a distribution (amounts, fractions, core check, flags with clauses)."""
    from ..core.formatting import money, percent

    zh = lang != "en"
    cur = r.get("currency", "CNY")

    def m(x: Any) -> str:
        return money(x, cur, lang=lang)

    L = [("收益分配 " if zh else "Revenue sharing ") + f"{r['arrangement_id']} {r.get('period') or ''}".rstrip(),
         ("方法：" if zh else "Method: ") + r["method"] + (f" + {r['surplus_method']}" if r.get("surplus_method") else ""),
         ("可分配收益：" if zh else "Distributable: ") + m(r["distributable"])]
    w = max(len(s["id"]) for s in r["shares"])
    for s in r["shares"]:
        L.append(f"  {s['id']:<{w}}  {m(s['amount']):>22}  {percent(s['fraction'], 2, lang):>8}  "
                 + ("投入成本 " if zh else "input cost ") + m(s["input_cost"]))
    c = r.get("core") or {}
    if c.get("checked"):
        where = ("在核中" if zh else "in the core") if c["in_core"] else (
            ("不在核中，联盟 " if zh else "outside the core: coalition ") + "{" + ", ".join(c["coalition"]) + "}")
        extra = ("最大超额 " if zh else "max excess ") + m(c["excess"])
        if c.get("least_core_excess") is not None:
            extra += f", e* = {m(c['least_core_excess'])}"
        L.append(("核检验：" if zh else "Core check: ") + f"{where} ({extra})")
    else:
        L.append("核检验：未检验（无联盟价值）" if zh else "Core check: not checked (no coalition values)")
    s = r.get("sampling")
    if s:
        L.append(f"抽样：{s['permutations']:,} 个排列，最大标准误 {m(s['max_std_error'])}" if zh else
                  f"Sampling: {s['permutations']:,} orders, largest standard error {m(s['max_std_error'])}")
    for f in r.get("flags", []):
        L.append(f"  [{f['severity']}] {f['code']}: {f['message_zh' if zh else 'message_en']} "
                 f"({', '.join(f.get('references') or [])})")
    if r.get("ledger"):
        L.append(("已记账：" if zh else "Recorded: ") + f"{r['ledger']['record_id']} (seq {r['ledger']['seq']})")
    return "\n".join(L)


def _frame_out(df: Any, format: str) -> None:
    if format == "json":
        typer.echo(df.to_json(orient="records", force_ascii=False, date_format="iso", indent=2))
    else:
        typer.echo(df.to_string(index=False) if len(df) else "(none)")


def register(app: typer.Typer) -> None:
    @app.command("share")
    def share_cmd(spec: Path = typer.Argument(..., exists=True, dir_okay=False, help="SPEC.json"),
                  format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text"),
                  lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
                  db: str | None = typer.Option("seed", "--db", callback=db_url(seed=True), help="库 URL；'seed' 仅用种子文件 / DB URL or 'seed'"),
                  record: bool = typer.Option(False, "--record", help="记入分配台账 / append to the ledger"),
                  ledger_db: str | None = typer.Option(None, "--ledger-db", callback=db_url(), help="台账数据库 URL / ledger DB URL"),
                  ran_by: str | None = typer.Option(None, "--ran-by", help="经办人 / who ran it"),
                  docx: Path | None = typer.Option(None, "--docx", help="写出收益分配说明 / write the report section"),
                  ) -> None:
        """收益分配（谁投入、谁贡献、谁受益）/ revenue sharing of a data asset arrangement."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import read_json, refuse

        data = read_json(spec, format, lang)
        try:
            res = api.share(data, library=db, record=record, ran_by=ran_by, db=ledger_db)
        except ValuationError as e:
            refuse(e, format, lang)
        if docx is not None:
            write_output(docx, api.share_report(res, lang=lang, library=db))
        if format == "json":
            typer.echo(json.dumps(res, ensure_ascii=False, indent=2, default=str))
        else:
            typer.echo(render_text(res, lang))

    shares = typer.Typer(help="收益分配台账 / the distribution ledger", no_args_is_help=True)
    app.add_typer(shares, name="shares")

    @shares.command("history")
    def history_cmd(arrangement: str | None = typer.Argument(None), period: str | None = typer.Option(None),
                    db: str | None = typer.Option(None, "--db", callback=db_url()), format: str = typer.Option("text", "--format", callback=one_of("json", "text"))) -> None:
        """台账记录 / ledger records, oldest first."""
        from .. import api

        _frame_out(api.share_history(arrangement, period, db=db), format)

    @shares.command("show")
    def show_cmd(record_id: str, db: str | None = typer.Option(None, "--db", callback=db_url()),
                 lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"))) -> None:
        """一条台账记录 / one record (JSON)."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import refuse

        try:
            typer.echo(json.dumps(api.share_record(record_id, db=db), ensure_ascii=False, indent=2, default=str))
        except ValuationError as e:
            refuse(e, "text", lang)

    @shares.command("diff")
    def diff_cmd(a: str, b: str, db: str | None = typer.Option(None, "--db", callback=db_url()),
                 format: str = typer.Option("text", "--format", callback=one_of("json", "text")), lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"))) -> None:
        """两条记录的差异 / per-participant changes between two records."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import refuse

        try:
            _frame_out(api.share_diff(a, b, db=db), format)
        except ValuationError as e:
            refuse(e, format, lang)

    @shares.command("export")
    def export_cmd(record_ids: list[str], out: Path = typer.Option(..., "--out", help="FILE.csv | FILE.xlsx"),
                   db: str | None = typer.Option(None, "--db", callback=db_url()), lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"))) -> None:
        """导出（防公式注入）/ export records to CSV or xlsx (formula-safe)."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import refuse

        try:
            typer.echo(str(api.share_export(record_ids, out, db=db)))
        except ValuationError as e:
            refuse(e, "text", lang)
        except ValueError as e:
            typer.echo(f"错误 / error: {e}", err=True)
            raise typer.Exit(2)
