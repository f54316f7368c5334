"""``valuation price PRODUCT.json``: public-data pricing under 发改价格〔2025〕65号.

The command parses the file, calls :func:`valuation.api.price` and renders the result; it
holds no pricing logic."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..core import formatting as F
from ..core.result_text import SEVERITY_LABELS, flag_citations
from .common import db_url, one_of

__all__ = ["register", "render_text"]


def _p(x: Any, lang: str) -> str:
    """Unit prices: small per-call amounts keep 4 decimals."""
    if F.is_missing(x):
        return F.MISSING
    return F.number(x, 4 if abs(float(x)) < 100 else 2, lang)


def render_text(r: dict[str, Any], lang: str = "zh", cite: Any = None) -> str:
    """Bilingual text summary of a pricing result; amounts, rates and cited documents through
    :mod:`valuation.core.formatting`; ``cite(references)`` names the documents a flag rests on
    (:func:`valuation.api.cite`), else the flag's own ``citations`` or codes."""
    zh = lang != "en"
    cur = r.get("currency", "CNY")

    def m(x: Any) -> str:
        return F.money(x, cur, "yuan", 2, lang)

    L = [("公共数据产品 " if zh else "Public data product ") + f"{r.get('product_id')} {r.get('name') or ''}".rstrip(),
         ("准许成本（扣除补助）：" if zh else "Allowed cost net of subsidies: ") + m(r.get("net_cost")),
         ("准许收益率：" if zh else "Allowed return: ") + F.rate(r.get("rate_used", 0), 2, lang) +
         (f"（上限 {F.rate(r.get('rate_cap', 0), 2, lang)}）" if zh else f" (cap {F.rate(r.get('rate_cap', 0), 2, lang)})"),
         ("准许利润：" if zh else "Allowed profit: ") + m(r.get("allowed_profit")),
         ("税金：" if zh else "Taxes: ") + m(r.get("taxes")),
         ("最高准许收入 MAR：" if zh else "Maximum allowed revenue (MAR): ") + m(r.get("mar"))]
    if r.get("previous_excess"):
        L.append(("已扣减上期超额收入：" if zh else "Previous excess deducted: ") + m(r.get("previous_excess")))
    if r.get("excess") is not None:
        L.append(("本期超额收入（下期扣减）：" if zh else "Excess revenue (deducted next period): ") + m(r.get("excess")))
    L.append("条目：" if zh else "Items:")
    for it in r.get("items", []):
        tag = ("无偿" if zh else "free") if it.get("free") else (("上限 " if zh else "cap ") + _p(it.get("cap"), lang))
        ok = "✓" if it.get("ok") else "✗"
        L.append(f"  {ok} {it.get('item_id')} [{it.get('use_category')}, {it.get('unit')}] {tag}; "
                 + ("收费 " if zh else "price ") + _p(it.get("price"), lang))
    for c in r.get("checks", []):
        L.append(f"  [{'OK' if c.get('ok') else '!!'}] " + str(c.get("label_zh" if zh else "label_en")))
    for f in r.get("flags", []):
        sev = SEVERITY_LABELS.get(str(f.get("severity")), (str(f.get("severity")),) * 2)[0 if zh else 1]
        cited = cite(f.get("references")) if cite and not f.get("citations") else flag_citations(f, lang)
        L.append(f"  [{sev}] {f.get('code')}: {f.get('message_zh' if zh else 'message_en')}"
                 + (f"（依据：{cited}）" if zh else f" (cites: {cited})"))
    return "\n".join(L)


def register(app: typer.Typer) -> None:
    @app.command("price")
    def price_cmd(product: Path = typer.Argument(..., exists=True, dir_okay=False, help="PRODUCT.json"),
                  format: str = typer.Option("text", "--format", callback=one_of("json", "text"), help="json | text"),
                  lang: str = typer.Option("zh", "--lang", callback=one_of("zh", "en"), help="zh | en"),
                  db: str | None = typer.Option("seed", "--db", callback=db_url(seed=True), help="数据库 URL；'seed' 仅用种子文件 / DB URL or 'seed'"),
                  ) -> None:
        """公共数据定价（发改价格〔2025〕65号）/ public-data pricing (NDRC 2025 No. 65)."""
        from .. import api
        from ..core.errors import ValuationError
        from .common import read_json, refuse

        data = read_json(product, format, lang)
        try:
            res = api.price(data, library=db)
        except ValuationError as e:
            refuse(e, format, lang)
        if format == "json":
            typer.echo(json.dumps(res, ensure_ascii=False, indent=2, default=str))
        else:
            typer.echo(render_text(res, lang, cite=lambda refs: api.cite(refs, lang=lang, library=db)))
