"""The examples in the docstrings of :mod:`valuation.api` run as written (doctest, cwd = the
repository root, as the README shows them)."""
from __future__ import annotations

import doctest
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_doctests(monkeypatch):
    import valuation.api as mod

    monkeypatch.chdir(ROOT)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                          verbose=False, report=True)
    assert res.attempted > 0, "valuation.api has no doctest examples"
    assert res.failed == 0, f"{res.failed} of {res.attempted} doctest examples failed"
    assert Path(os.getcwd()) == ROOT
