"""公共数据定价: the 发改价格〔2025〕65号 calculator (maximum allowed revenue, price caps)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.gate import parse_json
from ..i18n import lang, t
from ..state import EXAMPLES, library_arg


def _default_product() -> str:
    p = EXAMPLES / "product_public_data.json"
    return p.read_text(encoding="utf-8") if p.exists() else "{}"


def public_pricing_page() -> None:
    st.title(t("public_title"))
    txt = st.text_area(t("product_json"), value=_default_product(), height=320, key="product_json")
    if st.button(t("compute_price"), type="primary", key="compute_price_btn"):
        try:
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
    c1, c2, c3 = st.columns(3)
    c1.metric(t("mar"), f"{res.get('mar', 0):,.2f}")
    c2.metric(t("allowed_profit"), f"{res.get('allowed_profit', 0):,.2f}")
    c3.metric(t("rate_used"), f"{res.get('rate_used', 0):.2%}")
    items = res.get("items")
    if items:
        st.dataframe(pd.DataFrame(items), hide_index=True, width="stretch")
    for f in res.get("flags", []):
        st.error(f"**{f.get('code')}** — {f.get('message_en' if lang() == 'en' else 'message_zh')}")
    with st.expander(t("trace")):
        st.json(res.get("trace", res))
