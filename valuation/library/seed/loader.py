"""Load the seed files into a store (``valuation init``). Idempotent.

Sources (each skipped when absent):

==============  =================================================  ============
library         file                                               key
==============  =================================================  ============
standards       ``valuation/library/seed/standards.yaml``          ``id``
rules           ``valuation/library/seed/rules.yaml``              ``id``
indicators      ``valuation/library/seed/indicators.yaml``         ``id``
models          ``<root>/models/*.yaml`` (one model per file)      ``id``
cases           ``<root>/case_library/cases.csv``                  ``case_id``
==============  =================================================  ============

``<root>`` is ``VALUATION_SEED_ROOT`` or the repository root (parent of the package).
An unchanged seed item writes nothing; a changed one becomes a new version (author ``seed``,
note ``seed update``). A seed item equal to the last version the seed wrote is left alone even
if someone has edited the entry since — reloading seeds never undoes a user's change.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from ...core.errors import Issue, ValidationError
from ...core.models import repo_root
from ..records import parse_date

# the files shipped with the engine (trusted: user imports go through library/safe_load);
# libyaml's parser (C) reads them much faster than the pure-Python one, with the same safe constructors
_SEED_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["SEED_DIR", "load_seeds", "seed_items"]

SEED_DIR = Path(__file__).resolve().parent
_LIST_KEYS = ("entries", "items", "standards", "rules", "indicators", "models")


def _bad_file(path: Path, zh: str, en: str, value: Any = None) -> ValidationError:
    return ValidationError([Issue(str(path), value, "seed file of mappings with an id",
                                  f"种子文件 {path}：{zh}", f"seed file {path}: {en}")])


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SEED_LOADER)
    except yaml.YAMLError as e:
        raise _bad_file(path, f"YAML 解析失败：{e}", f"invalid YAML: {e}") from e


def _as_list(data: Any, path: Path) -> list[dict[str, Any]]:
    """A YAML list of mappings, ``{entries|items|<library>: [...]}``, or ``{id: {...}}``."""
    if data is None:
        return []
    if isinstance(data, dict):
        for k in _LIST_KEYS:
            if isinstance(data.get(k), list):
                data = data[k]
                break
        else:
            if all(isinstance(v, dict) for v in data.values()):
                data = [{"id": k, **v} if "id" not in v else v for k, v in data.items()]
            else:
                raise _bad_file(path, "既不是列表也不是以 id 为键的映射",
                                "neither a list nor a mapping keyed by id")
    if not isinstance(data, list):
        raise _bad_file(path, "顶层必须是列表", "the top level must be a list", type(data).__name__)
    return data


def _item(doc: Any, key_field: str, where: str) -> dict[str, Any]:
    """A store item (for :meth:`Store.put_many`) from one seed mapping."""
    if not isinstance(doc, dict) or not isinstance(doc.get(key_field), (str, int)):
        raise ValidationError([Issue(where, None if not isinstance(doc, dict) else
                                     doc.get(key_field), f"mapping with a {key_field}",
                                     f"{where}：缺少 {key_field}", f"{where}: no {key_field}")])
    refs = doc.get("references")
    status = doc.get("status") if doc.get("status") in ("draft", "active") else "active"
    return {"key": str(doc[key_field]), "content": doc, "status": status,
            "effective_from": _date_or_none(doc.get("effective_from") or doc.get("effective")),
            "references": refs if isinstance(refs, list) and all(isinstance(r, str) for r in refs)
            else None}


def _date_or_none(value: Any) -> Any:
    try:
        return parse_date(value)
    except ValidationError:  # e.g. "2022-12": kept in the content, not as a date column
        return None


def _cases(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    df = pd.read_csv(path)
    if "case_id" not in df.columns:
        raise _bad_file(path, "缺少 case_id 列", "has no case_id column")
    items = []
    for rec in df.to_dict(orient="records"):
        doc = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        items.append(_item(doc, "case_id", f"{path.name}:{doc.get('case_id')}"))
    return items


def seed_items(root: Path | None = None, seed_dir: Path | None = None
               ) -> dict[str, list[dict[str, Any]]]:
    """The seed items per library, read from the files (no database)."""
    root = Path(root) if root else repo_root()
    seed_dir = Path(seed_dir) if seed_dir else SEED_DIR
    out: dict[str, list[dict[str, Any]]] = {}
    for lib in ("standards", "rules", "indicators"):
        p = seed_dir / f"{lib}.yaml"
        if p.exists():
            out[lib] = [_item(d, "id", f"{p.name}[{i}]")
                        for i, d in enumerate(_as_list(_read_yaml(p), p))]
    mdir = root / "models"
    if mdir.is_dir():
        out["models"] = [_item(_read_yaml(p), "id", p.name) for p in sorted(mdir.glob("*.yaml"))]
    cases = root / "case_library" / "cases.csv"
    if cases.exists():
        out["cases"] = _cases(cases)
    return out


def load_seeds(store: Any, *, author: str = "seed", root: Path | None = None,
               seed_dir: Path | None = None) -> dict[str, dict[str, int]]:
    """Load every seed into ``store``; returns ``{library: {created, updated, unchanged}}``.

    One transaction per library (bulk insert); all items of a library are checked before any
    is written (the library's registered validators run on each).
    """
    counts: dict[str, dict[str, int]] = {}
    for lib, items in seed_items(root, seed_dir).items():
        counts[lib] = store.put_many(lib, items, author=author, note="seed",
                                     update_note="seed update", baseline="author", action="seed")
    return counts
