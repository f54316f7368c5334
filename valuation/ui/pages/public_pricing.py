"""公共数据定价: the 发改价格〔2025〕65号 calculator (maximum allowed revenue, price caps)."""
from __future__ import annotations

import json

import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.gate import parse_json
from .. import fmt
from ..i18n import lang, t
from ..labels import enum_label
from ..state import EXAMPLES, library_arg
from .appraise import trace_table


def _default_product() -> str:
    p = EXAMPLES / "product_public_data.json"
    return p.read_text(encoding="utf-8") if p.exists() else "{}"


def _unit_price(x) -> str:
    """A price per unit: always in 元 (a per-call price is a fraction of a yuan, so below one
    yuan four decimals are shown, otherwise two)."""
    from ...core import formatting as F

    small = not F.is_missing(x) and abs(float(x)) < 1
    return F.money(x, "CNY", "yuan", 4 if small else 2, lang())


def public_pricing_page() -> None:
    st.title(t("public_title"))
    txt = st.text_area(t("product_json"), value=_default_product(), height=320, key="product_json")
    if st.button(t("compute_price"), type="primary", key="compute_price_btn"):
        try:
            with st.spinner(t("compute_price")):
                st.session_state["price_result"] = api.price(parse_json(txt, field="JSON"), library=library_arg())
        except json.JSONDecodeError as e:
            st.error(t("json_error", e=e))
        except ValuationError as e:
            st.error(e.message(lang()))
            for i in getattr(e, "issues", []):
                st.markdown("- " + i.message(lang()))
    res = st.session_state.get("price_result")
    if not res:
        return
    cur = res.get("currency", "CNY")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("mar"), fmt.money(res.get("mar"), cur))
    c2.metric(t("allowed_profit"), fmt.money(res.get("allowed_profit"), cur))
    c3.metric(t("rate_used"), fmt.rate(res.get("rate_used")))
    items = res.get("items")
    if items:
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
        st.dataframe(table, hide_index=True, width="stretch")
    for f in res.get("flags", []):
        st.error(f"**{f.get('title_en' if lang() == 'en' else 'title_zh') or f.get('code')}** — "
                 f"{f.get('message_en' if lang() == 'en' else 'message_zh')}")
    with st.expander(t("trace")):
        st.dataframe(trace_table(res.get("trace") or []), hide_index=True, width="stretch")


def _use_label() -> str:
    from ...core.schema import field_by_path

    f = field_by_path("product.items[].use_category")
    return (f.label_en if lang() == "en" else f.label_zh) if f else "use_category"
