"""The revenue-sharing specification: one field table → validation and JSON Schema.

A spec (docs/sharing.md)::

    {"arrangement_id", "period"?, "currency", "distributable", "method", "surplus_method"?,
     "participants": [{"id", "name", "role", "input_cost", "costs_by_stage"?, "cost_date"?,
                       "agreed_share"?, "holder_type"?, "floor"?, "cap"?}],
     "coalition_values": [{"members": [ids], "value"}],      # v(∅) = 0
     "value_model"?: {"kind": "synergy" | "complements", ...},
     "sampling"?: {"allowed", "tolerance", "max_permutations", "seed"},
     "stage_weights"?: {stage: weight}, "cost_index"?: {"valuation_date", "annual_rate"},
     "authorised_operation"?, "public_data"?}

Every problem is collected and raised at once as :class:`ValidationError`, each issue naming
the field (``participants[2].input_cost``), the value and what is allowed, in zh and en.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import Issue, ValidationError

__all__ = ["ShareSpec", "parse_spec", "json_schema", "METHODS", "GAME_METHODS", "HOLDER_TYPES",
           "STAGES", "MAX_PARTICIPANTS"]

METHODS = ("cost_share", "agreement", "shapley", "banzhaf", "least_core", "nucleolus", "hybrid")
GAME_METHODS = ("shapley", "banzhaf", "least_core", "nucleolus")
HOLDER_TYPES = ("enterprise", "soe", "administrative", "public_institution")
#: links named by 大财资〔2025〕325号 item 16 and 湘政办发〔2024〕40号 item 6
STAGES = ("production", "collection", "processing", "circulation", "application")
VALUE_MODELS = ("synergy", "complements")
MAX_PARTICIPANTS = 1000          # bounded work per request (sampling beyond 20)
MAX_MONEY = 1e13                 # 10 trillion: amounts in cents (≤ 1e15) stay exact in float64
_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")

# top-level fields: name → (kind, required, zh, en)
TOP = {
    "arrangement_id": ("id", True, "分配安排编号", "Arrangement id"),
    "period": ("str", False, "分配期间", "Period (e.g. 2025 or 2025-Q4)"),
    "currency": ("str", False, "币种", "Currency"),
    "distributable": ("money", True, "可分配收益", "Distributable amount"),
    "method": ("method", True, "分配方法", "Method"),
    "surplus_method": ("game", False, "盈余分配方法（混合法）", "Surplus method (hybrid)"),
    "participants": ("participants", True, "参与方", "Participants"),
    "coalition_values": ("coalitions", False, "联盟价值 v(S)", "Coalition values v(S)"),
    "value_model": ("object", False, "联盟价值模型", "Value model"),
    "sampling": ("object", False, "抽样设置", "Sampling settings"),
    "stage_weights": ("object", False, "环节权重", "Stage weights"),
    "cost_index": ("object", False, "成本指数调整", "Cost indexation"),
    "authorised_operation": ("bool", False, "是否授权运营", "Authorised operation"),
    "public_data": ("bool", False, "是否公共数据", "Public data"),
}
PART = {
    "id": ("id", True, "参与方编号", "Participant id"),
    "name": ("str", True, "名称", "Name"),
    "role": ("str", True, "角色/环节", "Role or stage"),
    "input_cost": ("money", True, "投入成本", "Input cost"),
    "costs_by_stage": ("object", False, "分环节投入成本", "Input cost by stage"),
    "cost_date": ("date", False, "成本发生日期", "Cost date"),
    "agreed_share": ("fraction", False, "约定分成比例", "Agreed share"),
    "holder_type": ("holder", False, "主体类型", "Holder type"),
    "floor": ("money", False, "保底金额", "Floor"),
    "cap": ("money", False, "封顶金额", "Cap"),
}


@dataclass(frozen=True)
class ShareSpec:
    """A validated spec as aligned arrays (participants in the order given)."""

    arrangement_id: str
    period: str
    currency: str
    distributable: float
    method: str
    surplus_method: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    roles: tuple[str, ...]
    holder_types: tuple[str, ...]
    input_cost: np.ndarray
    agreed_share: np.ndarray          # NaN where not given
    floor: np.ndarray                 # NaN where not given
    cap: np.ndarray                   # NaN where not given
    costs_by_stage: tuple[dict[str, float], ...]
    cost_dates: tuple[str | None, ...]
    v: np.ndarray | None              # 2**n coalition values (bitmask order) or None
    value_model: dict[str, Any] | None
    sampling: dict[str, Any]
    stage_weights: dict[str, float] | None
    cost_index: dict[str, Any] | None
    authorised_operation: bool
    public_data: bool
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)


class _Issues(list):
    def add(self, f: str, value: Any, allowed: str, zh: str, en: str) -> None:
        self.append(Issue(f, value if _plain(value) else str(value)[:80], allowed,
                          f"{f}：{zh}（允许：{allowed}）", f"{f}: {en} (allowed: {allowed})"))


def _plain(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None)))


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _check_value(iss: _Issues, f: str, kind: str, x: Any) -> None:
    if kind == "id" and not (isinstance(x, str) and _ID.match(x)):
        iss.add(f, x, "1–64 letters, digits and . _ : -", "编号无效", "is not a valid id")
    elif kind == "str" and not isinstance(x, str):
        iss.add(f, x, "text", "必须是文本", "must be text")
    elif kind == "money" and not (_num(x) and 0 <= x <= MAX_MONEY):
        iss.add(f, x, f"a number in [0, {MAX_MONEY:.0e}]", "必须是非负数且不超过上限", "must be a number >= 0 within the limit")
    elif kind == "fraction" and not (_num(x) and 0 <= x <= 1):
        iss.add(f, x, "a number in [0, 1]", "必须在 0 到 1 之间", "must lie in [0, 1]")
    elif kind == "bool" and not isinstance(x, bool):
        iss.add(f, x, "true/false", "必须是 true 或 false", "must be true or false")
    elif kind == "object" and not isinstance(x, Mapping):
        iss.add(f, x, "an object", "必须是对象", "must be an object")
    elif kind == "method" and x not in METHODS:
        iss.add(f, x, ", ".join(METHODS), "不是已知的分配方法", "is not a known method")
    elif kind == "game" and x not in GAME_METHODS:
        iss.add(f, x, ", ".join(GAME_METHODS), "不是博弈分配方法", "is not a game method")
    elif kind == "holder" and x not in HOLDER_TYPES:
        iss.add(f, x, ", ".join(HOLDER_TYPES), "不是已知的主体类型", "is not a known holder type")
    elif kind == "date":
        try:
            _dt.date.fromisoformat(str(x))
        except ValueError:
            iss.add(f, x, "YYYY-MM-DD", "不是有效日期", "is not a valid date")


def _fields(iss: _Issues, where: str, d: Mapping[str, Any], table: Mapping[str, tuple]) -> None:
    for k in d:
        if k not in table:
            iss.add(f"{where}{k}", k, ", ".join(table), "是未知字段", "is an unknown field")
    for k, (kind, req, _zh, _en) in table.items():
        if k not in d or d[k] is None:
            if req:
                iss.add(f"{where}{k}", None, "required", "缺失（必填）", "is missing (required)")
            continue
        if kind not in ("participants", "coalitions"):
            _check_value(iss, f"{where}{k}", kind, d[k])


def _participants(iss: _Issues, ps: Any) -> list[Mapping[str, Any]]:
    if not isinstance(ps, list) or not ps:
        iss.add("participants", type(ps).__name__, "a non-empty list of participants", "必须是非空列表",
                "must be a non-empty list")
        return []
    if len(ps) > MAX_PARTICIPANTS:
        iss.add("participants", len(ps), f"<= {MAX_PARTICIPANTS}", "参与方过多", "has too many participants")
        return []
    seen: dict[str, int] = {}
    good = []
    for i, p in enumerate(ps):
        if not isinstance(p, Mapping):
            iss.add(f"participants[{i}]", p, "an object", "必须是对象", "must be an object")
            continue
        _fields(iss, f"participants[{i}].", p, PART)
        pid = p.get("id")
        if isinstance(pid, str):
            if pid in seen:
                iss.add(f"participants[{i}].id", pid, "unique ids", f"与 participants[{seen[pid]}] 重复",
                        f"duplicates participants[{seen[pid]}]")
            seen.setdefault(pid, i)
        for s, amt in (p.get("costs_by_stage") or {}).items() if isinstance(p.get("costs_by_stage"), Mapping) else ():
            if s not in STAGES:
                iss.add(f"participants[{i}].costs_by_stage.{s}", s, ", ".join(STAGES), "不是已知环节", "is not a known stage")
            _check_value(iss, f"participants[{i}].costs_by_stage.{s}", "money", amt)
        fl, cp = p.get("floor"), p.get("cap")
        if _num(fl) and _num(cp) and fl > cp:
            iss.add(f"participants[{i}].floor", fl, f"<= cap ({cp})", "保底金额高于封顶金额", "exceeds the cap")
        good.append(p)
    return good


def _coalitions(iss: _Issues, cv: Any, ids: list[str]) -> np.ndarray | None:
    """The bitmask array v, or None (issues added) when incomplete or invalid."""
    n = len(ids)
    if not isinstance(cv, list):
        iss.add("coalition_values", type(cv).__name__, "a list of {members, value}", "必须是列表", "must be a list")
        return None
    if n > 20:
        iss.add("coalition_values", n, "a value_model for more than 20 participants",
                "超过 20 个参与方时不能逐一列出联盟价值", "cannot list every coalition of more than 20 participants")
        return None
    pos = {p: j for j, p in enumerate(ids)}
    v = np.full(2 ** n, np.nan)
    v[0] = 0.0
    ok = True
    for k, c in enumerate(cv):
        f = f"coalition_values[{k}]"
        if not isinstance(c, Mapping) or set(c) - {"members", "value"}:
            iss.add(f, c, "{members: [ids], value}", "格式错误", "is malformed")
            ok = False
            continue
        mem, val = c.get("members"), c.get("value")
        if not isinstance(mem, list) or not mem or any(m not in pos for m in mem) or len(set(mem)) != len(mem):
            iss.add(f"{f}.members", mem, "distinct participant ids", "成员必须是不重复的参与方编号",
                    "must be distinct participant ids")
            ok = False
            continue
        if not (_num(val) and 0 <= val <= MAX_MONEY):
            iss.add(f"{f}.value", val, f"a number in [0, {MAX_MONEY:.0e}]", "联盟价值必须是非负数", "must be a number >= 0")
            ok = False
            continue
        m = sum(1 << pos[x] for x in mem)
        if not np.isnan(v[m]):
            iss.add(f"{f}.members", mem, "each coalition once", "联盟重复给出", "repeats a coalition")
            ok = False
        v[m] = float(val)
    missing = np.flatnonzero(np.isnan(v))
    if len(missing) and ok:
        eg = [[ids[j] for j in range(n) if (int(m) >> j) & 1] for m in missing[:3]]
        iss.add("coalition_values", f"{len(missing)} missing, e.g. {eg}",
                f"all {2 ** n - 1} non-empty coalitions (or a value_model)",
                f"缺少 {len(missing)} 个联盟的价值", f"{len(missing)} coalition(s) have no value")
        return None
    return v if ok else None


def _sampling(iss: _Issues, samp: Mapping[str, Any]) -> None:
    for k, x in samp.items():
        f = f"sampling.{k}"
        if k == "allowed":
            _check_value(iss, f, "bool", x)
        elif k == "tolerance" and not (_num(x) and 0 < x <= MAX_MONEY):
            iss.add(f, x, "a number > 0 (largest standard error, in money)", "必须为正数", "must be a number > 0")
        elif k in ("max_permutations", "seed") and not (isinstance(x, int) and not isinstance(x, bool)
                                                        and 0 <= x <= 10 ** 7 and (k == "seed" or x >= 2)):
            iss.add(f, x, "an integer in [2, 10000000]" if k != "seed" else "an integer in [0, 10000000]",
                    "必须是有效整数", "must be a valid integer")
        elif k not in ("allowed", "tolerance", "max_permutations", "seed"):
            iss.add(f, k, "allowed, tolerance, max_permutations, seed", "是未知字段", "is an unknown field")


def parse_spec(spec: Any, *, exact_max_n: int = 20) -> ShareSpec:
    """Validate ``spec`` and return a :class:`ShareSpec`; raises ValidationError listing every
    problem."""
    iss = _Issues()
    if not isinstance(spec, Mapping):
        iss.add("spec", type(spec).__name__, "a JSON object", "必须是 JSON 对象", "must be a JSON object")
        raise ValidationError(iss)
    _fields(iss, "", spec, TOP)
    ps = _participants(iss, spec.get("participants"))
    ids = [p.get("id") for p in ps]
    method = spec.get("method")
    game = method in GAME_METHODS or (method == "hybrid")
    vm = spec.get("value_model")
    v = None
    if game and vm is None and spec.get("coalition_values") is None:
        iss.add("coalition_values", None, "all non-empty coalitions, or a value_model",
                f"方法 {method} 需要联盟价值", f"method {method} needs the coalition values")
    elif spec.get("coalition_values") is not None and ps and all(isinstance(i, str) for i in ids) \
            and len(set(ids)) == len(ids):
        v = _coalitions(iss, spec["coalition_values"], ids)   # also the core check of other methods
    if isinstance(vm, Mapping) and vm.get("kind") not in VALUE_MODELS:
        iss.add("value_model.kind", vm.get("kind"), ", ".join(VALUE_MODELS), "不是已知的价值模型",
                "is not a known value model")
    samp = dict(spec.get("sampling") or {}) if isinstance(spec.get("sampling"), Mapping) else {}
    _sampling(iss, samp)
    if game and method in ("shapley", "hybrid") and len(ps) > exact_max_n and not samp.get("allowed"):
        iss.add("sampling.allowed", samp.get("allowed"), f"true when more than {exact_max_n} participants",
                f"{len(ps)} 个参与方超过精确计算上限 {exact_max_n}，须允许抽样",
                f"{len(ps)} participants exceed the exact limit of {exact_max_n}; allow sampling")
    if method == "hybrid" and spec.get("surplus_method") is None:
        iss.add("surplus_method", None, ", ".join(GAME_METHODS), "混合法须指定盈余分配方法",
                "the hybrid method needs a surplus method")
    sw = spec.get("stage_weights")
    if isinstance(sw, Mapping):
        for s, w in sw.items():
            if s not in STAGES or not (_num(w) and w >= 0):
                iss.add(f"stage_weights.{s}", w, f"stages {', '.join(STAGES)} with weights >= 0",
                        "环节或权重无效", "is not a known stage with a weight >= 0")
    ci = spec.get("cost_index")
    if isinstance(ci, Mapping):
        _check_value(iss, "cost_index.valuation_date", "date", ci.get("valuation_date"))
        r = ci.get("annual_rate")
        if not (_num(r) and -0.5 < r < 1):
            iss.add("cost_index.annual_rate", r, "a number in (-0.5, 1)", "年指数变动率无效", "is not a usable annual rate")
    if iss:
        raise ValidationError(iss)
    return _build(spec, ps, v, samp)


def _arr(ps: list[Mapping[str, Any]], k: str) -> np.ndarray:
    return np.array([float(p[k]) if p.get(k) is not None else np.nan for p in ps], dtype=float)


def _build(spec: Mapping[str, Any], ps: list[Mapping[str, Any]], v: np.ndarray | None,
           samp: dict[str, Any]) -> ShareSpec:
    return ShareSpec(
        arrangement_id=spec["arrangement_id"], period=str(spec.get("period") or ""),
        currency=str(spec.get("currency") or "CNY"), distributable=float(spec["distributable"]),
        method=spec["method"], surplus_method=str(spec.get("surplus_method") or ""),
        ids=tuple(p["id"] for p in ps), names=tuple(p["name"] for p in ps),
        roles=tuple(p["role"] for p in ps),
        holder_types=tuple(p.get("holder_type") or "enterprise" for p in ps),
        input_cost=_arr(ps, "input_cost"), agreed_share=_arr(ps, "agreed_share"),
        floor=_arr(ps, "floor"), cap=_arr(ps, "cap"),
        costs_by_stage=tuple({k: float(x) for k, x in (p.get("costs_by_stage") or {}).items()} for p in ps),
        cost_dates=tuple(p.get("cost_date") for p in ps), v=v,
        value_model=dict(spec["value_model"]) if spec.get("value_model") else None,
        sampling=samp, stage_weights=dict(spec["stage_weights"]) if spec.get("stage_weights") else None,
        cost_index=dict(spec["cost_index"]) if spec.get("cost_index") else None,
        authorised_operation=bool(spec.get("authorised_operation", False)),
        public_data=bool(spec.get("public_data", False)), raw=dict(spec))


def json_schema(lang: str = "en") -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the spec, from the same field tables."""
    zh = lang == "zh"

    def prop(kind: str, zh_t: str, en_t: str) -> dict[str, Any]:
        t = {"id": {"type": "string", "pattern": _ID.pattern}, "str": {"type": "string"},
             "money": {"type": "number", "minimum": 0, "maximum": MAX_MONEY}, "fraction": {"type": "number", "minimum": 0, "maximum": 1},
             "bool": {"type": "boolean"}, "object": {"type": "object"}, "date": {"type": "string", "format": "date"},
             "method": {"enum": list(METHODS)}, "game": {"enum": list(GAME_METHODS)},
             "holder": {"enum": list(HOLDER_TYPES)}}.get(kind, {})
        return {**t, "title": zh_t if zh else en_t}

    part = {"type": "object", "additionalProperties": False,
            "required": [k for k, v in PART.items() if v[1]],
            "properties": {k: prop(v[0], v[2], v[3]) for k, v in PART.items()}}
    part["properties"]["costs_by_stage"] = {"type": "object", "title": PART["costs_by_stage"][2 if zh else 3],
                                            "propertyNames": {"enum": list(STAGES)},
                                            "additionalProperties": {"type": "number", "minimum": 0}}
    props = {k: prop(v[0], v[2], v[3]) for k, v in TOP.items()}
    props["participants"] = {"type": "array", "minItems": 1, "maxItems": MAX_PARTICIPANTS, "items": part,
                             "title": TOP["participants"][2 if zh else 3]}
    props["coalition_values"] = {
        "type": "array", "title": TOP["coalition_values"][2 if zh else 3],
        "description": "v(∅) = 0; game methods need every non-empty coalition unless value_model is given",
        "items": {"type": "object", "required": ["members", "value"], "additionalProperties": False,
                  "properties": {"members": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                 "value": {"type": "number", "minimum": 0, "maximum": MAX_MONEY}}}}
    props["value_model"]["properties"] = {"kind": {"enum": list(VALUE_MODELS)}}
    props["sampling"]["properties"] = {
        "allowed": {"type": "boolean"},
        "tolerance": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MONEY},
        "max_permutations": {"type": "integer", "minimum": 2, "maximum": 10 ** 7},
        "seed": {"type": "integer", "minimum": 0, "maximum": 10 ** 7}}
    props["sampling"]["additionalProperties"] = False
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://data-asset-valuation.example/schema/share.json",
            "title": "Revenue sharing specification / 收益分配安排",
            "type": "object", "additionalProperties": False,
            "required": [k for k, v in TOP.items() if v[1]], "properties": props}
