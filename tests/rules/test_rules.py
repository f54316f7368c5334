"""Rules: the whitelisted compiler refuses everything but declared facts, literals, operators and
a few functions; every seed rule triggers and does not trigger; F8; vectorised = reference."""
import ast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from valuation.core.errors import RuleCompileError, ValidationError
from valuation.rules import build_facts, compile_rules, flags_for, is_final, load_seed_rules, check_expression
from valuation.rules.compiler import compile_expr
from valuation.rules.facts import FACTS, fact_types

SEED = load_seed_rules()
RS = compile_rules(SEED)


def facts(**kw):
    base = {k: (np.nan if t == "number" else False if t == "bool" else "") for k, (t, _, _) in FACTS.items()}
    base.update(kw)
    return pd.DataFrame({k: [v] for k, v in base.items()}, index=["A"])


def codes(**kw):
    f = facts(**kw)
    return set(RS.evaluate(f)["code"])


# one triggering and one non-triggering fact set per seed rule
CASES = {
    "HIGH_PREMIUM": ({"premium_ratio": 1.6, "estimate": 260, "book_value": 100}, {"premium_ratio": 0.99}),
    "HIGH_IMPAIRMENT": ({"impairment_ratio": 0.35}, {"impairment_ratio": 0.1, "n_impairment_indicators": 0}),
    "OVER_VALUATION": ({"declared_value": 130, "high": 120}, {"declared_value": 110, "high": 120}),
    "UNDER_VALUATION": ({"declared_value": 70, "low": 80}, {"declared_value": 90, "low": 80}),
    "BELOW_90": ({"proposed_price": 230, "estimate": 260}, {"proposed_price": 240, "estimate": 260}),
    "STALE_RESULT": ({"days_since_valuation": 400}, {"days_since_valuation": 200}),
    "METHOD_DIVERGENCE": ({"method_spread": 0.5}, {"method_spread": 0.2}),
    "INCOME_BEYOND_RIGHTS": ({"life_vs_rights": 2.0}, {"life_vs_rights": -1.0}),
    "AGGRESSIVE_ASSUMPTIONS": ({"growth": 0.5}, {"growth": 0.1, "discount_rate": 0.12}),
    "THIN_MARKET": ({"market_used": True, "n_comparables": 2}, {"market_used": True, "n_comparables": 5}),
    "QUALITY_OVER_1": ({"delta": 1.1}, {"delta": 1.1, "delta_override": True}),
    "PUBLIC_FREE_CHARGED": ({"use_category": "public_governance", "proposed_price": 10},
                            {"use_category": "industry", "proposed_price": 10}),
    "CAP_BREACH": ({"cap_ratio": 1.2}, {"cap_ratio": 0.9, "mar_ratio": 0.95}),
    "ADMIN_GUARANTEE": ({"holder_type": "administrative", "pledged": True},
                        {"holder_type": "enterprise", "pledged": True}),
    "FISCAL_INFLATION": ({"holder_type": "public_institution", "fiscal_revenue": True},
                         {"holder_type": "soe", "fiscal_revenue": True}),
    "VALUE_SWING": ({"change_since_previous": -0.6, "previous_value": 100}, {"change_since_previous": 0.2}),
}


def test_every_seed_rule_has_cases():
    assert {r["id"] for r in SEED} == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_seed_rule_triggers_and_not(code):
    yes, no = CASES[code]
    assert code in codes(**yes)
    assert code not in codes(**no)


def test_f8_high_premium_and_below_90():
    f = facts(estimate=260.0, book_value=100.0, premium_ratio=1.6, proposed_price=230.0)
    hits = RS.evaluate(f)
    assert {"HIGH_PREMIUM", "BELOW_90"} <= set(hits["code"])
    fl = flags_for(f, hits, RS)["A"]
    msg = {x["code"]: x for x in fl}
    assert "160%" in msg["HIGH_PREMIUM"]["message_zh"] and "160%" in msg["HIGH_PREMIUM"]["message_en"]
    assert "230.00" in msg["BELOW_90"]["message_en"] and "SASAC12.90pct" in msg["BELOW_90"]["references"]
    assert not is_final(fl)  # BELOW_90 is a blocker


def test_build_facts_from_assets_and_results():
    assets = pd.DataFrame({"valuation_date": pd.to_datetime(["2025-12-31"]), "book_value": [100.0],
                           "previous_value": [200.0], "proposed_price": [230.0], "declared_value": [np.nan],
                           "impairment_indicators": [""], "use_category": ["industry"], "holder_type": ["soe"],
                           "purpose": ["transfer"], "public_data": [False], "pledged": [False],
                           "fiscal_revenue": [False], "rights_renewal_documented": [False],
                           "cost_adjustment_override": [False], "income_terminal_growth": [np.nan],
                           "income_royalty_rate": [np.nan]}, index=["A"])
    res = pd.DataFrame({"estimate": [260.0], "low": [240.0], "high": [280.0]}, index=["A"])
    f = build_facts(assets, res, as_of=pd.Timestamp("2026-03-31").date())
    assert f.loc["A", "premium_ratio"] == pytest.approx(1.6)
    assert f.loc["A", "change_since_previous"] == pytest.approx(0.3)
    assert f.loc["A", "days_since_valuation"] == 90
    assert f.loc["A", "proposed_price_ratio"] == pytest.approx(230 / 260)


@pytest.mark.parametrize("expr,needle", [
    ("__import__('os')", "not whitelisted"),
    ("estimate.__class__", "Attribute"),
    ("(lambda x: x)(1) > 0", "only whitelisted functions"),
    ("lambda: 1", "Lambda"),
    ("[x for x in (1, 2)] == 1", "ListComp"),
    ("open('f') == 1", "not whitelisted"),
    ("unknown_fact > 1", "unknown fact"),
    ("premium_ratio > 'high'", "text with a number"),
    ("estimate", "true/false"),
    ("abs(x=estimate) > 1", "keyword"),
    ("f'{estimate}' == 'a'", "JoinedStr"),
    ("(y := 3) > 1", "NamedExpr"),
    ("estimate[0] > 1", "Subscript"),
    ("estimate ** 2 > 1", "Pow"),
    ("", "empty"),
    ("estimate >", "syntax"),
])
def test_compiler_refuses_with_message(expr, needle):
    with pytest.raises(RuleCompileError) as ei:
        compile_expr(expr, fact_types())
    assert needle in ei.value.message_en and ei.value.message_zh.startswith("规则表达式被拒绝")


def test_rule_validation_names_problems():
    with pytest.raises(ValidationError) as ei:
        compile_rules([{"id": "X", "severity": "fatal", "condition": "estimate > 0", "message_zh": "a",
                        "message_en": "b", "references": []}])
    fields = {i.field for i in ei.value.issues}
    assert "rules[X].severity" in fields and "rules[X].references" in fields
    with pytest.raises(ValidationError):
        compile_rules([{"id": "Y", "severity": "info", "condition": "estimate > 0", "message_zh": "{nope}",
                        "message_en": "b", "references": ["ENG.default"]}])
    assert check_expression("premium_ratio >= 1 and holder_type in ('soe',)") == ["holder_type", "premium_ratio"]


def _reference(expr: str, row: dict) -> bool:
    """Plain-Python evaluation of the simple grammar used below (comparisons joined by and/or)."""
    tree = ast.parse(expr, mode="eval").body

    def ev(n):
        if isinstance(n, ast.BoolOp):
            vals = [ev(v) for v in n.values]
            return all(vals) if isinstance(n.op, ast.And) else any(vals)
        if isinstance(n, ast.Compare):
            left = ev(n.left)
            right = ev(n.comparators[0])
            if left != left or right != right:
                return False
            return {ast.Gt: left > right, ast.Lt: left < right, ast.GtE: left >= right, ast.LtE: left <= right}[type(n.ops[0])]
        if isinstance(n, ast.Name):
            return row[n.id]
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.BinOp):
            return ev(n.left) * ev(n.right) if isinstance(n.op, ast.Mult) else ev(n.left) + ev(n.right)
        raise AssertionError(n)
    return bool(ev(tree))


def test_vectorised_equals_reference_on_1_and_100000_rows():
    rng = np.random.default_rng(5)
    n = 100_000
    df = pd.DataFrame({"premium_ratio": rng.normal(0.5, 1, n), "discount_rate": rng.uniform(0, 0.3, n),
                       "growth": rng.uniform(-0.1, 0.5, n)})
    df.loc[df.sample(frac=0.1, random_state=1).index, "growth"] = np.nan
    expr = "premium_ratio >= 1.0 and discount_rate < 0.1 or growth * 2 > 0.6"
    c = compile_expr(expr, fact_types())
    vec = c({k: df[k].to_numpy() for k in df}, n)
    sample = df.sample(500, random_state=2)
    for i, row in sample.iterrows():
        assert vec[df.index.get_loc(i)] == _reference(expr, row.to_dict())
        one = c({k: np.array([row[k]]) for k in df}, 1)
        assert one[0] == vec[df.index.get_loc(i)]


SENTINEL = {"hit": False}
NAMES = ["premium_ratio", "estimate", "holder_type", "pledged", "__import__", "open", "os", "eval",
         "SENTINEL", "x", "abs", "max", "clip"]
TOKENS = NAMES + ["(", ")", ".", "[", "]", ",", "'a'", "1", "0.5", ">", "<", "==", "and", "or", "not",
                  "+", "*", "-", "lambda", ":", "for", "in", "if", "else", "__class__", "__subclasses__",
                  "**", "@", "=", ":="]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12))
def test_fuzz_nothing_executes_outside_the_whitelist(tokens):
    expr = " ".join(tokens)
    env = {k: np.array([1.0, np.nan]) for k, (t, _, _) in FACTS.items() if t == "number"}
    env.update({k: np.array([True, False]) for k, (t, _, _) in FACTS.items() if t == "bool"})
    env.update({k: np.array(["soe", ""], dtype=object) for k, (t, _, _) in FACTS.items() if t == "category"})
    try:
        c = compile_expr(expr, fact_types())
    except RuleCompileError:
        return
    # accepted: only declared facts, and the result is a boolean array of the right length
    assert c.names <= set(FACTS)
    out = c(env, 2)
    assert out.dtype == bool and out.shape == (2,)
    assert SENTINEL["hit"] is False
