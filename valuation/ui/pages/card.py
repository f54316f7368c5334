"""资产卡片: create, edit or load a card; validation messages next to the fields."""
from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import streamlit as st

from ... import api
from ...core.gate import GateError, parse_json
from ...core.schema import field_by_path
from ..i18n import lang, t
from ..state import MAX_UPLOAD_MB, current_card, example_cards, set_card


def _label(path: str) -> str:
    f = field_by_path(path)
    if f is None:
        return path
    return f.label_en if lang() == "en" else f.label_zh


def _get(card: dict, path: str) -> Any:
    cur: Any = card
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _put(card: dict, path: str, v: Any) -> None:
    parts = path.split(".")
    cur = card
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    if v is None or v == "":
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = v


def _errors_for(issues: list[dict], path: str) -> None:
    for i in issues:
        if i["field"] == path or i["field"].startswith(path + "."):
            st.error(i["message_en"] if lang() == "en" else i["message_zh"], icon="⚠️")


def _text(card: dict, path: str, issues: list[dict]) -> None:
    v = st.text_input(_label(path), value=str(_get(card, path) or ""), key=f"f_{path}")
    _put(card, path, v.strip() or None)
    _errors_for(issues, path)


def _enum(card: dict, path: str, issues: list[dict]) -> None:
    f = field_by_path(path)
    assert f is not None and f.allowed
    cur = _get(card, path)
    opts = ["—", *f.allowed] + ([str(cur)] if cur is not None and cur not in f.allowed else [])
    idx = opts.index(cur) if cur in opts else 0
    v = st.selectbox(_label(path), opts, index=idx, key=f"f_{path}")
    _put(card, path, None if v == "—" else v)
    _errors_for(issues, path)


def _number(card: dict, path: str, issues: list[dict], *, step: float = 1.0, fmt: str = "%.2f") -> None:
    cur = _get(card, path)
    v = st.number_input(_label(path), value=float(cur) if isinstance(cur, (int, float)) else None,
                        step=step, format=fmt, key=f"f_{path}")
    if v is not None and field_by_path(path) is not None and field_by_path(path).kind == "int":
        v = int(v)
    _put(card, path, v)
    _errors_for(issues, path)


def _date(card: dict, path: str, issues: list[dict]) -> None:
    cur = _get(card, path)
    try:
        d = dt.date.fromisoformat(cur) if cur else None
    except (TypeError, ValueError):
        d = None
    v = st.date_input(_label(path), value=d, key=f"f_{path}")
    _put(card, path, v.isoformat() if v else None)
    _errors_for(issues, path)


def card_page() -> None:
    st.title(t("card_title"))
    st.caption(t("card_intro"))
    examples = example_cards()
    c1, c2 = st.columns([3, 1])
    with c1:
        choice = st.selectbox(t("load_example"), list(examples), key="example_choice")
    with c2:
        st.write("")
        if st.button(t("load"), key="load_example_btn"):
            set_card(json.loads(examples[choice].read_text(encoding="utf-8")))
    up = st.file_uploader(t("upload_card"), type=["json"], key="card_upload")
    if up is not None and st.session_state.get("card_upload_seen") != up.file_id:
        st.session_state["card_upload_seen"] = up.file_id
        if up.size > MAX_UPLOAD_MB * 1024 * 1024:
            st.error(t("upload_too_large", mb=MAX_UPLOAD_MB))
        else:
            try:
                set_card(parse_json(up.getvalue(), field=up.name))   # the input gate
            except GateError as e:
                st.error(t("json_error", e=e))
    card = current_card()
    if card is None:
        set_card(json.loads(next(iter(examples.values())).read_text(encoding="utf-8")))
        card = current_card()
    assert card is not None
    edited = copy.deepcopy(card)
    issues = api.validate(edited)

    with st.expander(t("basic_info"), expanded=True):
        a, b = st.columns(2)
        with a:
            for p in ("asset.asset_id", "asset.name", "asset.holder", "asset.category"):
                _text(edited, p, issues)
            for p in ("asset.holder_type", "asset.use_category", "asset.update_frequency"):
                _enum(edited, p, issues)
        with b:
            for p in ("asset.rights.type", "asset.rights.exclusivity"):
                _enum(edited, p, issues)
            _date(edited, "asset.rights.term_end", issues)
            _number(edited, "asset.book_value", issues)
            _number(edited, "asset.records", issues, step=1.0, fmt="%.0f")
    with st.expander(t("engagement"), expanded=True):
        a, b = st.columns(2)
        with a:
            _date(edited, "engagement.valuation_date", issues)
            _enum(edited, "engagement.purpose", issues)
        with b:
            _enum(edited, "engagement.value_type", issues)
            _number(edited, "engagement.proposed_price", issues)
    if "cost" in edited:
        with st.expander(t("cost_section")):
            for p in ("cost.components.preliminary", "cost.components.direct",
                      "cost.components.indirect", "cost.components.opportunity",
                      "cost.components.taxes"):
                _number(edited, p, issues)
            _enum(edited, "cost.adjustment.basis", issues)
    if "income" in edited:
        with st.expander(t("income_section")):
            _enum(edited, "income.model", issues)
            _number(edited, "income.periods", issues, step=1.0, fmt="%.0f")
            _number(edited, "income.discount_rate", issues, step=0.005, fmt="%.4f")
            _number(edited, "income.royalty_rate", issues, step=0.005, fmt="%.4f")
    if edited != card:
        set_card(edited)
        st.rerun()

    with st.expander(t("json_editor")):
        txt = st.text_area("JSON", value=json.dumps(current_card(), ensure_ascii=False, indent=2),
                           key="card_json", height=300, label_visibility="collapsed")
        if st.button(t("apply_json"), key="apply_json_btn"):
            try:
                set_card(parse_json(txt, field="JSON"))
                st.rerun()
            except GateError as e:
                st.error(t("json_error", e=e))
    issues = api.validate(current_card() or {})
    if issues:
        st.warning(t("card_invalid", n=len(issues)))
        for i in issues:
            st.markdown("- " + (i["message_en"] if lang() == "en" else i["message_zh"]))
    else:
        st.success(t("card_valid"))
    st.download_button(t("download_card"), json.dumps(current_card(), ensure_ascii=False, indent=2),
                       file_name=f"{_get(current_card() or {}, 'asset.asset_id') or 'card'}.json",
                       mime="application/json", key="download_card_btn")
