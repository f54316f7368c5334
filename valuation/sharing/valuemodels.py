"""Where v(S) comes from when it is not given as a table: small, documented value models,
each evaluated for many coalitions at once (boolean membership matrix coalitions × n).

``synergy``      v(S) = Σ_{i∈S} standalone_i + Σ_{pairs {a,b} ⊆ S} synergy_ab
                 (a quadratic game: its Shapley value is standalone_i + ½ Σ synergies of i,
                 which the tests and the benchmark use as the known answer);
``complements``  v(S) = revenue when S covers every required role (the product needs all of
                 its links — collection, processing, circulation …), else Σ_{i∈S} standalone_i
                 (a glove-type game).

The third source, the engine, is used by :func:`valuation.api.share` only through tables:
appraise the product once per coalition with only S's contributions and pass the estimates as
``coalition_values`` (docs/sharing.md shows how).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.errors import Issue, ValidationError
from .games import coalition_sums

__all__ = ["value_function", "table_from_function", "members_of_masks"]


def _bad(f: str, v: Any, allowed: str, zh: str, en: str) -> Issue:
    return Issue(f, v if isinstance(v, (str, int, float, bool, type(None))) else str(v)[:80], allowed,
                 f"{f}：{zh}（允许：{allowed}）", f"{f}: {en} (allowed: {allowed})")


def _amounts(iss: list[Issue], f: str, d: Any, ids: Sequence[str]) -> np.ndarray:
    out = np.zeros(len(ids))
    if d is None:
        return out
    if not isinstance(d, Mapping):
        iss.append(_bad(f, d, "{participant id: value >= 0}", "必须是对象", "must be an object"))
        return out
    pos = {p: j for j, p in enumerate(ids)}
    for k, x in d.items():
        ok = isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) and x >= 0
        if k not in pos or not ok:
            iss.append(_bad(f"{f}.{k}", x, "a participant id with a value >= 0", "无效", "is invalid"))
            continue
        out[pos[k]] = float(x)
    return out


def value_function(model: Mapping[str, Any], ids: Sequence[str], roles: Sequence[str]
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised v of a value model: ``f(members) → values`` for a boolean matrix
    (coalitions × n). Raises ValidationError naming the field of a bad model."""
    iss: list[Issue] = []
    kind = model.get("kind")
    sa = _amounts(iss, "value_model.standalone", model.get("standalone"), ids)
    pos = {p: j for j, p in enumerate(ids)}
    if kind == "synergy":
        pairs = model.get("pairs") or []
        a, b, w = [], [], []
        for k, pr in enumerate(pairs if isinstance(pairs, list) else [pairs]):
            mem = pr.get("members") if isinstance(pr, Mapping) else None
            val = pr.get("value") if isinstance(pr, Mapping) else None
            if (not isinstance(mem, list) or len(mem) != 2 or mem[0] == mem[1] or any(m not in pos for m in mem)
                    or not isinstance(val, (int, float)) or isinstance(val, bool) or not np.isfinite(val)):
                iss.append(_bad(f"value_model.pairs[{k}]", pr, "{members: [id, id], value}", "无效", "is invalid"))
                continue
            a.append(pos[mem[0]])
            b.append(pos[mem[1]])
            w.append(float(val))
        if iss:
            raise ValidationError(iss)
        ai, bi, wv = np.array(a, int), np.array(b, int), np.array(w)

        def synergy(members: np.ndarray) -> np.ndarray:
            m = np.asarray(members, dtype=np.float64)       # float: BLAS matmul, not the bool loop
            out = m @ sa
            if len(wv):
                out = out + (m[:, ai] * m[:, bi]) @ wv
            return out

        def synergy_table() -> np.ndarray:
            # by doubling: adding player j to S ⊆ {0…j−1} adds sa_j + Σ_{i∈S} W_ij, and
            # S ↦ Σ_{i∈S} W_ij is itself a doubling (coalition_sums) — O(2**n) in all
            n = len(sa)
            W = np.zeros((n, n))
            np.add.at(W, (np.minimum(ai, bi), np.maximum(ai, bi)), wv)
            v = np.zeros(1)
            for j in range(n):
                v = np.concatenate([v, v + sa[j] + coalition_sums(W[:j, j])])
            return v
        synergy.table = synergy_table  # type: ignore[attr-defined]
        return synergy
    if kind == "complements":
        rev = model.get("revenue")
        req = model.get("required_roles")
        if not isinstance(rev, (int, float)) or isinstance(rev, bool) or not np.isfinite(rev) or rev < 0:
            iss.append(_bad("value_model.revenue", rev, "a number >= 0", "无效", "is invalid"))
        if not isinstance(req, list) or not req or any(r not in roles for r in req):
            iss.append(_bad("value_model.required_roles", req, "roles present among the participants: "
                            + ", ".join(sorted(set(roles))), "无效", "is invalid"))
        if iss:
            raise ValidationError(iss)
        R = np.array([[r == q for r in roles] for q in req], dtype=bool)   # required role × player

        def complements(members: np.ndarray) -> np.ndarray:
            m = np.asarray(members, dtype=np.float64)
            covered = ((m @ R.T.astype(np.float64)) > 0).all(axis=1)
            return np.where(covered, float(rev), m @ sa)

        def complements_table() -> np.ndarray:
            n = len(sa)
            masks = np.arange(2 ** n, dtype=np.int64)
            role_bits = R.astype(np.int64) @ (np.int64(1) << np.arange(n, dtype=np.int64))
            covered = np.ones(2 ** n, bool)
            for rb in role_bits:
                covered &= (masks & rb) != 0
            return np.where(covered, float(rev), coalition_sums(sa))
        complements.table = complements_table  # type: ignore[attr-defined]
        return complements
    raise ValidationError([_bad("value_model.kind", kind, "synergy, complements", "不是已知的价值模型",
                                "is not a known value model")])


def members_of_masks(masks: np.ndarray, n: int) -> np.ndarray:
    """Boolean membership matrix (len(masks) × n) of bitmasks."""
    return ((np.asarray(masks, np.int64)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def table_from_function(fn: Callable[[np.ndarray], np.ndarray], n: int, *, block: int = 1 << 16) -> np.ndarray:
    """v for every bitmask ``0 … 2**n − 1`` (v[0] forced to 0): the model's own O(2**n)
    builder when it has one (``fn.table``), else ``fn`` evaluated in blocks."""
    if hasattr(fn, "table"):
        out = np.asarray(fn.table(), dtype=float)
        out[0] = 0.0
        return out
    out = np.empty(2 ** n)
    for s in range(0, 2 ** n, block):
        masks = np.arange(s, min(s + block, 2 ** n))
        out[s:s + len(masks)] = fn(members_of_masks(masks, n))
    out[0] = 0.0
    return out
