"""The engine's answers equal the frozen golden outputs (tolerances named in golden.py).

A failure lists where the numbers moved. If the change is intended (a policy or evidence fix),
refreeze with ``python tests/golden/golden.py freeze`` and list the change in CHANGELOG.md.
"""

from tests.golden import golden


def test_golden_tolerances_catch_a_change():
    # the comparison itself must be able to fail: a moved estimate and a changed flag are seen
    base = {"estimate": 4889179.457957288, "flags": [{"code": "HIGH_PREMIUM"}]}
    assert golden.differences(base, base) == []
    assert golden.differences(base, {**base, "estimate": 4889179.457957288 * (1 + 1e-9)})
    assert golden.differences(base, {**base, "flags": [{"code": "BELOW_90"}]})
    assert golden.differences(base, {"estimate": 4889179.457957288})  # a key went missing


def test_example_cards_match_golden():
    diffs = golden.differences(golden.read("cards"), golden.card_outputs(), limit=30)
    assert not diffs, "example-card outputs moved:\n" + "\n".join(diffs)


def test_portfolios_match_golden():
    diffs = golden.differences(golden.read("portfolios"), golden.portfolio_outputs(), limit=30)
    assert not diffs, "portfolio outputs moved:\n" + "\n".join(diffs)
