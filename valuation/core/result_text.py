"""How a :class:`~valuation.core.result.Result` reads as text, as a summary table and as HTML.

Every amount goes through :mod:`valuation.core.formatting` (元 / 万元, thousands separators,
fixed decimals; never a raw float) and every cited clause through
:mod:`valuation.core.citations` (《数据资产评估指导意见》第二十四条). ``summary()`` is laid out
like a statsmodels summary: a header block of key/value pairs, then one row per approach,
then the flags — readable in a terminal, a log or a notebook (see ``docs/DESIGN.md`` §8).
"""
from __future__ import annotations

import html as _html
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import formatting as F

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["SEVERITY_LABELS", "METHOD_LABELS", "to_text", "summary", "to_html", "short_repr",
           "flag_citations", "width", "pad"]

METHOD_LABELS = {"cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
                 "market": ("市场法", "Market approach")}
SEVERITY_LABELS = {"info": ("提示", "info"), "warning": ("警告", "warning"),
                   "blocker": ("阻断", "blocker")}
STATUS_LABELS = {"ok": ("已形成结论", "conclusion reached"),
                 "no_estimate": ("未形成结论", "no conclusion")}
YES_NO = (("是", "yes"), ("否", "no"))


def _i(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def width(s: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int, right: bool = False) -> str:
    """``s`` padded with spaces to ``n`` terminal columns (left- or right-aligned)."""
    fill = " " * max(0, n - width(s))
    return fill + s if right else s + fill


def flag_citations(flag: Mapping[str, Any], lang: str = "zh") -> str:
    """A flag's cited documents as one line, from its ``citations`` (《title》第N条) or, for a
    flag made without them, its raw ``references`` codes."""
    cits = flag.get("citations")
    if cits:
        texts = [str(c.get("en" if lang == "en" else "zh") or c.get("id")) for c in cits]
    else:
        texts = [str(r) for r in flag.get("references") or ()]
    return ("; " if lang == "en" else "；").join(dict.fromkeys(texts))


def _money(r: Result, x: Any, unit: str, lang: str) -> str:
    return F.money(x, r.currency, unit, 2, lang)


def _range(r: Result, unit: str, lang: str) -> str:
    if F.is_missing(r.low) or F.is_missing(r.high):
        return F.MISSING
    if lang == "en":
        return f"{_money(r, r.low, unit, lang)} – {_money(r, r.high, unit, lang)}"
    return f"{F.amount(r.low, unit, 2, lang)} – {_money(r, r.high, unit, lang)}"


def to_text(r: Result, lang: str = "zh", unit: str = "wan") -> str:
    """The result as lines of text: conclusion, range, approaches, flags with their cited
    documents, provenance. Amounts in ``unit`` (``wan`` 万元 by default, ``yuan`` 元)."""
    en = lang == "en"
    L = [("Asset " if en else "资产 ") + r.asset_id,
         ("Conclusion (estimate): " if en else "结论（估计值）：") + _money(r, r.estimate, unit, lang)]
    if not F.is_missing(r.low):
        cov = F.percent(r.coverage, 0, lang)
        L.append((f"Guided range ({cov} coverage): " if en else f"指导价区间（覆盖率 {cov}）：")
                 + _range(r, unit, lang))
    from .result import evidence_lines  # coverage basis and real comparables (issue 16)
    L.extend(evidence_lines(r.coverage_basis, r.n_real_comparables, not en, lambda x: _money(r, x, unit, lang)))
    for m, d in r.methods.items():
        lab = _i(METHOD_LABELS.get(m, (m, m)), lang)
        if d.get("applicable"):
            w = d.get("weight")
            wt = "" if F.is_missing(w) else (f"  (weight {F.percent(w, 0, lang)})" if en
                                             else f"（权重 {F.percent(w, 0, lang)}）")
            L.append(f"  {lab}{': ' if en else '：'}{_money(r, d.get('estimate'), unit, lang)}{wt}")
        else:
            L.append(f"  {lab}" + (": not applicable — " if en else "：不适用——") +
                     str(d.get("reason_en" if en else "reason_zh") or ""))
    for f in r.flags:
        sev = _i(SEVERITY_LABELS.get(str(f.get("severity")), (str(f.get("severity")),) * 2), lang)
        title = f.get("title_en" if en else "title_zh") or f.get("code")
        L.append(f"  [{sev}] {title}{': ' if en else '：'}" + str(f.get("message_en" if en else "message_zh") or ""))
        cited = flag_citations(f, lang)
        if cited:
            L.append(("      cites: " if en else "      依据：") + cited)
    if not r.final:
        L.append("A blocker flag is present: the result may not be presented as final." if en else
                 "存在阻断性风险标记，结果不得作为最终结论。")
    p = r.provenance
    L.append(("Provenance: " if en else "来源：") +
             (f"engine {p.get('engine_version')}, library {p.get('library_snapshot')}, "
              f"input {str(p.get('input_hash') or '')[:12]}, valuation date "
              if en else
              f"引擎 {p.get('engine_version')}，库快照 {p.get('library_snapshot')}，"
              f"输入 {str(p.get('input_hash') or '')[:12]}，评估基准日 ")
             + F.date(p.get("valuation_date"), lang))
    return "\n".join(L)


def _header(r: Result, lang: str, unit: str) -> list[tuple[str, str]]:
    en = lang == "en"
    p = r.provenance
    return [
        ("Asset:" if en else "资产：", r.asset_id),
        ("Valuation date:" if en else "评估基准日：", F.date(p.get("valuation_date"), lang)),
        ("Conclusion:" if en else "评估结论：", _money(r, r.estimate, unit, lang)),
        ("Guided range:" if en else "指导价区间：", _range(r, unit, lang)),
        ("Coverage:" if en else "覆盖率：", F.percent(r.coverage, 0, lang)),
        ("Final:" if en else "可作最终结论：", _i(YES_NO[0 if r.final else 1], lang)),
        ("Status:" if en else "状态：", _i(STATUS_LABELS.get(r.status, (r.status, r.status)), lang)),
        ("Library snapshot:" if en else "库快照：", str(p.get("library_snapshot") or F.MISSING)),
    ]


def _method_rows(r: Result, lang: str, unit: str) -> list[list[str]]:
    rows = []
    for m, d in r.methods.items():
        ok = bool(d.get("applicable"))
        rows.append([_i(METHOD_LABELS.get(m, (m, m)), lang), _i(YES_NO[0 if ok else 1], lang),
                     F.amount(d.get("estimate"), unit, 2, lang) if ok else F.MISSING,
                     F.amount(d.get("low"), unit, 2, lang) if ok else F.MISSING,
                     F.amount(d.get("high"), unit, 2, lang) if ok else F.MISSING,
                     F.percent(d.get("weight"), 1, lang)])
    return rows


def _method_header(r: Result, lang: str, unit: str) -> list[str]:
    u = F.unit_label(r.currency, unit, lang)
    if lang == "en":
        return ["Approach", "Applicable", f"Estimate ({u})", "Low", "High", "Weight"]
    return ["方法", "适用", f"估计值（{u}）", "下限", "上限", "权重"]


def summary(r: Result, lang: str = "zh", unit: str = "wan", line: int = 78) -> str:
    """A statsmodels-like text table of the result (header block, approaches, flags)."""
    en = lang == "en"
    title = "Data asset appraisal result" if en else "数据资产评估结果"
    out = ["=" * line, " " * max(0, (line - width(title)) // 2) + title, "=" * line]
    head = _header(r, lang, unit)
    half = line // 2
    for i in range(0, len(head), 2):
        cells = [pad(k, 18) + v for k, v in head[i:i + 2]]
        if len(cells) > 1 and width(cells[0]) < half - 1 and width(cells[1]) <= half:
            out.append(pad(cells[0], half) + cells[1])
        else:                                    # too wide for two columns: one pair a line
            out.extend(cells)
    header = _method_header(r, lang, unit)
    rows = _method_rows(r, lang, unit)
    widths = [max(width(x) for x in col) + 2 for col in zip(header, *rows)]
    out.append("-" * line)
    out.append("".join(pad(h, w, right=j > 1) for j, (h, w) in enumerate(zip(header, widths))))
    out.append("-" * line)
    for row in rows:
        out.append("".join(pad(c, w, right=j > 1) for j, (c, w) in enumerate(zip(row, widths))))
    out.append("=" * line)
    if r.flags:
        out.append("Flags:" if en else "风险标记：")
        for f in r.flags:
            sev = _i(SEVERITY_LABELS.get(str(f.get("severity")), (str(f.get("severity")),) * 2), lang)
            out.append(f"[{sev}] {f.get('title_en' if en else 'title_zh') or f.get('code')}: "
                       f"{f.get('message_en' if en else 'message_zh') or ''}")
            cited = flag_citations(f, lang)
            if cited:
                out.append(("    cites: " if en else "    依据：") + cited)
    else:
        out.append("No risk flag." if en else "未触发风险标记。")
    if not r.final:
        out.append("A blocker flag is present: not a final conclusion." if en else
                   "存在阻断性风险标记：不得作为最终结论。")
    return "\n".join(out)


def to_html(r: Result, lang: str = "zh", unit: str = "wan") -> str:
    """An HTML table of the summary (Jupyter's ``_repr_html_``); all text escaped."""
    e = _html.escape
    en = lang == "en"
    parts = ['<div class="valuation-result"><table>',
             f"<caption>{e('Data asset appraisal result' if en else '数据资产评估结果')}</caption>"]
    for k, v in _header(r, lang, unit):
        parts.append(f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(v)}</td></tr>")
    parts.append("</table><table><thead><tr>" +
                 "".join(f"<th>{e(h)}</th>" for h in _method_header(r, lang, unit)) + "</tr></thead><tbody>")
    for row in _method_rows(r, lang, unit):
        parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
    parts.append("</tbody></table>")
    if r.flags:
        parts.append("<ul>")
        for f in r.flags:
            sev = _i(SEVERITY_LABELS.get(str(f.get("severity")), (str(f.get("severity")),) * 2), lang)
            msg = f.get("message_en" if en else "message_zh") or ""
            parts.append(f"<li><b>{e(sev)}</b> {e(str(msg))} <i>{e(flag_citations(f, lang))}</i></li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def short_repr(r: Result) -> str:
    """``Result(asset_id='E01', estimate=CNY 4,889,179.46, range=[…], approaches=3, flags=1,
    final=True)`` — one line, whatever the size of the traces."""
    est = F.money(r.estimate, r.currency, "yuan", 2, "en")
    rng = (f"[{F.number(r.low, 2, 'en')}, {F.number(r.high, 2, 'en')}]"
           if not F.is_missing(r.low) and not F.is_missing(r.high) else F.MISSING)
    applicable = sum(bool(d.get("applicable")) for d in r.methods.values())
    return (f"Result(asset_id={r.asset_id!r}, estimate={est}, range={rng}, "
            f"approaches={applicable}/{len(r.methods)}, flags={len(r.flags)}, final={r.final})")
