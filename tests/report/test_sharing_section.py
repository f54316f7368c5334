"""The revenue-sharing section (``api.share_report``) in the reader's language, every amount
with its unit.

Defects this test was written against (seen failing before the fix): the Chinese section
wrote amounts as '12,000,000.00 CNY' and its table's amounts with no unit at all, showed the
participants' stage and holder type as codes (collection, administrative, soe), the flags as
'[info] SHARE_NON_TAX_REVENUE' and the provenance as 'engine 0.1.0, library …, input …'.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import docx

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "sharing" / "public_data_operation.json"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _text(blob: bytes) -> tuple[str, list[list[str]]]:
    d = docx.Document(io.BytesIO(blob))
    return "\n".join(p.text for p in d.paragraphs), [[c.text for c in r.cells] for t in d.tables for r in t.rows]


def test_the_sharing_section_speaks_chinese_with_units():
    spec = json.loads(SPEC.read_text("utf-8"))
    ans = api.share(spec, library="seed")
    text, rows = _text(api.share_report(ans, lang="zh", library="seed"))
    # 12,000,000 元 distributable (the spec); state share 11,350,000.00 元 (DL-BUREAU 3,783,333.34 +
    # DL-CENTER 2,083,333.33 + DL-OPER 5,483,333.33, the engine's Shapley shares)
    assert "可分配收益 12,000,000.00 元" in text
    assert "国有主体合计分得 11,350,000.00 元（94.58%）" in text
    assert "CNY" not in text and "engine" not in text and "SHARE_" not in text and "[info]" not in text
    assert "库快照 " + ans["provenance"]["library_snapshot"] in text
    assert rows[0][4] == "分得金额（元）" and rows[0][6] == "投入成本（元）"
    own = {s for p in spec["participants"] for s in (p.get("name"), p.get("id"))}
    words = {w for r in rows[1:] for w in r if w not in own}
    assert not [w for w in words if re.fullmatch(r"[a-z_]+", w)], words     # no stage/holder codes
    assert {"采集", "行政单位", "国有企业"} <= words


def test_the_sharing_section_speaks_english():
    spec = json.loads(SPEC.read_text("utf-8"))
    ans = api.share(spec, library="seed")
    text, rows = _text(api.share_report(ans, lang="en", library="seed"))
    for p in spec["participants"]:                     # the spec's own words may be Chinese
        text = text.replace(p.get("name") or "", " ")
    own = {p.get("name") for p in spec["participants"]}
    assert "distributable CNY 12,000,000.00" in text
    assert rows[0][4] == "Amount (CNY)"
    assert not [ln for ln in text.splitlines() if CJK.search(ln)], [ln for ln in text.splitlines() if CJK.search(ln)][:3]
    assert not [w for r in rows for w in r if w not in own and CJK.search(w)]


def test_a_control_character_in_a_participant_name_is_dropped_not_a_crash():
    """Before: api.share accepts the name (free text), and share_report raised python-docx's
    'All strings must be XML compatible' (a traceback in ``valuation share --docx``)."""
    spec = json.loads(SPEC.read_text("utf-8"))
    spec["participants"][0]["name"] = "市数据局\x01（公共数据提供方）"
    ans = api.share(spec, library="seed")
    _, rows = _text(api.share_report(ans, lang="zh", library="seed"))
    assert rows[1][1] == "市数据局（公共数据提供方）"
