"""End-to-end: the 入表 page in headless Chromium — E01 (loaded by default, with its accounting
section) is booked and the carrying amount shown equals api.book's (README figures)."""
import json
from pathlib import Path

import pytest
from e2e_kit import SHOTS, settle

from valuation import api
from valuation.core.formatting import money

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_books_page_in_chromium(server, page, monkeypatch):  # server, page: tests/e2e/conftest.py
    url, env = server
    monkeypatch.setenv("VALUATION_DB_URL", env["VALUATION_DB_URL"])
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    shown_expected = money(api.book(card)["carrying_amount"], unit="wan", lang="zh")  # the metric tile
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(url + "/")
    page.get_by_text("卡片校验通过").first.wait_for(timeout=60000)   # E01 loaded by default
    page.get_by_role("link", name="入表", exact=True).click()
    page.get_by_role("heading", name="数据资源入表与减值测试").first.wait_for(timeout=60000)
    settle(page)
    page.screenshot(path=str(SHOTS / "books_before.png"), full_page=True)
    page.get_by_role("button", name="入表计算").click()
    page.get_by_text(shown_expected).first.wait_for(timeout=90000)
    settle(page)
    page.screenshot(path=str(SHOTS / "books.png"), full_page=True)
