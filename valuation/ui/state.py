"""Session state shared by the pages: the current card, the last result, the language."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ..core.models import repo_root

EXAMPLES = repo_root() / "examples"
MAX_UPLOAD_MB = 20


def example_cards() -> dict[str, Path]:
    files = sorted((EXAMPLES / "cards").glob("*.json"))
    ex = EXAMPLES / "interchange_example.json"
    out = {p.stem: p for p in files}
    if ex.exists():
        out[ex.stem] = ex
    return out


def current_card() -> dict[str, Any] | None:
    return st.session_state.get("card")


def set_card(card: dict[str, Any]) -> None:
    """Make ``card`` the current card; form widgets are re-initialised from it."""
    st.session_state["card"] = card
    for k in [k for k in st.session_state if str(k).startswith("f_") or k == "card_json"]:
        del st.session_state[k]
    st.session_state.pop("result", None)


def library_arg() -> Any:
    """What the pages pass as ``library=`` to the API (the store in use)."""
    return st.session_state.get("library_url")


def money(x: Any, cur: str = "CNY") -> str:
    return "—" if x is None else f"{x:,.2f} {cur}"
