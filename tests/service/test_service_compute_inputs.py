"""What the service hands its computation besides the cards: their hashes and the snapshot
id the requests were made on (``valuation.service.compute``)."""
from __future__ import annotations

import json

import pytest

from valuation import api
from valuation.core.models import repo_root
from valuation.core.portfolio import card_hash
from valuation.service import compute

CARDS = [json.loads(p.read_text(encoding="utf-8"))
         for p in sorted((repo_root() / "examples" / "cards").glob("*.json"))]


def test_appraise_together_records_the_given_hashes_and_checks_their_number():
    cards = CARDS[:3]
    given = api.appraise_together(cards, library="seed", input_hashes=[card_hash(c) for c in cards])
    plain = api.appraise_together(cards, library="seed")
    assert [r.to_dict() for r in given] == [r.to_dict() for r in plain]
    marked = api.appraise_together(cards[:1], library="seed", input_hashes=["f" * 64])
    assert marked[0].provenance["input_hash"] == "f" * 64      # used as given, not recomputed
    with pytest.raises(ValueError, match="input_hashes: 1 hashes for 3 cards"):
        api.appraise_together(cards, library="seed", input_hashes=["x"])


def test_a_batch_on_the_last_resolved_snapshot_skips_resolving_it_again(tmp_path, monkeypatch):
    store = api.open_library(f"sqlite:///{tmp_path / 'lib.db'}", init=True)
    calls = []
    real = api.snapshot
    # count the resolutions of the store itself (appraise_together passes a snapshot through)
    monkeypatch.setattr(compute.api, "snapshot", lambda lib: (lib is store and calls.append(1)) or real(lib))
    compute._LAST.clear()
    first = compute.appraise_rendered(store, False, CARDS[:1])
    sid = first[0][1]
    assert len(calls) == 1
    again = compute.appraise_rendered(store, False, CARDS[:1], [card_hash(CARDS[0])], sid)
    assert len(calls) == 1 and again == first                 # reused, same bytes
    compute.appraise_rendered(store, False, CARDS[:1], None, "another-snapshot")
    assert len(calls) == 2                                    # another id: resolved afresh
    # a library write gives a new snapshot id; a request made on it resolves the new state
    first_rule = store.list("rules")[0]
    entry = store.get("rules", first_rule.key if hasattr(first_rule, "key") else first_rule["key"])
    content = dict(entry.content)
    content["title_en"] = str(content.get("title_en", "")) + " (edited)"
    store.put("rules", entry.key, content, author="test", note="a new version",
              base_version=entry.version)
    new_sid = real(store).snapshot_id
    assert new_sid != sid
    out = compute.appraise_rendered(store, False, CARDS[:1], None, new_sid)
    assert out[0][1] == new_sid
