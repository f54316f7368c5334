"""Helpers of the browser tests (waiting for a script run, example cards, screenshots)."""
from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CARDS = ROOT / "examples" / "cards"
#: the app's script-run state, set by Streamlit's frontend at once (its status widget appears
#: only after a delay, so on a busy machine — make test runs a test on every core — a run could
#: still be going when that widget was not yet shown)
SCRIPT_RUNNING = '[data-test-script-state="running"],[data-test-script-state="rerunRequested"]'


def settle(page, timeout: float = 60.0) -> None:
    """Wait until the script run has finished and no placeholder skeleton is left."""
    end = time.time() + timeout
    time.sleep(0.3)
    while time.time() < end:
        busy = page.locator('[data-testid="stSkeleton"]').count() + \
            page.locator('[data-testid="stStatusWidget"]').count() + \
            page.locator('[data-testid="stSpinner"]').count() + \
            page.locator(SCRIPT_RUNNING).count()
        if busy == 0:
            break
        time.sleep(0.25)
    time.sleep(0.5)


def card(name: str) -> dict:
    return json.loads((CARDS / f"{name}.json").read_text("utf-8"))


def shot(page, name: str) -> None:
    """Screenshot of the whole page: Streamlit scrolls inside its main container, so the
    viewport is made as tall as that content for the shot, then restored."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 8000))})
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)
    time.sleep(0.1)
