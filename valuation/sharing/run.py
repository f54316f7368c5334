"""One distribution from a spec: method → floors/caps → cents → core check → flags → answer.

Pure: it reads the models library entry ``sharing.default`` from the snapshot it is given (or
the shipped ``models/sharing.yaml`` when the snapshot has none) and touches no database.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..core.errors import RefusedError
from .allocate import (
    agreement,
    apply_bounds,
    cost_basis,
    cost_share,
    indexed_costs,
    round_cents,
    scale,
)
from .flags import public_data_block, share_flags
from .games import banzhaf, coalition_sums, core_excess, shapley_exact, shapley_sampling
from .lp import least_core, nucleolus
from .spec import ShareSpec, parse_spec
from .valuemodels import members_of_masks, table_from_function, value_function

__all__ = ["compute_share", "sharing_config", "MODEL_ID"]

MODEL_ID = "sharing.default"


def sharing_config(snap: Any = None) -> dict[str, Any]:
    """``{"parameters": {name: value}, "flags": {...}, "source": ...}`` of ``sharing.default``."""
    from ..core.models import load_model_file, models_dir, param_defaults

    entry = snap.model(MODEL_ID) if snap is not None and hasattr(snap, "model") else None
    source = "library"
    if entry is None:
        entry = load_model_file(models_dir() / "sharing.yaml")
        source = "models/sharing.yaml"
    return {"parameters": param_defaults(entry), "flags": dict(entry.get("flags") or {}), "source": source,
            "references": list(entry.get("references") or [])}


def _step(trace: list, step: str, zh: str, en: str, formula: str, **values: Any) -> None:
    trace.append({"step": step, "label_zh": zh, "label_en": en, "formula": formula,
                  "values": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in values.items()}})


def _game_source(spec: ShareSpec, cfg: Mapping[str, Any]) -> tuple[np.ndarray | None, Callable | None]:
    """(table v, vectorised value function) of the spec's game."""
    fn = None
    if spec.value_model:
        fn = value_function(spec.value_model, spec.ids, spec.roles)
    v = spec.v
    if v is None and fn is not None and spec.n <= int(cfg["parameters"]["exact_max_n"]):
        v = table_from_function(fn, spec.n)
    if fn is None and v is not None:
        weights = 1 << np.arange(spec.n)
        fn = lambda m, v=v: v[np.asarray(m, np.int64) @ weights]  # noqa: E731
    return v, fn


def _solve_game(method: str, v: np.ndarray | None, fn: Callable | None, spec: ShareSpec,
                cfg: Mapping[str, Any], trace: list) -> tuple[np.ndarray, dict[str, Any] | None, float | None]:
    """(allocation in game units, sampling block or None, least-core e* or None)."""
    p = cfg["parameters"]
    n = spec.n
    if method == "shapley" and (v is None or n > int(p["exact_max_n"])):
        vN = float(fn(np.ones((1, n), bool))[0])
        tol = float(spec.sampling.get("tolerance") or float(p["sampling_tolerance"]) * abs(vN))
        # bounded work: one order costs ~n² membership cells, so at most sampling_work_max / n²
        cap = max(2, int(float(p["sampling_work_max"]) // (n * n)))
        want = int(spec.sampling.get("max_permutations") or p["max_permutations"])
        r = shapley_sampling(fn, n, tolerance=tol, seed=int(spec.sampling.get("seed", 0)),
                             max_permutations=min(want, cap))
        samp = {"permutations": r.permutations, "converged": r.converged, "tolerance": tol,
                "permutations_cap": cap,
                "max_std_error": float(r.std_error.max()), "std_error": r.std_error.tolist()}
        _step(trace, "shapley_sampling", "Shapley 值（随机排列抽样）", "Shapley value (permutation sampling)",
              "φ̂_j = mean_π [v(P_j^π ∪ j) − v(P_j^π)], SE_j = sd_j/√m; stop when max SE ≤ tolerance",
              phi=r.values, **{k: v_ for k, v_ in samp.items() if k != "std_error"})
        return r.values, samp, None
    if v is None:
        raise RefusedError(f"方法 {method} 需要全部联盟价值（参与方不超过 {p['exact_max_n']} 个）",
                           f"method {method} needs every coalition's value (at most {p['exact_max_n']} participants)",
                           field="method", value=method, allowed="shapley with sampling for larger games")
    if method == "shapley":
        phi = shapley_exact(v)
        _step(trace, "shapley", "Shapley 值（精确枚举）", "Shapley value (exact enumeration)",
              "φ_j = Σ_{S∌j} |S|!(n−|S|−1)!/n! · (v(S∪j) − v(S))", phi=phi, v_N=float(v[-1]))
        return phi, None, None
    if method == "banzhaf":
        b = banzhaf(v)
        _step(trace, "banzhaf", "Banzhaf 值（归一化）", "Banzhaf value (normalised)",
              "β_j = Σ_{S∌j} (v(S∪j) − v(S)) / 2^(n−1); β_j / Σβ · v(N)", beta=b, v_N=float(v[-1]))
        return b, None, None
    if method == "least_core":
        lc = least_core(v)
        _step(trace, "least_core", "最小核（线性规划）", "Least core (LP, HiGHS)",
              "min e s.t. x(S) + e ≥ v(S) ∀S ≠ ∅, N; x(N) = v(N)", x=lc.x, e_star=lc.excess,
              core_empty=lc.core_empty)
        return lc.x, None, lc.excess
    nu = nucleolus(v, max_n=int(p["nucleolus_max_n"]))
    _step(trace, "nucleolus", "核仁（序贯线性规划）", "Nucleolus (sequential LPs)",
          "lexicographic minimisation of the sorted excesses; duals fix tight coalitions", x=nu.x,
          e_star=nu.excess, levels=nu.levels)
    return nu.x, None, nu.excess


def _fractions(spec: ShareSpec, cfg: Mapping[str, Any], trace: list
               ) -> tuple[np.ndarray, np.ndarray | None, dict | None, float | None]:
    """(fractions of D, table v or None, sampling block, least-core e*)."""
    p = cfg["parameters"]
    D = spec.distributable
    if spec.method == "cost_share":
        basis, w = cost_basis(spec, p.get("stage_weights"))
        f = cost_share(basis)
        _step(trace, "cost_share", "按投入成本分配", "Shares by input cost", "x_i = D · c_i / Σc",
              cost_basis=basis, stage_weights=w, fractions=f)
        v, _ = _game_source(spec, cfg) if (spec.v is not None or spec.value_model) else (None, None)
        return f, v, None, None
    if spec.method == "agreement":
        f = agreement(spec.agreed_share, tol=float(p["fraction_tolerance"]))
        _step(trace, "agreement", "按协议约定比例分配", "Shares by agreement", "x_i = D · a_i, Σa = 1", fractions=f)
        v, _ = _game_source(spec, cfg) if (spec.v is not None or spec.value_model) else (None, None)
        return f, v, None, None
    v, fn = _game_source(spec, cfg)
    if spec.method != "hybrid":
        x, samp, e = _solve_game(spec.method, v, fn, spec, cfg, trace)
        return scale(x, spec.method), v, samp, e
    c, _ = indexed_costs(spec)
    if D <= c.sum() or float(fn(np.ones((1, spec.n), bool))[0]) - c.sum() <= 0:
        f = cost_share(c)
        _step(trace, "hybrid_cost", "混合法：收益不足以覆盖成本，按成本比例回收", "Hybrid: revenue does not cover "
              "the costs (or no surplus is created): cost recovery pro rata", "x_i = D · c_i / Σc", cost=c, fractions=f)
        return f, v, None, None
    v_net = None if v is None else v - coalition_sums(c)
    fn_net = lambda m: fn(m) - np.asarray(m, bool) @ c  # noqa: E731
    psi, samp, e = _solve_game(spec.surplus_method, v_net, fn_net, spec, cfg, trace)
    surplus = D - c.sum()
    x = c + surplus * scale(psi, "hybrid")
    _step(trace, "hybrid", "混合法：先回收投入成本，盈余按博弈方法分配", "Hybrid: costs first, the surplus by "
          "the game method", "x_i = c_i + (D − Σc) · ψ_i / Σψ, ψ on v(S) − c(S)", cost=c, surplus=surplus, psi=psi)
    return x / D, v, samp, e


def _core(v: np.ndarray | None, fractions: np.ndarray, spec: ShareSpec, cfg: Mapping[str, Any],
          e_star: float | None) -> dict[str, Any]:
    """Core check of the final fractions, applied to v(N): some coalition S would do better
    alone when v(S) − x(S) > tolerance × v(N)."""
    if v is None:
        return {"in_core": None, "excess": None, "checked": False,
                "reason_en": "no coalition values (or more than the exact limit)", "reason_zh": "无联盟价值，未检验"}
    vN = float(v[-1])
    x = fractions * vN
    e, mask = core_excess(v, x)
    members = [spec.ids[j] for j in range(spec.n) if (mask >> j) & 1]
    tol = float(cfg["parameters"]["core_tolerance"]) * max(abs(vN), 1.0)
    out = {"in_core": bool(e <= tol), "excess": e, "checked": True, "coalition": members,
           "coalition_value": float(v[mask]) if mask else 0.0,
           "coalition_gets": float(x @ members_of_masks(np.array([mask]), spec.n)[0]) if mask else 0.0,
           "basis": "v(N)", "v_N": vN}
    if e_star is None and spec.n <= int(cfg["parameters"]["lp_max_n"]) and spec.n > 1:
        e_star = least_core(v).excess
    if e_star is not None:
        out["least_core_excess"] = e_star
        out["core_empty"] = bool(e_star > tol)
    return out


def compute_share(raw: Mapping[str, Any], snap: Any = None) -> dict[str, Any]:
    """The answer of docs/sharing.md for one spec (no provenance of the run; see api.share)."""
    cfg = sharing_config(snap)
    spec = parse_spec(raw, exact_max_n=int(cfg["parameters"]["exact_max_n"]))
    trace: list[dict[str, Any]] = []
    f, v, samp, e_star = _fractions(spec, cfg, trace)
    D = spec.distributable
    if (f < -1e-9).any():
        i = int(np.argmin(f))
        raise RefusedError(f"{spec.ids[i]} 的分配比例为负（{f[i]:.4%}）：方法 {spec.method} 不适用于此博弈",
                           f"{spec.ids[i]} would receive a negative share ({f[i]:.4%}): the method {spec.method} "
                           "does not suit this game", field="method", value=spec.method,
                           allowed="a method giving every participant a share >= 0")
    x, notes = apply_bounds(D * f, f, D, spec.floor, spec.cap)
    if notes:
        _step(trace, "bounds", "保底与封顶", "Floors and caps", "x_i = clip(λ·f_i, floor_i, cap_i), Σx = D",
              x=x, notes=notes)
    cents = round_cents(np.clip(x, 0, None), D)
    amounts = cents / 100.0
    fractions = amounts / D if D > 0 else f
    _step(trace, "rounding", "四舍五入到分（最大余数法）", "Rounding to the cent (largest remainder)",
          "floor(100·x_i), the remaining cents to the largest remainders; Σ = D", amounts=amounts)
    core = _core(v, (x / D) if D > 0 else f, spec, cfg, e_star)
    cost, _ = indexed_costs(spec)
    flags = share_flags(spec, amounts, fractions, cost, core, cfg, samp)
    shares = [{"id": spec.ids[i], "name": spec.names[i], "role": spec.roles[i], "holder_type": spec.holder_types[i],
               "amount": float(amounts[i]), "fraction": float(fractions[i]), "input_cost": float(cost[i])}
              for i in range(spec.n)]
    return {"arrangement_id": spec.arrangement_id, "period": spec.period, "method": spec.method,
            "surplus_method": spec.surplus_method or None, "distributable": D, "currency": spec.currency,
            "shares": shares, "core": core, "flags": flags, "sampling": samp,
            "public_data": public_data_block(spec, amounts, fractions), "trace": trace,
            "config": {"model": MODEL_ID, "source": cfg["source"], "parameters": cfg["parameters"]}}
