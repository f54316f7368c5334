"""Build the CJK font subset embedded in PDF reports (valuation/report/fonts/).

Source: WenQuanYi Micro Hei 0.2.0-beta (Debian package ``fonts-wqy-microhei``), licensed
Apache-2.0 (or GPL-3+ with font exception); Apache-2.0 is the licence we ship it under (see
``valuation/report/fonts/LICENSE-wqy-microhei.txt``). The subset keeps ASCII, Latin-1, general
punctuation, the maths symbols the traces use, CJK punctuation, full-width forms and all
GB 2312 hanzi (levels 1 and 2, 6,763 characters), which covers report text in simplified
Chinese. reportlab subsets it again to the glyphs a PDF uses when it embeds it.

Usage (the .ttc comes from ``apt-get download fonts-wqy-microhei`` + ``dpkg -x``)::

    python scripts/make_report_font.py /path/to/wqy-microhei.ttc
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

OUT = Path(__file__).resolve().parents[1] / "valuation" / "report" / "fonts" / "wqy-microhei-gb2312.ttf"


def gb2312_chars() -> set[int]:
    out: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def main(src: str) -> None:
    font = TTCollection(src).fonts[0]
    cps = gb2312_chars() | set(range(0x20, 0x7F)) | set(range(0xA0, 0x180)) | set(range(0x2000, 0x2070)) \
        | set(range(0x2100, 0x2200)) | set(range(0x2200, 0x2300)) | set(range(0x3000, 0x3040)) \
        | set(range(0xFF00, 0xFFF0)) | set(range(0x0391, 0x03CA))
    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=sorted(cps))
    sub.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main(sys.argv[1])
