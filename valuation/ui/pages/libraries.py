"""标准/规则/指标/模型/案例库: browse, search, edit with version notes, history; rule test bench."""
from __future__ import annotations

import pandas as pd
import streamlit as st
import yaml

from ... import api
from ...core.errors import ConflictError, ValuationError
from .. import fmt
from ..i18n import lang, t
from ..labels import enum_label, lang_key
from ..state import library_arg


def libraries_page() -> None:
    st.title(t("lib_title"))
    store = api.open_library(library_arg())
    st.caption(f"{t('snapshot')}: `{store.snapshot_id()}`")
    lib = st.radio(t("library"), api.LIBRARIES, format_func={x: t(f"lib_{x}") for x in api.LIBRARIES}.get, horizontal=True,
                   key="lib_choice")
    q = st.text_input(t("search"), key="lib_search")
    entries = store.list(lib, search=q or None)
    st.caption(f"{t('entries')}: {len(entries)}")
    table = pd.DataFrame([{t("key"): e.key, t("version"): e.version, t("status"): enum_label(e.status),
                           t("author"): _word(e.author), t("note"): _word(e.note),
                           t("title"): _title(e.content)} for e in entries[:500]])
    st.dataframe(table, hide_index=True, width="stretch")
    if entries:
        key = st.selectbox(t("key"), [e.key for e in entries[:500]], key="lib_key")
        entry = store.get(lib, key)
        st.subheader(f"{key} · v{entry.version}")
        st.json(entry.content, expanded=False)
        with st.expander(t("history")):
            st.dataframe(pd.DataFrame([{t("version"): h.version, t("status"): enum_label(h.status),
                                        t("author"): _word(h.author), t("note"): _word(h.note),
                                        t("created_at"): fmt.date(h.created_at)}
                                       for h in store.history(lib, key)]), hide_index=True)
        _flash()
        # a toggle, not an expander: it stays open across the rerun that shows a saved version
        if st.toggle(t("edit"), key="lib_edit_on"):
            _edit_form(store, lib, entry)
    if lib == "rules":
        st.subheader(t("rule_bench"))
        expr = st.text_input(t("expression"), value="premium_ratio >= 1.0", key="rule_expr")
        if st.button(t("test_rule"), key="test_rule_btn"):
            try:
                facts = api.test_rule(expr)
                st.success(t("rule_ok", facts=", ".join(facts)))
            except ValuationError as e:
                st.error(e.message(lang()))


def _word(x: object) -> str:
    """An author or note as written, except the seed loader's own word (``seed``)."""
    return enum_label(x) if x == "seed" else (str(x) if x else "—")


def _flash() -> None:
    """The outcome of the last save, shown once after the rerun that displays the new version."""
    kind, text = st.session_state.pop("lib_flash", (None, None))
    if kind:
        getattr(st, kind)(text)


def _edit_form(store, lib: str, entry) -> None:
    """Edit one entry as YAML and save it as a new version.

    A form submits the text, author and note together with the button, so an edit typed
    just before the click is never lost on blur; the widgets are keyed by the entry's version
    so after a save they show the saved content; a save without a change records nothing
    (issue 19, Why 3).
    """
    ver = entry.version
    with st.form(key=f"edit_form_{lib}_{entry.key}_{ver}"):
        text = st.text_area("YAML", value=yaml.safe_dump(entry.content, allow_unicode=True,
                                                         sort_keys=False), height=300,
                            key=f"edit_{lib}_{entry.key}_{ver}")
        author = st.text_input(t("author"), value=t("default_author"), key=f"edit_author_{ver}")
        note = st.text_input(t("version_note"), key=f"edit_note_{lib}_{entry.key}_{ver}")
        submitted = st.form_submit_button(t("save_version"))
    if not submitted:
        return
    try:   # aliases (YAML bombs), depth and integer size refused before anything is stored
        content = api.parse_library_text(text)
    except ValuationError as e:
        st.error(t("yaml_error", e=e.message(lang())))
        return
    if content == entry.content:
        st.info(t("no_change"))
        return
    try:
        with st.spinner(t("saving")):
            new = store.put(lib, entry.key, content, author=author, note=note, base_version=ver)
    except (ConflictError, ValuationError) as e:
        st.error(e.message(lang()))
        return
    st.session_state["lib_flash"] = ("success", t("saved", v=new.version))
    st.rerun()


def _title(c: dict) -> str:
    if not isinstance(c, dict):
        return ""
    order = (lang_key("title"), lang_key("name"))
    for k in (*order, "title", "name", "document"):
        if c.get(k):
            return str(c[k])[:60]
    return "—"
