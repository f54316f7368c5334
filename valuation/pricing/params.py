"""Uncertain parameters of the value functions (``models/reconcile.yaml`` ``uncertainty``).

Every uncertain parameter is a :class:`Param`: *where* it acts on a portfolio (an assets
column, a set of income streams, the income discount rate, or the output of the value
function), *how* it varies (a distribution of the model library, :mod:`.sampling`) and whether
the distribution is read around the value on the card (``anchor="card"``: the draw minus the
distribution's centre is added, or the relative factor multiplies) or replaces it
(``anchor="absolute"``). How drawn values reach an approach's inputs is
:mod:`valuation.pricing.perturbed`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
from .sampling import DIST_TYPES, centre, quantile_u

__all__ = ["KINDS", "Param", "income_discount_nominal", "params_from_config"]

KINDS = ("column", "series", "output", "discount")


@dataclass(frozen=True)
class Param:
    """An uncertain input of a value function.

    kind
        ``column``: an assets column (e.g. ``income_royalty_rate``) takes the drawn value;
        ``series``: every stream in ``target`` (``income.revenue`` ...) is multiplied by the
        drawn factor; ``output``: the value function's result is multiplied by the factor
        (exact for inputs that enter the value linearly, e.g. δ in P = C × δ or a common
        coefficient of every comparable in P = Q × ΠX); ``discount``: the income discount
        rate (given, build-up or WACC) is set to the drawn value.
    """

    name: str
    kind: str
    label_zh: str
    label_en: str
    distribution: Mapping[str, Any]
    target: tuple[str, ...] = ()
    method: str | None = None
    anchor: str = "card"
    clip: tuple[float | None, float | None] = (None, None)
    references: tuple[str, ...] = ("ENG.default",)
    stream: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def nominal(self, pf: Portfolio) -> np.ndarray:
        """The value on each card (NaN = parameter absent → not perturbed); 1 for factors."""
        if self.kind == "column":
            return np.array(pf.number(self.target[0]), dtype=float)
        if self.kind == "discount":
            return income_discount_nominal(pf.columns)
        return np.ones(len(pf))

    def values_at(self, nominal: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Parameter values (n, K) at uniforms u (n, K) around the nominal (n,)."""
        d = self.distribution
        t = d.get("type", "fixed")
        x = nominal[:, None]
        if t == "fixed":
            v = np.broadcast_to(x if "value" not in d or self.anchor == "card" else
                                float(d["value"]), u.shape).astype(float)
        elif self.kind in ("series", "output"):
            # factors: relative_normal → 1 + sd z; others are factors by construction
            v = quantile_u(d, u)
            if self.anchor == "card" and t in ("normal", "uniform", "triangular"):
                v = 1.0 + v - centre(d)
            # (the same factors for every asset: already of u's shape, a fresh array)
        else:
            q = quantile_u(d, u)
            if t == "relative_normal":
                v = x * q
            elif self.anchor == "absolute":
                v = np.where(np.isnan(x), np.nan, q)
            elif t == "lognormal":
                v = x * q / centre(d)
            else:
                v = x + (q - centre(d))
        lo, hi = self.clip
        if lo is not None or hi is not None:
            v = np.clip(v, lo, hi)
        return np.asarray(v, dtype=float)

def income_discount_nominal(a: Any) -> np.ndarray:
    """Discount rate exactly as the income approach resolves it (given → build-up with the
    model library's default risk-free rate → WACC + premium; CAS 2023 art. 21)."""
    from ..methods.income.params import default_params as income_defaults
    from ..methods.income.rates import discount_rates

    return np.asarray(discount_rates(a, float(income_defaults().get("risk_free", np.nan))).rate, float)


def params_from_config(entries: Sequence[Mapping[str, Any]],
                       models: Mapping[str, Mapping[str, Any]] | None = None) -> list[Param]:
    """Params from the ``uncertainty`` list of ``models/reconcile.yaml``; a model-library entry
    of the same method that declares a distribution for ``model_parameter`` overrides the
    default distribution (re-centred on the card's value)."""
    out = []
    for i, e in enumerate(entries):
        dist = dict(e["distribution"])
        mp = e.get("model_parameter")
        if models and mp:
            for m in models.values():
                if m.get("method") != e.get("method"):
                    continue
                pd_ = (m.get("parameters") or {}).get(mp)
                if isinstance(pd_, Mapping) and isinstance(pd_.get("distribution"), Mapping) \
                        and pd_["distribution"].get("type") in DIST_TYPES:
                    dist = dict(pd_["distribution"])
                    break
        target = e.get("target", ())
        out.append(Param(
            name=e["name"], kind=e["kind"], label_zh=e.get("label_zh", e["name"]),
            label_en=e.get("label_en", e["name"]), distribution=dist,
            target=tuple([target] if isinstance(target, str) else target),
            method=e.get("method"), anchor=e.get("anchor", "card"),
            clip=tuple(e.get("clip", (None, None))),  # type: ignore[arg-type]
            references=tuple(e.get("references", ("ENG.default",))), stream=int(e.get("stream", i + 1))))
    return out
