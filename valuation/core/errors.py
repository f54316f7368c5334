"""Typed errors of the engine.

Every error that reaches a user names the field, the value and what is allowed, in
Simplified Chinese (default) and English. Faces choose the language; the error carries both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Issue",
    "ValuationError",
    "ValidationError",
    "ConflictError",
    "NotFoundError",
    "RefusedError",
    "RuleCompileError",
    "localise",
]


@dataclass(frozen=True)
class Issue:
    """One problem found in the input.

    Attributes
    ----------
    field : dotted path of the field (``asset.rights.type``) or column name.
    value : the offending value (``None`` when missing).
    allowed : human-readable description of what is allowed.
    message_zh, message_en : full sentence in each language.
    row : 0-based row of a portfolio table, ``None`` for a single card.
    asset_id : the asset the row belongs to, when known.
    """

    field: str
    value: Any
    allowed: str
    message_zh: str
    message_en: str
    row: int | None = None
    asset_id: str | None = None

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self) -> dict[str, Any]:
        v = self.value
        if not isinstance(v, (str, int, float, bool, type(None), list, dict)):
            v = str(v)
        return {
            "row": self.row,
            "asset_id": self.asset_id,
            "field": self.field,
            "value": v,
            "allowed": self.allowed,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class ValuationError(Exception):
    """Base class: carries a Chinese and an English message."""

    code = "valuation_error"

    def __init__(self, message_zh: str, message_en: str | None = None, **context: Any):
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.context = context
        super().__init__(f"{self.message_zh} / {self.message_en}")

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en,
                **{k: v for k, v in self.context.items() if _jsonable(v)}}

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled between processes (Dask workers, the service's compute processes): rebuilt
        # from its attributes, not by calling the class with ``args`` — the subclasses'
        # constructors take other arguments than the message (ValidationError: the issues)
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type, args: tuple[Any, ...], state: dict[str, Any]) -> ValuationError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))


class ValidationError(ValuationError):
    """Input refused; ``issues`` lists *every* problem found, not only the first."""

    code = "validation_error"

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        head = self.issues[:5]
        zh = f"输入校验失败（共 {len(self.issues)} 处）：" + "；".join(i.message_zh for i in head)
        en = f"Input validation failed ({len(self.issues)} issue(s)): " + "; ".join(
            i.message_en for i in head)
        if len(self.issues) > 5:
            zh += " ……"
            en += " ..."
        super().__init__(zh, en)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["issues"] = [i.to_dict() for i in self.issues]
        return d


class ConflictError(ValuationError):
    """A write was based on a version that is no longer the latest (optimistic concurrency)."""

    code = "conflict"


class NotFoundError(ValuationError):
    code = "not_found"


class RefusedError(ValuationError):
    """A calculation refused on principle (e.g. g >= i, δ > 1 without override, CR >= 0.10)."""

    code = "refused"

    def __init__(self, message_zh: str, message_en: str | None = None, *, field: str | None = None,
                 value: Any = None, allowed: str | None = None, **context: Any):
        super().__init__(message_zh, message_en, field=field, value=value, allowed=allowed, **context)
        self.field, self.value, self.allowed = field, value, allowed


class RuleCompileError(ValuationError):
    """A rule expression was refused by the whitelisted compiler."""

    code = "rule_refused"


def localise(err: ValuationError, lang: str = "zh") -> str:
    return err.message(lang)
