"""Writes to the rules library pass the whitelisted compiler: a refused rule writes nothing."""
import pytest

from valuation import api
from valuation.core.errors import RuleCompileError, ValidationError

GOOD = {"id": "LOCAL_PREMIUM", "severity": "warning", "condition": "premium_ratio >= limit",
        "params": {"limit": 0.5}, "message_zh": "增值率 {premium_ratio:.0%}", "message_en": "premium {premium_ratio:.0%}",
        "references": ["EXCH.premium100"]}


def test_store_refuses_unsafe_rule_and_keeps_the_rest(tmp_path):
    store = api.open_library(f"sqlite:///{tmp_path / 'r.db'}")
    e = store.put("rules", "LOCAL_PREMIUM", GOOD, author="t", note="n", base_version=None)
    sid = store.snapshot_id()
    bad = dict(GOOD, condition="__import__('os').system('true') or premium_ratio > 1")
    with pytest.raises((RuleCompileError, ValidationError)) as ei:
        store.put("rules", "LOCAL_PREMIUM", bad, author="t", note="n", base_version=e.version)
    assert "refused" in str(ei.value)
    assert store.get("rules", "LOCAL_PREMIUM").version == e.version
    assert store.snapshot_id() == sid
