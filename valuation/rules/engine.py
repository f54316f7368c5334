"""Rules as data (DESIGN.md §7): validation when saved, vectorised evaluation, flags.

A rule: ``id``, ``severity`` (info | warning | blocker), ``condition`` (an expression over the
declared facts and the rule's ``params``), ``message_zh`` / ``message_en`` templates filled
with the triggering values, ``references`` (standard ids). A blocker keeps a result from
being presented as final.
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import yaml

from ..core.errors import Issue, RuleCompileError, ValidationError
from .compiler import CompiledExpr, compile_expr
from .facts import FACTS, fact_types

__all__ = ["Rule", "RuleSet", "compile_rules", "validate_rule", "flags_for", "is_final",
           "load_seed_rules", "SEVERITIES", "check_expression"]

SEVERITIES = ("info", "warning", "blocker")
SEED_FILE = Path(__file__).resolve().parents[1] / "library" / "seed" / "rules.yaml"


def _template_fields(t: str) -> set[str]:
    out = set()
    for _, name, _, _ in string.Formatter().parse(t):
        if name:
            out.add(name.split(".")[0].split("[")[0])
    return out


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    condition: str
    message_zh: str
    message_en: str
    references: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    title_zh: str = ""
    title_en: str = ""
    compiled: CompiledExpr | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Rule":
        issues = []
        where = f"rules[{d.get('id', '?')}]"

        def bad(f: str, v: Any, allowed: str, zh: str, en: str) -> None:
            issues.append(Issue(f"{where}.{f}", v, allowed, f"规则 {d.get('id')}：{zh}", f"rule {d.get('id')}: {en}"))

        if not isinstance(d, Mapping):
            raise ValidationError([Issue("rule", str(d), "a mapping", "规则必须是映射", "a rule must be a mapping")])
        known = {"id", "severity", "condition", "message_zh", "message_en", "references", "params",
                 "title_zh", "title_en", "status", "description_zh", "description_en"}
        for k in d:
            if k not in known:
                bad(k, d[k], ", ".join(sorted(known)), f"未知字段 {k}", f"unknown field {k}")
        rid = d.get("id")
        if not isinstance(rid, str) or not rid.replace("_", "").isalnum():
            bad("id", rid, "A–Z, 0–9 and _", "编号只能含字母、数字和下划线", "id may only hold letters, digits and _")
        sev = d.get("severity")
        if sev not in SEVERITIES:
            bad("severity", sev, ", ".join(SEVERITIES), "级别无效", "invalid severity")
        for f in ("message_zh", "message_en", "condition"):
            if not isinstance(d.get(f), str) or not d.get(f, "").strip():
                bad(f, d.get(f), "non-empty text", "不能为空", "must not be empty")
        refs = d.get("references")
        if not isinstance(refs, (list, tuple)) or not refs or not all(isinstance(r, str) for r in refs):
            bad("references", refs, "a non-empty list of standard ids", "必须引用至少一条标准条款",
                "must cite at least one standard clause")
        params = d.get("params") or {}
        if not isinstance(params, Mapping):
            bad("params", params, "a mapping", "参数必须是映射", "params must be a mapping")
            params = {}
        if issues:
            raise ValidationError(issues)
        compiled = compile_expr(d["condition"], fact_types(), params)
        for f in ("message_zh", "message_en"):
            unknown = _template_fields(d[f]) - set(FACTS) - set(params)
            if unknown:
                raise ValidationError([Issue(f"{where}.{f}", sorted(unknown), "declared facts or params",
                                             f"规则 {rid}：消息模板引用了未知名称 {sorted(unknown)}",
                                             f"rule {rid}: the message template names unknown values {sorted(unknown)}")])
        return cls(rid, sev, d["condition"], d["message_zh"], d["message_en"], tuple(refs), dict(params),
                   d.get("title_zh", ""), d.get("title_en", ""), compiled)


def validate_rule(content: Mapping[str, Any]) -> None:
    """Store validator for the rules library: compile, or raise with the reason."""
    Rule.from_dict(content)


def check_expression(expr: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """Compile an expression; returns the facts it reads, or raises RuleCompileError."""
    return sorted(compile_expr(expr, fact_types(), params).names)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def evaluate(self, facts: pd.DataFrame) -> pd.DataFrame:
        """Hits as a long frame (asset_id, code, severity), vectorised per rule.

        Only the facts the rules read are materialised; codes and severities are categorical
        so a million assets × 30 rules stays in seconds."""
        used = set().union(*(r.compiled.names for r in self.rules if r.compiled)) if self.rules else set()
        env = {c: facts[c].to_numpy() for c in used if c in facts.columns}
        n = len(facts)
        pos, which = [], []
        for k, r in enumerate(self.rules):
            assert r.compiled is not None
            hit = np.flatnonzero(r.compiled(env, n))
            if len(hit):
                pos.append(hit)
                which.append(np.full(len(hit), k, dtype=np.int32))
        codes = [r.id for r in self.rules]
        if not pos:
            return pd.DataFrame({"asset_id": pd.Series([], dtype=object),
                                 "code": pd.Categorical([], categories=codes),
                                 "severity": pd.Categorical([], categories=list(SEVERITIES))})
        p = np.concatenate(pos)
        w = np.concatenate(which)
        sev_of = np.array([SEVERITIES.index(r.severity) for r in self.rules], dtype=np.int8)
        return pd.DataFrame({"asset_id": facts.index.take(p),
                             "code": pd.Categorical.from_codes(w, categories=codes),
                             "severity": pd.Categorical.from_codes(sev_of[w], categories=list(SEVERITIES))})

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def compile_rules(rules: Iterable[Mapping[str, Any]]) -> RuleSet:
    out = []
    for d in rules:
        if (d.get("status") or "active") != "active":
            continue
        out.append(Rule.from_dict(d))
    return RuleSet(tuple(out))


def _plain_fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill a message template; a value that does not fit its format (e.g. missing) is shown
    as text rather than failing."""
    out = []
    for lit, name, spec, conv in string.Formatter().parse(template):
        out.append(lit)
        if name is None:
            continue
        v = values.get(name, "—")
        try:
            out.append(format(v, spec or ""))
        except (ValueError, TypeError):
            out.append(str(v))
    return "".join(out)


def flags_for(facts: pd.DataFrame, hits: pd.DataFrame, ruleset: RuleSet) -> dict[str, list[dict[str, Any]]]:
    """Flags per asset: code, severity, title, bilingual message with the triggering values,
    references and the facts used."""
    rules = ruleset.by_id()
    out: dict[str, list[dict[str, Any]]] = {}
    if not len(hits):
        return out
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    for aid, code, sev in zip(hits["asset_id"], hits["code"].astype(str), hits["severity"].astype(str)):
        r = rules[code]
        row = facts.loc[aid]
        used = sorted(r.compiled.names) if r.compiled else []
        values = {k: row[k] for k in row.index}
        values.update(r.params)
        out.setdefault(aid, []).append({
            "code": code, "severity": sev, "title_zh": r.title_zh, "title_en": r.title_en,
            "message_zh": _plain_fill(r.message_zh, values), "message_en": _plain_fill(r.message_en, values),
            "message": _plain_fill(r.message_zh, values),
            "references": list(r.references),
            "values": {k: (None if isinstance(row[k], float) and math.isnan(row[k]) else
                           (row[k].item() if isinstance(row[k], np.generic) else row[k])) for k in used},
        })
    for aid in out:
        out[aid].sort(key=lambda f: order[f["severity"]])
    return out


def is_final(flags: Iterable[Mapping[str, Any]]) -> bool:
    """A result may be presented as final only when no blocker flag is raised."""
    return not any(f.get("severity") == "blocker" for f in flags)


def load_seed_rules(path: Path | None = None) -> list[dict[str, Any]]:
    data = yaml.safe_load((path or SEED_FILE).read_text(encoding="utf-8"))
    return list(data or [])
