"""Property tests: canonical content, hashes, and storage round trips for arbitrary JSON."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuation.library.records import canonical_json, content_hash, normalise_content

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15)
    | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(_text, kids, max_size=4),
    max_leaves=15)
_docs = st.dictionaries(_text, _json, max_size=5)


@given(_docs)
def test_normalising_is_idempotent_and_hash_ignores_key_order(doc):
    once = normalise_content(doc)
    assert normalise_content(once) == once
    reordered = dict(reversed(list(once.items())))
    assert content_hash(reordered) == content_hash(once)
    assert len(content_hash(once)) == 64 and canonical_json(once) == canonical_json(reordered)


@given(_docs, _docs)
def test_different_documents_have_different_hashes(a, b):
    a, b = normalise_content(a), normalise_content(b)
    if canonical_json(a) != canonical_json(b):
        assert content_hash(a) != content_hash(b)


_counter = itertools.count()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_docs)
def test_any_json_document_reads_back_identical(store, doc):
    key = f"k{next(_counter)}"
    e = store.put("models", key, doc, author="prop", base_version=None)
    back = store.get("models", key)
    assert back.content == e.content == normalise_content(doc)
    assert back.content_hash == content_hash(normalise_content(doc))
