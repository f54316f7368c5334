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

from ..core.errors import ConflictError, Issue, ValidationError
from .records import (
    check_key,
    check_library,
    check_status,
    content_hash,
    need_author,
    normalise_content,
    parse_date,
    references_list,
)
from .tables import audit, versions

__all__ = ["FORMAT", "import_entries", "read_export", "write_export"]

FORMAT = "valuation-library-export"
FORMAT_VERSION = 1

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_export(path: str | Path) -> dict[str, Any]:
    """Read an export file; checks the envelope (format, entries list)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        doc = json.loads(text) if _is_json(p) else yaml.load(text, Loader=_Loader)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ValidationError([Issue("file", str(p), "JSON or YAML export file",
                                     f"导出文件 {p} 无法解析：{e}",
                                     f"export file {p} cannot be parsed: {e}")]) from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT \
            or not isinstance(doc.get("entries"), list):
        raise ValidationError([Issue("format", (doc or {}).get("format") if isinstance(doc, dict)
                                     else type(doc).__name__, FORMAT,
                                     f"{p} 不是库导出文件（需要 format: {FORMAT} 与 entries 列表）",
                                     f"{p} is not a library export (needs format: {FORMAT} and an "
                                     "entries list)")])
    if int(doc.get("format_version", 1)) > FORMAT_VERSION:
        raise ValidationError([Issue("format_version", doc.get("format_version"),
                                     f"≤ {FORMAT_VERSION}",
                                     f"导出文件格式版本 {doc.get('format_version')} 过新",
                                     f"export format version {doc.get('format_version')} is newer "
                                     "than this engine reads")])
    return doc


def _row_of(d: Mapping[str, Any]) -> dict[str, Any]:
    """One exported version → a row of ``library_versions`` (checked; hash recomputed)."""
    lib = check_library(d.get("library"))
    key = check_key(d.get("key"))
    ver = d.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
        raise ValidationError([Issue("version", ver, "integer ≥ 1", f"版本号 {ver!r} 无效",
                                     f"version {ver!r} is invalid")])
    content = normalise_content(d.get("content"))
    h = content_hash(content)
    if not isinstance(content, dict) or h != d.get("content_hash"):
        raise ValidationError([Issue("content_hash", d.get("content_hash"), h,
                                     f"{lib}/{key} v{ver} 的内容与文件中的哈希不符",
                                     f"{lib}/{key} v{ver}: content does not match the hash in "
                                     "the file")])
    created = d.get("created_at")
    if isinstance(created, str):
        created = _dt.datetime.fromisoformat(created)
    if not isinstance(created, _dt.datetime):
        created = _dt.datetime.now(_dt.UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=_dt.UTC)
    return {"library": lib, "key": key, "version": ver, "content": content,
            "status": check_status(d.get("status")), "author": need_author(d.get("author")),
            "created_at": created, "note": d.get("note") or "",
            "effective_from": parse_date(d.get("effective_from")),
            "refs": references_list(d.get("references")), "content_hash": h}


def import_entries(store: Any, path: str | Path, *, author: str) -> dict[str, int]:
    """Body of :meth:`Store.import_` (see there)."""
    author = need_author(author)
    doc = read_export(path)
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    for i, d in enumerate(doc["entries"]):
        try:
            rows.append(_row_of(d if isinstance(d, Mapping) else {}))
        except ValidationError as e:
            issues.extend(Issue(x.field, x.value, x.allowed, x.message_zh, x.message_en, row=i)
                          for x in e.issues)
    if issues:
        raise ValidationError(issues)
    rows.sort(key=lambda r: (r["library"], r["key"], r["version"]))
    newest = {(r["library"], r["key"]): r for r in rows if r["status"] != "retired"}
    for (lib, key), r in newest.items():  # validators see the newest non-retired version
        store._validate(lib, key, r["content"])
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
