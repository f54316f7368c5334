"""JSON Schema (draft 2020-12) of the interchange documents, generated from the schema table
(``valuation schema``, ``GET /v1/schema``; docs/INTERCHANGE.md)."""
from __future__ import annotations

from typing import Any

from . import schema as _schema
from .field import Field


def _prop_schema(f: Field, lang: str) -> dict[str, Any]:
    title = f.label_en if lang == "en" else f.label_zh
    desc = (f.help_en if lang == "en" else f.help_zh) or None
    s: dict[str, Any]
    num_bounds: dict[str, Any] = {}
    if f.minimum is not None:
        num_bounds["exclusiveMinimum" if f.exclusive_minimum else "minimum"] = f.minimum
    if f.maximum is not None:
        num_bounds["exclusiveMaximum" if f.exclusive_maximum else "maximum"] = f.maximum
    if f.kind == "str":
        s = {"type": "string"}
        if f.pattern:
            s["pattern"] = f.pattern
    elif f.kind == "int":
        s = {"type": "integer", **num_bounds}
    elif f.kind == "number":
        s = {"type": "number", **num_bounds}
    elif f.kind == "bool":
        s = {"type": "boolean"}
    elif f.kind == "date":
        s = {"type": "string", "format": "date"}
    elif f.kind == "enum":
        s = {"type": "string", "enum": list(f.allowed or ())}
    elif f.kind == "stream":
        s = {"oneOf": [
            {"type": "array", "items": {"type": "number"}, "minItems": 1},
            {"type": "object", "additionalProperties": False, "required": ["base"], "properties": {
                "base": {"type": "number"},
                "growth": {"oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]},
                "terminal_growth": {"type": ["number", "null"]}}}]}
    elif f.kind == "matrix":
        s = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
    elif f.kind == "list_str":
        s = {"type": "array", "items": {"type": "string"}}
    elif f.kind == "list_number":
        s = {"type": "array", "items": {"type": "number"}}
    elif f.kind == "records":
        s = {"type": "array", "items": _object_schema(f.path + "[]", f.doc, lang)}
    else:  # pragma: no cover - table is static
        raise ValueError(f.kind)
    if f.max_items is not None:
        for alt in s.get("oneOf", [s]):
            if alt.get("type") == "array":
                alt["maxItems"] = f.max_items
    if f.nullable and f.kind not in ("stream",) and "type" in s:
        s["type"] = [s["type"], "null"] if isinstance(s["type"], str) else s["type"]
    if f.nullable and "oneOf" in s:
        s["oneOf"].append({"type": "null"})
    s["title"] = title
    if desc:
        s["description"] = desc
    if f.unit:
        s["x-unit"] = f.unit
    if f.default is not None:
        s["default"] = f.default
    return s


def _object_schema(prefix: str, doc: str, lang: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    depth = prefix.count(".") + 1 if prefix else 0
    children: dict[str, list[Field]] = {}
    for f in _schema.fields_for(doc):
        if prefix and not f.path.startswith(prefix + "."):
            continue
        rest = f.path[len(prefix) + 1:] if prefix else f.path
        if rest.startswith(".") or not rest:
            continue
        head = rest.split(".")[0]
        if "[]" in head and not head.endswith("[]"):
            continue
        children.setdefault(head.replace("[]", ""), []).append(f)
    for name, fs in children.items():
        path = f"{prefix}.{name}" if prefix else name
        direct = [f for f in fs if f.path == path]
        if direct:
            props[name] = _prop_schema(direct[0], lang)
            if direct[0].required:
                required.append(name)
        else:
            sub = _object_schema(path, doc, lang)
            props[name] = sub
            if sub.get("required"):
                required.append(name)
    del depth
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = required
    return out


def json_schema(doc: str = "card", lang: str = "en") -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a document, generated from the field table."""
    body = _object_schema("", doc, lang)
    if doc == "card":
        body.setdefault("required", [])
        for sec in ("asset", "engagement"):
            if sec not in body["required"]:
                body["required"].append(sec)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://data-asset-valuation.example/schema/{doc}.json",
        "title": {"card": "Data asset appraisal request / 数据资产评估请求",
                  "product": "Public data product pricing request / 公共数据产品定价请求"}[doc],
        **body,
    }
