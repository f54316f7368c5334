"""Seed files and their loader: the standards seed is complete; loading is idempotent."""
from __future__ import annotations

import re
import shutil

import pytest
import yaml

from valuation.core.errors import ValidationError
from valuation.library.seed.loader import SEED_DIR, load_seeds, seed_items

# The standard ids of the project brief (notes/COMMON.md, "Standard ids"), copied verbatim.
STANDARD_IDS = ["CAS2023.art2", "CAS2023.art3", "CAS2023.art12", "CAS2023.art14", "CAS2023.art16", "CAS2023.art17", "CAS2023.art18", "CAS2023.art19", "CAS2023.art20", "CAS2023.art21", "CAS2023.art22", "CAS2023.art23", "CAS2023.art24", "CAS2023.art25", "CAS2023.art26", "CAS2023.art27", "CAS2023.annex.cost", "CAS2023.annex.income", "CAS2023.annex.market", "CAS2019.guide9", "MOF2023-141.4", "MOF2023-141.6", "MOF2023-141.8", "MOF2023-141.9", "MOF2023-141.10", "MOF2023-141.15", "MOF2024-1.4", "MOF2024-167", "NDRC2025-65.scope", "NDRC2025-65.mar", "NDRC2025-65.profit", "NDRC2025-65.caps", "NDRC2025-65.review", "DATA20.public", "SASAC12.90pct", "SASAC12.validity", "SASAC32.90pct", "SASAC2024-8", "GBT36344", "GBT36344.normativeness", "GBT36344.completeness", "GBT36344.accuracy", "GBT36344.consistency", "GBT36344.timeliness", "GBT36344.accessibility", "CASBE2023-11", "CAS8.impairment", "CAS1.inventory", "EXCH.premium100", "LIT.royalty", "LIT.excess", "LIT.attrition", "LIT.wara", "LIT.cost_tc", "ENG.default",
                "CASREPORT.validity"]
# revenue sharing (issue 21)
STANDARD_IDS += ["DL2025-325.16", "DL2025-325.17", "DL2025-325.9", "MOF2024-167.4", "HZ2024-19.7",
                 "HN2024-40.6", "MOF2024-1.7"]
# issue 22 (入表 and impairment): the articles of 财会〔2023〕11号, CAS 6, CAS 8 and CAS 1
STANDARD_IDS += ["CASBE2023-11.intangible", "CASBE2023-11.inventory", "CASBE2023-11.disclosure",
                 "CAS6.art7", "CAS6.art8", "CAS6.art9", "CAS6.art12", "CAS6.art17", "CAS6.art19",
                 "CAS8.art4", "CAS8.art5", "CAS8.art6", "CAS8.art15", "CAS8.art17", "CAS1.art15",
                 "CAS1.art19", "CAS8.art11"]
N_STANDARDS = len(STANDARD_IDS)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _standards():
    return yaml.safe_load((SEED_DIR / "standards.yaml").read_text("utf-8"))


def test_standards_seed_has_every_id_with_both_summaries():
    entries = _standards()
    ids = [e["id"] for e in entries]
    assert len(STANDARD_IDS) == 56 + 17 + 7   # issue 17 added CASREPORT.validity
    assert sorted(ids) == sorted(STANDARD_IDS) and len(ids) == len(set(ids))
    for e in entries:
        assert HAN.search(e["summary_zh"]) and len(e["summary_zh"]) >= 20, e["id"]
        assert not HAN.search(e["summary_en"]) and len(e["summary_en"].split()) >= 12, e["id"]
        assert HAN.search(e["document"]) and e["document_en"] and e["article"], e["id"]
        assert e["provenance"] in ("S", "R", "L", "C"), e["id"]
        assert e["title_zh"] and e["title_en"], e["id"]
        if e.get("url"):
            assert e["url"].startswith(("http://", "https://")), e["id"]


def test_standards_seed_states_the_key_rules_correctly():
    by_id = {e["id"]: e for e in _standards()}
    s = by_id["MOF2024-1.4"]
    assert "担保" in s["summary_zh"] and "虚增财政收入" in s["summary_zh"]
    assert "guarantee" in s["summary_en"] and "fiscal revenue" in s["summary_en"]
    assert "90%" in by_id["SASAC12.90pct"]["summary_zh"]
    assert "90 %" in by_id["SASAC12.90pct"]["summary_en"]
    assert "suspend" in by_id["SASAC12.90pct"]["summary_en"]
    assert "一年" in by_id["SASAC12.validity"]["summary_zh"]
    assert "one year from the valuation date" in by_id["SASAC12.validity"]["summary_en"]
    assert "6 个百分点" in by_id["NDRC2025-65.profit"]["summary_zh"]
    assert "P = C × δ" in by_id["CAS2023.annex.cost"]["summary_en"]
    assert by_id["ENG.default"]["provenance"] == "C"
    assert all(by_id[i]["provenance"] == "L" for i in STANDARD_IDS if i.startswith("LIT."))
    assert str(by_id["CAS2023.art22"]["effective_from"]) == "2023-10-01"


@pytest.fixture
def seed_tree(tmp_path):
    """A repository-like tree: seed dir (standards + rules + indicators), models/, case_library/."""
    seed = tmp_path / "seed"
    seed.mkdir()
    shutil.copy(SEED_DIR / "standards.yaml", seed / "standards.yaml")
    (seed / "rules.yaml").write_text(yaml.safe_dump([
        {"id": "R.premium", "severity": "warning", "when": "premium_ratio >= 1.0",
         "references": ["EXCH.premium100"]},
        {"id": "R.below90", "severity": "blocker", "when": "price_ratio < 0.9",
         "references": ["SASAC12.90pct"]}], allow_unicode=True), "utf-8")
    (seed / "indicators.yaml").write_text(yaml.safe_dump({
        "accuracy": {"weight": 0.15, "title_zh": "准确性"},
        "completeness": {"weight": 0.2, "title_zh": "完整性"}}, allow_unicode=True), "utf-8")
    models = tmp_path / "root" / "models"
    models.mkdir(parents=True)
    (models / "cost.yaml").write_text(
        "id: cost.cas\nmethod: cost\nstatus: active\neffective_from: 2023-10-01\n"
        "references: [CAS2023.art22, CAS2023.annex.cost]\n"
        "parameters:\n  profit_rate: {default: 0.0, min: 0.0, max: 0.3}\n", "utf-8")
    (models / "market.yaml").write_text("id: market.grid\nmethod: market\n", "utf-8")
    cases = tmp_path / "root" / "case_library"
    cases.mkdir()
    (cases / "cases.csv").write_text(
        "case_id,price,rights_type,date\nC1,120.5,use,2024-01-01\nC2,,operation,2024-02-01\n"
        "C3,99,use,\n", "utf-8")
    return {"root": tmp_path / "root", "seed_dir": seed}


def test_load_seeds_is_idempotent_and_versions_changed_files(store, seed_tree):
    first = load_seeds(store, **seed_tree)
    assert first == {"standards": {"created": N_STANDARDS, "updated": 0, "unchanged": 0},
                     "rules": {"created": 2, "updated": 0, "unchanged": 0},
                     "indicators": {"created": 2, "updated": 0, "unchanged": 0},
                     "models": {"created": 2, "updated": 0, "unchanged": 0},
                     "cases": {"created": 3, "updated": 0, "unchanged": 0}}
    sid, n_audit = store.snapshot_id(), len(store.audit(limit=None))
    model = store.get("models", "cost.cas")
    assert model.references == ("CAS2023.art22", "CAS2023.annex.cost")
    assert str(model.effective_from) == "2023-10-01" and model.author == "seed"
    assert store.get("indicators", "accuracy").content["weight"] == 0.15
    cases = store.frame("cases")
    assert list(cases["case_id"]) == ["C1", "C2", "C3"] and cases["price"].isna().sum() == 1
    assert store.get("cases", "C2").content["price"] is None

    second = load_seeds(store, **seed_tree)                   # nothing changed → nothing written
    assert all(c["created"] == c["updated"] == 0 for c in second.values())
    assert store.snapshot_id() == sid and len(store.audit(limit=None)) == n_audit

    # a changed seed file → a new version by "seed", note "seed update"
    f = seed_tree["root"] / "models" / "cost.yaml"
    f.write_text(f.read_text("utf-8").replace("max: 0.3", "max: 0.25"), "utf-8")
    third = load_seeds(store, **seed_tree)
    assert third["models"] == {"created": 0, "updated": 1, "unchanged": 1}
    new = store.get("models", "cost.cas")
    assert (new.version, new.author, new.note) == (2, "seed", "seed update")
    assert new.content["parameters"]["profit_rate"]["max"] == 0.25
    assert store.snapshot_id() != sid
    assert store.audit(limit=1)[0].action == "seed"


def test_reloading_unchanged_seeds_keeps_a_users_edit(store, seed_tree):
    load_seeds(store, **seed_tree)
    e = store.get("standards", "ENG.default")
    store.put("standards", "ENG.default", {**e.content, "summary_en": "edited by the appraiser"},
              author="appraiser", note="clarify", base_version=e.version)
    sid = store.snapshot_id()
    load_seeds(store, **seed_tree)
    assert store.get("standards", "ENG.default").author == "appraiser"
    assert store.snapshot_id() == sid


def test_shipped_seeds_load_twice_without_writes(store):
    first = load_seeds(store)
    assert first["standards"]["created"] == N_STANDARDS
    assert store.counts()["standards"] == N_STANDARDS
    again = load_seeds(store)
    assert sum(c["created"] + c["updated"] for c in again.values()) == 0


def test_bad_seed_files_name_the_problem(tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "rules.yaml").write_text("- {severity: warning}\n", "utf-8")
    with pytest.raises(ValidationError) as ei:
        seed_items(tmp_path, seed)
    assert "rules.yaml[0]" in ei.value.issues[0].field
    (seed / "rules.yaml").write_text("[a, b\n", "utf-8")
    with pytest.raises(ValidationError, match="YAML"):
        seed_items(tmp_path, seed)


def test_library_snapshot_from_the_store_uses_its_snapshot_id(store, seed_tree):
    from valuation.library.snapshot import snapshot_from_store

    load_seeds(store, **seed_tree)
    snap = snapshot_from_store(store)
    assert snap.snapshot_id == store.snapshot_id()
    assert len(snap.standards) == N_STANDARDS and "SASAC12.90pct" in snap.standards
    assert {r["id"] for r in snap.rules} == {"R.premium", "R.below90"}
    assert set(snap.models) == {"cost.cas", "market.grid"} and len(snap.cases) == 3
