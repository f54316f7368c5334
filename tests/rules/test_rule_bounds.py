"""Issue 18, rules: message templates are checked when a rule is saved (bare fact/param names,
bounded widths and precisions) and numeric literals are bounded in the compiler — clear
refusals, never tracebacks, and nothing unsafe stored."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from valuation import api
from valuation.cli import app
from valuation.core.errors import RuleCompileError, ValidationError
from valuation.rules.engine import Rule, _fill, load_seed_rules
from valuation.rules.templates import MAX_LITERAL, MAX_PRECISION, MAX_WIDTH

RUN = CliRunner()
BASE = next(r for r in load_seed_rules() if r["id"] == "HIGH_PREMIUM")


@pytest.mark.parametrize("template,why", [
    ("{premium_ratio:100000000}", "format width 100,000,000 exceeds the limit of 40"),
    ("{premium_ratio:>41}", "format width 41 exceeds the limit of 40"),
    ("{premium_ratio:.13f}", "format precision 13 exceeds the limit of 12"),
    ("{premium_ratio:,.500%}", "format precision 500"),
    ("{premium_ratio.__class__}", "must be a bare fact or parameter name"),
    ("{premium_ratio[0]}", "must be a bare fact or parameter name"),
    ("{premium_ratio:{threshold}}", "nested placeholders"),
    ("{0}", "must be a bare fact or parameter name"),
    ("{premium_ratio:%Y-%m}", "is not a standard format spec"),
])
def test_unsafe_message_templates_are_refused_when_saved(template, why, tmp_path):
    with pytest.raises(ValidationError) as ei:
        Rule.from_dict({**BASE, "message_en": template})
    assert why in ei.value.message_en
    issue = ei.value.issues[0]
    assert issue.field.endswith("message_en") and str(MAX_WIDTH) in issue.allowed
    # through the store's validator: refused, nothing written
    store = api.open_library(f"sqlite:///{tmp_path / 'r.db'}", init=True)
    before = len(store.history("rules", "HIGH_PREMIUM"))
    with pytest.raises(ValidationError):
        store.put("rules", "HIGH_PREMIUM", {**BASE, "message_en": template}, author="t", note="x",
                  base_version=before)
    assert len(store.history("rules", "HIGH_PREMIUM")) == before


def test_bounded_templates_at_the_limits_are_accepted():
    r = Rule.from_dict({**BASE, "message_en": f"{{premium_ratio:>{MAX_WIDTH}.{MAX_PRECISION}f}} {{threshold:,.0%}}"})
    assert r.message_en.startswith("{premium_ratio:>40.12f}")


def test_a_rule_stored_before_the_check_is_filled_without_its_unbounded_spec():
    assert _fill("premium {x:100000000} / {x:.2f}", {"x": 1.5}) == "premium 1.5 / 1.50"


@pytest.mark.parametrize("expr", ["premium_ratio > " + "9" * 310, "premium_ratio > 1e999",
                                  "premium_ratio > -1e16", "premium_ratio in (1, " + "9" * 400 + ")"])
def test_numeric_literals_out_of_range_are_refused_with_a_reason(expr):
    with pytest.raises(RuleCompileError) as ei:
        api.test_rule(expr)
    assert "out of range" in ei.value.message_en and "范围" in ei.value.message_zh
    r = RUN.invoke(app, ["rules", "test", expr])
    assert r.exit_code == 2 and "out of range" in r.output


def test_literals_and_params_within_range_compile():
    assert api.test_rule(f"premium_ratio > {MAX_LITERAL:.0f}") == ["premium_ratio"]
    assert api.test_rule("premium_ratio > t", {"t": -MAX_LITERAL}) == ["premium_ratio"]
    with pytest.raises(RuleCompileError, match="parameter t"):
        api.test_rule("premium_ratio > t", {"t": 10 ** 400})
    with pytest.raises(RuleCompileError, match="parameter t"):
        api.test_rule("premium_ratio > t", {"t": float("inf")})


def test_rules_test_params_go_through_the_input_gate():
    r = RUN.invoke(app, ["rules", "test", "premium_ratio > t", "--params", '{"t": 1, "t": 2}'])
    assert r.exit_code == 2 and "key given twice" in r.output
