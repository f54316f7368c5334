"""Documents cited by title and article: 《数据资产评估指导意见》第二十四条 / "Guidance on Data
Asset Appraisal, art. 24".

The engine keeps the standard ids (``CAS2023.art24``) in ``references`` and ``clauses`` for
machines; people read the document's title and article, taken from the standards library
entry of that id (``document``, ``document_en``, ``article``, ``summary_zh/en``; see
``docs/DOMAIN.md`` §0 for the provenance codes). An id the library does not hold is shown as
it is, never dropped.

Pure functions over a ``{id: entry}`` mapping (a snapshot's ``standards``), so the same text
appears in flags, traces, reports and the dashboard.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

__all__ = ["Citation", "cite", "citation", "citations", "citation_list"]

_TITLE_ZH = re.compile(r"《(.+)》")               # greedy: keeps an inner 〈〉 or 《》 whole
_NUMBER_ZH = re.compile(r"（([^（）]*(?:号|令)[^（）]*)）")  # 中评协〔2023〕17号, 国务院国资委令第12号
_ART_EN = re.compile(r"^Article\s+(\d+)$", re.I)
_WHOLE = ("全文", "默认参数")


class Citation(dict):
    """``{"id", "zh", "en", "title_zh", "title_en", "number", "article_zh", "article_en",
    "summary_zh", "summary_en", "url"}`` — a plain dict so it goes to JSON as it is."""


def _split(text: Any) -> tuple[str, str]:
    """``"第二十四条 / Article 24"`` → ``("第二十四条", "Article 24")``."""
    s = str(text or "").strip()
    if " / " in s:
        zh, en = s.split(" / ", 1)
        return zh.strip(), en.strip()
    return s, s


def _title_zh(document: str) -> str:
    """The document as cited: without its trailing number ``（中评协〔2023〕17号）`` and without an
    issuer written before the title (财政部《…》 → 《…》); a standard keeps its code in front
    (GB/T 36344-2018《…》) and a paper its author (王进江（2021）《…》)."""
    s = document.strip()
    m = _NUMBER_ZH.search(s)
    if m and m.end() == len(s):
        s = s[: m.start()].rstrip()
    i = s.find("《")
    head = s[:i].strip() if i > 0 else ""
    if head and "（" not in head and not re.match(r"^(GB|JR|DB)[/ T0-9.\-]+$", head):
        s = s[i:]
    return s


def _title_en(document_en: str) -> str:
    s = document_en.strip().strip("'\"")
    # the trailing "(China Appraisal Society [2023] No. 17)" is the number, not the title
    m = re.search(r"\s*\(([^()]*(?:No\.|Order)[^()]*)\)\s*$", s)
    return s[: m.start()].strip() if m else s


@lru_cache(maxsize=2048)
def _parts(ref: str, document: str, document_en: str, article: str) -> tuple[str, ...]:
    title_zh, title_en = _title_zh(document), _title_en(document_en or document)
    m = _NUMBER_ZH.search(document)
    number = m.group(1) if m else ""
    art_zh, art_en = _split(article)
    if not art_zh or art_zh.startswith(_WHOLE):
        zh, en = title_zh, title_en
    elif art_zh in title_zh:                          # …（评估增值说明） already names it
        zh, en = title_zh, title_en
    elif re.match(r"^第.+条$", art_zh) or re.match(r"^[一二三四五六七八九十]+、", art_zh):
        zh = title_zh + art_zh                        # 《…》第二十四条, 《…》二、（四）
        ma = _ART_EN.match(art_en)
        en = f"{title_en}, art. {ma.group(1)}" if ma else f"{title_en}, {art_en}"
    else:                                             # a named part: 《…》（适用范围）
        if art_zh.startswith("附件 ") and "附件" in title_zh:   # …附件《模型示例》（成本法）
            art_zh, art_en = art_zh[3:], re.sub(r"^Annex,\s*", "", art_en)
        zh, en = f"{title_zh}（{art_zh}）", f"{title_en}, {art_en}"
    return zh, en, title_zh, title_en, number, art_zh, art_en


def cite(ref: str, standards: Mapping[str, Mapping[str, Any]] | None) -> Citation:
    """The citation of one standard id from the standards library ``standards``.

    Parameters
    ----------
    ref : str
        A standard id such as ``CAS2023.art24``.
    standards : mapping
        ``{id: entry}`` of the standards library (a snapshot's ``standards``).

    Returns
    -------
    Citation
        ``zh`` 《数据资产评估指导意见》第二十四条, ``en`` Guidance on Data Asset Appraisal,
        art. 24, plus the parts and the entry's summaries; the id itself in ``zh``/``en`` when
        the library has no entry for it.
    """
    e = (standards or {}).get(ref)
    if not isinstance(e, Mapping) or not e.get("document"):
        return Citation(id=ref, zh=ref, en=ref, title_zh="", title_en="", number="",
                        article_zh="", article_en="", summary_zh="", summary_en="", url="")
    zh, en, tz, te, num, az, ae = _parts(ref, str(e.get("document") or ""),
                                         str(e.get("document_en") or ""), str(e.get("article") or ""))
    zh = zh.strip() or ref                       # a blank entry still names what it cites
    en = en.strip() or ref
    return Citation(id=ref, zh=zh, en=en, title_zh=tz, title_en=te, number=num, article_zh=az,
                    article_en=ae, summary_zh=str(e.get("summary_zh") or "").strip(),
                    summary_en=str(e.get("summary_en") or "").strip(), url=str(e.get("url") or ""))


def citation(ref: str, standards: Mapping[str, Mapping[str, Any]] | None, lang: str = "zh") -> str:
    """``《数据资产评估指导意见》第二十四条`` (zh) or ``Guidance on Data Asset Appraisal, art. 24``
    (en) for the standard id ``ref``."""
    return cite(ref, standards)["en" if lang == "en" else "zh"]


def citations(refs: Iterable[str] | None, standards: Mapping[str, Mapping[str, Any]] | None
              ) -> list[dict[str, str]]:
    """``[{"id", "zh", "en"}]`` for a flag's ``references`` (the short form carried in results)."""
    out = []
    for r in refs or ():
        c = cite(str(r), standards)
        out.append({"id": c["id"], "zh": c["zh"], "en": c["en"]})
    return out


def citation_list(refs: Iterable[str] | None, standards: Mapping[str, Mapping[str, Any]] | None,
                  lang: str = "zh") -> str:
    """The references of a flag or trace step as one line: ``《…》第二十四条；本引擎的工程默认设置``
    (zh, separated by 、/；) or ``…, art. 24; Engineering defaults of this engine`` (en). Repeated
    documents are kept: each names its own article."""
    texts = list(dict.fromkeys(citation(str(r), standards, lang) for r in refs or ()))
    return ("；" if lang != "en" else "; ").join(texts)
