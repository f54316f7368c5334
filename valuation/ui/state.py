"""Session state shared by the pages: the current card, the last result, the language.

The form widgets of the card page are keyed by a *card revision* (``card_rev``): loading,
uploading or applying a card starts a new revision, so every field is a new widget that
shows the new card. Deleting the old keys is not enough: the browser keeps the old widget
values and sends them back on the next interaction, which silently merged two cards
(issue 19, Why 1).

Deep links: the current card is named in the URL (``?card=<example name or hash>``); a
card that is not an unmodified example is kept in a small per-process cache under its
hash, so a link opened in another tab of the same dashboard shows the same card.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import streamlit as st

from ..core.models import repo_root

EXAMPLES = repo_root() / "examples"
#: the dashboard's upload limit; ``.streamlit/config.toml`` sets ``server.maxUploadSize`` to
#: the same number (a test keeps them equal) so Streamlit's own widget states it.
MAX_UPLOAD_MB = 20
_CACHE_SIZE = 256


def example_cards() -> dict[str, Path]:
    files = sorted((EXAMPLES / "cards").glob("*.json"))
    ex = EXAMPLES / "interchange_example.json"
    out = {p.stem: p for p in files}
    if ex.exists():
        out[ex.stem] = ex
    return out


@st.cache_data
def _title_of(path: str, mtime: float) -> str:
    try:
        name = (json.loads(Path(path).read_text(encoding="utf-8")).get("asset") or {}).get("name")
    except (OSError, ValueError):
        name = None
    return str(name or "")


def example_titles(examples: dict[str, Path]) -> dict[str, str]:
    """``E01 · 城市道路交通流量数据集``: the example's number and its asset's (Chinese) name in
    Chinese mode; the file name (English) in English mode."""
    if st.session_state.get("lang", "zh") == "en":
        return {stem: stem for stem in examples}
    out = {}
    for stem, p in examples.items():
        head = stem.split("_", 1)[0] if stem[:1] == "E" and stem[1:3].isdigit() else stem
        name = _title_of(str(p), p.stat().st_mtime)
        out[stem] = f"{head} · {name}" if name else stem
    return out


def card_ref(card: dict[str, Any]) -> str:
    """Short content hash naming a card in URLs."""
    text = json.dumps(card, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@st.cache_resource
def _shared_cards() -> OrderedDict[str, dict[str, Any]]:
    """Cards of this server process by hash (bounded), for deep links across sessions."""
    return OrderedDict()


def _remember(card: dict[str, Any]) -> str:
    cache = _shared_cards()
    ref = card_ref(card)
    cache[ref] = json.loads(json.dumps(card, default=str))
    cache.move_to_end(ref)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return ref


#: results computed from the current card (appraisal, 入表): a new or edited card drops them,
#: so no page shows figures of a card that is no longer the one on screen
CARD_RESULTS = ("result", "books_answer")


def _drop_results() -> None:
    for k in CARD_RESULTS:
        st.session_state.pop(k, None)


def current_card() -> dict[str, Any] | None:
    return st.session_state.get("card")


def card_rev() -> int:
    """Revision of the card form; part of every form widget's key."""
    return int(st.session_state.get("card_rev", 0))


def set_card(card: dict[str, Any], *, example: str | None = None) -> None:
    """Make ``card`` the current card and start a new form revision (fresh widgets)."""
    st.session_state["card"] = card
    st.session_state["card_rev"] = card_rev() + 1
    st.session_state["card_example"] = example
    for k in [k for k in st.session_state if str(k).startswith(("f_", "card_json"))]:
        del st.session_state[k]
    _drop_results()


def update_card(card: dict[str, Any]) -> None:
    """An edit made in the form itself: same revision (the widgets already show it)."""
    st.session_state["card"] = card
    st.session_state["card_example"] = None
    _drop_results()


def restore_from_url() -> None:
    """Load the card named in the URL when this session has none (a deep link)."""
    ref = st.query_params.get("card")
    if not ref or current_card() is not None:
        return
    examples = example_cards()
    if ref in examples:
        set_card(json.loads(examples[ref].read_text(encoding="utf-8")), example=ref)
    elif ref in _shared_cards():
        set_card(json.loads(json.dumps(_shared_cards()[ref])))


def sync_url() -> None:
    """Write the current card (and language) into the URL so the address is a deep link."""
    card = current_card()
    if card is not None:
        ref = st.session_state.get("card_example") or _remember(card)
        if st.query_params.get("card") != ref:
            st.query_params["card"] = ref
    lang = st.session_state.get("lang", "zh")
    if st.query_params.get("lang", "zh") != lang:
        st.query_params["lang"] = lang


def library_arg() -> Any:
    """What the pages pass as ``library=`` to the API (the store in use)."""
    return st.session_state.get("library_url")
