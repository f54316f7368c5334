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
from ..fmt import money as fmt_money
from ..fmt import rate as fmt_rate
from ..i18n import lang, t
from ..labels import enum_label, field_label, text_of
from ..state import (
    MAX_UPLOAD_MB,
    card_ref,
    card_rev,
    current_card,
    example_cards,
    example_titles,
    set_card,
    update_card,
)
from .card_tables import growth_streams_editor, quality_editor, records_editor, streams_editor


def _get(card: dict, path: str) -> Any:
    cur: Any = card
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _put(card: dict, path: str, v: Any) -> None:
    """Set ``path`` to ``v``; an empty value removes the key and never creates empty parent
    objects (an untouched form must leave the card exactly as loaded)."""
    parts = path.split(".")
    cur = card
    if v is None or v == "":
        for p in parts[:-1]:
            cur = cur.get(p) if isinstance(cur, dict) else None
            if cur is None:
                return
        if isinstance(cur, dict):
            cur.pop(parts[-1], None)
        return
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = v


def _key(path: str) -> str:
    """Widget key of a form field: new for every card revision (see :mod:`..state`)."""
    return f"f_{card_rev()}_{path}"


def _errors_for(issues: list[dict], path: str) -> None:
    for i in issues:
        if i["field"] == path or i["field"].startswith(path + "."):
            st.error(text_of(i, "message"), icon="⚠️")


def _text(card: dict, path: str, issues: list[dict]) -> None:
    cur = _get(card, path)
    shown = "" if cur is None else str(cur)
    v = st.text_input(field_label(path), value=shown, key=_key(path))
    if v != shown:  # only what the user typed is written: an untouched box keeps the card's value
        _put(card, path, v.strip() or None)
    _errors_for(issues, path)


def _enum(card: dict, path: str, issues: list[dict]) -> None:
    f = field_by_path(path)
    assert f is not None and f.allowed
    cur = _get(card, path)
    opts = ["—", *f.allowed] + ([str(cur)] if cur is not None and cur not in f.allowed else [])
    shown = "—" if cur is None else cur if cur in f.allowed else str(cur)
    v = st.selectbox(field_label(path), opts, index=opts.index(shown), key=_key(path),
                     format_func={c: c if c == "—" else enum_label(c, enum=f.enum) for c in opts}.get)
    if v != shown:  # an untouched box keeps the card's value (also one the schema refuses)
        _put(card, path, None if v == "—" else v)
    _errors_for(issues, path)


def _number(card: dict, path: str, issues: list[dict], *, step: float = 1.0, fmt: str = "%.2f") -> None:
    cur = _get(card, path)
    shown = float(cur) if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None
    v = st.number_input(field_label(path), value=shown, step=step, format=fmt, key=_key(path))
    f = field_by_path(path)
    if v != shown:  # an untouched box keeps the card's value: 1.5 records is not made 1, "1000" not dropped
        if v is not None and f is not None and f.kind == "int":
            v = int(v)
        _put(card, path, v)
    if v is not None and f is not None and f.unit in ("currency", "ratio"):
        # the input box cannot group digits: the amount as the reader checks it, under the box
        st.caption(fmt_money(v, (card.get("engagement") or {}).get("currency")) if f.unit == "currency"
                   else fmt_rate(v))
    _errors_for(issues, path)


_DATE_MIN, _DATE_MAX = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _date(card: dict, path: str, issues: list[dict]) -> None:
    cur = _get(card, path)
    try:
        d = dt.date.fromisoformat(cur) if cur else None
    except (TypeError, ValueError):
        d = None
    # Streamlit's default range is ten years either side of the value (of today when empty): a
    # term ending in 2045 or a valuation date in 2015 was silently dropped; the 入表 form's range
    v = st.date_input(field_label(path), value=d, key=_key(path), min_value=_DATE_MIN, max_value=_DATE_MAX)
    if v != d:  # an untouched box keeps the card's value, also a date it cannot show ("2025/12/31")
        _put(card, path, v.isoformat() if v else None)
    _errors_for(issues, path)


def _load_or_upload(examples: dict) -> None:
    """An example card or an uploaded JSON file becomes the current card (a new form)."""
    c1, c2 = st.columns([3, 1])
    with c1:
        choice = st.selectbox(t("load_example"), list(examples), key="example_choice",
                              format_func=example_titles(examples).get)
    with c2:
        st.write("")
        if st.button(t("load"), key="load_example_btn"):
            set_card(json.loads(examples[choice].read_text(encoding="utf-8")), example=choice)
    up = st.file_uploader(f"{t('upload_card')} · {t('upload_limit_help', mb=MAX_UPLOAD_MB)}",
                          type=["json"], key="card_upload")
    if up is None or st.session_state.get("card_upload_seen") == up.file_id:
        return
    st.session_state["card_upload_seen"] = up.file_id
    if up.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(t("upload_too_large", mb=MAX_UPLOAD_MB))
        return
    try:
        new = parse_json(up.getvalue(), field=up.name)  # the input gate (size, depth, UTF-8, …)
    except GateError as e:
        st.error(t("json_error", e=e.message(lang())))
        return
    if not isinstance(new, dict):
        st.error(t("json_error", e=t("card_not_object")))
        return
    set_card(new)


def _field_sections(edited: dict, issues: list[dict]) -> None:
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


def _tables(edited: dict, issues: list[dict]) -> None:
    with st.expander(t("forms_title"), expanded=True):
        tabs = st.tabs([t("cost_lines"), t("comparables"), t("quality_scores"), t("revenue_streams")])
        with tabs[0]:
            records_editor(edited, "cost.lines", t("cost_lines"), issues)
        with tabs[1]:
            records_editor(edited, "market.comparables", t("comparables"), issues)
        with tabs[2]:
            quality_editor(edited, issues)
        with tabs[3]:
            streams_editor(edited, issues)
            growth_streams_editor(edited, issues)


def _json_and_status() -> None:
    card = current_card() or {}
    with st.expander(t("json_editor")):
        txt = st.text_area("JSON", value=json.dumps(card, ensure_ascii=False, indent=2),
                           key=f"card_json_{card_rev()}_{card_ref(card)}", height=300,
                           label_visibility="collapsed")
        if st.button(t("apply_json"), key="apply_json_btn"):
            try:
                new = parse_json(txt, field="JSON")
            except GateError as e:
                st.error(t("json_error", e=e.message(lang())))
            else:
                if isinstance(new, dict):
                    set_card(new)
                    st.rerun()
                st.error(t("json_error", e=t("card_not_object")))
    issues = api.validate(card)
    if issues:
        st.warning(t("card_invalid", n=len(issues)))
        for i in issues:
            st.markdown("- " + text_of(i, "message"))
    else:
        st.success(t("card_valid"))
    st.download_button(t("download_card"), json.dumps(card, ensure_ascii=False, indent=2),
                       file_name=f"{_get(card, 'asset.asset_id') or 'card'}.json",
                       mime="application/json", key="download_card_btn")


def card_page() -> None:
    st.title(t("card_title"))
    st.caption(t("card_intro"))
    examples = example_cards()
    _load_or_upload(examples)
    card = current_card()
    if card is None:
        first = next(iter(examples))
        set_card(json.loads(examples[first].read_text(encoding="utf-8")), example=first)
        card = current_card()
    assert card is not None
    edited = copy.deepcopy(card)
    issues = api.validate(edited)
    _field_sections(edited, issues)
    _tables(edited, issues)
    if edited != card:  # an edit of a field or a table: same form, the card follows
        update_card(edited)
        st.rerun()
    _json_and_status()
