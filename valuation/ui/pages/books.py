"""入表: the accounting section of the current card (form), the books of the data resource
(classification, cost, amortisation schedule, impairment test, disclosure line, flags with
clauses, trace) and the 入表底稿 downloads. A face over :func:`valuation.api.book`.

Labels live here (``L``), bilingual, so this page adds nothing to the shared i18n table."""
from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

import pandas as pd
import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.formatting import money
from ...core.schema import ENUMS
from ..fmt import value_text
from ..i18n import lang, t
from ..labels import enum_label, field_label, pick, text_of
from ..state import current_card, library_arg, set_card
from .appraise import trace_table

__all__ = ["books_page", "nav_title", "L"]

L: dict[str, tuple[str, str]] = {
    "title": ("数据资源入表与减值测试", "Data resources on the books and impairment"),
    "intro": ("按《企业数据资源相关会计处理暂行规定》（财会〔2023〕11号）分类、计量、摊销，并按企业会计准则第8号以收益法"
              "（使用价值）与市场法（公允价值）测试减值；存货按第1号以可变现净值计量。",
              "Classify, measure and amortise under Caikuai [2023] No. 11; test impairment under CAS 8 with the "
              "income approach (value in use) and the market approach (fair value); inventories at net "
              "realisable value under CAS 1."),
    "form": ("会计信息", "Accounting section"),
    "costs": ("成本明细（阶段：研究 / 开发 / 取得）",
              "Cost lines (phase: research / development / acquisition)"),
    "category": ("成本项目", "Category"),
    "amount": ("金额（元）", "Amount (CNY)"),
    "phase": ("阶段", "Phase"),
    "capitalise": ("申请资本化", "Capitalise"),
    "apply": ("保存会计信息", "Save the accounting section"),
    "remove": ("删除会计信息", "Remove the accounting section"),
    "run": ("入表计算", "Compute the books"),
    "figures": ("入表结果", "Figures"),
    "schedule": ("摊销计划", "Amortisation schedule"),
    "flags": ("标记与依据条款", "Flags and clauses"),
    "no_flags": ("无标记。", "No flags."),
    "trace": ("计算过程（公式、输入、条款）", "Calculation trace (formula, inputs, clauses)"),
    "disclosure": ("列示与披露（财会〔2023〕11号）", "Presentation and disclosure (Caikuai [2023] No. 11)"),
    "paper_xlsx": ("下载入表底稿（Excel）", "Download the working paper (Excel)"),
    "paper_docx": ("下载入表底稿（Word）", "Download the working paper (Word)"),
    "saved": ("已保存到当前卡片。", "Saved to the current card."),
    "indefinite": ("使用寿命不确定", "Indefinite life"),
    "convention": ("摊销计期", "Period convention"),
    "none": ("（未填）", "(not given)"),
    "class": ("分类", "Classification"),
    "period_end": ("期末", "Period end"),
    "amortisation": ("本期摊销", "Amortisation"),
    "bs_row": ("资产负债表日", "Balance-sheet date"),
}
_CLASS = {"intangible_asset": ("无形资产", "Intangible asset"), "inventory": ("存货", "Inventory"),
          "development_expenditure": ("开发支出", "Development expenditure"), "expense": ("费用化", "Expensed")}
_FIGS = ("cost", "expensed", "accumulated_amortisation", "carrying_amount_before_impairment", "value_in_use",
         "fair_value_less_costs_of_disposal", "net_realisable_value", "recoverable_amount", "impairment_loss",
         "carrying_amount")
_LABELS_EXTRA = {"cost": ("入账成本", "Cost"), "expensed": ("费用化金额", "Expensed"),
                 "accumulated_amortisation": ("累计摊销", "Accumulated amortisation"),
                 "carrying_amount_before_impairment": ("减值前账面价值", "Carrying amount before impairment"),
                 "value_in_use": ("使用价值（收益法）", "Value in use (income)"),
                 "fair_value_less_costs_of_disposal": ("公允价值减处置费用（市场法）", "FV less costs of disposal (market)"),
                 "net_realisable_value": ("可变现净值", "Net realisable value"),
                 "recoverable_amount": ("可收回金额", "Recoverable amount"),
                 "impairment_loss": ("减值损失/跌价", "Impairment loss / write-down"),
                 "carrying_amount": ("期末账面价值", "Carrying amount")}


def nav_title() -> str:
    """The page's title in the navigation (current language)."""
    return pick("入表", "Books")


def _l(key: str) -> str:
    return pick(*L[key])


def _date(v: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(v) if isinstance(v, str) else None
    except ValueError:
        return None


def _enum(acc: dict[str, Any], key: str, enum: str, path: str) -> Any:
    opts = [None, *ENUMS[enum]]
    cur = acc.get(key)
    # the labels are fixed in this run: AppTest calls format_func outside the script run
    names = {x: _l("none") if x is None else enum_label(x, enum=enum) for x in opts}
    return st.selectbox(field_label(path), opts, index=opts.index(cur) if cur in opts else 0,
                        format_func=names.__getitem__, key=f"books_{key}")


def _form(card: dict[str, Any]) -> None:
    acc = dict(card.get("accounting") or {})
    with st.form("books_form"):
        c1, c2, c3 = st.columns(3)
        with c1:
            acc["intent"] = _enum(acc, "intent", "holding_intent", "accounting.intent")
            acc["acquired_by"] = _enum(acc, "acquired_by", "acquired_by", "accounting.acquired_by")
            acc["amortisation_method"] = _enum(acc, "amortisation_method", "amortisation_method",
                                               "accounting.amortisation_method")
            acc["amortisation_convention"] = _enum(acc, "amortisation_convention", "amortisation_convention",
                                                   "accounting.amortisation_convention")
        with c2:
            for key in ("acquisition_date", "available_for_use", "balance_sheet_date"):
                d = st.date_input(field_label(f"accounting.{key}"), value=_date(acc.get(key)), key=f"books_{key}",
                                  min_value=_dt.date(1900, 1, 1), max_value=_dt.date(2199, 12, 31))
                acc[key] = d.isoformat() if d else None
            indefinite = st.checkbox(_l("indefinite"), value="useful_life_years" in acc and
                                     acc.get("useful_life_years") is None, key="books_indefinite")
            life = st.number_input(field_label("accounting.useful_life_years"), min_value=0.0,
                                   value=float(acc.get("useful_life_years") or 0.0), key="books_life")
            acc["useful_life_years"] = None if indefinite or life <= 0 else life
        with c3:
            for key in ("capitalised_cost", "residual_value", "accumulated_impairment", "disposal_costs",
                        "expected_selling_price", "costs_to_complete", "selling_costs"):
                cur = acc.get(key)
                v = st.number_input(field_label(f"accounting.{key}"), value=None if cur is None else float(cur),
                                    min_value=0.0, key=f"books_{key}")
                acc[key] = v
        acc["development_criteria_met"] = st.checkbox(field_label("accounting.development_criteria_met"),
                                                      value=bool(acc.get("development_criteria_met")),
                                                      key="books_criteria")
        st.caption(_l("costs"))
        lines = pd.DataFrame(acc.get("costs") or [], columns=["category", "amount", "phase", "capitalise"])
        lines["capitalise"] = lines["capitalise"].astype("boolean").fillna(False).astype(bool)  # a checkbox
        edited = st.data_editor(lines, num_rows="dynamic", key="books_costs", column_config={
            "category": st.column_config.TextColumn(_l("category")),
            "phase": st.column_config.SelectboxColumn(_l("phase"), options=list(ENUMS["cost_phase"])),
            "amount": st.column_config.NumberColumn(_l("amount"), min_value=0.0),
            "capitalise": st.column_config.CheckboxColumn(_l("capitalise"))})
        rows = [{k: v for k, v in r.items() if v is not None and not (isinstance(v, float) and pd.isna(v))
                 and not (k == "capitalise" and not v)} for r in edited.to_dict("records")]
        acc["costs"] = [r for r in rows if r] or None
        if st.form_submit_button(_l("apply")):
            new = copy.deepcopy(card)
            new["accounting"] = {k: v for k, v in acc.items() if v is not None or k == "useful_life_years"}
            set_card(new)
            st.success(_l("saved"))


def _show(ans: dict[str, Any], card: dict[str, Any]) -> None:
    en = lang() == "en"
    st.subheader(_l("figures"))
    st.markdown(f"**{_l('class')}**: {_CLASS.get(ans.get('classification'), ('', ''))[1 if en else 0]}")
    cols = st.columns(4)
    for k, key in enumerate(_FIGS):       # 万元 in the tiles (report convention); 元 in the tables
        cols[k % 4].metric(_LABELS_EXTRA[key][1 if en else 0], money(ans.get(key), unit="wan", lang=lang()),
                           help=money(ans.get(key), lang=lang()))
    if ans.get("schedule"):
        st.subheader(_l("schedule"))
        conv = (ans.get("provenance") or {}).get("amortisation_convention") or {}
        st.caption(f"{_l('convention')}: {conv.get('en' if en else 'zh', '')}")
        sched = pd.DataFrame(ans["schedule"])
        heads = {"period_end": _l("period_end"), "amortisation": _l("amortisation"),
                 "accumulated_amortisation": _LABELS_EXTRA["accumulated_amortisation"][1 if en else 0],
                 "carrying_amount": _LABELS_EXTRA["carrying_amount"][1 if en else 0],
                 "balance_sheet_date": _l("bs_row")}
        shown = sched.assign(**{c: [money(v, lang=lang()) for v in sched[c]] for c in
                                ("amortisation", "accumulated_amortisation", "carrying_amount")})
        if "balance_sheet_date" in shown:   # the row of the balance-sheet date: 是/否, not True/False
            shown["balance_sheet_date"] = [value_text(bool(v)) for v in sched["balance_sheet_date"]]
        st.dataframe(shown.rename(columns=heads), hide_index=True, width="stretch")
        st.line_chart(sched.set_index("period_end")[["carrying_amount"]].rename(columns=heads))
    st.subheader(_l("flags"))
    if not ans.get("flags"):
        st.success(_l("no_flags"))
    for f in ans.get("flags") or []:
        box = {"warning": st.warning, "blocker": st.error}.get(f.get("severity"), st.info)
        cited = [c["en" if en else "zh"] for c in f.get("citations") or []] or f.get("references") or []
        box(f"**{f['code']}** — {text_of(f, 'message')}  \n{t('references')}: "
            f"{('; ' if en else '；').join(cited)}")
    with st.expander(_l("disclosure")):
        st.json(ans.get("disclosure") or {})
    with st.expander(_l("trace")):
        # the appraisal page's trace table: headers, formulas, values and clauses in the reader's
        # language (the raw table showed step/formula/value/clauses and "intangible_asset")
        steps = [{**s, "value": _CLASS[s["value"]][1 if en else 0]} if s.get("step") == "classification"
                 and s.get("value") in _CLASS else s for s in ans.get("trace") or []]
        st.dataframe(trace_table(steps), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    for col, fmt, key, mime in (
            (c1, "xlsx", "paper_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (c2, "docx", "paper_docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")):
        blob = api.book_papers(card, fmt=fmt, lang=lang(), library=library_arg(), answer=ans)
        col.download_button(_l(key), blob, file_name=f"{ans.get('asset_id')}_入表底稿.{fmt}", mime=mime,
                            key=f"books_dl_{fmt}")


def books_page() -> None:
    st.title(_l("title"))
    st.caption(_l("intro"))
    card = current_card()
    if card is None:
        st.info(t("no_card"))
        return
    with st.expander(_l("form"), expanded=not card.get("accounting")):
        _form(card)
    card = current_card() or card
    if card.get("accounting") and st.button(_l("remove"), key="books_remove"):
        new = copy.deepcopy(card)
        new.pop("accounting", None)
        set_card(new)
        st.rerun()
    if st.button(_l("run"), type="primary", key="books_run", disabled=not card.get("accounting")):
        try:
            st.session_state["books_answer"] = api.book(card, library=library_arg())
        except ValuationError as e:
            st.session_state.pop("books_answer", None)
            st.error(e.message(lang()))
            for i in getattr(e, "issues", []):
                st.markdown("- " + i.message(lang()))
    ans = st.session_state.get("books_answer")
    if ans is not None and ans.get("asset_id") == (card.get("asset") or {}).get("asset_id"):
        _show(ans, card)
