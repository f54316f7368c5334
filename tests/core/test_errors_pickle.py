"""Errors cross process boundaries (Dask workers, the service's compute processes) by pickle:
each comes back as the same class with the same messages, issues and context."""
from __future__ import annotations

import pickle

import pytest

from valuation.core.errors import (
    ConflictError,
    Issue,
    NotFoundError,
    RefusedError,
    RuleCompileError,
    ValidationError,
    ValuationError,
)

ISSUES = [Issue("asset.book_value", "abc", "数值 >= 0", "字段 asset.book_value 的值 'abc' 无效",
                "field asset.book_value: value 'abc' is not allowed", row=3, asset_id="A-1")] * 7

ERRORS = [
    ValuationError("出错", "failed", step="x"),
    ValidationError(ISSUES),
    ConflictError("版本冲突", "conflict", key="k", expected=2),
    NotFoundError("未找到", "not found"),
    RefusedError("g ≥ i", "g >= i refused", field="income.g", value=0.2, allowed="< i"),
    RuleCompileError("拒绝", "refused", expression="__import__('os')"),
]


@pytest.mark.parametrize("err", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err) and back.args == err.args
    assert back.to_dict() == err.to_dict()
    assert vars(back) == vars(err)
    with pytest.raises(type(err)) as ei:
        raise back
    assert ei.value.message("en") == err.message("en")
