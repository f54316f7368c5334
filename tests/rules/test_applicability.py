"""Issue 17: rules apply only where their clauses bind; every cited reference resolves."""
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from valuation.core.errors import ValidationError
from valuation.core.schema import ENUMS
from valuation.rules import compile_rules, load_seed_rules
from valuation.rules.applicability import applies_mask, validate_standard
from valuation.rules.engine import SEED_FILE, validate_rule

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = {s["id"]: s for s in yaml.safe_load((SEED_FILE.parent / "standards.yaml").read_text("utf-8"))}
SEED = load_seed_rules()
ALL = set(ENUMS["holder_type"])


def test_every_standard_says_whom_it_binds_and_is_valid():
    for sid, s in STANDARDS.items():
        assert set(s["binds"]["holder_types"]) <= ALL, sid
        validate_standard(s)


def test_rules_apply_only_within_the_holders_their_clauses_bind():
    """A rule's holders (applies_to, else all) must each be bound by at least one cited clause."""
    for r in SEED:
        holders = set((r.get("applies_to") or {}).get("holder_types") or ALL)
        bound = set().union(*(STANDARDS[ref]["binds"]["holder_types"] for ref in r["references"]))
        assert holders <= bound, (r["id"], holders - bound)


def test_sasac_rules_never_reach_a_private_holder():
    for r in SEED:
        if any(ref.startswith("SASAC") and ref.endswith("90pct") for ref in r["references"]):
            assert "enterprise" not in r["applies_to"]["holder_types"], r["id"]
        if "enterprise" in ((r.get("applies_to") or {}).get("holder_types") or ALL):
            assert "国有资产" not in r["message_zh"].replace("不适用国有资产", ""), r["id"]
            assert "state assets" not in r["message_en"], r["id"]


def _refs_in_source() -> set[str]:
    """Standard ids cited in the engine's source as references/clauses literals."""
    ids = set(STANDARDS)
    pat = re.compile(r'"([A-Z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9_]+)+)"')
    found = set()
    for p in (ROOT / "valuation").rglob("*.py"):
        for m in pat.findall(p.read_text("utf-8")):
            prefix = m.split(".")[0].split("-")[0]
            if any(s.split(".")[0].split("-")[0] == prefix for s in ids):
                found.add(m)
    return found


def test_every_reference_resolves_to_a_document_and_an_article():
    refs = {ref for r in SEED for ref in r["references"]} | _refs_in_source()
    for y in (ROOT / "models").glob("*.yaml"):
        refs |= set(re.findall(r"\b((?:CAS|MOF|NDRC|SASAC|DATA|GBT|LIT|ENG|EXCH|CASBE|CASREPORT)[A-Za-z0-9]*"
                               r"(?:[.\-][A-Za-z0-9_]+)+)\b", y.read_text("utf-8")))
    assert refs, "found references"
    for ref in sorted(refs):
        assert ref in STANDARDS, ref
        s = STANDARDS[ref]
        assert s.get("document") and s.get("article"), ref


def test_the_seed_flags_carry_resolvable_references():
    """Through a whole appraisal: every flag's references are standards with document and article."""
    import json

    from valuation import api

    for p in sorted((ROOT / "examples" / "cards").glob("*.json")):
        card = json.loads(p.read_text("utf-8"))
        card["engagement"]["proposed_price"] = 1.0
        for f in api.appraise(card, library="seed", trace=False).flags:
            for ref in f["references"]:
                assert STANDARDS[ref]["document"] and STANDARDS[ref]["article"], (p.name, f["code"], ref)


@pytest.mark.parametrize("bad", [
    {"holder_types": ["private"]}, {"holder_types": []}, {"public_data": "yes"},
    {"purposes": ["selling"]}, {"who": ["x"]}, {"except": {"except": {}}}, "soe",
])
def test_store_validator_refuses_a_malformed_applies_to(bad):
    rule = dict(next(r for r in SEED if r["id"] == "BELOW_90"), applies_to=bad)
    with pytest.raises(ValidationError) as e:
        validate_rule(rule)
    assert any("applies_to" in i.field for i in e.value.issues)


def test_store_validator_refuses_malformed_binds_and_limits():
    for bad in ({"binds": {"holder_types": ["nobody"]}}, {"limits": {"x": -1}}, {"limits": {"x": "six"}},
                {"limits": [1]}):
        with pytest.raises(ValidationError):
            validate_standard({"id": "X.y", **bad})


def test_applies_mask_is_vectorised_and_reads_a_missing_holder_as_soe():
    facts = {"holder_type": np.array(["soe", "enterprise", "", "administrative"], dtype=object),
             "use_category": np.array(["industry", "industry", "", "public_governance"], dtype=object),
             "public_data": np.array([False, False, False, True]), "purpose": np.array([""] * 4, dtype=object)}
    block = {"holder_types": ["soe", "administrative"], "except": {"use_categories": ["public_governance"]}}
    assert applies_mask(block, facts, 4).tolist() == [True, False, True, False]
    assert applies_mask({"public_data": True}, facts, 4).tolist() == [False, False, False, True]
    assert applies_mask(None, facts, 4) is None


def test_the_store_accepts_and_versions_an_applies_to_edit(tmp_path):
    from valuation import api

    store = api.open_library(f"sqlite:///{tmp_path / 'lib.db'}", init=True)
    rule = dict(next(r for r in SEED if r["id"] == "BELOW_90"))
    rule["applies_to"] = {"holder_types": ["soe", "administrative"]}
    v = store.get("rules", "BELOW_90").version
    store.put("rules", "BELOW_90", rule, author="t", note="extend to administrative units", base_version=v)
    rs = compile_rules(api.snapshot(store).rules)
    assert dict(rs.by_id()["BELOW_90"].applies_to) == {"holder_types": ["soe", "administrative"]}
    with pytest.raises(ValidationError):
        store.put("rules", "BELOW_90", dict(rule, applies_to={"holder_types": ["nobody"]}), author="t",
                  base_version=v + 1)
    with pytest.raises(ValidationError):
        store.put("standards", "NDRC2025-65.profit",
                  dict(STANDARDS["NDRC2025-65.profit"], limits={"premium_over_cgb10y_max": -0.1}), author="t",
                  base_version=store.get("standards", "NDRC2025-65.profit").version)


def _row_applies(block, row) -> bool:
    """Per-row reference of applies_mask, written from the documented semantics."""
    dims = {"holder_types": "holder_type", "purposes": "purpose", "use_categories": "use_category"}
    for key, fact in dims.items():
        if key in block:
            v = row[fact]
            if v == "":
                if key == "holder_types" and "soe" not in block[key]:
                    return False
            elif v not in block[key]:
                return False
    if "public_data" in block and row["public_data"] != block["public_data"]:
        return False
    exc = block.get("except")
    if exc:
        hit = all(row[dims[k]] in exc[k] for k in exc if k in dims)
        if "public_data" in exc:
            hit = hit and row["public_data"] == exc["public_data"]
        if hit:
            return False
    return True


def test_applies_mask_matches_a_row_by_row_reading():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    holders = ["", *ENUMS["holder_type"]]
    uses = ["", *ENUMS["use_category"]]
    purposes = ["", "transfer", "licensing", "other"]
    row = st.fixed_dictionaries({"holder_type": st.sampled_from(holders), "use_category": st.sampled_from(uses),
                                 "purpose": st.sampled_from(purposes), "public_data": st.booleans()})
    sub = lambda xs: st.lists(st.sampled_from([x for x in xs if x]), min_size=1, unique=True)  # noqa: E731
    block = st.fixed_dictionaries({}, optional={
        "holder_types": sub(holders), "use_categories": sub(uses), "purposes": sub(purposes),
        "public_data": st.booleans(),
        "except": st.fixed_dictionaries({}, optional={"use_categories": sub(uses), "public_data": st.booleans()})})

    @settings(max_examples=300, deadline=None)
    @given(block, st.lists(row, min_size=1, max_size=8))
    def check(b, rows):
        facts = {k: np.array([r[k] for r in rows], dtype=bool if k == "public_data" else object)
                 for k in rows[0]}
        got = applies_mask(b, facts, len(rows))
        want = [_row_applies(b, r) for r in rows]
        assert (got.tolist() if got is not None else [True] * len(rows)) == want
    check()
