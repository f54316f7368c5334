"""Export → import round trip of the library store (YAML and JSON), on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
import yaml

from valuation.core.errors import ConflictError, ValidationError


def _fill(store):
    store.put("standards", "S1", {"id": "S1", "summary_zh": "中文说明", "n": 1.5,
                                  "when": "2023-10-01"}, author="alice", note="new",
              base_version=None, references=["CAS2023.art2"], effective_from="2023-10-01")
    store.put("standards", "S1", {"id": "S1", "summary_zh": "修订", "n": 2}, author="bob",
              note="edit", base_version=1)
    store.put("standards", "S1", {"id": "S1", "summary_zh": "草稿"}, author="carol", note="draft",
              base_version=2, status="draft")
    store.put("rules", "R1", {"id": "R1", "when": "premium_ratio >= 1.0", "severity": "warning"},
              author="alice", note="rule", base_version=None)
    store.retire("rules", "R1", author="dave", note="gone", base_version=1)
    store.put("models", "cost.cas", {"id": "cost.cas", "parameters": {"profit_rate": {
        "default": 0.0, "min": 0.0, "max": 0.3}}}, author="m", note="model", base_version=None)
    store.put_many("cases", [(f"C{i}", {"case_id": f"C{i}", "price": i * 1.25, "note": None})
                             for i in range(50)], author="seed", note="cases")


def _all_versions(store):
    libs = ("standards", "rules", "indicators", "models", "cases")
    return sorted((e.library, e.key, e.version, e.status, e.author, e.note, e.content_hash,
                   e.created_at, str(e.effective_from), e.references)
                  for lib in libs for x in store.list(lib, status=None)
                  for e in store.history(lib, x.key))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_export_import_round_trips_into_an_empty_store(store_factory, tmp_path, suffix):
    src = store_factory()
    _fill(src)
    path = tmp_path / f"export{suffix}"
    n = src.export(path)
    assert n == 3 + 2 + 1 + 50
    doc = json.loads(path.read_text("utf-8")) if suffix == ".json" else yaml.safe_load(
        path.read_text("utf-8"))
    assert doc["snapshot_id"] == src.snapshot_id() and len(doc["entries"]) == n
    assert "中文说明" in path.read_text("utf-8")                      # readable, not \u escapes

    dst = store_factory()
    counts = dst.import_(path, author="importer")
    assert counts == {"inserted": n, "unchanged": 0}
    assert dst.snapshot_id() == src.snapshot_id()
    assert _all_versions(dst) == _all_versions(src)
    assert dst.get("standards", "S1").content == {"id": "S1", "summary_zh": "修订", "n": 2}
    assert {a.action for a in dst.audit(limit=None)} == {"import"}
    assert {a.who for a in dst.audit(limit=None)} == {"importer"}
    # importing again writes nothing; the exported file of the copy has the same entries
    assert dst.import_(path, author="importer") == {"inserted": 0, "unchanged": n}
    dst.export(tmp_path / f"again{suffix}")
    again = (json.loads if suffix == ".json" else yaml.safe_load)(
        (tmp_path / f"again{suffix}").read_text("utf-8"))
    assert again["entries"] == doc["entries"]


def test_import_extends_history_and_refuses_conflicts_atomically(store_factory, tmp_path):
    src = store_factory()
    src.put("standards", "S1", {"id": "S1"}, author="a", note="1", base_version=None)
    src.put("standards", "S1", {"id": "S1", "v": 2}, author="a", note="2", base_version=1)
    src.export(tmp_path / "e.yaml")

    dst = store_factory()
    dst.put("standards", "S1", {"id": "S1"}, author="a", note="1", base_version=None)
    dst.put("standards", "OTHER", {"id": "OTHER"}, author="a", note="x", base_version=None)
    assert dst.import_(tmp_path / "e.yaml", author="imp") == {"inserted": 1, "unchanged": 1}
    assert dst.get("standards", "S1").content == {"id": "S1", "v": 2}

    clash = store_factory()
    clash.put("standards", "S1", {"id": "S1", "different": True}, author="b", note="1",
              base_version=None)
    sid = clash.snapshot_id()
    with pytest.raises(ConflictError):
        clash.import_(tmp_path / "e.yaml", author="imp")
    assert clash.snapshot_id() == sid and len(clash.history("standards", "S1")) == 1
    assert len(clash.audit()) == 1


def test_import_refuses_tampered_or_foreign_files(store, tmp_path):
    store.put("standards", "S1", {"id": "S1", "price": 10}, author="a", note="", base_version=None)
    store.export(tmp_path / "e.json")
    doc = json.loads((tmp_path / "e.json").read_text("utf-8"))
    doc["entries"][0]["content"]["price"] = 11                       # hash no longer matches
    (tmp_path / "bad.json").write_text(json.dumps(doc), "utf-8")
    (tmp_path / "foreign.yaml").write_text("a: 1\n", "utf-8")
    (tmp_path / "broken.yaml").write_text("a: [1\n", "utf-8")
    gap = json.loads((tmp_path / "e.json").read_text("utf-8"))
    gap["entries"][0]["version"] = 3                                 # would leave a hole
    (tmp_path / "gap.json").write_text(json.dumps(gap), "utf-8")
    other = json.loads((tmp_path / "e.json").read_text("utf-8"))
    other["entries"][0]["key"] = "S2"
    other["entries"][0]["version"] = 3
    (tmp_path / "gap2.json").write_text(json.dumps(other), "utf-8")
    for name in ("bad.json", "foreign.yaml", "broken.yaml", "gap.json", "gap2.json"):
        with pytest.raises(ValidationError) as ei:
            store.import_(tmp_path / name, author="imp")
        assert ei.value.issues[0].message_zh and ei.value.issues[0].message_en
    assert [h.version for h in store.history("standards", "S1")] == [1]
    assert store.list("standards", search="S2") == [] and len(store.audit()) == 1
