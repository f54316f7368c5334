"""Card validation checks the plain values cards usually hold by per-field fast checks bound
once (``_fast_check``) and leaves everything else — errors included — to ``_check_scalar``.
A fast check must accept exactly what the general check accepts without an issue, with the same
normalised value, and documents must come out the same either way, issues and all."""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import valuation.core.validate_document as V
from valuation.core.schema import fields_for

ROOT = Path(__file__).resolve().parents[2]
CARDS = [json.loads(p.read_text(encoding="utf-8"))
         for p in sorted((ROOT / "examples" / "cards").glob("*.json"))
         + [ROOT / "examples" / "interchange_example.json"]]

VALUES = [None, 0, 1, -1, 7, 2 ** 53, -(2 ** 53) + 1, 10 ** 400, 0.0, -0.0, 0.5, 1.0, 3.0, 1e308,
          -1e-300, 2.5e9, float("nan"), float("inf"), -float("inf"), True, False, np.float64(0.3),
          np.int64(2), np.bool_(True), "", " ", "x", "abc", "CNY", "2024-01-31", "2024-02-30",
          "1899-12-31", "2199-12-31", "2200-01-01", " 2024-01-31", "2024-1-31", "２０２４-01-31",
          "٢٠٢٤-٠١-٣١", [], [1, 2.5], [1.0, float("nan")], ["a", "b"], ["a", 1], [True], [[1.0]],
          {"base": 1.0, "growth": [0.1]}, {"a": 1}, (1.0,)]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _fields():
    return [f for f in fields_for("card") if f.kind != "records"]


@pytest.mark.parametrize("f", _fields(), ids=lambda f: f.path)
def test_fast_check_accepts_only_what_the_general_check_accepts(f):
    fast = V._fast_check(f)
    enum = list(f.allowed or ())[:3]
    for v in VALUES + enum + [e + " " for e in enum]:
        issues: list = []
        got = fast(copy.deepcopy(v))
        try:
            want = V._check_scalar(f, f.path, copy.deepcopy(v), issues)
        except OverflowError:       # e.g. 10**400 as a number: the general check raises
            assert got is V._SLOW
            continue
        if got is V._SLOW:
            continue
        assert not issues, (f.path, v)
        assert _same(got, want), (f.path, v, got, want)


def _mutants(card: dict) -> list[dict]:
    """The card with each leaf in turn replaced by odd values (bad types, out of bounds,
    nulls, unknown keys)."""
    out = []
    odd = [None, "bad", -1e9, 1e12, True, "2024-13-01", [1, "x"], {"z": 1}, 3.5]
    k = 0

    def walk(d, setter):
        nonlocal k
        for key in list(d):
            v = d[key]
            if isinstance(v, dict):
                walk(v, setter)
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                for item in v:
                    walk(item, setter)
            else:
                setter(d, key, odd[k % len(odd)])
                k += 1
    muts: list[tuple] = []
    walk(card, lambda d, key, val: muts.append((id(d), key, val)))
    for i, (_, _, _) in enumerate(muts):
        c = copy.deepcopy(card)
        j = 0

        def put(d, key, val, i=i):
            nonlocal j
            if j == i:
                d[key] = val
            j += 1
        walk(c, put)
        out.append(c)
    extra = copy.deepcopy(card)
    extra["asset"]["no_such_key"] = 1
    extra["surprise"] = {"x": 1}
    out.append(extra)
    return out


def _walk_reference(prefix, obj, kind, objs, issues):
    """``_walk`` before its per-prefix key plans (the reference the plans must equal)."""
    out = {}
    for key, v in obj.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        f = V.field_by_path(path)
        if f is not None and f.kind == "records":
            out[key] = V._walk_records(f, path, v, kind, objs, issues)
        elif f is not None and f.doc == kind:
            out[key] = V._check_scalar(f, path, v, issues)
        elif path in objs:
            if v is None:
                out[key] = None
            elif not isinstance(v, dict):
                issues.append(V.issue_for(None, path, v, allowed_zh="JSON 对象", allowed_en="a JSON object"))
            else:
                out[key] = _walk_reference(path, v, kind, objs, issues)
        else:
            issues.append(V.unknown_issue(path, v, known=V._allowed_keys(kind, prefix, objs)))
    for f, name in V._leaves(kind, prefix):
        if name not in obj or obj.get(name) is None:
            if f.required and name not in obj:
                issues.append(V.missing_issue(f, f.path))
            elif f.default is not None and name not in obj:
                out[name] = f.default
    return out


@pytest.mark.parametrize("card", CARDS[:4] + CARDS[-1:])
def test_documents_same_as_by_the_general_walk(card, monkeypatch):
    docs = [card] + _mutants(card)
    fast = [V.check_document(copy.deepcopy(d), "card") for d in docs]
    monkeypatch.setattr(V, "_walk", _walk_reference)
    slow = [V.check_document(copy.deepcopy(d), "card") for d in docs]
    assert any(issues for _, issues in slow)
    for (fo, fi), (so, si) in zip(fast, slow):
        assert json.dumps(fo, sort_keys=False, default=repr) == json.dumps(so, sort_keys=False, default=repr)
        assert [i.to_dict() for i in fi] == [i.to_dict() for i in si]
