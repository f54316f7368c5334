"""Default parameters of the income approach, read from the model library files
``models/income_*.yaml`` (one per annex model plus ``income_discount.yaml`` for the
discount-rate build-up). Hard-coded fallbacks below are used only when the files are absent.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ...core.models import models_dir

__all__ = ["FALLBACK", "default_params", "merge_params"]

FALLBACK: dict[str, Any] = {
    "risk_free": 0.0175,
    "risk_free_source_zh": "10 年期国债收益率（用户输入，模型库默认值）",
    "risk_free_source_en": "10-year CGB yield, user input (model-library default)",
    "coverage": 0.80,
    "attrition_cutoff": 0.05,
    "default_periods": 5,
    "rate_dist": {m: {"type": "relative_normal", "sd": 0.10}
                  for m in ("direct", "split", "excess", "incremental", "royalty")},
}


def _default(p: Any) -> Any:
    return p.get("default") if isinstance(p, Mapping) else p


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read(path: Path) -> dict[str, Any]:
    """Parsed YAML, re-read whenever the file changes (key: path, mtime, size)."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _PARSED:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, encoding="utf-8") as fh:
            _PARSED[key] = yaml.load(fh, Loader=loader) or {}
    return _PARSED[key]


def _apply_entry(out: dict[str, Any], m: Mapping[str, Any]) -> None:
    """Overlay the defaults of one income model entry (a file or a library version) on ``out``."""
    if m.get("method") != "income":
        return
    pars = m.get("parameters") or {}
    if m.get("id") == "income.discount":
        for k in ("risk_free", "coverage", "attrition_cutoff", "default_periods"):
            if k in pars and _default(pars[k]) is not None:
                out[k] = _default(pars[k])
        rf = pars.get("risk_free")
        if isinstance(rf, Mapping):
            out["risk_free_source_zh"] = rf.get("source_zh", out["risk_free_source_zh"])
            out["risk_free_source_en"] = rf.get("source_en", out["risk_free_source_en"])
        return
    model = m.get("model")
    dr = pars.get("discount_rate")
    if model and isinstance(dr, Mapping) and isinstance(dr.get("distribution"), Mapping):
        out["rate_dist"][model] = dict(dr["distribution"])


_FILES: dict[tuple[str, int], list[Path]] = {}
_DEFAULTS: dict[tuple[Any, ...], dict[str, Any]] = {}
_MODELS_DIR: dict[str | None, Path] = {}


def _models_dir() -> Path:
    """:func:`~valuation.core.models.models_dir`, worked out once per value of the
    ``VALUATION_SEED_ROOT`` it reads (without it, the package's own folder: a
    ``Path.resolve``, system calls on every call)."""
    env = os.environ.get("VALUATION_SEED_ROOT")
    d = _MODELS_DIR.get(env)
    if d is None:
        d = _MODELS_DIR[env] = models_dir()
    return d


def _income_files(d: Path) -> list[Path] | None:
    """``sorted(d.glob("income_*.yaml"))``, listed again only when the folder changes (its
    mtime: a file added, removed or renamed); None when the folder is absent."""
    try:
        key = (str(d), os.stat(d).st_mtime_ns)
    except FileNotFoundError:
        return None
    files = _FILES.get(key)
    if files is None:          # (a local, so a concurrent call's clear cannot lose it)
        files = sorted(d.glob("income_*.yaml"))
        _FILES.clear()
        _FILES[key] = files
    return files


def _stamp(path: Path) -> tuple[str, int, int]:
    st = os.stat(path)     # (os.stat: a few µs less than Path.stat)
    return str(path), st.st_mtime_ns, st.st_size


def default_params() -> dict[str, Any]:
    """Parameters from ``models/income_*.yaml`` over the fallbacks.

    Worked out again only when a file changes (key: the files' paths, mtimes and sizes, as
    :func:`_read` parses them); every call returns its own copy (two levels deep, as fresh as
    the dicts the caller may change: the parameters and their ``rate_dist``)."""
    d = _models_dir()
    files = _income_files(d)
    if files is None:
        return {**FALLBACK, "rate_dist": dict(FALLBACK["rate_dist"])}
    key = tuple(_stamp(f) for f in files)
    out = _DEFAULTS.get(key)
    if out is None:
        out = {**FALLBACK, "rate_dist": dict(FALLBACK["rate_dist"])}
        for path in files:
            _apply_entry(out, _read(path))
        _DEFAULTS.clear()
        _DEFAULTS[key] = out
    return {**out, "rate_dist": {m: dict(v) for m, v in out["rate_dist"].items()}}


def merge_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults from the model library overridden by ``params`` (a float ``rate_sd`` sets a
    relative-normal spread of the discount rate for every model). ``models`` (``{id: entry}``
    of a library snapshot, :meth:`~valuation.core.snapshot.LibrarySnapshot.params_for`)
    replaces the file defaults with the library's active versions first."""
    p = default_params()
    models = (params or {}).get("models")
    if isinstance(models, Mapping):
        for m in sorted((m for m in models.values() if isinstance(m, Mapping)), key=lambda m: str(m.get("id"))):
            _apply_entry(p, m)
    for k, v in (params or {}).items():
        if k == "models":
            continue
        if k == "rate_sd" and v is not None:
            p["rate_dist"] = {m: {"type": "relative_normal", "sd": float(v)} for m in p["rate_dist"]}
        elif k == "rate_dist" and isinstance(v, Mapping):
            p["rate_dist"] = {**p["rate_dist"], **{m: dict(d) for m, d in v.items()}}
        else:
            p[k] = v
    return p
