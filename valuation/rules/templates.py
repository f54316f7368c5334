"""Bounds on rule message templates and numeric literals (docs/SECURITY.md "Rules").

A rule's messages are filled with fact values in every answer that flags it, so a template is
data that shapes every later response: ``{premium_ratio:100000000}`` would pad each message to
100 MB. Templates are checked when a rule is saved (:func:`spec_problem`), and the filling
(:func:`safe_spec`) never honours an unbounded spec of a rule stored before the check.

Placeholders may name only a declared fact or a parameter of the rule (no attribute or index
access: ``{x.__class__}``, ``{x[0]}``), with a standard format spec whose width is at most
:data:`MAX_WIDTH` and precision at most :data:`MAX_PRECISION`. Numeric literals of conditions
and parameters are finite with magnitude at most :data:`MAX_LITERAL`.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

__all__ = ["MAX_WIDTH", "MAX_PRECISION", "MAX_LITERAL", "spec_problem", "safe_spec",
           "literal_problem", "name_problem"]

MAX_WIDTH = 40
MAX_PRECISION = 12
#: 10^15 yuan is a thousand times China's GDP: no threshold needs more
MAX_LITERAL = 1e15

# Python's format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?(?P<width>\d*)"
                   r"[,_]?(?:\.(?P<precision>\d+))?(?P<type>[bcdeEfFgGnosxX%])?", re.S)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def name_problem(name: str) -> tuple[str, str] | None:
    """Why a placeholder name is refused (zh, en), or None."""
    if not _NAME.match(name):
        return (f"占位符 {{{name}}} 只能是事实或参数名（不允许属性或下标访问）",
                f"placeholder {{{name}}} must be a bare fact or parameter name (no attribute or "
                "index access)")
    return None


@lru_cache(maxsize=1024)
def spec_problem(spec: str) -> tuple[str, str] | None:
    """Why a format spec is refused (zh, en), or None when it is a bounded standard spec."""
    if "{" in spec or "}" in spec:
        return "格式中不允许嵌套占位符", "nested placeholders are not allowed in a format"
    m = _SPEC.fullmatch(spec)
    if m is None:
        return f"格式 {spec!r} 无效", f"format {spec!r} is not a standard format spec"
    w, p = m.group("width"), m.group("precision")
    if w and int(w) > MAX_WIDTH:
        return (f"格式宽度 {int(w):,} 超过上限 {MAX_WIDTH}",
                f"format width {int(w):,} exceeds the limit of {MAX_WIDTH}")
    if p and int(p) > MAX_PRECISION:
        return (f"格式精度 {int(p):,} 超过上限 {MAX_PRECISION}",
                f"format precision {int(p):,} exceeds the limit of {MAX_PRECISION}")
    return None


def safe_spec(spec: str | None) -> str:
    """``spec`` when bounded, else ``""`` (the value as plain text) — for filling messages of
    rules stored before templates were checked."""
    if not spec:
        return ""
    return "" if spec_problem(spec) else spec


def literal_problem(v: Any) -> tuple[str, str] | None:
    """Why a numeric literal or parameter is refused (zh, en), or None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, int):
        ok = -MAX_LITERAL <= v <= MAX_LITERAL     # exact: no float() of a 310-digit int
    else:
        ok = math.isfinite(v) and abs(v) <= MAX_LITERAL
    if ok:
        return None
    shown = f"{v:.3g}" if isinstance(v, float) else f"{v.bit_length() * 0.30103:.0f}-digit integer"
    return (f"数值 {shown} 超出范围：须为有限数且绝对值不超过 {MAX_LITERAL:.0e}",
            f"number {shown} is out of range: it must be finite with magnitude at most {MAX_LITERAL:.0e}")
