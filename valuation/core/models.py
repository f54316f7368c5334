"""Reading model-library files (``models/*.yaml``) without touching the database.

The store (:mod:`valuation.library`) versions these files; methods receive plain parameter
dictionaries, so this loader is enough for tests and for pure computations.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

__all__ = ["repo_root", "models_dir", "load_model_file", "load_models_dir", "param_defaults"]

# the files shipped with the engine (trusted: user imports go through library/safe_load);
# libyaml's parser (C) reads them much faster than the pure-Python one, with the same safe constructors
_MODEL_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def repo_root() -> Path:
    env = os.environ.get("VALUATION_SEED_ROOT")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def models_dir() -> Path:
    return repo_root() / "models"


def load_model_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_MODEL_LOADER)
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError(f"model file {path} must be a mapping with an 'id'")
    return data


def load_models_dir(path: str | os.PathLike[str] | None = None) -> dict[str, dict[str, Any]]:
    d = Path(path) if path else models_dir()
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(d.glob("*.yaml")):
        m = load_model_file(p)
        out[m["id"]] = m
    return out


def param_defaults(model: dict[str, Any]) -> dict[str, Any]:
    """{parameter: default} of a model entry."""
    return {k: (v.get("default") if isinstance(v, dict) else v)
            for k, v in (model.get("parameters") or {}).items()}
