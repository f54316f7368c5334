"""Bad input: one clear, bilingual error naming the field (and every problem at once)."""
from __future__ import annotations

import pytest

from valuation import api
from valuation.core.errors import RefusedError, ValidationError


def spec(**kw):
    base = {"arrangement_id": "E-1", "distributable": 100.0, "method": "shapley",
            "participants": [{"id": "A", "name": "甲", "role": "collection", "input_cost": 10.0},
                             {"id": "B", "name": "乙", "role": "processing", "input_cost": 20.0}],
            "coalition_values": [{"members": ["A"], "value": 10}, {"members": ["B"], "value": 20},
                                 {"members": ["A", "B"], "value": 100}]}
    base.update(kw)
    return base


def issues(s):
    with pytest.raises(ValidationError) as ei:
        api.share(s, library="seed")
    return {i.field: i for i in ei.value.issues}


def test_missing_coalitions_are_named_with_examples():
    got = issues(spec(coalition_values=[{"members": ["A", "B"], "value": 100}]))
    i = got["coalition_values"]
    assert "2 coalition(s) have no value" in i.message_en and "缺少 2 个联盟" in i.message_zh
    assert "['A']" in str(i.value)
    got = issues(spec(coalition_values=None))
    assert "coalition_values" in got and "needs the coalition values" in got["coalition_values"].message_en


def test_negative_values_are_refused_by_field():
    s = spec()
    s["participants"][1]["input_cost"] = -5
    s["coalition_values"][0]["value"] = -1
    got = issues(s)
    assert got["participants[1].input_cost"].value == -5
    assert got["coalition_values[0].value"].value == -1 and "number >= 0" in got["coalition_values[0].value"].message_en
    assert "distributable" in issues(spec(distributable=-1.0))


def test_duplicate_ids():
    s = spec()
    s["participants"][1]["id"] = "A"
    got = issues(s)
    assert "duplicates participants[0]" in got["participants[1].id"].message_en
    assert "重复" in got["participants[1].id"].message_zh


def test_agreed_fractions_not_summing_to_one_are_refused():
    s = spec(method="agreement")
    s["participants"][0]["agreed_share"] = 0.5
    s["participants"][1]["agreed_share"] = 0.6
    got = issues(s)
    i = got["participants[].agreed_share"]
    assert i.value == pytest.approx(1.1) and "not 1" in i.message_en and "应为 1" in i.message_zh
    s["participants"][1].pop("agreed_share")
    assert "participants[1].agreed_share" in issues(s)


def test_too_many_players_for_exact_without_sampling():
    ps = [{"id": f"P{i}", "name": "x", "role": "processing", "input_cost": 1.0} for i in range(25)]
    s = {"arrangement_id": "N", "distributable": 1.0, "method": "shapley", "participants": ps,
         "value_model": {"kind": "synergy", "standalone": {"P0": 1.0}}}
    got = issues(s)
    assert "sampling.allowed" in got and "exceed the exact limit of 20" in got["sampling.allowed"].message_en
    with pytest.raises(RefusedError) as ei:           # Banzhaf has no sampled form here
        api.share({**s, "method": "banzhaf"}, library="seed")
    assert ei.value.field == "method"


def test_every_problem_is_reported_at_once_and_unknown_fields_named():
    s = spec(method="median", extra=1, distributable="many")
    got = issues(s)
    assert {"method", "extra", "distributable"} <= set(got)
    assert "not a known method" in got["method"].message_en
    assert issues([1, 2])["spec"].allowed == "a JSON object"


def test_bad_value_model_is_named():
    s = spec(coalition_values=None, value_model={"kind": "complements", "revenue": 10, "required_roles": ["mining"]})
    assert "value_model.required_roles" in issues(s)


def test_sampling_settings_are_checked_and_work_is_bounded():
    ps = [{"id": f"P{i}", "name": "x", "role": "processing", "input_cost": 1.0} for i in range(300)]
    s = {"arrangement_id": "W", "distributable": 1.0, "method": "shapley", "participants": ps,
         "value_model": {"kind": "synergy", "standalone": {"P0": 1.0, "P1": 2.0},
                         "pairs": [{"members": ["P0", "P1"], "value": 5.0}]}}
    got = issues({**s, "sampling": {"allowed": True, "tolerance": -1, "max_permutations": 2.5, "x": 1}})
    assert {"sampling.tolerance", "sampling.max_permutations", "sampling.x"} <= set(got)
    # 300 players: at most 4e8 / 300² = 4 444 orders, whatever is asked; not converged → flagged
    r = api.share({**s, "sampling": {"allowed": True, "tolerance": 1e-9, "max_permutations": 10_000_000}},
                  library="seed")
    assert r["sampling"]["permutations"] <= 4_444 and r["sampling"]["converged"] is False
    assert any(f["code"] == "SHARE_SAMPLED" and "not converged" in f["message_en"] for f in r["flags"])
