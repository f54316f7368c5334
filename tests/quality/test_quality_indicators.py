"""GB/T 36344 catalogue and sub-indicator scores (X = A/B, orientation, scales)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.errors import ValidationError
from valuation.quality import (
    DIMENSIONS,
    INDICATORS,
    catalog_from_entries,
    dimension_scores,
    indicator_scores,
    resolve_code,
    score_measure,
)

SEED = Path(__file__).resolve().parents[2] / "valuation" / "library" / "seed" / "indicators.yaml"


@pytest.fixture(scope="module")
def seed():
    return yaml.safe_load(SEED.read_text("utf-8"))


def test_seed_has_six_dimensions_and_twenty_indicators_in_step_with_the_code(seed):
    assert isinstance(seed, list) and all("id" in e for e in seed)
    dims = [e for e in seed if e["kind"] == "dimension"]
    inds = [e for e in seed if e["kind"] == "indicator"]
    assert [d["dimension"] for d in sorted(dims, key=lambda d: d["order"])] == list(DIMENSIONS)
    assert len(inds) == 20 and {e["id"] for e in inds} == set(INDICATORS)
    assert sum(d["weight"] for d in dims) == pytest.approx(1.0, abs=1e-12)
    for d in DIMENSIONS:
        ws = [e["weight"] for e in inds if e["dimension"] == d]
        assert sum(ws) == pytest.approx(1.0, abs=1e-12) and len(set(ws)) == 1
    inverse = {e["id"] for e in inds if e["orientation"] == "inverse"}
    assert inverse == {"GBT36344.accuracy.duplicate_rate", "GBT36344.accuracy.dirty_rate"}
    for e in inds:
        assert e["measure"]["formula"].startswith("X = A/B") and e["measure"]["a_zh"] and e["measure"]["b_en"]
        assert e["definition_zh"] and e["definition_en"] and "GBT36344" in e["references"]
        assert "ENG.default" in e["references"]   # the weight is an engineering default
        assert INDICATORS[e["id"]].orientation == e["orientation"]
        assert INDICATORS[e["id"]].name_zh == e["name_zh"]
    assert all("not in the standard" in d["weight_note_en"] for d in dims)
    cat = catalog_from_entries(seed)
    assert cat == INDICATORS


def test_seed_piecewise_scale_matches_the_code(seed):
    from valuation.quality import PIECEWISE_BANDS
    bands = next(e for e in seed if e["id"] == "GBT36344.scale.piecewise")["bands"]
    assert tuple((b["min"], b["score"]) for b in bands) == PIECEWISE_BANDS


def test_resolve_codes():
    full = "GBT36344.accuracy.duplicate_rate"
    assert resolve_code(full) == resolve_code("accuracy.duplicate_rate") == resolve_code("duplicate_rate") == full
    assert resolve_code("accuracy.nonsense") is None


def test_scales():
    x = np.array([1.0, 0.99, 0.97, 0.95, 0.92, 0.85, 0.5, np.nan])
    np.testing.assert_allclose(score_measure(x), 100 * x)
    np.testing.assert_array_equal(score_measure(x, "piecewise"), [100, 100, 90, 90, 80, 60, 40, np.nan])
    with pytest.raises(ValidationError) as ei:
        score_measure(x, "cubic")
    assert ei.value.issues[0].field == "scale" and ei.value.issues[0].value == "cubic"


def _records():
    return pd.DataFrame({
        "asset_id": ["A", "A", "A", "B", "B"],
        "indicator": ["GBT36344.accuracy.duplicate_rate", "accuracy.content_correctness", "dirty_rate",
                      "completeness.element", "completeness.record"],
        "a": [20, 970, 5, 900, None], "b": [1000, 1000, 100, 1000, None], "score": [None, None, None, None, 70]})


def test_indicator_scores_orientation_and_given_scores():
    s = indicator_scores(_records())
    np.testing.assert_allclose(s["ratio"][:4], [0.02, 0.97, 0.05, 0.9])
    np.testing.assert_allclose(s["x"][:4], [0.98, 0.97, 0.95, 0.9])       # inverse: 1 − A/B
    np.testing.assert_allclose(s["score"], [98, 97, 95, 90, 70])
    assert s["indicator"].tolist()[2] == "GBT36344.accuracy.dirty_rate"
    p = indicator_scores(_records(), scale="piecewise")
    np.testing.assert_allclose(p["score"], [90, 90, 90, 80, 70])


def test_dimension_scores_are_local_weighted_means():
    d = dimension_scores(indicator_scores(_records()), np.array([0, 0, 0, 1, 1]), 3)   # assets A, B, C
    acc, comp, time = (DIMENSIONS.index(k) for k in ("accuracy", "completeness", "timeliness"))
    assert d[0, acc] == pytest.approx((98 + 97 + 95) / 3)
    assert d[1, comp] == pytest.approx((90 + 70) / 2)      # equal local weights
    assert np.isnan(d[0, time]) and np.isnan(d[2]).all()


@pytest.mark.parametrize("row,field,value,word", [
    ({"indicator": "accuracy.content_correctness", "a": 1200, "b": 1000}, "asset.quality.indicators[0].a", 1200.0, "A ≤ B"),
    ({"indicator": "accuracy.nope", "a": 1, "b": 2}, "asset.quality.indicators[0].indicator", "accuracy.nope", "not in"),
    ({"indicator": "timeliness.sequence", "score": 130}, "asset.quality.indicators[0].score", 130.0, "outside 0–100"),
    ({"indicator": "timeliness.sequence", "a": 3}, "asset.quality.indicators[0].score", None, "neither"),
    ({"indicator": "timeliness.sequence", "a": 0, "b": 0}, "asset.quality.indicators[0].b", 0.0, "B = 0"),
])
def test_bad_indicator_rows_name_field_and_value(row, field, value, word):
    df = pd.DataFrame([{"asset_id": "X", "a": None, "b": None, "score": None, **row}])
    with pytest.raises(ValidationError) as ei:
        indicator_scores(df)
    iss = ei.value.issues[0]
    assert iss.field == field and iss.value == value and word in iss.message_en and iss.asset_id == "X"
    marked = indicator_scores(df, errors="mark")
    assert np.isnan(marked["score"][0]) and marked["problem_en"][0]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(sorted(INDICATORS)), st.floats(0, 100)),
                min_size=1, max_size=30))
def test_dimension_scores_are_weighted_means_within_the_scores(rows):
    """Per asset and dimension: Σ w s / Σ w over the records given (equal local weights within a
    dimension in the seed, so the plain mean), between the smallest and largest score; NaN
    where the asset has no record of that dimension."""
    owner = np.array([r[0] for r in rows])
    scored = indicator_scores({"indicator": [r[1] for r in rows], "score": [r[2] for r in rows]})
    d = dimension_scores(scored, owner, 4)
    for i in range(4):
        for j, dim in enumerate(DIMENSIONS):
            s = [r[2] for r in rows if r[0] == i and INDICATORS[r[1]].dimension == dim]
            if not s:
                assert np.isnan(d[i, j])
            else:
                assert d[i, j] == pytest.approx(sum(s) / len(s), rel=1e-12, abs=1e-12)
                assert min(s) - 1e-9 <= d[i, j] <= max(s) + 1e-9
