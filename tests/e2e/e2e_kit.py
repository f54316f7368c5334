"""Helpers of the browser tests (waiting for a script run, example cards, screenshots)."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CARDS = ROOT / "examples" / "cards"
#: the app's script-run state, set by Streamlit's frontend at once (its status widget appears
#: only after a delay, so on a busy machine — make test runs a test on every core — a run could
#: still be going when that widget was not yet shown)
SCRIPT_RUNNING = '[data-test-script-state="running"],[data-test-script-state="rerunRequested"]'
#: what shows that the app is not done: a script run (or one requested), a placeholder
#: skeleton, a spinner or the running-man status widget, an element of the previous run not yet
#: replaced (Streamlit marks them ``data-stale="true"`` until the run that replaces them ends)
BUSY = ",".join([SCRIPT_RUNNING, '[data-testid="stSkeleton"]', '[data-testid="stStatusWidget"]',
                 '[data-testid="stSpinner"]', '[data-stale="true"]'])
#: ``true`` once nothing has been busy for ``quiet`` ms (polled on every animation frame, so a
#: run that ends and at once requests the next — a widget committing its value, ``st.rerun`` —
#: restarts the quiet period instead of passing for done)
_QUIET_JS = """([busy, quiet]) => {
  const now = performance.now();
  if (document.querySelector(busy) || !document.querySelector('[data-testid="stApp"]')) {
    window.__e2eIdleSince = null;
    return false;
  }
  if (window.__e2eIdleSince == null) window.__e2eIdleSince = now;
  return now - window.__e2eIdleSince >= quiet;
}"""


def settle(page, timeout: float = 60.0, start: float = 0.4, quiet: float = 0.25) -> None:
    """Wait until the script run an action started has finished and the page stayed idle.

    Conditions, not fixed sleeps: first up to ``start`` seconds for the run to begin (the
    frontend marks a widget's rerun request on the next frame; an action that starts no run
    costs this once), then until nothing is busy (:data:`BUSY`) for ``quiet`` seconds in a row,
    at most ``timeout`` seconds. Why the quiet period: some runs chain (a committed widget value,
    a page switch, ``st.rerun``), and the page must not be read between two of them."""
    from playwright.sync_api import TimeoutError as NoRun

    if start > 0:
        try:
            page.wait_for_function(f"() => !!document.querySelector({json.dumps(BUSY)})",
                                   polling="raf", timeout=start * 1000)
        except NoRun:
            pass                          # the action started no run (or it is already over)
    page.evaluate("() => { window.__e2eIdleSince = null; }")
    page.wait_for_function(_QUIET_JS, arg=[BUSY, quiet * 1000], polling="raf", timeout=timeout * 1000)


def card(name: str) -> dict:
    return json.loads((CARDS / f"{name}.json").read_text("utf-8"))


def _frames(page, n: int = 2) -> None:
    """Wait for ``n`` rendered frames (a resize laid out and painted)."""
    page.evaluate("n => new Promise(done => { const f = k => k ? requestAnimationFrame(() => f(k - 1))"
                  " : done(); f(n); })", n)


def shot(page, name: str) -> None:
    """Screenshot of the whole page: Streamlit scrolls inside its main container, so the
    viewport is made as tall as that content for the shot, then restored."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 8000))})
    _frames(page)
    settle(page, start=0.0, quiet=0.1)    # charts re-laid out for the new size
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)
    _frames(page)
