"""The input gate: what every face checks before a document reaches validation.

Cards, products and batches arrive as files (CLI), request bodies (HTTP), uploads (dashboard) or
Python objects (API, notebooks). Before the schema table (:mod:`valuation.core.validate`) looks at
their fields, the gate refuses what no field check can handle safely or meaningfully
(docs/SECURITY.md "Input gate"):

- a document larger than :data:`LIMITS` ``max_bytes`` (read no further; the HTTP service has its
  own body limits, checked before the body is read);
- text that is not UTF-8, and strings holding lone surrogates (not Unicode: they cannot be
  written to a report, a database or a JSON answer);
- JSON that is not JSON (``NaN``/``Infinity`` included), nested deeper than ``max_depth``;
- a key given twice in one object (JSON parsers keep the last one silently: a whole
  ``engagement`` section could be replaced unseen);
- integers of ``max_int_digits`` digits or more (no field of the format needs them; Python's
  own 4,300-digit limit would otherwise end in a traceback);
- control and bidirectional-override characters in keys and identifiers (asset id, names,
  case and item ids), NUL anywhere — free text keeps the others, and :func:`for_document`
  strips them before a report is written;
- strings longer than ``max_str_chars`` and documents of more than ``max_nodes`` values.

Every refusal is a :class:`~valuation.core.errors.ValidationError` whose issues name the field
(dotted path), the value (shortened) and what is allowed, in Chinese and English, so faces
render it as any other invalid input: exit code 2 on the CLI, 4xx on HTTP.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import Issue, ValidationError

__all__ = ["LIMITS", "INT_BOUND", "Limits", "parse_json", "check_tree", "check", "for_document", "too_large",
           "forecasts_in", "table_text_issues",
           "IDENTIFIER_PATHS", "GateError"]


@dataclass(frozen=True)
class Limits:
    """Bounds of a document; the defaults fit the largest card the schema's list limits allow
    (docs/SECURITY.md)."""

    max_bytes: int = 2_000_000
    max_depth: int = 32
    max_nodes: int = 50_000           # objects and arrays (numbers and texts are bounded by size)
    max_int_digits: int = 19          # |n| < 10**19: every int64 (no field needs more)
    max_str_chars: int = 100_000
    max_key_chars: int = 200
    max_issues: int = 20


LIMITS = Limits()
#: integers must lie strictly between ``-INT_BOUND`` and ``INT_BOUND`` (``max_int_digits``);
#: the library import (``library/safe_load.py``) reads the same bounds
INT_BOUND = _INT_BOUND = 10 ** LIMITS.max_int_digits

#: Paths whose strings are identifiers or names shown as such (reports, tables, headers):
#: control characters are refused there, not stripped.
IDENTIFIER_PATHS = frozenset({
    "asset.asset_id", "asset.name", "asset.holder", "asset.category", "asset.industry",
    "asset.region", "asset.rights.grantor", "engagement.currency",
    "asset.quality.indicators[].indicator", "income.scenarios[].name",
    "market.comparables[].case_id", "product.product_id", "product.name", "product.currency",
    "product.items[].item_id", "product.items[].name",
})

# free text: NUL (no database or document stores it) and lone surrogates (not Unicode); other
# control characters are stripped where documents are written (for_document). Identifiers:
# every C0/C1 control, zero-width and bidirectional controls (text that displays differently
# from what it is)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_BAD_IDENT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_STRIP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


class GateError(ValidationError):
    """Refused by the input gate (a :class:`ValidationError`: the same shape and handling)."""


class _BigInt(str):
    """An integer literal of too many digits, kept as text so the walk names its field."""


class _Dups(dict):
    """An object whose pairs repeated a key (``dups``: the repeated keys)."""

    dups: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    seen: set[str] = set()
    dups = []
    for k, _ in pairs:
        if k in seen and k not in dups:
            dups.append(k)
        seen.add(k)
    out = _Dups(d)
    out.dups = tuple(dups)
    return out


def _parse_int(text: str) -> Any:
    return int(text) if len(text.lstrip("-")) <= LIMITS.max_int_digits else _BigInt(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use a number or null)")


def _issue(field: str, value: Any, allowed_zh: str, allowed_en: str, zh: str, en: str) -> Issue:
    label = field or "(document)"
    return Issue(field=field, value=_short(value), allowed=allowed_en,
                 message_zh=f"{label}：{zh}；允许：{allowed_zh}",
                 message_en=f"{label}: {en}; allowed: {allowed_en}")


def _short(v: Any) -> Any:
    if isinstance(v, str):
        v = v.encode("utf-8", "backslashreplace").decode("utf-8")
        return v if len(v) <= 60 else v[:57] + "..."
    if isinstance(v, (bytes, bytearray)):
        return _short(bytes(v[:80]).decode("utf-8", "backslashreplace"))
    if isinstance(v, (int, float, bool)) or v is None:
        return v
    return _short(repr(v))


def parse_json(data: bytes | bytearray | str, *, field: str = "body",
               max_bytes: int | None = None, docs_at: tuple[str, ...] = ()) -> Any:
    """Parse a JSON document through the gate.

    Parameters
    ----------
    data : the raw bytes (or text) of a file, request body or upload.
    field : how the whole input is named in issues (``body``, the file name …).
    max_bytes : size limit (default ``LIMITS.max_bytes``).
    docs_at : paths whose items are documents of their own (``("[]", "cards[]")`` for a batch),
        so identifier checks see ``asset.asset_id`` in each card.

    Raises
    ------
    GateError
        naming the field, value and what is allowed; never another exception.
    """
    limit = LIMITS.max_bytes if max_bytes is None else int(max_bytes)
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limit:
        raise too_large(field, size, limit)
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise GateError([_issue(field, bytes(data[max(0, e.start - 10): e.start + 10]),
                                    "UTF-8 编码的 JSON 文本", "UTF-8 encoded JSON text",
                                    f"不是合法的 UTF-8 文本（第 {e.start} 字节）",
                                    f"not valid UTF-8 text (byte {e.start})")]) from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise GateError([_issue(field, None, "JSON 文档", "a JSON document", "输入为空",
                                "the input is empty")])
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_parse_int,
                           parse_constant=_no_constant)
    except RecursionError:
        raise GateError([_depth_issue(field)]) from None
    except ValueError as e:     # JSONDecodeError, constants, a surrogate pair torn by the decoder
        raise GateError([_issue(field, text[:40], "合法的 JSON 文本", "valid JSON text",
                                f"不是合法的 JSON：{e}", f"not valid JSON: {e}")]) from None
    check(value, docs_at=docs_at)
    return value


def too_large(field: str, size: int, limit: int | None = None) -> GateError:
    """The refusal of an input of ``size`` bytes (for faces that check the size before reading)."""
    limit = LIMITS.max_bytes if limit is None else int(limit)
    return GateError([_issue(field, f"{size:,} bytes", f"不超过 {limit:,} 字节", f"at most {limit:,} bytes",
                             f"输入过大（{size:,} 字节）", f"input too large ({size:,} bytes)")])


def _depth_issue(path: str) -> Issue:
    n = LIMITS.max_depth
    return _issue(path, "…", f"嵌套不超过 {n} 层", f"nesting of at most {n} levels",
                  f"嵌套过深（超过 {n} 层）", f"nested too deeply (more than {n} levels)")


def check(doc: Any, *, docs_at: tuple[str, ...] = ()) -> None:
    """Raise :class:`GateError` listing the gate's issues with ``doc`` (a parsed document or a
    Python object handed to the API); return None when it passes."""
    issues = check_tree(doc, docs_at=docs_at)
    if issues:
        raise GateError(issues)


def check_tree(doc: Any, *, docs_at: tuple[str, ...] = ()) -> list[Issue]:
    """The gate's issues with a parsed document or Python object (empty when it passes).

    The walk stops at ``max_depth`` (so it never recurses without bound, whatever object it is
    given), after ``max_nodes`` values and after ``max_issues`` issues. Paths are built only
    for issues (a clean card's walk makes no path string).
    """
    return [] if _plainly_clean(doc, docs_at) else _full_walk(doc, docs_at)


def _full_walk(doc: Any, docs_at: tuple[str, ...]) -> list[Issue]:
    """:func:`check_tree`'s issues, found value by value with their paths."""
    issues: list[Issue] = []
    lim = LIMITS
    max_depth, max_key = lim.max_depth, lim.max_key_chars
    budget = [lim.max_nodes]
    bad_text, bad_ident, max_str = _BAD_TEXT.search, _BAD_IDENT.search, lim.max_str_chars
    doc_roots = _doc_roots(docs_at)

    def add(issue: Issue) -> bool:
        issues.append(issue)
        return len(issues) >= lim.max_issues

    def walk(v: Any, ids: Any, depth: int, where: Any) -> bool:
        """True: stop the walk (too many issues or values)."""
        t = type(v)
        if t is str:
            if bad_text(v) or len(v) > max_str or (ids is True and bad_ident(v)):
                return add(_text_issue(v, _path(where), ids is True))
            return False
        if t is float or t is bool or v is None:
            return False
        if t is int:
            return not -_INT_BOUND < v < _INT_BOUND and add(_big_issue(_int_text(v), _path(where)))
        if t is _BigInt:
            return add(_big_issue(v, _path(where)))
        budget[0] -= 1
        if budget[0] < 0:
            n = lim.max_nodes
            add(_issue(_path(where), "…", f"不超过 {n:,} 个对象和数组", f"at most {n:,} objects and arrays",
                       "文档所含的对象和数组过多", "the document holds too many objects and arrays"))
            return True
        if isinstance(v, dict):
            if depth >= max_depth:
                add(_depth_issue(_path(where)))
                return True
            for k in getattr(v, "dups", ()):
                if add(_issue(_path((where, k)), k, "每个键在同一对象中只出现一次", "each key once per object",
                              "键重复（解析器会以后者静默覆盖前者）",
                              "key given twice (the later one would silently replace the first)")):
                    return True
            sub = ids if type(ids) is dict else None
            for k, x in v.items():
                if type(k) is str and (len(k) > max_key or bad_ident(k)):
                    if add(_key_issue(k, _path((where, k)))):
                        return True
                    continue
                if walk(x, sub.get(k) if sub is not None else None, depth + 1, (where, k)):
                    return True
            return False
        if t is list or t is tuple:
            if depth >= max_depth:
                add(_depth_issue(_path(where)))
                return True
            sub = ids.get("[]") if type(ids) is dict else None
            for i, x in enumerate(v):
                if walk(x, sub, depth + 1, (where, i)):
                    return True
        # dates, numpy scalars …: the schema's checks decide
        return False

    walk(doc, doc_roots if docs_at else _ID_TREE, 0, None)
    return issues


def _plainly_clean(doc: Any, docs_at: tuple[str, ...]) -> bool:
    """True when ``doc`` certainly passes: a lean walk that collects the texts and checks them
    joined, with one regex search per kind instead of one per string. Any
    doubt — a hit, a long text, a big integer, a duplicate, depth, size, an odd type — is False,
    and :func:`check_tree`'s full walk then finds and names the problems."""
    texts: list[str] = []
    idents: list[str] = []
    budget = LIMITS.max_nodes
    max_depth, max_int, max_key = LIMITS.max_depth, _INT_BOUND, LIMITS.max_key_chars
    stack: list[tuple[Any, Any, int]] = [(doc, _doc_roots(docs_at) if docs_at else _ID_TREE, 0)]
    pop, push, add_text, add_ident = stack.pop, stack.append, texts.append, idents.append
    while stack:
        v, ids, depth = pop()
        t = type(v)
        if t is dict:
            budget -= 1
            if budget < 0 or depth >= max_depth:
                return False
            sub = ids if type(ids) is dict else None
            for k, x in v.items():
                if type(k) is not str or len(k) > max_key:
                    return False
                add_ident(k)
                tx = type(x)
                if tx is str:
                    (add_ident if sub is not None and sub.get(k) is True else add_text)(x)
                elif tx is float or tx is bool or x is None:
                    continue
                elif tx is int:
                    if not -max_int < x < max_int:
                        return False
                else:
                    push((x, sub.get(k) if sub is not None else None, depth + 1))
        elif t is list:
            budget -= 1
            if budget < 0 or depth >= max_depth:
                return False
            sub = ids.get("[]") if type(ids) is dict else None
            for x in v:
                tx = type(x)
                if tx is str:
                    (add_ident if sub is True else add_text)(x)
                elif tx is float or tx is bool or x is None:
                    continue
                elif tx is int:
                    if not -max_int < x < max_int:
                        return False
                else:
                    push((x, sub, depth + 1))
        elif t is str:
            add_text(v)
        elif t is int:
            if not -max_int < v < max_int:
                return False
        elif not (t is float or t is bool or v is None):
            return False        # _Dups, _BigInt, tuples, dates, numpy …: the full walk decides
    text, ident = "".join(texts), "".join(idents)
    if _BAD_TEXT.search(text) or _BAD_IDENT.search(ident):
        return False
    most = LIMITS.max_str_chars         # (keys are in ``idents`` too: each is shorter)
    if len(text) <= most and len(ident) <= most:
        return True
    return all(len(x) <= most for x in texts) and all(len(x) <= most for x in idents)


def _tree(paths: frozenset[str]) -> dict[str, Any]:
    """``{"asset": {"asset_id": True, …}, "income": {"scenarios": {"[]": {"name": True}}}}``."""
    root: dict[str, Any] = {}
    for p in paths:
        node = root
        parts = p.replace("[]", ".[]").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = True
    return root


_ID_TREE = _tree(IDENTIFIER_PATHS)


def _doc_roots(docs_at: tuple[str, ...]) -> dict[str, Any]:
    """The identifier tree of a container whose items at ``docs_at`` are documents."""
    root: dict[str, Any] = {}
    for p in docs_at:
        node = root
        parts = p.replace("[]", ".[]").strip(".").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _ID_TREE
    return root


def _path(where: Any) -> str:
    parts: list[Any] = []
    while where is not None:
        where, k = where
        parts.append(k)
    out = ""
    for k in reversed(parts):
        out += f"[{k}]" if type(k) is int else (f".{k}" if out else str(k))
    return out


def _int_text(v: int) -> str:
    # no str(v): Python refuses to print ints of more than 4,300 digits
    return "-" * (v < 0) + f"{int(v.bit_length() * 0.30103) + 1}-digit integer"


def _text_issue(v: str, path: str, ident: bool) -> Issue:
    n = LIMITS.max_str_chars
    if _SURROGATE.search(v):
        return _issue(path, v, "合法的 Unicode 文本", "valid Unicode text",
                      "文本含有孤立的代理字符（不是合法的 Unicode）",
                      "the text holds a lone surrogate (not valid Unicode)")
    if len(v) > n:
        return _issue(path, v, f"不超过 {n:,} 个字符", f"at most {n:,} characters",
                      f"文本过长（{len(v):,} 个字符）", f"text too long ({len(v):,} characters)")
    bad = (_BAD_IDENT if ident else _BAD_TEXT).search(v)
    c = f"U+{ord(bad.group()):04X}" if bad else "?"
    what_zh = "标识和名称中不得含有控制字符" if ident else "文本中不得含有 NUL 字符"
    what_en = "no control characters in identifiers and names" if ident else "text without NUL characters"
    return _issue(path, v, what_zh, what_en, f"含有控制字符 {c}", f"holds the control character {c}")


def _key_issue(k: str, path: str) -> Issue:
    n = LIMITS.max_key_chars
    return _issue(path, k, f"不含控制字符、不超过 {n} 个字符的键",
                  f"keys without control characters, at most {n} characters",
                  "键含有控制字符或过长", "the key holds control characters or is too long")


def _big_issue(digits: str, path: str) -> Issue:
    n = LIMITS.max_int_digits
    head = digits.lstrip("-")
    d = len(head) if head.isdigit() else int(head.split("-")[0])
    return _issue(path, digits, f"不超过 {n} 位的整数", f"an integer of at most {n} digits",
                  f"整数过大（约 {d:,} 位）", f"integer too large (about {d:,} digits)")


def table_text_issues(columns: dict[str, Any], ids: list[Any]) -> list[Issue]:
    """The gate's text checks over the identifier columns of a portfolio table (the batch face):
    ``columns`` maps a column name to its values, ``ids`` are the rows' asset ids. Each column is
    scanned at once (joined, one regex search, not one per name) and only a column that
    holds a bad character is looked at row by row."""
    from .schema import column_of

    idents = {column_of(p) for p in IDENTIFIER_PATHS if "[]" not in p}
    issues: list[Issue] = []
    for c, values in columns.items():
        if c not in idents:
            continue
        joined = "".join([v for v in values if type(v) is str])
        # every character _BAD_IDENT names is non-printable for Python (a test checks all code
        # points): a printable text holds none, and ``isprintable`` is a plain scan, cheaper
        # than the regex search
        if joined.isprintable() or not _BAD_IDENT.search(joined):
            continue
        for r, v in enumerate(values):
            if type(v) is str and _BAD_IDENT.search(v):
                i = _text_issue(v, c, True)
                issues.append(Issue(field=c, value=i.value, allowed=i.allowed,
                                    message_zh=f"第 {r + 1} 行：{i.message_zh}",
                                    message_en=f"row {r + 1}: {i.message_en}", row=r,
                                    asset_id=ids[r] if isinstance(ids[r], str) else None))
                if len(issues) >= 1000:
                    return issues
    return issues


def forecasts_in(cards: Any) -> int:
    """How many of ``cards`` ask for a forecast from revenue history — the dearest step of an
    appraisal (a statsmodels ETS/ARIMA fit each): the HTTP service computes
    at most ``max_batch_forecasts`` of them in one synchronous batch (docs/SECURITY.md)."""
    n = 0
    for c in cards if isinstance(cards, list) else ():
        inc = c.get("income") if isinstance(c, dict) else None
        hist = inc.get("history") if isinstance(inc, dict) else None
        if isinstance(hist, dict) and hist.get("values"):
            n += 1
    return n


def for_document(value: Any) -> Any:
    """A copy of ``value`` whose strings lost the characters no document may hold (control
    characters other than tab and newline, lone surrogates, bidirectional overrides) — for
    reports and working papers, whose XML cannot carry them (docs/SECURITY.md)."""
    if isinstance(value, str):
        return _STRIP.sub("", value) if _STRIP.search(value) else value
    if isinstance(value, dict):
        return {k: for_document(x) for k, x in value.items()}
    if isinstance(value, (list, tuple)):
        return [for_document(x) for x in value]
    return value
