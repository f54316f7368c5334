"""Reading library export files safely: bounded before anything is built or stored.

The audit of issue 18 imported a few hundred bytes of YAML whose aliases expanded to orders of
magnitude more in the database (a "billion laughs" bomb), and binary or deeply nested files
ended in tracebacks.
This module refuses, with the bilingual error shape of ``core/errors.py``, before the document
is built:

* files over :data:`MAX_BYTES`, and bytes that are not UTF-8 (binary files);
* YAML aliases (``*name``) — exports never contain them (``write_export`` dumps fresh objects),
  so any alias is hostile or hand-made — found by scanning the parser's events, which the
  C parser yields without composing a node, so the bomb costs microseconds;
* nesting deeper than :data:`MAX_DEPTH` (YAML from the same event scan; JSON by the parser's
  own recursion guard and the walk below);
* duplicate JSON object keys (the last one would silently win);
* in the built document: strings with lone surrogates (not storable as UTF-8), integers of
  more than ``max_int_digits`` digits, non-text mapping keys.

Depth and integer bounds are the input gate's (:data:`valuation.core.gate.LIMITS`): one
definition for every document the engine accepts. The walk itself differs: an export is one
large file of many entries, so the gate's per-document node and text budgets do not apply.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import Issue, ValidationError
from ..core.gate import INT_BOUND, LIMITS

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_INT", "check_tree", "load_document", "load_text"]

#: Largest export file read (bytes). The whole seeded store exports to a small fraction of it.
MAX_BYTES = 256 * 1024 * 1024
#: Deepest nesting of mappings and lists: the input gate's (core/gate.py), one definition for
#: cards and library exports (an export entry's content sits at depth 4 of the file).
MAX_DEPTH = LIMITS.max_depth
#: Largest integer magnitude accepted anywhere in an export: the gate's (below 10**19, every
#: int64 and no more).
MAX_INT = INT_BOUND - 1

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse(field: str, value: Any, allowed: str, zh: str, en: str) -> ValidationError:
    return ValidationError([Issue(field, value, allowed, zh, en)])


def _read_text(p: Path) -> str:
    try:
        size = p.stat().st_size
    except OSError as e:
        raise _refuse("file", str(p), "a readable file", f"无法读取文件 {p}：{e.strerror}",
                      f"cannot read {p}: {e.strerror}") from e
    if size > MAX_BYTES:
        raise _refuse("file", size, f"≤ {MAX_BYTES} bytes",
                      f"文件 {p} 过大（{size} 字节，上限 {MAX_BYTES}）",
                      f"file {p} is too large ({size} bytes, at most {MAX_BYTES})")
    raw = p.read_bytes()
    if b"\x00" in raw:
        raise _refuse("file", str(p), "UTF-8 text (YAML or JSON)",
                      f"文件 {p} 是二进制文件（含 NUL 字节），不是 YAML/JSON 文本",
                      f"file {p} is binary (contains NUL bytes), not YAML/JSON text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _refuse("file", f"byte {e.start}", "UTF-8 text (YAML or JSON)",
                      f"文件 {p} 不是 UTF-8 文本（第 {e.start} 字节起无法解码）",
                      f"file {p} is not UTF-8 text (cannot decode from byte {e.start})") from e


def _scan_yaml(text: str, p: Path) -> None:
    """Refuse aliases and deep nesting from the parser's events (nothing is composed)."""
    depth = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, yaml.AliasEvent):
            where = ev.start_mark.line + 1 if ev.start_mark else "?"
            raise _refuse("file", f"*{ev.anchor}", "YAML without aliases (*name)",
                          f"文件 {p} 第 {where} 行使用了 YAML 别名 *{ev.anchor}：库导出文件不含别名，"
                          "为防止别名展开炸弹，拒绝导入",
                          f"file {p} line {where} uses the YAML alias *{ev.anchor}: library "
                          "exports never contain aliases, and they are refused (alias-expansion "
                          "bombs)")
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(p)
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1


def _too_deep(p: Path) -> ValidationError:
    return _refuse("file", f"> {MAX_DEPTH}", f"nesting ≤ {MAX_DEPTH} levels",
                   f"文件 {p} 嵌套层数超过 {MAX_DEPTH}", f"file {p} nests deeper than {MAX_DEPTH} levels")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _refuse(k, v if isinstance(v, (str, int, float)) else None, "unique keys",
                          f"JSON 对象中键 {k!r} 重复出现（后者会悄然覆盖前者）",
                          f"the key {k!r} appears twice in one JSON object (the last would "
                          "silently win)")
        out[k] = v
    return out


def load_document(path: str | Path, *, as_json: bool) -> Any:
    """The parsed document of ``path`` (JSON or YAML), every limit above checked."""
    p = Path(path)
    return load_text(_read_text(p), as_json=as_json, source=p)


def load_text(text: str, *, as_json: bool, source: str | Path = "text") -> Any:
    """The parsed document of ``text`` (JSON or YAML typed into a form, say), with the same
    limits as :func:`load_document` (aliases refused, depth, keys, integers, surrogates)."""
    p = Path(str(source))
    if len(text) > MAX_BYTES:
        raise _refuse("file", len(text), f"≤ {MAX_BYTES} characters",
                      f"{p} 过大（{len(text)} 字符）", f"{p} is too large ({len(text)} characters)")
    try:
        if as_json:
            doc = json.loads(text, object_pairs_hook=_no_duplicates)
        else:
            _scan_yaml(text, p)
            doc = yaml.load(text, Loader=_Loader)
    except RecursionError as e:
        raise _too_deep(p) from e
    except (json.JSONDecodeError, yaml.YAMLError, ValueError, OverflowError) as e:
        # ValueError: a YAML timestamp like 2024-02-30, a 5,000-digit integer
        msg = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
        raise _refuse("file", str(p), "JSON or YAML export file",
                      f"导出文件 {p} 无法解析：{msg}", f"export file {p} cannot be parsed: {msg}") from e
    check_tree(doc, p)
    return doc


def check_tree(doc: Any, p: Path | str = "document") -> None:
    """Walk the built document (iteratively): depth, text, integer and key checks."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth >= MAX_DEPTH and isinstance(node, (dict, list)):   # as the gate counts levels
            raise _too_deep(Path(str(p)))
        if isinstance(node, str):
            _check_text(node, where or "document")
        elif isinstance(node, bool) or node is None or isinstance(node, float):
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_INT:
                shown = f"{str(node)[:20]}… ({len(str(abs(node)))} digits)"
                raise _refuse(where or "document", shown, f"|integer| ≤ {MAX_INT}",
                              f"{where} 的整数过大（{shown}），上限 ±{MAX_INT}",
                              f"{where}: integer too large ({shown}), at most ±{MAX_INT}")
        elif isinstance(node, dict):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise _refuse(f"{where}.{k!r}".lstrip("."), repr(k)[:80], "text keys",
                                  f"{where} 中的键 {k!r} 不是文本", f"key {k!r} in {where} is not text")
                _check_text(k, where or "document")
                stack.append((v, f"{where}.{k}" if where else k, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node))


def _check_text(s: str, where: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _refuse(where, s[max(0, e.start - 10): e.start + 10].encode("unicode_escape").decode(),
                      "valid Unicode text (no lone surrogates)",
                      f"{where} 含有孤立的代理字符（\\u{ord(s[e.start]):04x}），不是有效的 Unicode 文本",
                      f"{where} contains a lone surrogate (\\u{ord(s[e.start]):04x}): not valid "
                      "Unicode text") from None
