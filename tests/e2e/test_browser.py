"""End-to-end in headless Chromium (Playwright with Debian's chromium): every page in both
languages, as an appraiser goes through them — the card, an appraisal whose estimate equals
the API's, the risk flags, a public-data price, a batch revaluation, the history of an asset
by valuation date, the libraries and the settings; the money unit switched to 万元. Each page
is screenshot into artifacts/screenshots/ (git-ignored) and its visible text is scanned for
English left in Chinese mode and Chinese left in English mode (Streamlit's own uploader texts
included).

In CI (CI=true) the browser is installed by scripts/test-setup.sh and this test must run;
elsewhere it skips with a printed reason when Chromium is missing (see conftest.py).
"""
from __future__ import annotations

import sys

import pytest
from e2e_kit import ROOT, SHOTS, card, settle, shot

from valuation import api
from valuation.core.formatting import amount, unit_label

sys.path.insert(0, str(ROOT / "tests" / "ui"))
from text_scan import untranslated  # noqa: E402

pytestmark = pytest.mark.browser
NAV = {"zh": ["资产卡片", "评估", "风险", "公共数据定价", "批量重估", "历史", "标准/规则/指标/模型/案例库", "设置"],
       "en": ["Asset card", "Appraisal", "Risk flags", "Public data pricing", "Batch revaluation", "History",
              "Libraries", "Settings"]}
SLUGS = ["card", "appraise", "risk", "public_pricing", "batch", "history", "libraries", "settings"]
BUTTONS = {"zh": {"appraise": "运行评估", "public_pricing": "计算上限收费标准", "batch": "开始重估"},
           "en": {"appraise": "Run appraisal", "public_pricing": "Compute price caps", "batch": "Run revaluation"}}

#: what a reader sees: text nodes that are rendered (not hidden, not font-size 0), plus text
#: written by CSS ``content``; JSON/code viewers, inputs, icons and canvas tables are data
VISIBLE_TEXT_JS = """() => {
  const skip = '[data-testid="stJson"],[data-testid="stCode"],textarea,input,[data-testid="stIconMaterial"],' +
               'script,style,[data-testid="stDataFrame"],.modebar';
  const out = [];
  for (const r of document.querySelectorAll('[data-testid="stMain"],[data-testid="stSidebar"]')) {
    const w = document.createTreeWalker(r, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = w.nextNode())) {
      const el = n.parentElement;
      if (!el || el.closest(skip)) continue;
      if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
      if (getComputedStyle(el).fontSize === '0px') continue;
      const s = n.textContent.trim();
      if (s) out.push(s);
    }
    for (const el of r.querySelectorAll('*')) {
      const c = getComputedStyle(el, '::after').content;
      if (c && c.startsWith('"') && el.checkVisibility()) out.push(c.slice(1, -1));
    }
  }
  return out;
}"""


def scan(page, lang: str, where: str) -> None:
    texts = page.evaluate(VISIBLE_TEXT_JS)
    assert len(texts) > 3, where
    bad = untranslated(texts, lang)
    assert not bad, f"{where} [{lang}] shows untranslated text: {bad[:20]}"


def _goto(page, lang: str, i: int) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=NAV[lang][i], exact=True).click()
    page.get_by_role("heading").first.wait_for()
    settle(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_in_chromium(server, page, lang, monkeypatch):
    url, env = server
    monkeypatch.setenv("VALUATION_DB_URL", env["VALUATION_DB_URL"])
    e01 = card("E01_soe_transport_licensing")
    page.goto(url + "/")          # the app's first run goes on in the server meanwhile
    expected = api.appraise(e01).to_dict()["estimate"]
    page.get_by_role("heading", name="资产卡片").first.wait_for()
    page.get_by_text("卡片校验通过").first.wait_for()  # E01 is loaded by default
    settle(page)
    if lang == "en":
        page.locator('[data-testid="stSidebar"]').get_by_text("English").first.click()
        page.get_by_role("link", name="Asset card", exact=True).wait_for()
        settle(page)
    shot(page, f"card_{lang}")
    scan(page, lang, "card")
    for i, slug in enumerate(SLUGS[1:], start=1):
        _goto(page, lang, i)
        if slug in BUTTONS[lang]:
            page.get_by_role("button", name=BUTTONS[lang][slug], exact=True).click()
            settle(page, 180)
        if slug == "appraise":
            page.locator("#estimate-value").wait_for(state="attached", timeout=120000)
            settle(page)
            shown = page.locator("#estimate-value").get_attribute("data-estimate")
            assert shown is not None and float(shown) == pytest.approx(expected, rel=1e-12)
            metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            assert metric == amount(expected, lang=lang)  # 4,889,179.46 (the unit in the label)
            label = page.locator('[data-testid="stMetricLabel"]').first.inner_text()
            assert unit_label("CNY", "yuan", lang) in label
        shot(page, f"{slug}_{lang}")
        scan(page, lang, slug)
    # the money unit: 万元 everywhere, the same amount divided by 10,000
    page.locator('[data-testid="stSidebar"]').get_by_text("万元" if lang == "zh" else "CNY 10,000").first.click()
    settle(page)
    _goto(page, lang, 1)
    metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert metric == amount(expected, unit="wan", lang=lang)  # 488.92
    assert unit_label("CNY", "wan", lang) in page.locator('[data-testid="stMetricLabel"]').first.inner_text()
    shot(page, f"appraise_wan_{lang}")
    scan(page, lang, "appraise in 万元")
    assert {f"{s}_{lang}" for s in SLUGS} <= {p.stem for p in SHOTS.glob("*.png")}


def test_deep_link_keeps_the_card(server, page, monkeypatch):
    """A link to a page with ?card=… opens that card in a new session (Why 7)."""
    url, env = server
    monkeypatch.setenv("VALUATION_DB_URL", env["VALUATION_DB_URL"])
    page.goto(url + "/appraise?card=E02_admin_registry_governance&lang=en")
    page.get_by_role("heading", name="Appraisal").first.wait_for()
    settle(page)
    page.get_by_role("button", name="Run appraisal", exact=True).click()
    page.locator("#estimate-value").wait_for(state="attached", timeout=120000)
    settle(page)
    e02 = card("E02_admin_registry_governance")
    want = api.appraise(e02).to_dict()["estimate"]
    shown = page.locator("#estimate-value").get_attribute("data-estimate")
    assert float(shown) == pytest.approx(want, rel=1e-12)
    assert "card=E02_admin_registry_governance" in page.url
    # the address of the page is itself a deep link after a switch of page
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Asset card", exact=True).click()
    settle(page)
    assert page.get_by_label("Asset ID", exact=True).input_value() == e02["asset"]["asset_id"]
    assert "card=E02_admin_registry_governance" in page.url
