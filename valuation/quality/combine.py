"""Combined subjective + objective weights (docs/DOMAIN.md §5.3, [C]; entropy-corrected AHP [S15]).

    linear (α-mix):   w_j = α w_j^AHP + (1 − α) w_j^ent          (α default 0.5)
    multiplicative:   w_j = w_j^AHP w_j^ent / Σ_k w_k^AHP w_k^ent
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ValidationError
from .checks import check_weights, issue

__all__ = ["combine_weights"]


def combine_weights(w_ahp: Any, w_ent: Any, *, alpha: float = 0.5, method: str = "linear") -> np.ndarray:
    """Combine two weight vectors, each summing to 1; ``method`` = ``linear`` or
    ``multiplicative`` (alias ``product``)."""
    a = check_weights(w_ahp, "w_ahp")
    b = check_weights(w_ent, "w_ent")
    if a.shape != b.shape:
        raise ValidationError([issue("w_ent", list(b.shape), f"shape {a.shape}",
                                     f"两组权重长度不同：{a.shape} 与 {b.shape}",
                                     f"the two weight vectors differ in length: {a.shape} and {b.shape}")])
    if method in ("multiplicative", "product"):
        w = a * b
        if w.sum() <= 0:
            raise ValidationError([issue("w_ent", b, "overlapping positive weights",
                                         "乘法合成的权重全为 0", "the multiplicative combination is zero everywhere")])
        return w / w.sum()
    if method != "linear":
        raise ValidationError([issue("method", method, "linear, multiplicative",
                                     f"组合方式 {method!r} 不受支持（linear 或 multiplicative）",
                                     f"combination method {method!r} is not supported (linear or multiplicative)")])
    if not (0.0 <= float(alpha) <= 1.0):
        raise ValidationError([issue("alpha", alpha, "0 ≤ α ≤ 1", f"组合系数 α = {alpha} 不在 [0, 1]",
                                     f"mixing coefficient α = {alpha} is outside [0, 1]")])
    return float(alpha) * a + (1.0 - float(alpha)) * b
