"""公共数据定价: the 发改价格〔2025〕65号 calculator (maximum allowed revenue, price caps).

The request is a form built from the schema's ``product`` fields (the period's cost, profit
base and yield; the products and services as a table), like the asset card's page; the JSON
behind it can still be read, pasted or uploaded in an expander. Validation messages appear
beside the field or cell they name.
"""
from __future__ import annotations

import copy
import json
from typing import Any

import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.gate import GateError, parse_json
from ...core.schema import Field, fields_for
from .. import fmt
from ..i18n import lang, t
from ..labels import enum_label, field_label, text_of
from ..state import EXAMPLES, library_arg
from .appraise import trace_table
from .card_tables import records_editor

_ITEMS = "product.items"


def _default_product() -> dict[str, Any]:
    p = EXAMPLES / "product_public_data.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {"product": {}}


def _rev() -> int:
    return int(st.session_state.get("product_rev", 0))


def _product() -> dict[str, Any]:
    if "product_doc" not in st.session_state:
        st.session_state["product_doc"] = _default_product()
    return st.session_state["product_doc"]


def _set_product(doc: dict[str, Any]) -> None:
    """Replace the request; the form's widgets start again from it (new revision)."""
    st.session_state["product_doc"] = doc
    st.session_state["product_rev"] = _rev() + 1
    st.session_state.pop("price_result", None)
    st.session_state.pop("product_issues", None)


def _messages(issues: list[dict], path: str) -> None:
    for i in issues:
        if i.get("field") == path:
            st.error(text_of(i, "message"), icon="⚠️")


def _scalar(doc: dict, f: Field, issues: list[dict]) -> None:
    """One scalar field of the request as a widget; an emptied field leaves the request. Only
    a value the user changed is written: an untouched box keeps what the request holds, also a
    value it cannot show (an amount written as text, padding), and creates no empty parents."""
    parts = f.path.split(".")
    parent: Any = doc
    for p in parts[:-1]:
        parent = parent.get(p) if isinstance(parent, dict) else None
    cur, key = (parent.get(parts[-1]) if isinstance(parent, dict) else None), f"p_{_rev()}_{f.path}"
    if f.kind in ("number", "int"):
        shown: Any = float(cur) if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None
        v = st.number_input(field_label(f), value=shown,
                            format="%.4f" if f.unit == "ratio" else "%.2f", key=key)
        if v is not None and f.unit in ("currency", "ratio"):
            cur_code = (doc.get("product") or {}).get("currency")
            st.caption(fmt.money(v, cur_code) if f.unit == "currency" else fmt.rate(v))
    else:
        shown = "" if cur is None else str(cur)
        v = st.text_input(field_label(f), value=shown, key=key)
    if v != shown:
        _put(doc, parts, v if f.kind in ("number", "int") else (v.strip() or None), f)
    _messages(issues, f.path)


def _put(doc: dict, parts: list[str], v: Any, f: Field) -> None:
    parent: Any = doc
    for p in parts[:-1]:
        if not isinstance(parent.get(p), dict):
            if v is None:
                return
            parent[p] = {}          # typing into a section that is missing (or not an object)
        parent = parent[p]
    if v is None:
        parent.pop(parts[-1], None)
    else:
        parent[parts[-1]] = int(v) if f.kind == "int" else (float(v) if f.kind == "number" else v)


def _json_expander(doc: dict[str, Any]) -> None:
    """The request as JSON: read it, or paste / upload one to replace the form's contents."""
    with st.expander(t("product_json")):
        up = st.file_uploader(t("upload_product"), type=["json"], key=f"p_{_rev()}_upload")
        txt = st.text_area("JSON", value=json.dumps(doc, ensure_ascii=False, indent=2), height=280,
                           key=f"p_{_rev()}_json")
        c1, c2 = st.columns(2)
        if c1.button(t("apply_json"), key="p_apply_json"):
            _apply_json(up.getvalue() if up is not None else txt)
        if c2.button(t("load_product_example"), key="p_load_example"):
            _set_product(_default_product())
            st.rerun()


def _apply_json(raw: str | bytes) -> None:
    """Replace the request by a JSON document, through the input gate (size, depth, keys)."""
    try:
        new = parse_json(raw, field="JSON")
    except GateError as e:
        st.error(e.message(lang()))
        return
    if not isinstance(new, dict):
        st.error(t("product_not_object"))
        return
    _set_product(new)
    st.rerun()


def _form(doc: dict[str, Any], issues: list[dict]) -> None:
    fields = [f for f in fields_for("product") if f.kind != "records" and "[]" not in f.path]
    cols = st.columns(2)
    for n, f in enumerate(fields):
        with cols[n % 2]:
            _scalar(doc, f, issues)
    records_editor(doc, _ITEMS, field_label(next(f for f in fields_for("product") if f.path == _ITEMS)),
                   issues, doc="product", key=f"{_ITEMS}@{_rev()}")
    _messages(issues, _ITEMS)


def _compute(doc: dict[str, Any]) -> None:
    st.session_state.pop("product_issues", None)
    try:
        with st.spinner(t("compute_price")):
            st.session_state["price_result"] = api.price(copy.deepcopy(doc), library=library_arg())
    except ValuationError as e:
        st.session_state.pop("price_result", None)
        issues = [i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in getattr(e, "issues", [])]
        st.session_state["product_issues"] = issues
        st.error(e.message(lang()))
        for i in issues:
            st.markdown(f"- `{i.get('field', '')}`: " + text_of(i, "message"))


def public_pricing_page() -> None:
    st.title(t("public_title"))
    doc = _product()
    issues = st.session_state.get("product_issues") or []
    before = copy.deepcopy(doc)
    _form(doc, issues)
    if doc != before:       # an edit in the form: the price shown was computed for the old request
        st.session_state.pop("price_result", None)
    _json_expander(doc)
    if st.button(t("compute_price"), type="primary", key="compute_price_btn"):
        _compute(doc)
    res = st.session_state.get("price_result")
    if res:
        _result(res)


def _unit_price(x) -> str:
    """A price per unit: always in 元 (a per-call price is a fraction of a yuan, so below one
    yuan four decimals are shown, otherwise two)."""
    from ...core import formatting as F

    small = not F.is_missing(x) and abs(float(x)) < 1
    return F.money(x, "CNY", "yuan", 4 if small else 2, lang())


def _result(res: dict[str, Any]) -> None:
    cur = res.get("currency", "CNY")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("mar"), fmt.money(res.get("mar"), cur))
    c2.metric(t("allowed_profit"), fmt.money(res.get("allowed_profit"), cur))
    c3.metric(t("rate_used"), fmt.rate(res.get("rate_used")))
    items = res.get("items")
    if items:
        st.dataframe(_items_table(items, cur), hide_index=True, width="stretch")
    for f in res.get("flags", []):
        st.error(f"**{text_of(f, 'title') or f.get('code')}** — "
                 f"{text_of(f, 'message')}")
    with st.expander(t("trace")):
        st.dataframe(trace_table(res.get("trace") or []), hide_index=True, width="stretch")


def _items_table(items: list[dict], cur: str):
    import pandas as pd

    df = pd.DataFrame(items)
    table = fmt.frame(df, {"item_id": "text", "name": "text", "use_category": "enum", "unit": "enum",
                           "expected_volume": "int", "cost_share": "pct"},
                      {"item_id": t("item_id"), "name": t("name"), "use_category": _use_label(),
                       "unit": t("charge_unit"), "expected_volume": t("expected_volume"),
                       "cost_share": t("cost_share")})
    for col, key in (("cap", "price_cap"), ("price", "price")):
        if col in df:
            table[t(key)] = [_unit_price(x) for x in df[col]]
    for col in ("cap_source", "price_source"):
        if col in df:
            table[t(col)] = [enum_label(x) for x in df[col]]
    for col in ("revenue_at_cap", "revenue_at_price"):
        if col in df:
            table[t(col)] = [fmt.money(x, cur) for x in df[col]]
    return table


def _use_label() -> str:
    return field_label("product.items[].use_category", "use_category")
