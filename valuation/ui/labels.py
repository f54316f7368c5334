"""Display labels of the codes the dashboard shows — the schema's enumerations, flag severities,
run and entry statuses, screening options — in the language of the session. The words are the
one catalogue :mod:`valuation.core.labels` that the reports read too; trace formulas are
translated by :mod:`valuation.core.trace_words`.
"""
from __future__ import annotations

from ..core.labels import BY_ENUM, ENUM_LABELS
from ..core.labels import enum_label as _label
from ..core.trace_words import formula_text as _formula_text
from .i18n import lang

__all__ = ["BY_ENUM", "ENUM_LABELS", "enum_label", "formula_text"]


def enum_label(code: object, language: str | None = None, enum: str | None = None) -> str:
    """The reader's word for ``code`` (of the schema enumeration ``enum`` when given), from the
    one catalogue :mod:`valuation.core.labels`; an unknown code is returned as it is (and the
    untranslated-text test catches it)."""
    return str(code) if code is None else _label(code, language or lang(), enum)


def formula_text(formula: str, language: str | None = None) -> str:
    """A trace formula in the reader's language (the one catalogue
    :mod:`valuation.core.trace_words`, which the reports read too)."""
    return _formula_text(formula, language or lang())
