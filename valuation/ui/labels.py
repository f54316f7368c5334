"""Display labels of the codes the dashboard shows — the schema's enumerations, flag severities,
run and entry statuses, screening options — in the language of the session. The words are the
one catalogue :mod:`valuation.core.labels` that the reports read too; trace formulas are
translated by :mod:`valuation.core.trace_words`.

Also the one place where a page picks a word by language: :func:`pick` (a ``(zh, en)`` pair),
:func:`field_label` (a schema field's label), :func:`text_of` / :func:`lang_key` (the
``…_zh`` / ``…_en`` keys of issues, flags, reasons and trace steps). Chinese is the default,
English the switch.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.labels import BY_ENUM, ENUM_LABELS
from ..core.labels import enum_label as _label
from ..core.schema import Field, field_by_path, fields_for
from ..core.trace_words import formula_text as _formula_text
from .i18n import lang

__all__ = ["BY_ENUM", "ENUM_LABELS", "column_label", "enum_label", "field_label", "formula_text", "lang_key",
           "pick", "text_of"]


def pick(zh: str, en: str, language: str | None = None) -> str:
    """The word of a ``(zh, en)`` pair in the reader's language (Chinese unless English)."""
    return en if (language or lang()) == "en" else zh


def field_label(field: Field | str | None, default: str | None = None, language: str | None = None) -> str:
    """The schema's label of ``field`` (a :class:`~valuation.core.schema.Field` or its path) in
    the reader's language; a path the schema does not know gives ``default``, or the path
    itself (a column of a user's file is shown as it is named)."""
    f = field_by_path(field) if isinstance(field, str) else field
    if f is None:
        return default if default is not None else str(field or "")
    return pick(f.label_zh, f.label_en, language)


def column_label(name: object, default: str | None = None, *, by_name: bool = False,
                 language: str | None = None) -> str:
    """The label of the card field that ``name`` names — its table column (``cost_total``), its
    path, or with ``by_name`` its path's last part (a trace step's input) — in the reader's
    language; else ``default``, or ``name`` as it is (a column of a user's file)."""
    key = str(name)
    fields = fields_for("card")
    f = next((f for f in fields if f.column == key), None) or field_by_path(key)
    if f is None and by_name:
        f = next((f for f in fields if f.path.rsplit(".", 1)[-1] == key), None)
    return field_label(f, key if default is None else default, language)


def lang_key(key: str, language: str | None = None) -> str:
    """``key_zh`` or ``key_en``: the column or dict key of a bilingual text (``reason``,
    ``message``, ``title``, ``label``) in the reader's language."""
    return pick(f"{key}_zh", f"{key}_en", language)


def text_of(d: Mapping[str, Any], key: str, language: str | None = None) -> str:
    """The bilingual text ``key`` of ``d`` (an issue, flag, explanation or trace step) in the
    reader's language; ``""`` when it has none."""
    return str(d.get(lang_key(key, language)) or "")


def enum_label(code: object, language: str | None = None, enum: str | None = None) -> str:
    """The reader's word for ``code`` (of the schema enumeration ``enum`` when given), from the
    one catalogue :mod:`valuation.core.labels`; an unknown code is returned as it is (and the
    untranslated-text test catches it)."""
    return str(code) if code is None else _label(code, language or lang(), enum)


def formula_text(formula: str, language: str | None = None) -> str:
    """A trace formula in the reader's language (the one catalogue
    :mod:`valuation.core.trace_words`, which the reports read too)."""
    return _formula_text(formula, language or lang())
