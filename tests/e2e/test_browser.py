"""End-to-end: start the dashboard, drive it in headless Chromium (Playwright with Debian's
system chromium), run an appraisal, check the estimate shown equals the API's, and save a
screenshot of every page into artifacts/screenshots/.

In CI (CI=true) the browser is installed by scripts/test-setup.sh and this test must run;
elsewhere it skips with a printed reason when Chromium is missing.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = [("card", "资产卡片"), ("appraise", "评估"), ("risk", "风险"), ("public_pricing", "公共数据定价"),
         ("batch", "批量重估"), ("history", "历史"), ("libraries", "标准/规则/指标/模型/案例库"),
         ("settings", "设置")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium (scripts/test-setup.sh installs it)")
        print("SKIP browser test: chromium not installed (apt-get install chromium)")
        pytest.skip("chromium not installed")
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    env = dict(os.environ, VALUATION_DB_URL=f"sqlite:///{db}", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    subprocess.run([sys.executable, "-m", "valuation.cli", "init"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
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


def _settle(page, timeout: float = 60.0) -> None:
    """Wait until the script run has finished and no placeholder skeleton is left."""
    end = time.time() + timeout
    while time.time() < end:
        busy = page.locator('[data-testid="stSkeleton"]').count() + \
            page.locator('[data-testid="stStatusWidget"]').count()
        if busy == 0:
            break
        time.sleep(0.25)
    time.sleep(0.5)


@pytest.mark.browser
def test_dashboard_in_chromium(server, monkeypatch):
    from playwright.sync_api import sync_playwright

    url, env = server
    monkeypatch.setenv("VALUATION_DB_URL", env["VALUATION_DB_URL"])
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    expected = api.appraise(card).to_dict()["estimate"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")  # the default page (资产卡片) lives at the root
        page.get_by_role("heading", name="资产卡片").first.wait_for(timeout=60000)
        page.get_by_text("卡片校验通过").first.wait_for(timeout=60000)  # E01 is loaded by default
        _settle(page)
        page.screenshot(path=str(SHOTS / "card.png"), full_page=True)
        # same session: navigate through the sidebar
        page.get_by_role("link", name="评估", exact=True).click()
        page.get_by_role("button", name="运行评估").click()
        page.locator("#estimate-value").wait_for(state="attached", timeout=90000)
        _settle(page)
        shown = page.locator("#estimate-value").get_attribute("data-estimate")
        assert shown is not None and shown != "None"
        assert float(shown) == pytest.approx(expected, rel=1e-12)
        page.screenshot(path=str(SHOTS / "appraise.png"), full_page=True)
        for slug, title in PAGES[2:]:
            page.get_by_role("link", name=title, exact=True).click()
            page.get_by_role("heading").first.wait_for(timeout=60000)
            _settle(page)
            page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)
        # language switch changes the labels
        page.get_by_text("English").first.click()
        page.get_by_role("link", name="Asset card", exact=True).wait_for(timeout=30000)
        _settle(page)
        page.screenshot(path=str(SHOTS / "settings_en.png"), full_page=True)
        browser.close()
    assert {p.stem for p in SHOTS.glob("*.png")} >= {s for s, _ in PAGES}
