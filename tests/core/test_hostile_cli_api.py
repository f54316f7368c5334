"""Issue 18, the input gate on the CLI and the Python API: every hostile class of
``tests/hostile_inputs.py`` ends in the bilingual validation error naming the field — exit code
2 on the CLI, :class:`ValidationError` from the API — never a traceback; and the gate itself
never raises anything else (property-based)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hostile_inputs import API_CASES, CARD, TEXT_CASES  # noqa: E402

from valuation import api  # noqa: E402
from valuation.cli import app  # noqa: E402
from valuation.core.errors import ValidationError  # noqa: E402
from valuation.core.gate import LIMITS, GateError, check_tree, for_document, parse_json  # noqa: E402

runner = CliRunner()


# ------------------------------------------------------------------ CLI
@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_cli_refuses_each_hostile_card_with_exit_2_and_the_field(name, tmp_path):
    raw, field = TEXT_CASES[name]
    f = tmp_path / "card.json"
    f.write_bytes(raw)
    r = runner.invoke(app, ["appraise", str(f), "--db", "seed", "--format", "json"])
    assert r.exit_code == 2, (r.exit_code, r.output[-2000:], r.exception)
    body = json.loads(r.stdout)
    assert body["code"] == "validation_error" and body["message_zh"] != body["message_en"]
    issue = body["issues"][0]
    assert {"field", "value", "allowed", "message_zh", "message_en"} <= set(issue)
    assert field in issue["field"], issue


def test_cli_refuses_a_200_mb_card_without_reading_it(tmp_path):
    f = tmp_path / "huge.json"
    with f.open("wb") as fh:          # sparse: 200 MB on paper, nothing on disk
        fh.truncate(200 * 1024 * 1024)
    r = runner.invoke(app, ["appraise", str(f), "--db", "seed", "--lang", "en"])
    assert r.exit_code == 2
    assert "input too large (209,715,200 bytes)" in r.output
    assert f"at most {LIMITS.max_bytes:,} bytes" in r.output


def test_cli_report_strips_control_characters_from_free_text(tmp_path):
    card = json.loads(json.dumps(CARD))
    card["asset"]["description"] = "line one\x07\x1b[31m red\x00"[:-1]
    f = tmp_path / "card.json"
    f.write_text(json.dumps(card), encoding="utf-8")
    out = tmp_path / "r.docx"
    r = runner.invoke(app, ["report", str(f), "--out", str(out), "--db", "seed"])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 0


def test_cli_price_goes_through_the_gate(tmp_path):
    f = tmp_path / "p.json"
    f.write_bytes(b'{"product": {"product_id": "P1"}, "product": {}}')
    r = runner.invoke(app, ["price", str(f), "--db", "seed", "--format", "json"])
    assert r.exit_code == 2
    assert json.loads(r.stdout)["issues"][0]["field"] == "product"


# ------------------------------------------------------------------ API
@pytest.mark.parametrize("name", sorted(API_CASES))
def test_api_refuses_each_hostile_object_naming_the_field(name):
    obj, field = API_CASES[name]
    with pytest.raises(ValidationError) as ei:
        api.appraise(obj, library="seed")
    issue = ei.value.issues[0]
    assert field in issue.field, issue
    assert issue.message_zh and issue.message_en and issue.allowed
    assert [i["field"] for i in api.validate(obj)] == [i.field for i in ei.value.issues]


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_parse_json_refuses_each_hostile_text(name):
    raw, field = TEXT_CASES[name]
    try:
        doc = parse_json(raw)
    except GateError as e:
        assert field in e.issues[0].field
        return
    with pytest.raises(ValidationError) as ei:          # parsed: the schema refuses it
        api.appraise(doc, library="seed")
    assert any(field in i.field for i in ei.value.issues)


def test_a_cyclic_object_is_refused_not_recursed_forever():
    c = json.loads(json.dumps(CARD))
    c["asset"]["loop"] = c
    issues = check_tree(c)
    assert issues and "nested too deeply" in issues[0].message_en


def test_duplicate_keys_name_the_path_and_the_valid_card_passes():
    with pytest.raises(GateError) as ei:
        parse_json(b'{"asset": {"asset_id": "A", "asset_id": "B"}}')
    assert ei.value.issues[0].field == "asset.asset_id"
    assert parse_json(json.dumps(CARD).encode()) == CARD


def test_for_document_strips_what_xml_cannot_hold():
    assert for_document({"a": ["x\x00y\x07z\u202e", 1], "b": "tab\tok\nline"}) == \
        {"a": ["xyz", 1], "b": "tab\tok\nline"}


# ------------------------------------------------------------------ properties
_json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_json = st.recursive(_json_leaf, lambda c: st.lists(c, max_size=4)
                     | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_parse_json_raises_only_the_gate_error_on_any_bytes(raw):
    try:
        parse_json(raw)
    except GateError as e:
        assert e.issues and all(i.message_zh and i.message_en for i in e.issues)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json, st.sampled_from(["asset", "engagement", "income", "market", "cost"]))
def test_validation_of_any_json_value_returns_issues_never_raises(value, section):
    for doc in (value, {**CARD, section: value}):
        issues = api.validate(doc)                     # never raises
        assert all(i["message_zh"] and i["message_en"] for i in issues)


@settings(max_examples=100, deadline=None)
@given(st.integers(), st.text(max_size=20))
def test_gate_bounds_integers_and_text_exactly(n, s):
    issues = check_tree({"engagement": {"seed": n}, "asset": {"asset_id": s}})
    big = abs(n) >= 10 ** LIMITS.max_int_digits
    ctrl = any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF
               or 0x200B <= ord(ch) <= 0x200F or 0x2028 <= ord(ch) <= 0x202E
               or 0x2060 <= ord(ch) <= 0x206F or ord(ch) == 0xFEFF for ch in s)
    assert any(i.field == "engagement.seed" for i in issues) == big
    assert any(i.field == "asset.asset_id" for i in issues) == ctrl


# ------------------------------------------------------------------ batch tables
def test_a_portfolio_row_with_a_control_character_in_a_name_is_a_failure_the_rest_valued():
    import pandas as pd

    df = pd.read_csv(Path(__file__).resolve().parents[2] / "examples" / "portfolio_small.csv")
    df.loc[1, "name"] = "bad\x1b[31mname"
    df.loc[2, "holder"] = "evil\u202etxt.exe"
    br = api.appraise_many(df, library="seed")
    failed = {(f["row"], f["field"]) for f in br.failures}
    assert failed == {(1, "name"), (2, "holder")}
    assert len(br.frame) == len(df) - 2


_nasty_text = st.lists(st.sampled_from(["a", "中", "\x00", "\x07", "\t", "\x85", "\u202e", "\ud800",
                                        "\ufeff", "x" * 30]), max_size=6).map("".join)
_nasty_leaf = (st.none() | st.booleans() | st.integers(min_value=-10 ** 21, max_value=10 ** 21)
               | st.floats() | _nasty_text | st.text("ab", min_size=38, max_size=44))
_nasty = st.recursive(_nasty_leaf, lambda c: st.lists(c, max_size=3) | st.tuples(c)
                      | st.dictionaries(_nasty_text | st.sampled_from(["asset", "asset_id", "name"])
                                        | st.text("xy", min_size=38, max_size=44), c, max_size=3), max_leaves=25)


@settings(max_examples=1000, deadline=None)
@given(_nasty)
@example({"asset_id": "a" * 41})      # found by this test: a long identifier passed the lean walk
def test_the_lean_walk_passes_only_what_the_full_walk_passes(doc):
    """check_tree's quick path (one joined regex search) never lets through what the value-by-
    value walk would refuse."""
    from unittest.mock import patch

    from valuation.core import gate

    small = gate.Limits(max_str_chars=40, max_key_chars=40, max_depth=4, max_nodes=12)
    with patch.object(gate, "LIMITS", small):        # texts, keys, depth and size at their limits
        for d in (doc, {"asset": doc}, {"asset": {"asset_id": doc, "name": [doc]}}):
            if gate._plainly_clean(d, ()):
                assert gate._full_walk(d, ()) == []


def test_every_character_the_identifier_gate_refuses_is_non_printable():
    """``table_text_issues`` skips a column whose joined text ``isprintable()``: that holds only
    while every character of the gate's class is non-printable for Python (all code points)."""
    from valuation.core.gate import _BAD_IDENT, table_text_issues

    every = "".join(map(chr, range(0x110000)))
    hits = [m.group() for m in _BAD_IDENT.finditer(every)]
    assert len(hits) > 100 and not any(c.isprintable() for c in hits)
    # and the skip changes nothing: a printable column passes, a control character is found
    assert table_text_issues({"name": ["资产 A", None, "B"]}, ["A", "B", "C"]) == []
    (i,) = table_text_issues({"name": ["资产 A", "x\u200by", None]}, ["A", "B", "C"])
    assert (i.row, i.asset_id, i.field) == (1, "B", "name")
