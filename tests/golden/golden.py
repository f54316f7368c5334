"""Golden outputs: what the engine answers today, frozen so a refactor can prove it changed nothing.

What is frozen (docs/ARCHITECTURE.md "Golden outputs"):

* ``to_dict()`` of every example card and of the interchange example, with and without trace;
* ``appraise_many`` of the example portfolio (CSV) — one row per asset;
* ``appraise_many`` of a 10,000-asset synthetic portfolio (``batch.synth``, seed 7).

``python tests/golden/golden.py freeze`` rewrites the files (do it only when a number changes
on purpose, and say why in CHANGELOG.md); the tests compare against them with the named
tolerances below.
"""
from __future__ import annotations

import datetime as _dt
import gzip
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

#: relative tolerance on every number (estimates, bounds, weights, trace values): the core may
#: reorder floating-point sums, nothing more
REL_TOL = 1e-12
#: absolute floor for numbers near zero (amounts are in 元; 1e-9 元 is far below a fen)
ABS_TOL = 1e-9
#: keys whose values legitimately differ between releases or runs
VOLATILE = {"engine_version"}
SYNTH_N = 10_000
SYNTH_SEED = 7
#: the day the rules treat as today (staleness checks), fixed so outputs do not age
AS_OF = _dt.date(2026, 6, 30)


def card_paths() -> list[Path]:
    cards = sorted((ROOT / "examples" / "cards").glob("*.json"))
    return cards + [ROOT / "examples" / "interchange_example.json"]


def _cards_of(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and isinstance(doc.get("assets"), list):
        return doc["assets"]
    return [doc]


def card_outputs() -> dict[str, Any]:
    """``{"<file>#<i>|trace=<bool>": to_dict()}`` for every example card."""
    from valuation import api

    out: dict[str, Any] = {}
    for path in card_paths():
        for i, card in enumerate(_cards_of(path)):
            for trace in (False, True):
                key = f"{path.name}#{i}|trace={trace}"
                try:
                    out[key] = strip(api.appraise(card, library="seed", trace=trace, as_of=AS_OF).to_dict())
                except Exception as exc:  # noqa: BLE001 - a refusal is an output too
                    out[key] = {"error": type(exc).__name__, "message": str(exc)}
    return out


def frame_rows(frame: Any) -> dict[str, Any]:
    """A result frame as ``{asset_id: {column: value}}`` with plain Python values."""
    rows: dict[str, Any] = {}
    for aid, row in frame.iterrows():
        rows[str(aid)] = {str(k): _plain(v) for k, v in row.items()}
    return rows


def portfolio_outputs() -> dict[str, Any]:
    """The example portfolio and the synthetic portfolio, appraised as batches."""
    import pandas as pd

    from valuation import api
    from valuation.batch.synth import synthetic_portfolio
    from valuation.core.portfolio import Portfolio

    out: dict[str, Any] = {}
    small = pd.read_csv(ROOT / "examples" / "portfolio_small.csv")
    out["portfolio_small"] = frame_rows(api.appraise_many(small, library="seed", as_of=AS_OF).frame)
    assets, records = synthetic_portfolio(SYNTH_N, seed=SYNTH_SEED)
    pf = Portfolio.from_table(assets, records=records, strict=False)
    out["synthetic_10000"] = frame_rows(api.appraise_many(pf, library="seed", as_of=AS_OF).frame)
    return out


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def strip(obj: Any) -> Any:
    """Drop the volatile keys, recursively."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def differences(expected: Any, actual: Any, path: str = "$", limit: int = 20) -> list[str]:
    """Where ``actual`` departs from ``expected`` beyond the tolerances (at most ``limit``)."""
    found: list[str] = []
    _diff(expected, actual, path, found, limit)
    return found


def _diff(e: Any, a: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(e, bool) or isinstance(a, bool):
        if e is not a and e != a:
            found.append(f"{path}: {e!r} != {a!r}")
        return
    if isinstance(e, (int, float)) and isinstance(a, (int, float)):
        if not math.isclose(e, a, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            found.append(f"{path}: {e!r} != {a!r}")
        return
    if isinstance(e, dict) and isinstance(a, dict):
        for k in sorted(set(e) | set(a)):
            if k not in a or k not in e:
                found.append(f"{path}.{k}: {'missing' if k not in a else 'new'}")
            else:
                _diff(e[k], a[k], f"{path}.{k}", found, limit)
        return
    if isinstance(e, list) and isinstance(a, list):
        if len(e) != len(a):
            found.append(f"{path}: length {len(e)} != {len(a)}")
            return
        for i, (x, y) in enumerate(zip(e, a)):
            _diff(x, y, f"{path}[{i}]", found, limit)
        return
    if e != a:
        found.append(f"{path}: {e!r} != {a!r}")


def write(name: str, obj: Any) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=0, allow_nan=False)
    with gzip.GzipFile(DATA / f"{name}.json.gz", "wb", mtime=0) as f:
        f.write(raw.encode("utf-8"))


def read(name: str) -> Any:
    with gzip.open(DATA / f"{name}.json.gz", "rb") as f:
        return json.load(io.TextIOWrapper(f, encoding="utf-8"))


def freeze() -> None:
    write("cards", card_outputs())
    write("portfolios", portfolio_outputs())


if __name__ == "__main__":
    if sys.argv[1:] != ["freeze"]:
        sys.exit("usage: python tests/golden/golden.py freeze")
    sys.path.insert(0, str(ROOT))
    freeze()
    print(f"golden outputs written to {DATA}")
