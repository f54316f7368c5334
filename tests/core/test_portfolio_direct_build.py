"""Portfolio.from_cards builds its assets frame from the asset table (core.columns) and its
records columns straight from the items (ISO dates via numpy); the general pandas path —
``pd.DataFrame`` of the card values typed by ``_reference_typed_assets`` (below) / ``_typed_records`` — must give
the same frames, values and dtypes."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import valuation.core.layout as L
import valuation.core.portfolio as P
import valuation.core.streams as S
import valuation.core.typed as T
from valuation.core.frames import _null_str
from valuation.core.validate import check_document

ROOT = Path(__file__).resolve().parents[2]
CARDS = [json.loads(p.read_text(encoding="utf-8"))
         for p in sorted((ROOT / "examples" / "cards").glob("*.json"))
         + [ROOT / "examples" / "interchange_example.json"]]


def _sparse(card: dict, k: int) -> dict:
    """Every k-th leaf of the card (records items included) set to None or dropped where the
    card stays valid — columns with missing values among present ones."""
    c = copy.deepcopy(card)
    count = 0

    def walk(d):
        nonlocal count
        for key in list(d):
            v = d[key]
            if isinstance(v, dict):
                walk(v)
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                for item in v:
                    walk(item)
            elif key != "asset_id":
                count += 1
                if count % k in (0, 1):
                    if count % k == 0:
                        d[key] = None
                    else:
                        del d[key]
                    if check_document(c, "card")[1]:
                        d[key] = v
    walk(c)
    return c


def _sets() -> list[list[dict]]:
    out = [[c] for c in CARDS]
    mix = [dict(copy.deepcopy(CARDS[i % len(CARDS)]),
                asset=dict(CARDS[i % len(CARDS)]["asset"], asset_id=f"X{i}")) for i in range(14)]
    out.append(mix)
    for k in (3, 7):
        out.append([_sparse(c, k) for c in mix])
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.dtypes) == list(b.dtypes)
    for col in a.columns:
        if a[col].dtype == object:
            assert [type(v) for v in a[col]] == [type(v) for v in b[col]]


def _reference_typed_assets(df: pd.DataFrame) -> pd.DataFrame:
    """The general pandas typing of an assets frame by the schema table (the definition the
    frames were first frozen with; the package types through the AssetTable)."""
    n = len(df)
    out = {}
    for f in L._scalar_fields():
        c = f.column
        s = df[c] if c in df.columns else None
        if s is not None and s.dtype == object and n and s.isna().all():
            s = None
        if f.kind in ("int", "number"):
            if s is None:
                out[c] = np.full(n, np.nan if f.default is None else float(f.default))
                continue
            x = s.to_numpy(dtype=float, na_value=np.nan) if pd.api.types.is_numeric_dtype(s) \
                else pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            if f.default is not None:
                x = np.where(np.isnan(x), float(f.default), x)
            out[c] = x
        elif f.kind == "date":
            if s is None:
                d = np.empty(n, dtype="datetime64[ns]")
                d[:] = np.datetime64("NaT")
                out[c] = d
            else:
                out[c] = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[ns]")
        elif f.kind == "bool":
            if s is None:
                out[c] = (np.full(n, bool(f.default)) if f.default is not None
                          else pd.array([pd.NA] * n, dtype="boolean"))
                continue
            b = pd.Series(s).astype("boolean") if not pd.api.types.is_bool_dtype(s.dtype) else s
            out[c] = b.fillna(bool(f.default)).to_numpy(dtype=bool) if f.default is not None else b.array
        else:  # str, enum, list_str: pandas "str" dtype, NaN when missing
            if s is None:
                out[c] = (pd.Series(np.full(n, f.default, dtype=object), dtype="str")
                          if f.default is not None else _null_str(n)).array
                continue
            o = pd.Series(s.to_numpy() if not isinstance(s, pd.Series) else s.array).astype("str")
            if f.default is not None:
                o = o.fillna(f.default)
            out[c] = o.array
    for flag in L.SECTION_FLAGS.values():
        out[flag] = df[flag].to_numpy(dtype=bool) if flag in df.columns else np.zeros(n, dtype=bool)
    return pd.DataFrame(out, index=df.index)


def _general_assets(norm: list[dict]) -> tuple[pd.DataFrame, dict]:
    """The assets frame and series by pandas: a frame of the card values, typed column by
    column (``_reference_typed_assets``), the streams expanded into it (``_expand_series``)."""
    scal, _, sfields, _, _ = L._card_plan()
    cols = {}
    for f, _, _, col in scal:
        vals = [L._get(c, f.path) for c in norm]
        cols[col] = [("; ".join(v) if v else None) for v in vals] if f.kind == "list_str" else vals
    for sec, flag in L.SECTION_FLAGS.items():
        cols[flag] = [isinstance(c.get(sec), dict) for c in norm]
    ids = pd.Index([c["asset"]["asset_id"] for c in norm], name="asset_id")
    assets = _reference_typed_assets(pd.DataFrame(cols, index=ids))
    series = S._expand_series(assets, {f.path: [L._get(c, f.path) for c in norm] for f in sfields})
    return assets, series


@pytest.mark.parametrize("cards", _sets())
def test_direct_build_equals_general_path(cards, monkeypatch):
    checked = [check_document(c, "card") for c in cards]
    assert not any(issues for _, issues in checked)
    norm = [out for out, _ in checked]
    fast = P.Portfolio._build_from_norm(copy.deepcopy(norm))
    assets, series = _general_assets(copy.deepcopy(norm))
    monkeypatch.setattr(T, "_typed_records_from_items", lambda *a: None)
    monkeypatch.setattr(T, "_iso_dates", lambda *a: None)
    slow = P.Portfolio._build_from_norm(copy.deepcopy(norm))
    _same(fast.assets, assets)
    assert list(fast.series) == list(series) == list(slow.series)
    for k in fast.series:
        _same(fast.series[k], series[k])
    assert list(fast.records) == list(slow.records)
    for k in fast.records:
        _same(fast.records[k], slow.records[k])
    assert list(fast.matrices) == list(slow.matrices)
    for k, m in fast.matrices.items():
        assert all(np.array_equal(v, slow.matrices[k][a]) for a, v in m.items())


def test_frame_of_arrays_equals_the_dict_constructor():
    """frame_of_arrays(cols, index) is pd.DataFrame(cols, index=index) — values, dtypes and
    blocks — for the columns methods build (numbers, bools, text as unicode or object arrays of
    str) and, by the constructor itself, for any other column (object arrays holding None or
    numbers, datetimes, lists, no rows)."""
    import numpy as np
    import pandas as pd

    from valuation.core.portfolio import frame_of_arrays

    idx = pd.Index(["a", "b", "c"], name="asset_id")
    base = {"x": np.array([1.0, np.nan, 3.0]), "ok": np.array([True, False, True]),
            "n": np.array([1, 2, 3]), "why": np.array(["", "无", "x y"], dtype=object),
            "basis": np.where([True, False, True], "quality", ""), "y": np.array([0.5, 2.0, -1.0])}
    odd = [np.array(["a", None, "c"], dtype=object), np.array([1, "a", 2.0], dtype=object),
           np.array(["2025-01-01", "NaT", "2025-01-03"], dtype="datetime64[ns]"), [1.0, 2.0, 3.0],
           np.array([1 + 2j, 0, 1])]
    cases = [base] + [{**base, "odd": v} for v in odd]
    for cols in cases:
        a, b = frame_of_arrays(cols, idx), pd.DataFrame(cols, index=idx)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert frame_of_arrays(base, idx)["why"].dtype == "str"
    empty = {k: v[:0] for k, v in base.items()}
    pd.testing.assert_frame_equal(frame_of_arrays(empty, idx[:0]), pd.DataFrame(empty, index=idx[:0]))
    # the arrays are copied into the frame, as by the constructor
    cols = {k: v.copy() for k, v in base.items()}
    fr = frame_of_arrays(cols, idx)
    cols["x"][0] = 99.0
    assert fr["x"].iloc[0] == 1.0
