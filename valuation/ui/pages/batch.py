"""批量重估: upload a portfolio, run with progress, read the summary as metrics and tables,
filter the results, download."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ... import api
from ...core.cells import neutralise_frame
from ...core.errors import ValuationError
from .. import fmt
from ..i18n import lang, t
from ..labels import column_label, enum_label, lang_key, pick
from ..state import EXAMPLES, MAX_UPLOAD_MB, library_arg

RESULT_KINDS = {"asset_id": "text", "status": "enum", "estimate": "money", "low": "money", "high": "money",
                "coverage": "pct", "cost_estimate": "money", "cost_weight": "pct", "income_estimate": "money",
                "income_weight": "pct", "market_estimate": "money", "market_weight": "pct",
                "max_severity": "enum", "final": "bool", "book_value": "money", "previous_value": "money",
                "change": "money", "change_ratio": "pct"}


def _result_headers() -> dict[str, str]:
    from ...core.result import METHOD_LABELS

    h = {"asset_id": t("asset_id"), "status": t("status"), "estimate": t("estimate"), "low": t("low"),
         "high": t("high"), "coverage": t("coverage"), "max_severity": t("severity"),
         "final": t("final_col"), "book_value": t("book_value"), "previous_value": t("previous_value"),
         "change": t("change"), "change_ratio": t("change_ratio")}
    for m, (zh, en) in METHOD_LABELS.items():
        name = pick(zh, en)
        h[f"{m}_estimate"] = f"{name} · {t('estimate')}"
        h[f"{m}_weight"] = f"{name} · {t('weight')}"
    return h


def results_table(res: pd.DataFrame) -> pd.DataFrame:
    out = fmt.frame(res, RESULT_KINDS, _result_headers())
    if "flags" in res:
        out.insert(min(5, len(out.columns)), t("flags_col"),
                   [", ".join(c for c in str(v).split(";") if c) if isinstance(v, str) and v else "—"
                    for v in res["flags"]])
    col = lang_key("reason")
    if col in res:
        out[t("reason")] = [str(v) if isinstance(v, str) and v else "—" for v in res[col]]
    return out


def rejects_table(rej: pd.DataFrame) -> pd.DataFrame:
    out = fmt.frame(rej, {"row": "int", "asset_id": "text", "value": "text"},
                    {"row": t("row"), "asset_id": t("asset_id"), "value": t("value")})
    if "field" in rej:
        out.insert(min(2, len(out.columns)), t("column"), [column_label(v) for v in rej["field"]])
    col = lang_key("reason")
    if col in rej:
        out[t("problem")] = [str(v) for v in rej[col]]
    return out


def summary_view(summary: dict[str, Any], res: pd.DataFrame, source: str) -> None:
    """The run as metrics and a small table (not a JSON dump)."""
    c = summary.get("counts") or {}
    st.subheader(t("batch_summary"))
    st.caption(f"{t('batch_source')}: {source}")
    cols = st.columns(6)
    for col, (key, label) in zip(cols, (("total", "assets_total"), ("valued", "assets_valued"),
                                        ("rejected", "assets_rejected"), ("failed", "assets_failed"),
                                        ("flagged", "assets_flagged"), ("screened", "assets_screened"))):
        col.metric(t(label), fmt.number(c.get(key, 0)))
    total = pd.to_numeric(res.get("estimate", pd.Series(dtype=float)), errors="coerce").sum(min_count=1)
    timings = summary.get("timings") or {}
    st.dataframe(pd.DataFrame({t("prov_item"): [t("batch_source"), t("run_id"), t("total_value"),
                                                t("only"), t("prov_library_snapshot"), t("seconds")],
                               t("value"): [source, str(summary.get("run_id", "—")), fmt.money(total),
                                            enum_label(summary.get("only", "all")),
                                            str(summary.get("snapshot_id", "—")),
                                            fmt.number(timings.get("total"), 2)]}),
                 hide_index=True, width="stretch")


#: columns of the results and rejects files that hold text as the user wrote it: read back as
#: text, so an asset id ``00042`` is not shown and downloaded as 42 (nor a refused ``007`` as 7)
_TEXT_COLUMNS = ("asset_id", "field", "value")


def _read_back(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=dict.fromkeys(_TEXT_COLUMNS, "str"), encoding="utf-8-sig", low_memory=False)


def _run(up: Any, use_example: bool, only: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if up is not None and not use_example:
            if up.size > MAX_UPLOAD_MB * 1024 * 1024:
                st.error(t("upload_too_large", mb=MAX_UPLOAD_MB))
                return
            src = Path(tmp) / Path(up.name).name
            src.write_bytes(up.getvalue())
            source = up.name
        else:
            src = EXAMPLES / "portfolio_small.xlsx"
            source = t("example_portfolio")
        out = Path(tmp) / "results.csv"
        bar = st.progress(0.0, text=t("progress"))

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(total, 1)), text=f"{t('progress')}: {done}/{total}")

        try:
            with st.spinner(t("batch_running")):
                summary = api.revalue(str(src), str(out), only=only, library=library_arg(),
                                      progress=progress)
        except ValuationError as e:
            st.error(e.message(lang()))
            return
        bar.progress(1.0, text=t("progress"))
        st.session_state["batch_results"] = _read_back(out)
        st.session_state["batch_rejects"] = _read_back(Path(str(out) + ".rejects.csv"))
        st.session_state["batch_summary"] = getattr(summary, "to_dict", lambda: summary)()
        st.session_state["batch_source"] = source


def batch_page() -> None:
    st.title(t("batch_title"))
    up = st.file_uploader(f"{t('upload_portfolio')} · {t('upload_limit_help', mb=MAX_UPLOAD_MB)}",
                          type=["csv", "xlsx", "parquet"], key="pf_upload")
    # keyed by the upload: a new file is a new, unticked box (a keyed widget ignores a changed
    # ``value=``, so the box stayed ticked and the example was revalued instead; issue 19 Why 2)
    use_example = st.checkbox(t("use_example_portfolio"), value=up is None,
                              key=f"pf_example_{up.file_id if up is not None else 'none'}")
    only = st.selectbox(t("only"), api.ONLY, format_func={o: enum_label(o) for o in api.ONLY}.get, key="pf_only")
    if st.button(t("run_batch"), type="primary", key="run_batch_btn"):
        _run(up, use_example, only)
    res = st.session_state.get("batch_results")
    if res is None:
        return
    summary_view(st.session_state.get("batch_summary") or {}, res, st.session_state.get("batch_source", "—"))
    st.subheader(t("results"))
    if "flags" in res.columns:
        codes = sorted({c for v in res["flags"].dropna() for c in str(v).split(";") if c})
        pick = st.multiselect(t("filter_flag"), codes, key="batch_flag_filter")
        if pick:
            res = res[res["flags"].fillna("").apply(lambda v: any(c in str(v).split(";") for c in pick))]
    st.dataframe(results_table(res), hide_index=True, width="stretch")
    st.download_button(t("download_results"), neutralise_frame(res).to_csv(index=False).encode("utf-8-sig"),
                       file_name="revaluation.csv", mime="text/csv", key="dl_batch")
    rej = st.session_state.get("batch_rejects")
    if rej is not None and len(rej):
        st.subheader(t("rejects"))
        st.dataframe(rejects_table(rej), hide_index=True, width="stretch")
