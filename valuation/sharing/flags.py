"""Flags of a distribution and the public-data treatment of the shares, each citing its clause.

Thresholds and the clauses each flag cites come from the models library entry
``sharing.default`` (``parameters`` and ``flags``), never from this code:

``SHARE_BELOW_COST``       amount_i < input cost_i × (1 − below_cost_tolerance)   大连 16, 湖南 6, 141号（十）
``SHARE_OUTSIDE_CORE``     max_S v(S) − x(S) > core tolerance: S would do better alone   杭州（七）, 167号（四）
``SHARE_CONCENTRATION``    max_i fraction_i > concentration_max (engineering default)
``SHARE_FRACTIONS_SUM``    agreed shares given but Σ ≠ 1 (the agreement method refuses instead)   167号（四）
``SHARE_NON_TAX_REVENUE``  an administrative unit's share is non-tax revenue to the treasury   1号（七）, 大连 17, 湖南 6
``SHARE_INSTITUTION_REVENUE``  a public institution's share follows the local finance rules   1号（七）
``SHARE_SAMPLED``          the Shapley value was estimated by sampling (with its standard error)
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.formatting import money
from .spec import ShareSpec

__all__ = ["share_flags", "public_data_block", "STATE_HOLDERS"]

#: holder types whose shares are state-owned (财资〔2024〕1号; 国有企业)
STATE_HOLDERS = ("administrative", "public_institution", "soe")

_TEXT = {
    "SHARE_BELOW_COST": ("{name}（{id}）分得 {amount_t}，低于其投入成本 {cost_t}：未体现“谁投入、谁受益”",
                         "{name} ({id}) receives {amount_t}, below its input cost {cost_t}: the input "
                         "is not recovered (who invests benefits)"),
    "SHARE_OUTSIDE_CORE": ("分配不在核中：联盟 {coalition} 单独可得 {value_t}，分得合计仅 {got_t}（超额 {excess_t}）",
                           "the allocation is outside the core: coalition {coalition} could make {value_t} "
                           "alone but receives {got_t} (excess {excess_t})"),
    "SHARE_CONCENTRATION": ("{name}（{id}）分得比例 {fraction:.1%}，超过集中度阈值 {threshold:.0%}",
                            "{name} ({id}) takes {fraction:.1%}, above the concentration threshold {threshold:.0%}"),
    "SHARE_FRACTIONS_SUM": ("约定分成比例合计 {total:.6f} ≠ 1：协议约定的比例须完整、一致",
                            "the agreed shares sum to {total:.6f}, not 1: the contractual shares are incomplete "
                            "or inconsistent"),
    "SHARE_NON_TAX_REVENUE": ("行政单位 {name}（{id}）分得 {amount_t}：按政府非税收入和国库集中收缴规定上缴同级国库",
                              "administrative unit {name} ({id}) receives {amount_t}: non-tax revenue, "
                              "remitted to the treasury at the same level"),
    "SHARE_INSTITUTION_REVENUE": ("事业单位 {name}（{id}）分得 {amount_t}：按本级财政部门规定的办法管理",
                                  "public institution {name} ({id}) receives {amount_t}: managed under the "
                                  "rules of the finance department at the same level"),
    "SHARE_SAMPLED": ("Shapley 值由 {m:,} 个随机排列抽样估计，最大标准误 {se_t}（停止规则 ≤ {tol_t}，{status}）",
                      "Shapley value estimated from {m:,} random orders; largest standard error {se_t} "
                      "(stopping rule ≤ {tol_t}, {status_en})"),
}


_MONEY = ("amount", "cost", "value", "got", "excess", "se", "tol")


def _texts(vals: Mapping[str, Any], currency: str, lang: str) -> dict[str, Any]:
    """The values with their money amounts written by :mod:`valuation.core.formatting`."""
    return {**vals, **{f"{k}_t": money(vals[k], currency, lang=lang) for k in _MONEY if k in vals}}


def _flag(code: str, cfg: Mapping[str, Any], participant: str | None, currency: str = "CNY",
          **vals: Any) -> dict[str, Any]:
    d = (cfg.get("flags") or {}).get(code) or {}
    zh, en = _TEXT[code]
    return {"code": code, "severity": d.get("severity", "warning"), "participant": participant,
            "message_zh": zh.format(**_texts(vals, currency, "zh")),
            "message_en": en.format(**_texts(vals, currency, "en")),
            "references": list(d.get("references") or ["ENG.default"]),
            "values": {k: v for k, v in vals.items() if isinstance(v, (int, float, str))}}


def share_flags(spec: ShareSpec, amounts: np.ndarray, fractions: np.ndarray, cost: np.ndarray,
                core: Mapping[str, Any], cfg: Mapping[str, Any], sampling: Mapping[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """Every flag of one distribution (see the module docstring)."""
    p = cfg["parameters"]
    out: list[dict[str, Any]] = []

    def flag(code: str, i: int | None = None, **vals: Any) -> None:
        who = {} if i is None else {"id": spec.ids[i], "name": spec.names[i]}
        out.append(_flag(code, cfg, None if i is None else spec.ids[i], spec.currency, **who, **vals))

    tol = float(p["below_cost_tolerance"])
    for i in np.flatnonzero((cost > 0) & (amounts < cost * (1 - tol) - 0.005)):
        flag("SHARE_BELOW_COST", i, amount=float(amounts[i]), cost=float(cost[i]))
    if core.get("in_core") is False:
        flag("SHARE_OUTSIDE_CORE", coalition="{" + ", ".join(core["coalition"]) + "}",
             value=float(core["coalition_value"]), got=float(core["coalition_gets"]), excess=float(core["excess"]))
    thr = float(p["concentration_max"])
    for i in np.flatnonzero(fractions > thr + 1e-12):
        flag("SHARE_CONCENTRATION", i, fraction=float(fractions[i]), threshold=thr)
    a = spec.agreed_share
    if spec.method != "agreement" and (~np.isnan(a)).any():
        tot = float(np.nansum(a))
        if np.isnan(a).any() or abs(tot - 1) > float(p["fraction_tolerance"]):
            flag("SHARE_FRACTIONS_SUM", total=tot)
    for i, h in enumerate(spec.holder_types):
        if h == "administrative" and amounts[i] > 0:
            flag("SHARE_NON_TAX_REVENUE", i, amount=float(amounts[i]))
        elif h == "public_institution" and amounts[i] > 0:
            flag("SHARE_INSTITUTION_REVENUE", i, amount=float(amounts[i]))
    if sampling:
        ok = bool(sampling["converged"])
        flag("SHARE_SAMPLED", m=int(sampling["permutations"]), se=float(sampling["max_std_error"]),
             tol=float(sampling["tolerance"]), status="已收敛" if ok else "未收敛：达到排列数上限",
             status_en="converged" if ok else "not converged: permutation limit reached")
    return out


def public_data_block(spec: ShareSpec, amounts: np.ndarray, fractions: np.ndarray) -> dict[str, Any]:
    """How the shares are held: the state-owned part (authorised operation of public data
    follows state asset management, 大连 9; 167号（四）) and, per administrative or public
    institution participant, the treasury treatment of its amount (1号（七）)."""
    ht = np.array(spec.holder_types, dtype=object)
    state = np.isin(ht, STATE_HOLDERS)
    treasury = []
    for i, h in enumerate(spec.holder_types):
        if h == "administrative":
            treasury.append({"id": spec.ids[i], "amount": float(amounts[i]), "treatment": "non_tax_revenue",
                             "treatment_zh": "政府非税收入，国库集中收缴，上缴同级国库",
                             "treatment_en": "government non-tax revenue, remitted to the treasury",
                             "references": ["MOF2024-1.7", "DL2025-325.17", "HN2024-40.6"]})
        elif h == "public_institution":
            treasury.append({"id": spec.ids[i], "amount": float(amounts[i]), "treatment": "local_finance_rules",
                             "treatment_zh": "按本级财政部门规定的具体管理办法",
                             "treatment_en": "per the rules of the finance department at the same level",
                             "references": ["MOF2024-1.7"]})
    return {"public_data": spec.public_data, "authorised_operation": spec.authorised_operation,
            "state_share": float(fractions[state].sum()), "state_amount": round(float(amounts[state].sum()), 2),
            "non_tax_revenue": round(float(amounts[ht == "administrative"].sum()), 2),
            "treasury": treasury,
            "references": ["DL2025-325.9", "MOF2024-167.4"] if spec.authorised_operation else ["MOF2024-167.4"]}
