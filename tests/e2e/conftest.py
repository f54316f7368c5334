"""Fixtures of the browser tests: one Streamlit server on a throw-away SQLite store and one
headless Debian Chromium driven by Playwright, shared by every test of the session.

In CI (CI=true) the browser is installed by scripts/test-setup.sh and the tests must run;
elsewhere they skip with a printed reason when Chromium is missing.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """(url, env) of a running dashboard on its own SQLite store."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium (scripts/test-setup.sh installs it)")
        print("SKIP browser test: chromium not installed (apt-get install chromium)")
        pytest.skip("chromium not installed")
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    env = dict(os.environ, VALUATION_DB_URL=f"sqlite:///{db}", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    # the store is seeded while Streamlit starts (a server runs the app only when a browser
    # session connects, after both are done): seconds less before the first test
    init = subprocess.Popen([sys.executable, "-m", "valuation.cli", "init"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = init.communicate(timeout=600)
    if init.returncode != 0:
        proc.kill()
        pytest.fail("valuation init failed: " + out.decode(errors="replace")[-2000:])
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.25)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url, env
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser(server):
    """Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, and tests after the browser tests (the service's asyncio.run ones)
    fail with 'asyncio.run() cannot be called from a running event loop' if it outlives them."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (a new Streamlit session) per test."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60000)
    yield pg
    ctx.close()
