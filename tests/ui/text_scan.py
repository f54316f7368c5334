"""The untranslated-text detector shared by the AppTest scan (tests/ui/test_untranslated.py)
and the browser scan (tests/e2e/test_browser.py)."""
from __future__ import annotations

import re

from valuation.ui.i18n import T

#: words allowed in Chinese mode (acronyms with lower case letters, product names, formula words)
ZH_ALLOWED_WORDS = {"Excel", "Parquet", "Word", "Monte", "Carlo", "min", "max", "ln", "exp", "v",
                     "English",                        # the language switch names its language
                     "cap", "excess", "sd"}                  # variable names of the 65号 formulas
#: patterns removed before scanning Chinese mode (codes and identifiers a reader expects as is)
ZH_ALLOWED_PATTERNS = [
    r"<[^>]*>",                                          # the hidden anchor of the estimate
    r"语言 / Language",                                  # the bilingual switch label
    r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b",                # flag codes METHOD_DIVERGENCE
    r"`[^`]*`",                                          # code spans: database URL, version, snapshot
    r"\b[a-z+]+:/{2,}\S*",                               # database URLs (shown as code in the browser)
    r"\b[A-Za-z0-9_.-]+\.(?:json|csv|xlsx|parquet|docx|pdf|ya?ml|db)\b",   # file names
    r"\b[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)+\b",       # clause codes CAS2023.art24, NDRC2025-65.mar
    r"\b\d{8}T\d{6}-[0-9a-f]+\b", r"\b[0-9a-f]{8,}\b",   # run ids, hashes
    r"\bE\d\d_[a-z_]+\b", r"\binterchange_example\b",    # example card names
    r"[A-Za-zδΣ]+_[A-Za-z0-9]{1,4}\b",                   # formula symbols with subscripts: F_t, δ_life
    r"\b[A-Z]+\d*[a-z]?\b",                              # acronyms and symbols: JSON, X1, Q
]
#: Chinese allowed in English mode: the language switch names its own language
EN_ALLOWED = ["中文", "语言 / Language"]
#: table columns holding the appraiser's own data (not scanned), by header in both languages
DATA_COLUMNS = {T[k][i] for k in ("key", "author", "note", "title", "name", "batch_source", "value",
                                  "input_name") for i in (0, 1)}


def untranslated(texts: list[str], lang: str) -> list[str]:
    bad = []
    for s in texts:
        if lang == "en":
            rest = s
            for a in EN_ALLOWED:
                rest = rest.replace(a, "")
            if re.search(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]", rest):
                bad.append(s)
        else:
            rest = s
            for p in ZH_ALLOWED_PATTERNS:
                rest = re.sub(p, " ", rest)
            words = [w for w in re.findall(r"[A-Za-z]{2,}", rest) if w not in ZH_ALLOWED_WORDS]
            if words:
                bad.append(f"{s!r} → {words}")
    return bad
