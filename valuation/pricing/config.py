"""Configuration of the pricing layer from the model library (``models/reconcile.yaml``,
``models/public_data_65.yaml``): taken from a library snapshot when one is given, else read
from the seed files (pure: no database)."""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..core.models import load_model_file, models_dir

__all__ = ["PUBLIC_DATA_ID", "RECONCILE_ID", "public_data_config", "reconcile_config", "setting"]

RECONCILE_ID = "reconcile.default"
PUBLIC_DATA_ID = "pricing.public_data_65"


@lru_cache(maxsize=4)
def _seed(name: str) -> dict[str, Any]:
    p = models_dir() / name
    return load_model_file(p) if p.exists() else {}


def _from(snap: Any, model_id: str, file: str) -> dict[str, Any]:
    if snap is not None:
        m = snap.model(model_id) if hasattr(snap, "model") else None
        if m:
            return dict(m)
    return dict(_seed(file))


def reconcile_config(snap: Any = None, override: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The reconciliation model (weights rules, uncertainty specs, parameter defaults)."""
    cfg = _from(snap, RECONCILE_ID, "reconcile.yaml")
    if override:
        cfg = {**cfg, **dict(override)}
    return cfg


def public_data_config(snap: Any = None) -> dict[str, Any]:
    return _from(snap, PUBLIC_DATA_ID, "public_data_65.yaml")


_FALLBACK = {"coverage": 0.8, "band_up": 0.10, "band_down": 0.10, "draws": 400,
             "mc_max_rows": 200000, "point": "weighted", "divergence": 0.30, "premium_cap": 0.06}


def setting(cfg: Mapping[str, Any], key: str) -> Any:
    """A parameter default of a model entry (``parameters.<key>.default``), or the built-in
    engineering default when the entry does not define it."""
    p = (cfg.get("parameters") or {}).get(key)
    v = p.get("default") if isinstance(p, dict) else p      # (param_defaults' reading, of one key)
    return _FALLBACK.get(key) if v is None else v
