"""Composite quality score Q = Σ_j w_j s_j over the six GB/T 36344 dimensions (docs/DOMAIN.md §5.3
step 3), for one score vector (with a trace) or for every asset of a portfolio at once.

Where each piece comes from, per asset (:func:`composite_columns`):

* dimension scores s_j: the card's ``asset.quality.<dimension>`` (columns ``quality_*``);
  dimensions missing there are filled from the sub-indicator records
  (``asset.quality.indicators``, see :mod:`.indicators`);
* weights w_j: the ``weights`` argument, else the card's AHP matrix
  (``asset.quality.ahp_matrix``, principal eigenvector, CR < 0.10 or
  ``asset.quality.cr_override_reason``), else the card's ``asset.quality.weights``, else the
  indicators library's dimension weights (``library``; the seed's are 1/6 each, ENG.default —
  GB/T 36344 gives no weights);
* when the six dimension scores are not all available, a given composite
  ``asset.quality.score`` is used as Q (basis ``given``).

"The defaults" are those of the snapshot's indicators library (:mod:`.library`) when the
caller passes it, else the built-ins (equal to the seed).

The result is unrounded; the cost approach applies the engagement's rounding mode.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.columns import AssetTable
from ..core.errors import ValidationError
from ..core.ragged import PortfolioArrays, Ragged
from .ahp import CR_LIMIT, _pairwise_issues, _refusal, ahp_batch
from .catalog import DEFAULT_DIMENSION_WEIGHTS, DIMENSION_LABELS, DIMENSIONS, Indicator
from .checks import check_scores, check_weights, issue
from .indicators import dimension_scores, indicator_scores
from .library import DEFAULT_QUALITY_LIBRARY, QualityLibrary

__all__ = ["QUALITY_CLAUSES", "composite", "composite_columns"]

QUALITY_CLAUSES = ["GBT36344", "CAS2023.art16", "CAS2023.art17"]
MATRIX_FIELD = "asset.quality.ahp_matrix"
WEIGHTS_FIELD = "asset.quality.weights"
INDICATORS_FIELD = "asset.quality.indicators"


def _trace_step(step_id: str, zh: str, en: str, formula: str, inputs: dict, value: Any,
                clauses: list[str]) -> dict[str, Any]:
    """A trace step with the keys of :class:`valuation.methods.base.TraceStep` (plain values)."""
    return {"step": step_id, "label_zh": zh, "label_en": en, "formula": formula, "inputs": inputs,
            "value": value, "clauses": list(clauses), "unit": "score", "note_zh": "", "note_en": ""}


def composite(scores: Any, weights: Any = None, *, trace: bool = False
              ) -> float | tuple[float, list[dict[str, Any]]]:
    """Q = Σ_j w_j s_j for one asset.

    Parameters
    ----------
    scores : six dimension scores (0–100) in the order of :data:`DIMENSIONS`, or a mapping
        ``{dimension: score}``; any length n when ``weights`` has the same length.
    weights : weights summing to 1 (± 1e-6); default 1/n each (ENG.default).
    trace : also return the steps (inputs, formula, value, clauses).

    F3: s = (92, 88, 85, 90, 80, 95), AHP weights → Q = 87.4357.
    """
    if isinstance(scores, Mapping):
        labels = [d for d in DIMENSIONS if d in scores] or list(scores)
        s = np.array([float(scores[d]) for d in labels])
    else:
        s = np.asarray(scores, dtype=float).reshape(-1)
        labels = list(DIMENSIONS) if len(s) == len(DIMENSIONS) else [str(i + 1) for i in range(len(s))]
    check_scores(s, "asset.quality", labels=labels)
    if weights is None:
        w = np.full(len(s), 1.0 / len(s))
    elif isinstance(weights, Mapping):
        w = np.array([float(weights[d]) for d in labels])
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
    w = check_weights(w, WEIGHTS_FIELD, n=len(s))
    q = float(w @ s)
    if not trace:
        return q
    steps = [_trace_step("quality_weights", "维度权重 w", "Dimension weights w", "Σ w_j = 1",
                         {lab: float(x) for lab, x in zip(labels, w)}, [float(x) for x in w],
                         ["GBT36344", "CAS2023.art17"] + (["ENG.default"] if weights is None else [])),
             _trace_step("quality_score", "数据质量综合得分 Q", "Composite quality score Q", "Q = Σ_j w_j × s_j",
                         {lab: float(x) for lab, x in zip(labels, s)}, q, QUALITY_CLAUSES)]
    return q, steps


def _weights_argument(weights: Any, ids: np.ndarray) -> np.ndarray:
    """Six weights for every asset: ``{dimension: w}``, a vector of six, or an
    (assets × six) array in the assets' order."""
    n = len(ids)
    if isinstance(weights, Mapping):
        W = np.tile(np.array([float(weights[d]) for d in DIMENSIONS]), (n, 1))
    else:
        w = np.asarray(weights, dtype=float)
        W = w.copy() if w.ndim == 2 and w.shape[0] == n and n != 1 else np.tile(w.reshape(-1), (n, 1))
    check_weights(W, "weights", n=len(DIMENSIONS), asset_ids=[str(x) for x in ids])
    return W


class _Parts:
    """What the composite reads of a portfolio, as arrays: the asset table, the sub-indicator
    records, the card weights (assets × 6) and the AHP matrices. A
    :class:`~valuation.core.ragged.PortfolioArrays` is read as it is; a ``Portfolio`` through
    its typed table (``columns``) and only the parts the composite reads converted (its
    ``arrays`` would convert every stream and record table)."""

    def __init__(self, pf: Any):
        if isinstance(pf, PortfolioArrays):
            self.table: AssetTable = pf.assets
            self.records: Ragged | None = pf.records.get(INDICATORS_FIELD)
            given = pf.streams.get(WEIGHTS_FIELD)
        else:
            self.table = pf.columns
            self.records = pf.ragged(INDICATORS_FIELD)   # (straight from the cards' items)
            given = pf.stream_values(WEIGHTS_FIELD)      # (assets × 6, or None)
        self.matrices: Mapping[str, Any] = pf.matrices.get(MATRIX_FIELD) or {}
        self.weights = None if given is None or not given.shape[1] else _six(given)
        self.ids = self.table.ids
        self._pos: dict[Any, int] | None = None

    def pos(self, aid: Any) -> int | None:
        """Row of an asset id (the id → row map is built on first use: problems are rare)."""
        if self._pos is None:
            self._pos = {a: i for i, a in enumerate(self.ids.tolist())}
        return self._pos.get(aid)


def _six(given: np.ndarray) -> np.ndarray:
    """The first six columns of the card weights (NaN-padded when fewer are given)."""
    out = np.full((given.shape[0], len(DIMENSIONS)), np.nan)
    k = min(given.shape[1], len(DIMENSIONS))
    out[:, :k] = given[:, :k]
    return out


def _ahp_rows(parts: _Parts, errors: str):
    """AHP weights for the assets with a matrix, vectorised over a stack of 6 × 6 matrices."""
    mats = parts.matrices
    if not mats:
        return {}, {}
    k6 = len(DIMENSIONS)
    ids = [a for a in mats if parts.pos(a) is not None]
    arrs = [np.asarray(mats[a], dtype=float) for a in ids]
    ok_shape = np.array([m.shape == (k6, k6) for m in arrs], dtype=bool)
    problems: dict[str, list] = {}
    for a, m in zip(np.asarray(ids, dtype=object)[~ok_shape], np.asarray(arrs, dtype=object)[~ok_shape]):
        problems[a] = _pairwise_issues(np.asarray(m, float), MATRIX_FIELD, a) or [
            issue(MATRIX_FIELD, list(np.shape(m)), "6 × 6 matrix (six GB/T 36344 dimensions)",
                  f"{MATRIX_FIELD}[{a}] 须为 6 × 6（六个质量维度），实际 {np.shape(m)}",
                  f"{MATRIX_FIELD}[{a}] must be 6 × 6 (six quality dimensions), got {np.shape(m)}", a)]
    ids6 = [a for a, ok in zip(ids, ok_shape) if ok]
    out: dict[str, tuple] = {}
    if ids6:
        S = np.stack([m for m, ok in zip(arrs, ok_shape) if ok])
        with np.errstate(invalid="ignore"):
            prod = S * np.transpose(S, (0, 2, 1))
            valid = (np.isfinite(S).all(axis=(1, 2)) & (S > 0).all(axis=(1, 2))
                     & (np.abs(np.diagonal(S, axis1=1, axis2=2) - 1.0) <= 1e-9).all(axis=1)
                     & np.isclose(prod, 1.0, rtol=1e-3, atol=0.0).all(axis=(1, 2)))
        for j in np.flatnonzero(~valid):
            problems[ids6[j]] = _pairwise_issues(S[j], MATRIX_FIELD, ids6[j])
        if valid.any():
            w, lam, ci, cr = ahp_batch(S[valid])
            reasons = parts.table["quality_cr_override_reason"]
            for j, a in enumerate(np.asarray(ids6, dtype=object)[valid]):
                reason = reasons[parts.pos(a)]
                reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
                if cr[j] >= CR_LIMIT and not reason:
                    err = _refusal(float(cr[j]), MATRIX_FIELD, a)
                    if errors == "raise":
                        raise err
                    problems[a] = [issue(MATRIX_FIELD, round(float(cr[j]), 6), f"CR < {CR_LIMIT:.2f}",
                                         err.message_zh, err.message_en, a)]
                    continue
                out[a] = (w[j], float(lam[j]), float(ci[j]), float(cr[j]), reason if cr[j] >= CR_LIMIT else None)
    if problems and errors == "raise":
        raise ValidationError([i for v in problems.values() for i in v])
    return out, problems


def composite_columns(pf, weights: Any = None, *, scale: str | None = None,
                      bands=None, catalog: Mapping[str, Indicator] | None = None,
                      errors: str = "raise", library: QualityLibrary | None = None) -> dict[str, np.ndarray]:
    """Composite quality score Q of every asset of ``pf`` (vectorised; see module docstring).

    Parameters
    ----------
    pf : Portfolio or :class:`~valuation.core.ragged.PortfolioArrays` (the asset table's
        ``quality_*`` columns, the records ``asset.quality.indicators``, the list
        ``asset.quality.weights`` and the matrices ``asset.quality.ahp_matrix``).
    weights : optional six weights (array or {dimension: w}) for every asset, or an
        (assets × dimensions) array; must sum to 1 (± 1e-6).
    scale : scoring scale of sub-indicator measures, ``linear`` or ``piecewise``; default the
        library's default scale.
    bands, catalog : piecewise bands and sub-indicator catalogue; default the library's.
    errors : ``raise`` (default: bad input raises ValidationError / RefusedError naming the
        field and value) or ``mark`` (batch: Q = NaN and the reason in ``problem_zh/_en``).
    library : the indicators library of the snapshot (:func:`.library.quality_library`):
        default dimension weights, catalogue, bands and scale; None → the built-in defaults
        (equal to the seed library).

    Returns
    -------
    ``{column: array}`` aligned with the assets: ``quality_score`` (Q, unrounded),
    ``quality_basis`` (dimensions | indicators | given | none), ``weights_source``
    (argument | ahp | card | library (edited library weights) | default), ``ahp_lambda_max``,
    ``ahp_ci``, ``ahp_cr``, ``ahp_override_reason``, ``w_<dimension>`` and ``s_<dimension>``
    (the weights and scores used), ``problem_zh``, ``problem_en``.
    """
    if errors not in ("raise", "mark"):
        raise ValueError("errors must be 'raise' or 'mark'")
    lib = library or DEFAULT_QUALITY_LIBRARY
    scale = lib.scale if scale is None else scale
    memo = getattr(pf, "memo", None)
    if memo is not None and weights is None and bands is None and catalog is None:
        # the cost and the market approach both score a portfolio's quality this way: once
        # (keyed by the library object itself, kept in the value, not by its id alone)
        lib_, cols = memo(("quality.composite", scale, errors, id(lib)),
                          lambda: (lib, _frozen(_composite(pf, None, scale, lib.bands, lib.catalog, errors, lib))))
        if lib_ is lib:
            return dict(cols)
    return _composite(pf, weights, scale, lib.bands if bands is None else bands,
                      lib.catalog if catalog is None else catalog, errors, lib)


def _frozen(cols: dict[str, Any]) -> dict[str, Any]:
    """The columns made read-only (shared by the readers of a memo)."""
    for v in cols.values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    return cols


_BASES = np.array(["indicators", "dimensions", "given", "none"], dtype=object)


def _composite(pf: Any, weights: Any, scale: str, bands: Any, catalog: Any, errors: str,
               lib: QualityLibrary) -> dict[str, np.ndarray]:
    """:func:`composite_columns` with its defaults resolved."""
    parts = _Parts(pf)
    idx = parts.ids
    # the first problem of each asset, in Chinese and English ("" when none)
    prob = _Problems(parts)
    dims, from_ind = _dimensions(parts, prob, errors, scale=scale, bands=bands, catalog=catalog)
    wt = _weights(parts, weights, lib, prob, errors)
    W = wt["W"]
    complete = ~np.isnan(dims).any(axis=1)
    q = np.einsum("ij,ij->i", np.nan_to_num(dims), W)
    given_q = parts.table.floats("quality_score")
    bad_given = (given_q < 0) | (given_q > 100)
    if bad_given.any():
        i = int(np.flatnonzero(bad_given)[0])
        e = ValidationError([issue("asset.quality.score", float(given_q[i]), "0 ≤ score ≤ 100",
                                   f"{idx[i]}：综合质量得分 {given_q[i]:g} 不在 0–100",
                                   f"{idx[i]}: composite quality score {given_q[i]:g} is outside 0–100", str(idx[i]))])
        if errors == "raise":
            raise e
        given_q = np.where(bad_given, np.nan, given_q)
    failed = prob.zh != ""
    use_dims = complete & ~failed
    q = np.where(use_dims, q, np.where(~np.isnan(given_q) & ~failed, given_q, np.nan))
    # the basis as positions in its four labels, then the labels (no fixed-width text array
    # turned into one str object per asset)
    basis = _BASES[np.where(use_dims, np.where(from_ind, 0, 1), np.where(~np.isnan(q), 2, 3))]
    cols: dict[str, Any] = {"quality_score": q, "quality_basis": basis,
                            "weights_source": wt["src"], "ahp_lambda_max": wt["lam"], "ahp_ci": wt["ci"],
                            "ahp_cr": wt["cr"], "ahp_override_reason": wt["ovr"]}
    for j, d in enumerate(DIMENSIONS):
        cols[f"w_{d}"] = W[:, j]
    for j, d in enumerate(DIMENSIONS):
        cols[f"s_{d}"] = dims[:, j]
    cols["problem_zh"] = prob.zh
    cols["problem_en"] = prob.en
    return cols


class _Problems:
    """The first problem found for each asset (``zh``/``en`` arrays, "" when none)."""

    def __init__(self, parts: _Parts):
        self.parts = parts
        self.zh = np.full(len(parts.ids), "", dtype=object)
        self.en = np.full(len(parts.ids), "", dtype=object)

    def note(self, aid: Any, zh: str, en: str, *, first: bool = True) -> None:
        self.note_at(self.parts.pos(aid), zh, en, first=first)

    def note_at(self, i: int, zh: str, en: str, *, first: bool = True) -> None:
        if not (first and self.zh[i]):
            self.zh[i], self.en[i] = zh, en


def _dimensions(parts: _Parts, prob: _Problems, errors: str, *, scale: str, bands: Any,
                catalog: Mapping[str, Indicator]) -> tuple[np.ndarray, np.ndarray]:
    """``(scores assets × dimensions, filled from indicators)``: the card's dimension scores
    (out of 0–100 refused or marked), gaps filled with the means of the indicator records."""
    idx, t = parts.ids, parts.table
    n = len(idx)
    dims = np.column_stack([t.floats(f"quality_{d}") for d in DIMENSIONS]) if n else np.zeros((0, 6))
    bad_dim = (dims < 0) | (dims > 100)
    if bad_dim.any():
        iss = [issue(f"asset.quality.{DIMENSIONS[j]}", float(dims[i, j]), "0 ≤ score ≤ 100",
                     f"{idx[i]}：质量维度 {DIMENSION_LABELS[DIMENSIONS[j]][0]} 得分 {dims[i, j]:g} 不在 0–100",
                     f"{idx[i]}: quality dimension {DIMENSIONS[j]} score {dims[i, j]:g} is outside 0–100", str(idx[i]))
               for i, j in np.argwhere(bad_dim)]
        if errors == "raise":
            raise ValidationError(iss)
        for it in iss:
            prob.note(it.asset_id, it.message_zh, it.message_en, first=False)
        dims = np.where(bad_dim, np.nan, dims)
    from_ind = np.zeros(n, dtype=bool)
    rec = parts.records
    if rec is not None and rec.offsets[-1]:
        owner = rec.owner
        sc = indicator_scores({**rec.columns, "asset_id": idx[owner]}, scale=scale, bands=bands,
                              catalog=catalog, errors=errors)
        for k in np.flatnonzero(sc.problem_zh != ""):
            prob.note_at(owner[k], sc.problem_zh[k], sc.problem_en[k])
        means = dimension_scores(sc, owner, n)
        fill = np.isnan(dims) & ~np.isnan(means)
        from_ind = fill.any(axis=1)
        dims = np.where(fill, means, dims)
    return dims, from_ind


def _weights(parts: _Parts, weights: Any, lib: QualityLibrary, prob: _Problems, errors: str
             ) -> dict[str, np.ndarray]:
    """The dimension weights of each asset and where they came from: the argument, else AHP
    judgments on the card, else weights on the card, else the library's (edited or default)."""
    idx = parts.ids
    n = len(idx)
    W = np.tile(lib.dimension_weights, (n, 1))
    # np.allclose(rtol=0, atol=1e-12) for the finite weights a library holds, without its overhead
    edited = not bool((np.abs(lib.dimension_weights - DEFAULT_DIMENSION_WEIGHTS) <= 1e-12).all())
    out = {"src": np.full(n, "library" if edited else "default", dtype=object), "lam": np.full(n, np.nan),
           "ci": np.full(n, np.nan), "cr": np.full(n, np.nan), "ovr": np.full(n, None, dtype=object)}
    if weights is not None:
        out["src"][:] = "argument"
        return {**out, "W": _weights_argument(weights, idx)}
    g = parts.weights
    if g is not None:
        has = ~np.isnan(g).all(axis=1)
        if has.any():
            rows = np.flatnonzero(has)
            try:
                check_weights(g[rows], WEIGHTS_FIELD, n=6, asset_ids=[str(idx[i]) for i in rows])
                okw = has
            except ValidationError as e:
                if errors == "raise":
                    raise
                badids = {it.asset_id for it in e.issues}
                for it in e.issues:
                    prob.note(it.asset_id, it.message_zh, it.message_en)
                okw = has & ~np.isin(idx.astype(str), list(badids))
            W[okw] = g[okw]
            out["src"][okw] = "card"
    ahp_ok, ahp_bad = _ahp_rows(parts, errors)
    for aid, (w, l_, c_, r_, reason) in ahp_ok.items():
        i = parts.pos(aid)
        W[i] = w
        out["lam"][i], out["ci"][i], out["cr"][i], out["ovr"][i], out["src"][i] = l_, c_, r_, reason, "ahp"
    for aid, iss in ahp_bad.items():
        prob.note(aid, "；".join(x.message_zh for x in iss[:3]), "; ".join(x.message_en for x in iss[:3]))
    return {**out, "W": W}
