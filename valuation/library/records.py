"""Value objects of the library store: :class:`Entry` (one stored version) and
:class:`AuditRecord` (one write), plus the canonical form and hash of an entry's content.

The content of an entry is JSON: mappings with string keys, lists, strings, numbers, booleans and
null. :func:`normalise_content` brings YAML/pandas input into that form *before* hashing and
storing, so that what is stored, what is hashed and what is read back are the same document.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from ..core.errors import Issue, ValidationError

__all__ = [
    "LIBRARIES",
    "STATUSES",
    "AuditRecord",
    "Entry",
    "canonical_json",
    "check_key",
    "check_library",
    "check_status",
    "content_hash",
    "need_author",
    "normalise_content",
    "parse_date",
    "references_list",
]

#: The five libraries of 财资〔2023〕141号 (九): 标准库、规则库、指标库、模型库、案例库.
LIBRARIES: tuple[str, ...] = ("standards", "rules", "indicators", "models", "cases")
LIBRARY_LABELS: dict[str, tuple[str, str]] = {
    "standards": ("标准库", "standards"), "rules": ("规则库", "rules"),
    "indicators": ("指标库", "indicators"), "models": ("模型库", "models"),
    "cases": ("案例库", "cases"),
}
#: Status of a version: 草稿 draft (proposal, never in force), 生效 active, 停用 retired.
STATUSES: tuple[str, ...] = ("draft", "active", "retired")
MAX_KEY = 200


@dataclass(frozen=True)
class Entry:
    """One immutable version of a library entry.

    ``content`` is a fresh copy for every read: changing it changes nothing in the store.
    """

    library: str
    key: str
    version: int
    content: dict[str, Any]
    status: str
    author: str
    created_at: _dt.datetime
    note: str
    effective_from: _dt.date | None
    references: tuple[str, ...]
    content_hash: str

    def __hash__(self) -> int:
        return hash((self.library, self.key, self.version, self.content_hash))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings) — the export format of one version."""
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["effective_from"] = self.effective_from.isoformat() if self.effective_from else None
        d["references"] = list(self.references)
        return d


@dataclass(frozen=True)
class AuditRecord:
    """One write to the store: who, when, what (action put/retire/import/seed), which version."""

    id: int
    at: _dt.datetime
    who: str
    action: str
    library: str
    key: str
    version: int
    note: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.isoformat()
        return d


def _short(value: Any) -> str:
    """``repr`` for a message, cut at 60 characters (input may hold megabytes)."""
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


def _bad(field: str, value: Any, allowed: str, zh: str, en: str) -> ValidationError:
    if isinstance(value, str) and len(value) > 200:
        value = value[:200] + "…"
    elif not isinstance(value, (str, int, float, bool, type(None))):
        value = _short(value)
    return ValidationError([Issue(field, value, allowed, zh, en)])


def check_library(library: Any) -> str:
    if library not in LIBRARIES:
        raise _bad("library", library, " | ".join(LIBRARIES),
                   f"库名 {_short(library)} 无效，允许：{'、'.join(LIBRARIES)}",
                   f"library {_short(library)} is not one of {', '.join(LIBRARIES)}")
    return library


def check_key(key: Any) -> str:
    # a key is an identifier (docs/SECURITY.md): no control, format or separator characters
    # (NUL cannot be stored in PostgreSQL text; zero-width ones make two keys look the same)
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY or key != key.strip() \
            or not key.isprintable():
        raise _bad("key", key, f"non-empty string without surrounding blanks or control characters, "
                   f"≤ {MAX_KEY} characters",
                   f"条目键 {_short(key)} 无效：须为非空字符串，首尾无空白、不含控制字符，最长 {MAX_KEY} 字符",
                   f"entry key {_short(key)} is invalid: a non-empty string without surrounding blanks "
                   f"or control characters, at most {MAX_KEY} characters")
    return key


def check_status(status: Any, allowed: tuple[str, ...] = STATUSES) -> str:
    if status not in allowed:
        raise _bad("status", status, " | ".join(allowed),
                   f"状态 {_short(status)} 无效，允许：{'、'.join(allowed)}",
                   f"status {_short(status)} is not one of {', '.join(allowed)}")
    return status


def parse_date(value: Any, field: str = "effective_from") -> _dt.date | None:
    """ISO date string / date / datetime / None → date or None."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _bad(field, value, "ISO date YYYY-MM-DD",
               f"{field} 的值 {_short(value)} 不是 ISO 日期 YYYY-MM-DD",
               f"{field} value {_short(value)} is not an ISO date YYYY-MM-DD")


def normalise_content(value: Any, path: str = "content") -> Any:
    """Bring a document into plain JSON form.

    dates → ISO strings; tuples/sets → lists; mapping keys → str; numpy/pandas scalars → Python;
    NaN/±inf/NA → null (JSON has no NaN); Decimal → float. Anything else is refused with a
    :class:`ValidationError` naming the path.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): normalise_content(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        seq = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [normalise_content(v, f"{path}[{i}]") for i, v in enumerate(seq)]
    # numpy / pandas scalars (without importing them)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return normalise_content(value.item(), path)
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    raise _bad(path, repr(value)[:80], "JSON value (mapping, list, string, number, boolean, null)",
               f"{path} 的值类型 {type(value).__name__} 不能存入库（只允许 JSON 值）",
               f"{path} has type {type(value).__name__}, which cannot be stored (JSON values only)")


def canonical_json(content: Any) -> str:
    """Canonical text of a normalised document: sorted keys, no blanks, UTF-8 characters kept."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)


def content_hash(content: Any) -> str:
    """sha256 (hex) of :func:`canonical_json` of the content."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def references_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, str) and r for r in value):
        raise _bad("references", value, "list of standard ids (strings)",
                   f"references 的值 {_short(value)} 无效：须为标准编号（字符串）列表",
                   f"references {_short(value)} must be a list of standard ids")
    return list(value)


def need_author(author: Any) -> str:
    if not isinstance(author, str) or not author.strip():
        raise ValidationError([Issue("author", author, "non-empty name",
                                     "必须填写作者（谁做的修改）",
                                     "an author (who made the change) is required")])
    return author.strip()
