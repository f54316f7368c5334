"""Each seed rule against the clause it cites (task rrules, seed revision 3).

Two questions per rule: does it fire only on the holders its clause binds (holder type, public
data, an asset carried at a book value), and does every clause it cites say what the rule checks?
The clause words are those of the policy texts as recorded in the standards library
(``summary_zh`` of ``valuation/library/seed/standards.yaml``; docs/POLICY_CHOICES.md §1).

Seed revision 3 fixed what these tests found (FISCAL_INFLATION, HIGH_IMPAIRMENT, HIGH_PREMIUM,
OVER_VALUATION, VALUE_SWING, ADMIN_GUARANTEE: the rules changed in place, same codes, each a new
version when the seed is loaded); each test failed on revision 2.
"""
import numpy as np
import pytest
import yaml

from valuation.rules import compile_rules, flags_for, load_seed_rules
from valuation.rules.engine import SEED_FILE
from valuation.rules.facts import empty_facts

SEED = {r["id"]: r for r in load_seed_rules()}
RS = compile_rules(list(SEED.values()))
STANDARDS = {s["id"]: s for s in yaml.safe_load((SEED_FILE.parent / "standards.yaml").read_text("utf-8"))}



def codes(**kw) -> set[str]:
    f = empty_facts(1)
    for k, v in kw.items():
        assert k in f, k
        f[k] = np.array([v], dtype=f[k].dtype)
    return set(RS.evaluate(f).code)


def flag(code: str, **kw) -> dict:
    f = empty_facts(1)
    for k, v in kw.items():
        f[k] = np.array([v], dtype=f[k].dtype)
    return {x["code"]: x for x in flags_for(f, ["A"], RS.evaluate(f), RS)["A"]}[code]


# ------------------------------------------------------------------ whom the clause binds
def test_fiscal_inflation_binds_public_bodies_only():
    """财资〔2024〕1号 二、（四） and 财资〔2024〕167号 三、（三）: "严禁（行政事业单位）借授权有偿使用数据资产
    的名义，变相虚增财政收入" — addressed to administrative units and public institutions. An SOE
    or a private operator of public data is not bound; 141号 二、（十） even asks holders of public
    data to remit the state's proceeds into the budget. The seed (revision 2) also fires on any
    holder of public data."""
    for holder in ("soe", "enterprise"):
        assert "FISCAL_INFLATION" not in codes(holder_type=holder, public_data=True, fiscal_revenue=True), holder
    for holder in ("administrative", "public_institution"):
        assert "FISCAL_INFLATION" in codes(holder_type=holder, public_data=False, fiscal_revenue=True), holder
        assert "FISCAL_INFLATION" in codes(holder_type=holder, public_data=True, fiscal_revenue=True), holder
        assert "FISCAL_INFLATION" not in codes(holder_type=holder, fiscal_revenue=False), holder


def test_impairment_needs_an_asset_carried_at_a_book_value():
    """CAS 8 (资产减值) binds an enterprise for an asset it carries on its balance sheet: the
    impairment test compares the recoverable amount with the carrying amount. Indicators listed on
    a card without a book value (a data resource not recognised, 未入表) do not call for a CAS 8
    test; in the seed (revision 2) one indicator alone raises the flag."""
    assert "HIGH_IMPAIRMENT" not in codes(holder_type="enterprise", n_impairment_indicators=2)
    assert "HIGH_IMPAIRMENT" not in codes(holder_type="soe", n_impairment_indicators=1, book_value=0.0)
    assert "HIGH_IMPAIRMENT" in codes(holder_type="enterprise", n_impairment_indicators=1, book_value=100.0)
    # impairment ratio 0.35 ≥ 0.3: (100 − 65) / 100
    assert "HIGH_IMPAIRMENT" in codes(holder_type="soe", book_value=100.0, impairment_ratio=0.35)
    assert "HIGH_IMPAIRMENT" not in codes(holder_type="administrative", book_value=100.0, impairment_ratio=0.35)


def test_high_premium_does_not_reach_public_bodies():
    """The clauses on high appreciation bind enterprises: the exchange rule (EXCH.premium100) binds
    listed companies in reorganisations, 141号 二、（十五） puts SOE data assets' "高溢价和高减值项目"
    under internal oversight. Neither 141号 二、（九） nor 167号 (cited today) speaks of premiums,
    and government accounting keeps no appraisal premium for administrative units (their data
    assets go to a 备查簿 first). Proposed: applies_to {holder_types: [enterprise, soe]}.
    Synthetic administrative rows of the golden portfolio carry HIGH_PREMIUM today."""
    for holder in ("administrative", "public_institution"):
        assert "HIGH_PREMIUM" not in codes(holder_type=holder, premium_ratio=1.5, estimate=250.0, book_value=100.0)


def test_high_premium_still_reaches_enterprises():
    for holder in ("enterprise", "soe"):
        assert "HIGH_PREMIUM" in codes(holder_type=holder, premium_ratio=1.5, estimate=250.0, book_value=100.0)


def _holders_bound_by_clauses(rule: dict) -> set[str]:
    """Holders bound by the rule's cited clauses, leaving out engineering defaults (C) and
    literature (L): those bind nobody, so they cannot widen a rule's reach."""
    return set().union(*(set(STANDARDS[x]["binds"]["holder_types"]) for x in rule["references"]
                         if STANDARDS[x]["provenance"] not in ("L", "C")))


@pytest.mark.parametrize("code", sorted(SEED))
def test_rule_reaches_only_holders_a_real_clause_binds(code):
    """tests/rules/test_applicability.py counts ENG.default (binds every holder) as a clause; here
    it does not. VALUE_SWING reaches private holders on 167号 (state pilots) + ENG.default alone;
    141号 二、（十五） (动态跟踪价值变动) binds every data asset holder."""
    r = SEED[code]
    holders = set((r.get("applies_to") or {}).get("holder_types") or ("enterprise", "soe", "administrative",
                                                                       "public_institution"))
    assert holders <= _holders_bound_by_clauses(r), (code, holders - _holders_bound_by_clauses(r))


def test_state_rules_stay_within_their_holders():
    """Administrative rules never flag an SOE or a private card, SOE (SASAC) rules never flag a public
    body or a private card, public-data pricing rules never flag private data."""
    for holder in ("soe", "enterprise"):
        assert "ADMIN_GUARANTEE" not in codes(holder_type=holder, pledged=True)
        assert "BELOW_90_STATE_UNIT" not in codes(holder_type=holder, proposed_price=50.0, estimate=100.0)
    for holder in ("administrative", "public_institution", "enterprise"):
        assert "BELOW_90" not in codes(holder_type=holder, proposed_price=50.0, estimate=100.0)
    for holder in ("enterprise", "soe", "administrative", "public_institution"):
        assert "CAP_BREACH" not in codes(holder_type=holder, public_data=False, cap_ratio=2.0)
        assert "PUBLIC_FREE_CHARGED" not in codes(holder_type=holder, public_data=False,
                                                  use_category="public_welfare", proposed_price=10.0)
        assert "CAP_BREACH" in codes(holder_type=holder, public_data=True, cap_ratio=2.0)


# ------------------------------------------------------------------ the clause says it
# per rule: words of the obligation as the clause states it (summary_zh of the cited standard).
# Every cited clause other than literature (L) and engineering defaults (C) must contain one.
SAYS = {
    "HIGH_PREMIUM": ("高溢价", "增值"),
    "HIGH_IMPAIRMENT": ("减值", "无形资产准则"),
    "OVER_VALUATION": ("虚增公共数据资产价值", "高估"),
    "BELOW_90": ("90%",),
    "STALE_RESULT": ("一年",),
    "METHOD_DIVERGENCE": ("差异",),
    "INCOME_BEYOND_RIGHTS": ("收益期限",),
    "AGGRESSIVE_ASSUMPTIONS": ("折现率", "收益期限"),
    "THIN_MARKET": ("可比案例",),
    "QUALITY_OVER_1": ("调整系数",),
    "PUBLIC_FREE_CHARGED": ("无偿", "免费"),
    "CAP_BREACH": ("上限", "最高准许收入"),
    "ADMIN_GUARANTEE": ("担保",),
    "FISCAL_INFLATION": ("虚增财政收入",),
    "VALUE_SWING": ("跟踪价值变动",),
    "BELOW_90_STATE_UNIT": ("审批",),
}
@pytest.mark.parametrize("code", sorted(SAYS))
def test_every_cited_clause_says_what_the_rule_checks(code):
    for ref in SEED[code]["references"]:
        s = STANDARDS[ref]
        if s["provenance"] in ("L", "C"):
            continue
        assert any(w in s["summary_zh"] for w in SAYS[code]), (code, ref, SAYS[code])


def test_the_check_reads_the_clause_text():
    # the check above can fail: 141号 二、（九） (five libraries) says nothing of a value swing
    assert not any(w in STANDARDS["MOF2023-141.9"]["summary_zh"] for w in SAYS["VALUE_SWING"])
    assert any(w in STANDARDS["MOF2023-141.15"]["summary_zh"] for w in SAYS["VALUE_SWING"])


def test_no_seed_rule_cites_a_local_measure():
    """Local measures (大连 325号, 杭州 19号, 湖南 40号) bind holders in their region only, and
    ``applies_to`` has no region dimension: a seed rule citing one would flag every region."""
    local = ("DL", "HZ", "HN")
    for r in SEED.values():
        assert not [x for x in r["references"] if x.startswith(local)], r["id"]


# ------------------------------------------------------------------ messages in the clause's words
def test_public_body_messages_use_the_clause_words_and_cite_it():
    g = flag("ADMIN_GUARANTEE", holder_type="administrative", pledged=True)
    assert "不得利用数据资产进行担保" in g["message_zh"] and "财资〔2024〕1号" in g["message_zh"]
    assert "guarantee" in g["message_en"] and "[2024] No. 1" in g["message_en"]
    f = flag("FISCAL_INFLATION", holder_type="public_institution", fiscal_revenue=True, public_data=True)
    assert "变相虚增财政收入" in f["message_zh"] and "财资〔2024〕1号" in f["message_zh"]
    assert "fiscal revenue" in f["message_en"] and "[2024] No. 1" in f["message_en"]


# ------------------------------------------------------------------ through the public API (example cards)
def _card(name: str) -> dict:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[2] / "examples" / "cards" / name).read_text("utf-8"))


def _codes(card: dict) -> set[str]:
    from valuation import api

    return {f["code"] for f in api.appraise(card, library="seed", trace=False).to_dict()["flags"]}


def test_soe_operator_of_public_data_is_not_told_of_fiscal_revenue():
    # E04: an SOE runs authorised operation of public data for industry; its licence income booked
    # as (remitted to) fiscal revenue is what 141号 二、（十） asks, not a 1号 breach
    c = _card("E04_public_data_authorised_operation.json")
    assert c["asset"]["holder_type"] == "soe" and c["asset"]["public_data"] is True
    c["asset"]["fiscal_revenue"] = True
    assert "FISCAL_INFLATION" not in _codes(c)
    c["asset"]["holder_type"] = "administrative"
    assert "FISCAL_INFLATION" in _codes(c)


def test_unbooked_asset_with_indicators_gets_no_cas8_flag():
    # E03 (enterprise) with an impairment indicator but no book value: nothing carried to test
    c = _card("E03_enterprise_ecommerce.json")
    c["asset"]["impairment_indicators"] = ["usage below plan"]
    c["asset"].pop("book_value", None)
    assert "HIGH_IMPAIRMENT" not in _codes(c)
    c["asset"]["book_value"] = 2_500_000.0
    assert "HIGH_IMPAIRMENT" in _codes(c)


def test_administrative_unit_is_not_told_of_a_high_premium():
    # E02 (administrative): book 500,000 against an estimate of about 1.7 M → appreciation ≈ 240 %
    c = _card("E02_admin_registry_governance.json")
    assert c["asset"]["holder_type"] == "administrative"
    c["asset"]["book_value"] = 500_000.0
    assert "HIGH_PREMIUM" not in _codes(c)
    c["asset"]["holder_type"] = "soe"
    assert "HIGH_PREMIUM" in _codes(c)
