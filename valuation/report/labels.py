"""Words a report shows instead of codes: enum values, trace input names and the terms inside
the approaches' formula texts, in Chinese and English.

The engine keeps codes (``soe``, ``licensing``, ``build_up``) and writes each trace formula
once, in the language its method module chose; a report never shows a code and shows every
formula in the reader's language. The words are the catalogues the dashboard reads too:
:mod:`valuation.core.labels` for enum codes, :mod:`valuation.core.trace_words` for trace
formulas and inputs. ``tests/report/test_report_language.py`` fails when a code or a string of
the other language reaches a report.
"""
from __future__ import annotations

from typing import Any

from ..core.labels import ENUM_LABELS
from ..core.labels import enum_label as _label
from ..core.trace_words import INPUT_LABELS, formula_text, input_label

__all__ = ["enum_label", "input_label", "formula_text", "ENUM_LABELS", "INPUT_LABELS"]


def enum_label(v: Any, lang: str = "zh", enum: str | None = None, *, sentence: bool = False) -> str:
    """The reader's word for an enum code, from the one catalogue :mod:`valuation.core.labels`;
    a value that is no code is returned as it is."""
    return _label(v, lang, enum, sentence=sentence)
