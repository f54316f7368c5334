"""设置: language, money unit and the database in use."""
from __future__ import annotations

import streamlit as st

from ... import __version__, api
from ..i18n import t
from ..state import library_arg


def _mirror(setting: str, key: str, options: list[str], label: str, fmt) -> None:
    """A settings radio kept equal to the sidebar's (``key``)."""
    def _sync() -> None:
        st.session_state[key] = st.session_state[setting]

    st.session_state[setting] = st.session_state.get(key, options[0])
    st.radio(label, options, format_func=fmt, key=setting, horizontal=True, on_change=_sync)


def settings_page() -> None:
    st.title(t("settings_title"))
    _mirror("lang_setting", "lang", ["zh", "en"], t("language"),
            lambda x: {"zh": "中文", "en": "English"}[x])
    _mirror("unit_setting", "money_unit", ["yuan", "wan"], t("money_unit"), {u: t(f"unit_{u}") for u in ("yuan", "wan")}.get)
    st.caption(t("settings_unit_help"))
    url = library_arg() or api.default_db_url()
    safe = url.split("@")[-1] if "@" in url else url
    st.write(f"{t('database')}: `{safe}`")
    st.write(f"{t('engine_version')}: `{__version__}`")
