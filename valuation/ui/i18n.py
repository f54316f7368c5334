"""Labels of the dashboard in Simplified Chinese (default) and English.

Every user-facing string of the pages comes from here, so switching the language changes
every label. Field labels come from the schema table itself.
"""
from __future__ import annotations

from typing import Any

__all__ = ["T", "t", "lang"]

T: dict[str, tuple[str, str]] = {
    # navigation
    "app_title": ("数据资产评估与定价", "Data asset valuation and pricing"),
    "nav_card": ("资产卡片", "Asset card"),
    "nav_appraise": ("评估", "Appraisal"),
    "nav_risk": ("风险", "Risk flags"),
    "nav_public": ("公共数据定价", "Public data pricing"),
    "nav_batch": ("批量重估", "Batch revaluation"),
    "nav_history": ("历史", "History"),
    "nav_libraries": ("标准/规则/指标/模型/案例库", "Libraries"),
    "nav_settings": ("设置", "Settings"),
    "language": ("界面语言", "Language"),
    # card page
    "card_title": ("资产卡片", "Asset card"),
    "card_intro": ("创建、编辑或载入资产卡片；校验提示显示在对应字段旁。",
                   "Create, edit or load an asset card; validation messages appear next to the fields."),
    "load_example": ("载入示例卡片", "Load an example card"),
    "load": ("载入", "Load"),
    "upload_card": ("上传卡片 JSON", "Upload card JSON"),
    "basic_info": ("基本信息与权利信息", "Basic and rights information"),
    "engagement": ("评估业务", "Engagement"),
    "cost_section": ("成本法输入", "Cost approach inputs"),
    "income_section": ("收益法输入", "Income approach inputs"),
    "json_editor": ("完整卡片（JSON，可直接编辑）", "Full card (JSON, editable)"),
    "apply_json": ("应用 JSON", "Apply JSON"),
    "save_card": ("保存修改", "Save changes"),
    "card_valid": ("卡片校验通过。", "The card is valid."),
    "card_invalid": ("卡片有 {n} 处问题：", "The card has {n} problem(s):"),
    "json_error": ("JSON 格式错误：{e}", "Invalid JSON: {e}"),
    "download_card": ("下载卡片 JSON", "Download card JSON"),
    "no_card": ("尚未载入资产卡片，请先在“资产卡片”页创建或载入。",
                "No asset card yet: create or load one on the Asset card page."),
    # appraisal page
    "appraise_title": ("评估", "Appraisal"),
    "run_appraisal": ("运行评估", "Run appraisal"),
    "estimate": ("评估结论", "Estimate"),
    "range": ("指导价区间", "Guided range"),
    "coverage": ("覆盖率", "Coverage"),
    "final_no": ("存在阻断性风险标记：结果不得作为最终结论。", "A blocker flag is present: the result may not be presented as final."),
    "method": ("评估方法", "Approach"),
    "weight": ("权重", "Weight"),
    "applicable": ("是否适用", "Applicable"),
    "reason": ("原因", "Reason"),
    "low": ("下限", "Low"),
    "high": ("上限", "High"),
    "reconciliation": ("评估结论的形成（第二十四条）", "How the conclusion was formed (art. 24)"),
    "trace": ("计算过程（公式、输入、条款）", "Calculation trace (formula, inputs, clauses)"),
    "football": ("各方法区间与指导价区间", "Ranges by approach and the guided range"),
    "sensitivity": ("敏感性分析", "Sensitivity"),
    "tornado": ("单因素敏感性（龙卷风图）", "One-at-a-time (tornado)"),
    "two_way": ("双因素敏感性（折现率 × 增长率）", "Two-way (discount rate × growth)"),
    "not_applicable": ("不适用", "Not applicable"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "formula": ("公式", "Formula"),
    "inputs": ("输入", "Inputs"),
    "value": ("结果", "Value"),
    "clauses": ("条款", "Clauses"),
    "step": ("步骤", "Step"),
    "warnings": ("提示", "Warnings"),
    "provenance": ("来源（引擎版本、库快照、输入哈希、基准日）",
                   "Provenance (engine, library snapshot, input hash, valuation date)"),
    "download_report": ("下载评估报告", "Download the appraisal report"),
    "report_docx": ("Word 报告", "Word report"),
    "report_xlsx": ("Excel 工作底稿", "Excel working papers"),
    "report_pdf": ("PDF 报告", "PDF report"),
    # risk page
    "risk_title": ("风险标记", "Risk flags"),
    "no_flags": ("未触发风险标记。", "No risk flag raised."),
    "severity": ("级别", "Severity"),
    "code": ("代码", "Code"),
    "message": ("说明", "Message"),
    "references": ("依据条款", "References"),
    "run_first": ("请先在“评估”页运行评估。", "Run the appraisal on the Appraisal page first."),
    # public pricing
    "public_title": ("公共数据授权运营定价（发改价格〔2025〕65号）",
                     "Public data operation pricing (NDRC 2025 No. 65)"),
    "product_json": ("产品定价请求（JSON）", "Pricing request (JSON)"),
    "compute_price": ("计算上限收费标准", "Compute price caps"),
    "mar": ("最高准许收入", "Maximum allowed revenue"),
    "allowed_profit": ("准许利润", "Allowed profit"),
    "rate_used": ("准许收益率", "Allowed return rate"),
    # batch page
    "batch_title": ("批量重估", "Batch revaluation"),
    "upload_portfolio": ("上传资产组合（CSV / Excel / Parquet）", "Upload a portfolio (CSV / Excel / Parquet)"),
    "use_example_portfolio": ("使用示例资产组合", "Use the example portfolio"),
    "only": ("筛选范围", "Screening"),
    "run_batch": ("开始重估", "Run revaluation"),
    "results": ("结果", "Results"),
    "rejects": ("被拒绝的行", "Rejected rows"),
    "download_results": ("下载结果 CSV", "Download results CSV"),
    "filter_flag": ("按风险标记筛选", "Filter by flag"),
    "progress": ("进度", "Progress"),
    "upload_too_large": ("文件过大（上限 {mb} MB）", "File too large (limit {mb} MB)"),
    # history page
    "history_title": ("价值历史与运行差异", "Value history and run diffs"),
    "asset_id": ("资产编号", "Asset id"),
    "runs": ("运行记录", "Runs"),
    "no_runs": ("暂无运行记录。", "No runs yet."),
    "diff": ("两次运行之间的差异", "Diff between two runs"),
    # libraries
    "lib_title": ("五库：标准库、规则库、指标库、模型库、案例库", "The five libraries"),
    "library": ("库", "Library"),
    "search": ("搜索", "Search"),
    "entries": ("条目", "Entries"),
    "history": ("版本历史", "Version history"),
    "edit": ("编辑（保存为新版本）", "Edit (saved as a new version)"),
    "version_note": ("版本说明", "Version note"),
    "author": ("作者", "Author"),
    "save_version": ("保存新版本", "Save new version"),
    "saved": ("已保存为第 {v} 版。", "Saved as version {v}."),
    "yaml_error": ("YAML 格式错误：{e}", "Invalid YAML: {e}"),
    "no_change": ("内容未改变，未保存新版本。", "Nothing changed: no new version saved."),
    "saving": ("正在保存…", "Saving…"),
    "rule_bench": ("规则测试台", "Rule test bench"),
    "expression": ("规则表达式", "Rule expression"),
    "test_rule": ("编译测试", "Compile"),
    "rule_ok": ("表达式可用，引用的事实：{facts}", "Expression accepted; facts used: {facts}"),
    "snapshot": ("当前库快照", "Current library snapshot"),
    "lib_standards": ("标准库", "Standards"),
    "lib_rules": ("规则库", "Rules"),
    "lib_indicators": ("指标库", "Indicators"),
    "lib_models": ("模型库", "Models"),
    "lib_cases": ("案例库", "Cases"),
    # settings
    "settings_title": ("设置", "Settings"),
    "database": ("当前数据库", "Database in use"),
    "engine_version": ("引擎版本", "Engine version"),
    "error": ("错误", "Error"),
}


def lang() -> str:
    try:
        import streamlit as st

        return st.session_state.get("lang", "zh")
    except Exception:  # pragma: no cover - outside a Streamlit run
        return "zh"


def t(key: str, **kw: Any) -> str:
    zh, en = T[key]
    s = en if lang() == "en" else zh
    return s.format(**kw) if kw else s


def _merge() -> None:
    from .i18n_pages import T_PAGES

    T.update({k: v for k, v in T_PAGES.items() if k not in T})


_merge()
