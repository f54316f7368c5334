"""Localise the texts Streamlit writes itself where its public API offers no parameter.

The file uploader's button ("Upload") and its limit line ("20MB per file • JSON") come from
the Streamlit frontend in English. Streamlit has no option for them, so in Chinese mode a
small style sheet hides those two English texts and writes the Chinese ones in their place
(CSS ``content``), keyed on Streamlit's public ``data-testid`` attributes. The limit shown
is the project's (:data:`valuation.ui.state.MAX_UPLOAD_MB`, equal to
``server.maxUploadSize``). The browser test checks the page shows no English there.
"""
from __future__ import annotations

import streamlit as st

from .i18n import lang, t
from .state import MAX_UPLOAD_MB

_CSS = """
<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "{browse}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: "{limit}"; font-size: 0.875rem; }}
</style>
"""


def localise_streamlit_texts() -> None:
    """Call once per run (the router does)."""
    if lang() == "en":
        return
    st.html(_CSS.format(browse=t("upload_browse"), limit=t("upload_limit_help", mb=MAX_UPLOAD_MB)))
