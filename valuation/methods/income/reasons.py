"""The bilingual reason of a refused income row that names its values (CAS 2023 art. 21)."""
from __future__ import annotations

from .kernel import (
    publication_rate,
    terminal_messages,
)

__all__: list[str] = []

MODEL_LABEL = {"direct": ("直接收益法", "direct income"), "split": ("分成收益法", "profit split"),
               "excess": ("超额收益法", "excess earnings"), "incremental": ("增量收益法", "incremental income"),
               "royalty": ("许可费节省法", "relief from royalty")}


def _reason(code: str, i: int, ids, model, st, ib, rb, g, rate, fc_errors, pub) -> tuple[str, str]:
    """The reason of refusal ``code`` for asset ``i`` (``ids``: the asset ids; ``model``: labels,
    None missing)."""
    aid = ids[i]
    if code == "forecast_failed":
        return (f"无法由历史收入预测未来收入：{fc_errors[aid]}",
                f"revenue could not be forecast from the history: {fc_errors[aid]}")
    if code == "missing_stream":
        m = model[i] or "?"
        lz, le = MODEL_LABEL.get(m, (m, m))
        w = st.missing_what[i]
        if w == "income.model":
            return (f"收益模型 {m!r} 不受支持（可选 direct、split、excess、incremental、royalty）",
                    f"income model {m!r} is not supported (direct, split, excess, incremental, royalty)")
        return (f"所选收益模型（{lz}）需要的数据缺失：{w}", f"the chosen income model ({le}) needs {w}, which is missing")
    if code == "basis_mismatch":
        names = {"pre_tax": ("税前", "pre-tax"), "post_tax": ("税后", "post-tax")}
        a_, b_ = names.get(ib[i], (ib[i], ib[i])), names.get(rb[i], (rb[i], rb[i]))
        en = (f"the income basis ({a_[1]}) and the discount-rate basis ({b_[1]}) differ, contrary to art. 21(6); "
              f"use a {a_[1]} rate or {b_[1]} income")
        return f"收益口径（{a_[0]}）与折现率口径（{b_[0]}）不一致，违反第二十一条第六项；请改用{a_[0]}折现率或{b_[0]}收益", en
    if code == "terminal_growth":
        gg = float(publication_rate(g[i])) if pub[i] else float(g[i])
        return terminal_messages(gg, float(rate[i]))
    return ("收益法不适用", "the income approach does not apply")


