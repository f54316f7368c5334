"""Export files of the library store (YAML or JSON, chosen by the file suffix).

Format (``format: valuation-library-export``, ``format_version: 1``)::

    format: valuation-library-export
    format_version: 1
    exported_at: 2025-01-01T00:00:00+00:00
    snapshot_id: 3f2a...
    entries:                       # every version of every entry, oldest first per key
      - {library, key, version, status, author, created_at, note, effective_from,
         references, content_hash, content}
"""
from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from ..core.errors import ConflictError, Issue, ValidationError, ValuationError
from .records import (
    MAX_KEY,
    check_key,
    check_library,
    check_status,
    content_hash,
    need_author,
    normalise_content,
    parse_date,
    references_list,
)
from .safe_load import load_document
from .tables import audit, versions

__all__ = ["FORMAT", "import_entries", "read_export", "write_export"]

FORMAT = "valuation-library-export"
FORMAT_VERSION = 1

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Largest version number (the column is a 32-bit integer).
MAX_VERSION = 2**31 - 1


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def write_export(path: str | Path, entries: Iterable[dict[str, Any]], snapshot_id: str) -> int:
    """Write the versions (dicts of :meth:`Entry.to_dict`) to ``path``; returns their number."""
    p = Path(path)
    rows = list(entries)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION,
           "exported_at": _dt.datetime.now(_dt.UTC).isoformat(),
           "snapshot_id": snapshot_id, "entries": rows}
    p.parent.mkdir(parents=True, exist_ok=True)
    if _is_json(p):
        text = json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)
    else:
        text = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    p.write_text(text, encoding="utf-8")
    return len(rows)


def _envelope_issue(field: str, value: Any, allowed: str, zh: str, en: str) -> ValidationError:
    return ValidationError([Issue(field, value, allowed, zh, en)])


def read_export(path: str | Path) -> dict[str, Any]:
    """Read an export file safely (``safe_load``: size, UTF-8, no YAML aliases, depth) and
    check the envelope: ``format``, an integer ``format_version`` this engine reads, an
    ``entries`` list of mappings."""
    p = Path(path)
    doc = load_document(p, as_json=_is_json(p))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT \
            or not isinstance(doc.get("entries"), list):
        raise _envelope_issue("format", doc.get("format") if isinstance(doc, dict)
                              else type(doc).__name__, FORMAT,
                              f"{p} 不是库导出文件（需要 format: {FORMAT} 与 entries 列表）",
                              f"{p} is not a library export (needs format: {FORMAT} and an "
                              "entries list)")
    fv = doc.get("format_version")
    if not isinstance(fv, int) or isinstance(fv, bool) or not 1 <= fv <= FORMAT_VERSION:
        newer = isinstance(fv, int) and not isinstance(fv, bool) and fv > FORMAT_VERSION
        shown = _short(fv)
        raise _envelope_issue(
            "format_version", shown, f"integer 1 … {FORMAT_VERSION}",
            f"导出文件格式版本 {shown} " + ("过新，本程序无法读取" if newer else
                                        f"无效（须为 1 至 {FORMAT_VERSION} 的整数）"),
            f"export format_version {shown} " + ("is newer than this engine reads" if newer
                                                   else f"is invalid (an integer 1 … "
                                                        f"{FORMAT_VERSION} is needed)"))
    return doc


def _short(value: Any) -> str:
    """``repr`` of a value for a message, cut at 60 characters (a file may hold megabytes)."""
    r = repr(value) if isinstance(value, (str, int, float, bool, type(None))) else \
        type(value).__name__
    return r if len(r) <= 60 else r[:57] + "..."


def _bad(field: str, value: Any, allowed: str, zh: str, en: str) -> ValidationError:
    shown = value if isinstance(value, (int, float, bool, type(None))) else \
        value[:200] if isinstance(value, str) else type(value).__name__
    return ValidationError([Issue(field, shown, allowed, zh, en)])


def _created_at(value: Any) -> _dt.datetime:
    """``created_at`` of an exported version: an ISO date-time (YAML may have parsed it)."""
    created = value
    if isinstance(value, str):
        try:
            created = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            created = None
    if not isinstance(created, _dt.datetime):
        raise _bad("created_at", value, "ISO date-time YYYY-MM-DDTHH:MM:SS[+HH:MM]",
                   f"created_at 的值 {_short(value)} 不是 ISO 日期时间",
                   f"created_at value {_short(value)} is not an ISO date-time")
    return created if created.tzinfo is not None else created.replace(tzinfo=_dt.UTC)


def _text(d: Mapping[str, Any], field: str, limit: int | None) -> str:
    value = d.get(field)
    if value is None:
        return ""
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        allowed = "text" + (f", ≤ {limit} characters" if limit else "")
        raise _bad(field, value, allowed, f"{field} 须为文本" + (f"（最长 {limit} 字符）" if limit
                                                              else "") + f"，而不是 {type(value).__name__}",
                   f"{field} must be text" + (f" (at most {limit} characters)" if limit else "")
                   + f", not {type(value).__name__}")
    return value


def _row_of(d: Mapping[str, Any]) -> dict[str, Any]:
    """One exported version → a row of ``library_versions`` (checked; hash recomputed)."""
    lib = check_library(d.get("library"))
    key = check_key(d.get("key"))
    ver = d.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool) or not 1 <= ver <= MAX_VERSION:
        raise _bad("version", ver, f"integer 1 … {MAX_VERSION}", f"版本号 {_short(ver)} 无效",
                   f"version {_short(ver)} is invalid")
    raw = d.get("content")
    if not isinstance(raw, Mapping):
        raise _bad("content", raw, "mapping", f"{lib}/{key} v{ver} 的内容必须是映射",
                   f"{lib}/{key} v{ver}: content must be a mapping")
    content = normalise_content(raw)
    h = content_hash(content)
    if h != d.get("content_hash"):
        raise ValidationError([Issue("content_hash", d.get("content_hash"), h,
                                     f"{lib}/{key} v{ver} 的内容与文件中的哈希不符",
                                     f"{lib}/{key} v{ver}: content does not match the hash in "
                                     "the file")])
    author = _text(d, "author", MAX_KEY)
    return {"library": lib, "key": key, "version": ver, "content": content,
            "status": check_status(d.get("status")), "author": need_author(author),
            "created_at": _created_at(d.get("created_at")), "note": _text(d, "note", None),
            "effective_from": parse_date(d.get("effective_from")),
            "refs": references_list(d.get("references")), "content_hash": h}


def _checked_rows(store: Any, entries: list[Any]) -> list[dict[str, Any]]:
    """Every entry of the file checked — envelope fields, hash, and the library's validators
    on EVERY version (active, draft and retired: a refused active rule hidden behind a valid
    newer draft must not slip in). All problems are collected, each with its row."""
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, int], int] = {}
    for i, d in enumerate(entries):
        try:
            if not isinstance(d, Mapping):
                raise _bad(f"entries[{i}]", d, "mapping", f"entries[{i}] 不是映射",
                           f"entries[{i}] is not a mapping")
            r = _row_of(d)
            ident = (r["library"], r["key"], r["version"])
            if ident in seen:
                raise _bad("version", r["version"], "each version once",
                           f"{ident[0]}/{ident[1]} v{ident[2]} 在文件中出现两次（entries[{seen[ident]}]）",
                           f"{ident[0]}/{ident[1]} v{ident[2]} appears twice in the file "
                           f"(entries[{seen[ident]}])")
            seen[ident] = i
            store._validate(r["library"], r["key"], r["content"])
            rows.append(r)
        except ValidationError as e:
            issues.extend(Issue(x.field, x.value, x.allowed, x.message_zh, x.message_en, row=i,
                                asset_id=x.asset_id) for x in e.issues)
        except ValuationError as e:  # the rule compiler's refusal, and the like
            name = f"{d.get('library')}/{d.get('key')} v{d.get('version')}"
            issues.append(Issue(f"entries[{i}].content", name, "content the library accepts",
                                f"{name}（{d.get('status')}）被拒绝：{e.message_zh}",
                                f"{name} ({d.get('status')}) was refused: {e.message_en}", row=i))
    if issues:
        raise ValidationError(issues)
    return rows


def import_entries(store: Any, path: str | Path, *, author: str) -> dict[str, int]:
    """Body of :meth:`Store.import_` (see there)."""
    author = need_author(author)
    doc = read_export(path)
    rows = _checked_rows(store, doc["entries"])  # the whole file, before anything is written
    rows.sort(key=lambda r: (r["library"], r["key"], r["version"]))
    counts = {"inserted": 0, "unchanged": 0}
    now = _dt.datetime.now(_dt.UTC)
    v = versions.c
    with store._write() as conn:
        have: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
        for lib, key, ver, h in conn.execute(sa.select(v.library, v.key, v.version,
                                                       v.content_hash)):
            have[(lib, key)][ver] = h
        new, audits = [], []
        for r in rows:
            known = have[(r["library"], r["key"])]
            name = f"{r['library']}/{r['key']}"
            if r["version"] in known:
                if known[r["version"]] != r["content_hash"]:
                    raise ConflictError(
                        f"{name} 的版本 {r['version']} 在库中已有不同内容，导入未写入任何内容",
                        f"{name} version {r['version']} already exists with different content; "
                        "the import wrote nothing",
                        library=r["library"], key=r["key"], version=r["version"])
                counts["unchanged"] += 1
                continue
            expected = max(known, default=0) + 1
            if r["version"] != expected:
                raise ValidationError([Issue(
                    "version", r["version"], str(expected),
                    f"{name} 的版本 {r['version']} 与库中历史不连续（应为 {expected}）",
                    f"{name} version {r['version']} does not continue the history in the store "
                    f"(expected {expected})")])
            known[r["version"]] = r["content_hash"]
            new.append(r)
            audits.append({"at": now, "who": author, "action": "import", "library": r["library"],
                           "key": r["key"], "version": r["version"],
                           "note": f"import: {r['note']}".rstrip(": ")})
        if new:
            conn.execute(sa.insert(versions), new)
            conn.execute(sa.insert(audit), audits)
        counts["inserted"] = len(new)
    return counts
