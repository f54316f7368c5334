"""Streamlit router of the appraisers' dashboard: page config and navigation, nothing else."""
import streamlit as st

from valuation.ui import pages
from valuation.ui.i18n import t
from valuation.ui.pages import books as books_ui  # 入表 (issue 22)
from valuation.ui.state import restore_from_url, sync_url
from valuation.ui.style import localise_streamlit_texts

st.set_page_config(page_title="数据资产评估 / Data asset valuation", page_icon="📊", layout="wide")
if "lang" not in st.session_state:  # a deep link may name the language
    st.session_state["lang"] = "en" if st.query_params.get("lang") == "en" else "zh"
restore_from_url()
localise_streamlit_texts()
with st.sidebar:
    st.radio("语言 / Language", ["zh", "en"], format_func=lambda x: {"zh": "中文", "en": "English"}[x],
             key="lang", horizontal=True)
    st.radio(t("money_unit"), ["yuan", "wan"], format_func={u: t(f"unit_{u}") for u in ("yuan", "wan")}.get, key="money_unit",
             horizontal=True)

nav = st.navigation([
    st.Page(pages.card_page, title=t("nav_card"), url_path="card", default=True),
    st.Page(pages.appraise_page, title=t("nav_appraise"), url_path="appraise"),
    st.Page(pages.risk_page, title=t("nav_risk"), url_path="risk"),
    st.Page(books_ui.books_page, title=books_ui.nav_title(), url_path="books"),
    st.Page(pages.public_pricing_page, title=t("nav_public"), url_path="public_pricing"),
    st.Page(pages.batch_page, title=t("nav_batch"), url_path="batch"),
    st.Page(pages.history_page, title=t("nav_history"), url_path="history"),
    st.Page(pages.sharing_page, title=pages.sharing_title(), url_path="sharing"),
    st.Page(pages.libraries_page, title=t("nav_libraries"), url_path="libraries"),
    st.Page(pages.settings_page, title=t("nav_settings"), url_path="settings"),
])
nav.run()
sync_url()
