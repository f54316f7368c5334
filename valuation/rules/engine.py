"""Rules as data (docs/DESIGN.md §7): validation when saved, vectorised evaluation, flags.

A rule is a mapping::

    id: HIGH_PREMIUM                      # letters, digits and _
    severity: warning                     # info | warning | blocker
    condition: premium_ratio >= threshold # expression over declared facts and params
    params: {threshold: 1.0}              # thresholds are data, named in the condition
    title_zh: 高溢价
    title_en: High premium
    message_zh: "增值率 {premium_ratio:.0%} ≥ {threshold:.0%}"   # filled with the values
    message_en: "appreciation {premium_ratio:.0%} ≥ {threshold:.0%}"
    references: [EXCH.premium100, MOF2024-167]                   # standard ids, at least one
    status: active                        # optional; draft / retired rules are skipped
    applies_to: {holder_types: [soe]}     # optional; whom the rule binds (rules/applicability.py)

It is validated when built or saved (:func:`validate_rule`): the condition compiles through the
whitelisted compiler, the severity is known, both messages are present and their placeholders
name declared facts or params with a usable format, and at least one standard is cited.
A **blocker** keeps a result from being presented as final (:func:`is_final`).
"""
from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..core.errors import Issue, ValidationError
from .applicability import APPLIES_FACTS, _Equal, applies_mask, check_applies_to
from .compiler import CompiledExpr, compile_expr
from .facts import FACTS, fact_types
from .runtime import _missing
from .templates import MAX_PRECISION, MAX_WIDTH, name_problem, safe_spec, spec_problem

__all__ = ["Rule", "RuleSet", "Hits", "compile_rules", "validate_rule", "flags_for", "is_final",
           "load_seed_rules", "seed_ruleset", "SEVERITIES", "check_expression", "SEED_FILE"]

SEVERITIES = ("info", "warning", "blocker")
_TYPES = fact_types()
SEED_FILE = Path(__file__).resolve().parents[1] / "library" / "seed" / "rules.yaml"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_REF = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
KNOWN_KEYS = frozenset({"id", "severity", "condition", "message_zh", "message_en", "references", "params",
                        "title_zh", "title_en", "status", "description_zh", "description_en",
                        "effective_from", "note", "applies_to"})


def _template_fields(t: str) -> list[tuple[str, str]]:
    """(name, format spec) of each placeholder; raises ValueError on a malformed template."""
    out = []
    for _, name, spec, _ in string.Formatter().parse(t):
        if name is not None:
            out.append((name, spec or ""))
    return out


def _sample(kind: str) -> Any:
    return {"number": 1.0, "bool": True, "category": "x"}.get(kind, 1.0)


@dataclass(frozen=True)
class Rule:
    """One validated rule; build it with :meth:`from_dict` (never directly from user text)."""

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
    applies_to: Mapping[str, Any] | None = None

    @property
    def names(self) -> frozenset[str]:
        """Facts read by the condition."""
        return self.compiled.names if self.compiled is not None else frozenset()

    @property
    def message_facts(self) -> tuple[str, ...]:
        """Facts named in either message (shown with the flag)."""
        out: list[str] = []
        for t in (self.message_zh, self.message_en):
            for name, _ in _template_fields(t):
                if name in FACTS and name not in out:
                    out.append(name)
        return tuple(out)

    @cached_property
    def shown_facts(self) -> tuple[str, ...]:
        """Facts given with a flag: those the condition reads (sorted), then those the
        messages show."""
        return tuple(dict.fromkeys(sorted(self.names) + list(self.message_facts)))

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "severity": self.severity, "title_zh": self.title_zh, "title_en": self.title_en,
               "condition": self.condition, "params": dict(self.params), "message_zh": self.message_zh,
               "message_en": self.message_en, "references": list(self.references)}
        if self.applies_to:
            out["applies_to"] = dict(self.applies_to)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rule:
        """Validate and compile. Raises ValidationError listing every problem of the fields,
        or RuleCompileError with the reason the condition is refused."""
        if not isinstance(d, Mapping):
            raise ValidationError([Issue("rule", str(d)[:80], "a mapping", "规则必须是映射（键值对）",
                                         "a rule must be a mapping")])
        issues: list[Issue] = []
        rid = d.get("id")
        where = f"rules[{rid if isinstance(rid, str) else '?'}]"

        def bad(f: str, v: Any, allowed: str, zh: str, en: str) -> None:
            issues.append(Issue(f"{where}.{f}", v, allowed, f"规则 {rid}：{f} {zh}（允许：{allowed}）",
                                f"rule {rid}: {f} {en} (allowed: {allowed})"))

        for k in d:
            if k not in KNOWN_KEYS:
                bad(str(k), d[k], ", ".join(sorted(KNOWN_KEYS)), "是未知字段", "is an unknown field")
        if not isinstance(rid, str) or not _ID.match(rid):
            bad("id", rid, "a letter then letters, digits or _ (≤ 64)", "无效", "is invalid")
        sev = d.get("severity")
        if sev not in SEVERITIES:
            bad("severity", sev, ", ".join(SEVERITIES), "无效", "is invalid")
        for f in ("condition", "message_zh", "message_en"):
            v = d.get(f)
            if not isinstance(v, str) or not v.strip():
                bad(f, v, "non-empty text", "不能为空", "must not be empty")
        for f in ("title_zh", "title_en"):
            if d.get(f) is not None and not isinstance(d.get(f), str):
                bad(f, d.get(f), "text", "必须是文本", "must be text")
        refs = d.get("references")
        if not isinstance(refs, (list, tuple)) or not refs or not all(isinstance(r, str) and _REF.match(r)
                                                                     for r in refs):
            bad("references", refs, "a non-empty list of standard ids such as CAS2023.art21",
                "必须引用至少一条标准条款", "must cite at least one standard clause")
        status = d.get("status", "active")
        if status not in ("active", "draft", "retired"):
            bad("status", status, "active, draft, retired", "无效", "is invalid")
        if d.get("applies_to") is not None:
            issues += check_applies_to(d["applies_to"], f"{where}.applies_to")
        params = d.get("params") or {}
        if not isinstance(params, Mapping):
            bad("params", params, "a mapping name → number/text/list", "必须是映射", "must be a mapping")
            params = {}
        if issues:
            raise ValidationError(issues)
        compiled = compile_expr(d["condition"], fact_types(), params)
        types = fact_types()
        for f in ("message_zh", "message_en"):
            try:
                fields = _template_fields(d[f])
            except ValueError as e:
                bad(f, d[f], "a template with {name} or {name:format} placeholders", f"格式错误：{e}",
                    f"is malformed: {e}")
                continue
            for name, spec in fields:
                why = name_problem(name) or spec_problem(spec)
                if why:
                    bad(f, "{" + name + (":" + spec if spec else "") + "}",
                        f"{{fact}} or {{fact:format}}, width ≤ {MAX_WIDTH}, precision ≤ {MAX_PRECISION}",
                        why[0], why[1])
                    continue
                if name not in FACTS and name not in params:
                    bad(f, name, "declared facts or the rule's params", f"引用了未知名称 {name!r}",
                        f"names the unknown value {name!r}")
                    continue
                sample = params[name] if name in params else _sample(types[name])
                try:
                    format(sample, spec)
                except (ValueError, TypeError) as e:
                    bad(f, "{" + name + ":" + spec + "}", "a format that suits the value", f"格式无效：{e}",
                        f"has an unusable format: {e}")
        if issues:
            raise ValidationError(issues)
        return cls(rid, sev, d["condition"], d["message_zh"], d["message_en"], tuple(refs), dict(params),
                   d.get("title_zh") or "", d.get("title_en") or "", compiled, d.get("applies_to") or None)


def validate_rule(content: Mapping[str, Any]) -> None:
    """Store validator for the rules library (``store.register_validator("rules", validate_rule)``):
    returns None, or raises ValidationError / RuleCompileError with the reason."""
    Rule.from_dict(content)


def check_expression(expr: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """Compile an expression; returns the (sorted) facts it reads, or raises RuleCompileError."""
    return sorted(compile_expr(expr, fact_types(), params).names)


@dataclass(frozen=True)
class Hits:
    """Where the rules fire: one entry per (asset, rule) hit, grouped by asset row and, within
    an asset, in library order. ``rows`` are asset positions in the facts, ``rules`` rule
    positions in :attr:`RuleSet.rules` (``codes[rules]`` their ids)."""

    rows: np.ndarray
    rules: np.ndarray
    codes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def code(self) -> np.ndarray:
        """The rule id of each hit (object array)."""
        return np.asarray(self.codes, dtype=object)[self.rules] if self.codes else np.zeros(0, object)


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules, evaluated together over a facts table ``{fact: array}``."""

    rules: tuple[Rule, ...]

    @property
    def names(self) -> frozenset[str]:
        """Facts read by any rule."""
        return frozenset().union(*(r.names for r in self.rules)) if self.rules else frozenset()

    def evaluate(self, facts: Mapping[str, np.ndarray], n: int | None = None) -> Hits:
        """The hits of every rule over ``facts`` (``{fact: array of n}``), vectorised per rule.
        A fact the rules read that is absent is missing (NaN / "" / False); ``n`` defaults to
        the length of the facts' arrays."""
        if n is None:
            n = len(next(iter(facts.values()))) if facts else 0
        env = {c: np.asarray(facts[c]) if c in facts else _missing(_TYPES.get(c, "number"), n) for c in self._read}
        masks: dict[str, np.ndarray | None] = {}   # rules citing the same clause share a mask
        equal = _Equal(env)                         # (and their blocks' text comparisons)
        fired = np.zeros((len(self.rules), n), dtype=bool)     # rules × assets
        with np.errstate(all="ignore"):   # (a division by zero gives ±inf or NaN, as documented)
            for k, r in enumerate(self.rules):
                fired[k] = r.compiled.mask(env, n)   # type: ignore[union-attr]
        for k, r in enumerate(self.rules):
            key = self._applies_keys[k]
            where = masks[key] if key in masks else masks.setdefault(key, applies_mask(r.applies_to, env, n, equal))
            if where is not None:                 # (only where the clause binds the holder)
                fired[k] &= where
        which, pos = np.nonzero(fired)            # rule-major: rules in library order per asset
        order = np.argsort(pos, kind="stable")    # grouped by asset
        return Hits(pos[order].astype(np.intp), which[order].astype(np.intp), self._codes)

    # what depends on the rules only, computed once per rule set (the engine keeps one
    # compiled rule set per library snapshot)
    @cached_property
    def _read(self) -> list[str]:
        """Facts read by any rule (and by their ``applies_to``), in a fixed order."""
        extra = APPLIES_FACTS if any(r.applies_to for r in self.rules) else frozenset()
        return sorted(self.names | extra)

    @cached_property
    def facts(self) -> frozenset[str]:
        """Every fact the rule set reads or shows: its conditions' and ``applies_to``'s
        (:attr:`_read`) and those its flags give (``Rule.shown_facts``) — what
        :func:`~valuation.rules.facts.fact_arrays` needs to compute for it (``names``)."""
        return frozenset(self._read).union(*(r.shown_facts for r in self.rules))

    @cached_property
    def _applies_keys(self) -> tuple[str, ...]:
        """Each rule's ``applies_to`` as canonical text (equal blocks, one key)."""
        return tuple(json.dumps(r.applies_to, sort_keys=True, default=str) for r in self.rules)

    @cached_property
    def _codes(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def flags(self, facts: Mapping[str, np.ndarray], ids: Any) -> dict[str, list[dict[str, Any]]]:
        """Evaluate and explain in one go: ``{asset_id: [flag, ...]}`` (``ids``: the asset id
        of each facts row)."""
        ids = np.asarray(ids, dtype=object)
        return flags_for(facts, ids, self.evaluate(facts, len(ids)), self)

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def __len__(self) -> int:
        return len(self.rules)


def compile_rules(rules: Iterable[Mapping[str, Any] | Rule]) -> RuleSet:
    """Validate and compile rules (draft and retired ones are skipped); ids must be unique."""
    out: list[Rule] = []
    seen: set[str] = set()
    for d in rules:
        if isinstance(d, Rule):
            r = d
        else:
            if isinstance(d, Mapping) and (d.get("status") or "active") != "active":
                continue
            r = Rule.from_dict(d)
        if r.id in seen:
            raise ValidationError([Issue(f"rules[{r.id}].id", r.id, "unique ids", f"规则编号 {r.id} 重复",
                                         f"rule id {r.id} appears twice")])
        seen.add(r.id)
        out.append(r)
    return RuleSet(tuple(out))


# ----------------------------------------------------------------------------- flags
def _py(v: Any) -> Any:
    """Plain Python value; NaN / None → None."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


@lru_cache(maxsize=1024)
def _parsed(template: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """``string.Formatter().parse`` of a message template, parsed once per template."""
    return tuple((lit, name, spec) for lit, name, spec, _ in string.Formatter().parse(template))


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill a message template; a missing value is shown as "—" and a value that does not
    fit its format is shown as text, rather than failing."""
    out = []
    for lit, name, spec in _parsed(template):
        out.append(lit)
        if name is None:
            continue
        v = values.get(name)
        if v is None or v == "":
            out.append("—")
            continue
        try:
            out.append(format(v, safe_spec(spec)))
        except (ValueError, TypeError):
            out.append(str(v))
    return "".join(out)


@lru_cache(maxsize=1)
def seed_ruleset() -> RuleSet:
    """The seed rules as shipped (compiled once)."""
    return compile_rules(load_seed_rules())


def flags_for(facts: Mapping[str, np.ndarray], ids: Any, hits: Hits, ruleset: RuleSet | None = None
              ) -> dict[str, list[dict[str, Any]]]:
    """Flags per asset for the ``hits`` of :meth:`RuleSet.evaluate` over ``facts``
    (``{fact: array}``; ``ids`` the asset id of each row).

    Each flag: ``code``, ``severity``, ``title`` / ``title_zh`` / ``title_en``,
    ``message`` (= Chinese) / ``message_zh`` / ``message_en`` filled with the triggering values,
    ``references`` (standard ids), ``values`` (the facts read by the condition and shown in the
    messages; missing → None) and ``params`` (the rule's thresholds). Per asset, blockers come
    first, then warnings, then info; within a severity, the library order.
    ``ruleset`` defaults to the seed rules.
    """
    ruleset = ruleset or seed_ruleset()
    if not len(hits):
        return {}
    if hits.codes != ruleset._codes:
        raise ValueError("the hits come from another rule set")
    ids = np.asarray(ids, dtype=object)
    aids = ids[hits.rows]
    n = len(ids)
    out: dict[str, list[dict[str, Any]]] = {}
    cols: dict[str, list[Any]] = {}
    which = hits.rules
    for k in dict.fromkeys(which.tolist()):   # rules in order of their first hit
        r = ruleset.rules[k]
        used = r.shown_facts
        for f in used:
            if f not in cols:   # a fact's values as plain Python (missing → None), once
                cols[f] = [_py(v) for v in facts[f].tolist()] if f in facts else [None] * n
        params = dict(r.params)
        for i in np.flatnonzero(which == k).tolist():
            p = hits.rows[i]
            vals = {f: cols[f][p] for f in used}
            fill = {**vals, **params}
            mzh, men = _fill(r.message_zh, fill), _fill(r.message_en, fill)
            out.setdefault(aids[i], []).append({
                "code": r.id, "severity": r.severity, "title": r.title_zh or r.id,
                "title_zh": r.title_zh, "title_en": r.title_en,
                "message": mzh, "message_zh": mzh, "message_en": men,
                "references": list(r.references), "values": vals, "params": params})
    sev_rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    rank = {r.id: i for i, r in enumerate(ruleset.rules)}
    for aid in out:
        out[aid].sort(key=lambda f: (sev_rank[f["severity"]], rank[f["code"]]))
    return out


def is_final(flags: Iterable[Mapping[str, Any]] | Mapping[str, Iterable[Mapping[str, Any]]]) -> bool:
    """A result may be presented as final only when no blocker flag is raised.

    ``flags``: one asset's list of flags, or ``{asset_id: [flags]}`` (final when no asset has
    a blocker)."""
    if isinstance(flags, Mapping) and "severity" not in flags:
        return all(is_final(v) for v in flags.values())
    return not any(f.get("severity") == "blocker" for f in flags)  # type: ignore[union-attr]


def load_seed_rules(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The seed rules file (a YAML list of rule mappings), unvalidated."""
    data = yaml.safe_load(Path(path or SEED_FILE).read_text(encoding="utf-8"))
    if isinstance(data, Mapping):
        data = data.get("rules", [])
    return list(data or [])
