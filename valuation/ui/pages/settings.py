"""设置: language and the database in use."""
from __future__ import annotations

import streamlit as st

from ... import __version__, api
from ..i18n import t
from ..state import library_arg


def settings_page() -> None:
    st.title(t("settings_title"))
    def _sync() -> None:
        st.session_state["lang"] = st.session_state["lang_setting"]

    st.session_state["lang_setting"] = st.session_state.get("lang", "zh")
    st.radio(t("language"), ["zh", "en"], format_func=lambda x: {"zh": "中文", "en": "English"}[x],
             key="lang_setting", horizontal=True, on_change=_sync)
    url = library_arg() or api.default_db_url()
    safe = url.split("@")[-1] if "@" in url else url
    st.write(f"{t('database')}: `{safe}`")
    st.write(f"{t('engine_version')}: `{__version__}`")
