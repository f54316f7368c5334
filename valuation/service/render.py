"""JSON bytes of a response body, rendered once.

orjson (the service extra) writes the same compact UTF-8 JSON as Starlette's ``JSONResponse``
(``json.dumps``, then the text encoded to bytes) in far less time, straight to bytes
(``benchmarks/bench_service.py`` measures the service's latency); what it refuses (an
integer beyond 64 bits echoed from a request, say) is rendered by the standard library as
``JSONResponse`` renders it. Bytes are already rendered and pass through unchanged, which lets
an appraisal be rendered where it is computed (a worker thread or process) and be cached as
one bytes object.
"""
from __future__ import annotations

import json
from typing import Any

from ..core.result import Result, clean

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the service extra installs it
    _orjson = None

__all__ = ["render_json", "render_result"]


def render_json(content: Any) -> bytes:
    """``content`` as the JSON bytes a response sends."""
    if isinstance(content, bytes):
        return content
    if _orjson is not None:
        try:
            return _orjson.dumps(content, option=_orjson.OPT_NON_STR_KEYS)
        except TypeError:               # orjson.JSONEncodeError included
            pass
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def render_result(result: Result) -> bytes:
    """``render_json(result.to_dict())``, without building the cleaned copy first.

    ``to_dict`` walks the ~2,000 values of a traced appraisal in Python, which costs far more
    than orjson's writing them. Here orjson writes the result's own values: the plain ones
    (str, int, float, bool, None, dict, list, tuple) as it writes their cleaned copies —
    NaN and ±inf as null, which is what :func:`~valuation.core.result.clean` makes of them —
    and hands every other value (numpy scalars and arrays, timestamps, dates, subclasses of
    the builtins, dataclasses) to :func:`_cleaned`, which answers ``clean(value)``. Whatever
    ``clean`` would leave for orjson to write its own way (a date, a str subclass, a
    dataclass), a dict key that is not a plain str, an integer beyond 64 bits, anything
    orjson refuses: the whole result is rendered the old way, ``render_json(to_dict())``.
    """
    if _orjson is None:  # pragma: no cover - the service extra installs it
        return render_json(result.to_dict())
    try:
        return _orjson.dumps(result.fields(), default=_cleaned, option=_PASS)
    except TypeError:                   # orjson.JSONEncodeError included
        return render_json(result.to_dict())


# values orjson would write its own way go to _cleaned instead (numpy, pandas: always)
_PASS = 0 if _orjson is None else (_orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_SUBCLASS
                                   | _orjson.OPT_PASSTHROUGH_DATACLASS)


def _cleaned(v: Any) -> Any:
    """orjson's ``default``: ``clean(v)``, or TypeError (→ the old way) when ``clean`` leaves
    the value as it is (orjson would write it its own way, or call this again forever)."""
    out = clean(v)
    if type(out) is type(v):
        raise TypeError(type(v).__name__)
    return out
