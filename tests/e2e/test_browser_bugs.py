"""Browser reproductions of the silent-corruption bugs of issue 19 (Why 1-3), in both languages.

Each test drives the dashboard as an appraiser would in headless Chromium and reads back what
the page shows (form fields, the card's JSON, the batch summary, the library entry), so a
fix that only works in AppTest but not in a real browser session fails here.
"""
from __future__ import annotations

import json
import re
import time

import pytest
from e2e_kit import CARDS, ROOT, card, settle, shot
from playwright.sync_api import expect

from valuation.core.schema import field_by_path

pytestmark = pytest.mark.browser
LANGS = ["zh", "en"]
TXT = {"zh": {"card": "资产卡片", "load": "载入", "example": "载入示例卡片", "json": "完整卡片（JSON，可直接编辑）",
              "batch": "批量重估", "use_example": "使用示例资产组合", "run_batch": "开始重估",
              "libs": "标准/规则/指标/模型/案例库", "edit": "编辑（保存为新版本）", "save": "保存新版本",
              "note": "版本说明"},
       "en": {"card": "Asset card", "load": "Load", "example": "Load an example card",
              "json": "Full card (JSON, editable)", "batch": "Batch revaluation",
              "use_example": "Use the example portfolio", "run_batch": "Run revaluation",
              "libs": "Libraries", "edit": "Edit (saved as a new version)", "save": "Save new version",
              "note": "Version note"}}


def label(path: str, lang: str) -> str:
    f = field_by_path(path)
    assert f is not None
    return f.label_en if lang == "en" else f.label_zh


def open_app(page, url: str, lang: str, path: str = "/") -> None:
    page.goto(url + path)
    page.get_by_role("heading").first.wait_for()
    settle(page)
    if lang == "en":
        page.locator('[data-testid="stSidebar"]').get_by_text("English").first.click()
        page.get_by_role("link", name="Asset card", exact=True).wait_for()
        settle(page)


def edit_text(page, field_label: str, value: str) -> None:
    box = page.get_by_label(field_label, exact=True)
    box.fill(value)
    box.press("Enter")
    settle(page)


def shown_card(page, lang: str) -> dict:
    """The card the dashboard holds, read from its JSON editor."""
    exp = page.get_by_text(TXT[lang]["json"], exact=True)
    area = page.locator('[data-testid="stTextArea"] textarea').last
    if not area.is_visible():
        exp.click()
        settle(page)
    return json.loads(area.input_value())


def choose(page, select_label: str, option: str) -> None:
    page.get_by_label(select_label).first.click()
    page.get_by_role("option", name=re.compile("^" + re.escape(option))).first.click()
    settle(page)


@pytest.mark.parametrize("lang", LANGS)
def test_loading_another_example_replaces_the_whole_form(server, page, lang):
    """Why 1: after loading E02 over an edited E01, the next edit must apply to E02 alone."""
    url, _ = server
    open_app(page, url, lang)
    edit_text(page, label("asset.name", lang), "E01 edited before the switch")
    choose(page, TXT[lang]["example"], "E02")
    page.get_by_role("button", name=TXT[lang]["load"], exact=True).click()
    settle(page)
    e02 = card("E02_admin_registry_governance")
    expect(page.get_by_label(label("asset.name", lang), exact=True)).to_have_value(e02["asset"]["name"], timeout=30000)
    settle(page)
    assert page.get_by_label(label("asset.asset_id", lang), exact=True).input_value() == e02["asset"]["asset_id"]
    edit_text(page, label("asset.holder", lang), "新的持有单位")
    e02["asset"]["holder"] = "新的持有单位"
    assert shown_card(page, lang) == e02
    shot(page, f"bug_load_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_uploading_a_card_replaces_the_whole_form(server, page, lang):
    """Why 1: an uploaded card replaces the form; the next edit applies to it alone."""
    url, _ = server
    open_app(page, url, lang)
    edit_text(page, label("asset.name", lang), "E01 edited before the upload")
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(
        str(CARDS / "E03_enterprise_ecommerce.json"))
    settle(page)
    e03 = card("E03_enterprise_ecommerce")
    # the upload is sent, then the script reruns: wait for the form to show the new card
    expect(page.get_by_label(label("asset.name", lang), exact=True)).to_have_value(e03["asset"]["name"], timeout=30000)
    settle(page)
    edit_text(page, label("asset.holder", lang), "上传后修改的持有单位")
    e03["asset"]["holder"] = "上传后修改的持有单位"
    assert shown_card(page, lang) == e03
    shot(page, f"bug_upload_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_batch_upload_values_the_uploaded_file_not_the_example(server, page, lang, tmp_path):
    """Why 2: after an upload the example portfolio must not be revalued instead."""
    url, _ = server
    src = (ROOT / "examples" / "portfolio_small.csv").read_text("utf-8").splitlines()
    mine = tmp_path / "mine.csv"
    rows = [src[0]] + [r.replace("PF-00", f"MY{lang}-00", 1) for r in src[1:4]]
    mine.write_text("\n".join(rows) + "\n", encoding="utf-8")
    open_app(page, url, lang)
    page.get_by_role("link", name=TXT[lang]["batch"], exact=True).click()
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(mine))
    settle(page)
    expect(page.get_by_label(TXT[lang]["use_example"])).not_to_be_checked(timeout=30000)
    settle(page)
    page.get_by_role("button", name=TXT[lang]["run_batch"]).click()
    settle(page, 120)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "mine.csv" in body
    assert f"MY{lang}-001" in page.locator('[data-testid="stMain"]').inner_html() or "mine.csv" in body
    shot(page, f"bug_batch_{lang}")


NO_CHANGE = {"zh": "内容未改变，未保存新版本。", "en": "Nothing changed: no new version saved."}


def _library_editor(page, lang: str):
    page.get_by_role("link", name=TXT[lang]["libs"], exact=True).click()
    settle(page)
    page.get_by_text(TXT[lang]["edit"], exact=True).click()
    settle(page)
    return page.get_by_label("YAML", exact=True)


def _save(page, lang: str, text: str, note: str) -> None:
    area = page.get_by_label("YAML", exact=True)
    area.fill(text)  # no blur: the click on the button must still take the edit
    page.get_by_label(TXT[lang]["note"], exact=True).fill(note)
    page.get_by_role("button", name=TXT[lang]["save"], exact=True).click()
    settle(page)


@pytest.mark.parametrize("lang", LANGS)
def test_library_editing_keeps_every_edit_and_refuses_no_ops(server, page, lang, monkeypatch):
    """Why 3: a saved version shows at once; the next edit is kept and saved with its own
    content; saving without a change records nothing; a YAML error is called a YAML error."""
    import yaml

    from valuation import api

    url, env = server
    store = api.open_library(env["VALUATION_DB_URL"])
    entry = store.list("standards")[0]
    open_app(page, url, lang)
    area = _library_editor(page, lang)
    content = yaml.safe_load(area.input_value())
    assert content == entry.content
    v0 = store.get("standards", entry.key).version

    first = dict(content, remark=f"first edit {lang}")
    _save(page, lang, yaml.safe_dump(first, allow_unicode=True, sort_keys=False), f"note 1 {lang}")
    now = store.get("standards", entry.key)
    assert (now.version, now.note, now.content["remark"]) == (v0 + 1, f"note 1 {lang}", f"first edit {lang}")
    # the page shows the saved version at once (the rerun after the save may still be running)
    page.get_by_text(re.compile(rf"· v{v0 + 1}$")).first.wait_for(timeout=30000)
    settle(page)
    assert yaml.safe_load(page.get_by_label("YAML", exact=True).input_value()) == now.content

    second = dict(first, remark=f"second edit {lang}")
    _save(page, lang, yaml.safe_dump(second, allow_unicode=True, sort_keys=False), f"note 2 {lang}")
    now = store.get("standards", entry.key)
    assert (now.version, now.note, now.content["remark"]) == (v0 + 2, f"note 2 {lang}", f"second edit {lang}")
    page.get_by_text(re.compile(rf"· v{v0 + 2}$")).first.wait_for(timeout=30000)
    settle(page)

    _save(page, lang, yaml.safe_dump(second, allow_unicode=True, sort_keys=False), f"note 3 {lang}")
    page.get_by_text(NO_CHANGE[lang]).first.wait_for(timeout=30000)
    assert store.get("standards", entry.key).version == v0 + 2  # no change, no version

    _save(page, lang, "remark: [unclosed", f"note 4 {lang}")
    page.get_by_text(re.compile("YAML 格式错误|Invalid YAML")).first.wait_for(timeout=30000)
    alert = page.locator('[data-testid="stAlert"]').last.inner_text()
    assert "YAML" in alert and "JSON" not in alert
    assert store.get("standards", entry.key).version == v0 + 2
    shot(page, f"bug_library_{lang}")


def test_switching_language_leaves_the_card_as_it_was(server, page):
    """Found while building the tables: the table editors held the enum words of one language
    and wrote them back as values after a switch (a silent corruption like Why 1)."""
    url, _ = server
    open_app(page, url, "zh")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("English").first.click()
    page.get_by_role("link", name="Asset card", exact=True).wait_for()
    settle(page)
    assert shown_card(page, "en") == card("E01_soe_transport_licensing")
    sidebar.get_by_text("中文").first.click()
    page.get_by_role("link", name="资产卡片", exact=True).wait_for()
    settle(page)
    assert shown_card(page, "zh") == card("E01_soe_transport_licensing")


def _type_score(page, row: int, text: str) -> None:
    """Type ``text`` into row ``row`` of the quality table's score column (a canvas grid:
    select the cell by position, typing replaces its content)."""
    page.get_by_role("tab", name=re.compile("质量评分|Quality scores")).click()
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]:visible').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # rows are ~35 px high below a ~35 px header
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + 35 + 35 * row + 17)
    time.sleep(0.3)
    page.keyboard.type(text, delay=80)
    page.keyboard.press("Enter")
    settle(page)


@pytest.mark.parametrize("lang", LANGS)
def test_quality_table_edit_reaches_the_card(server, page, lang):
    """Deliverable 6: a score typed into the quality table is written into the card and
    nothing else of the card changes."""
    url, _ = server
    open_app(page, url, lang)
    e01 = card("E01_soe_transport_licensing")
    _type_score(page, 2, "77")  # accuracy
    e01["asset"]["quality"]["accuracy"] = 77
    assert shown_card(page, lang) == e01
    shot(page, f"quality_table_{lang}")
