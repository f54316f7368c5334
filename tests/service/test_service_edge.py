"""Inputs schemathesis found that once gave 500s: each is now a structured refusal or a
reported failure, and the rest of a batch is appraised."""
import copy

from conftest import EXAMPLE_CARDS, load

CARD = load(EXAMPLE_CARDS[0])


def test_batch_with_a_non_object_section_reports_that_card(svc):
    bad = copy.deepcopy(CARD)
    bad["asset"] = 0.5
    r = svc.client.post("/v1/appraisals:batch", json=[CARD, bad], headers=svc.h())
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["results"]) == 1 and body["failures"]
    assert any(f["field"].startswith("asset") for f in body["failures"])


def test_dates_outside_the_supported_range_are_refused_not_overflowed(svc):
    far = copy.deepcopy(CARD)
    far["engagement"]["valuation_date"] = "9999-12-31"
    r = svc.client.post("/v1/appraisals", json=far, headers=svc.h())
    assert r.status_code == 422, r.text
    issue = r.json()["issues"][0]
    assert issue["field"] == "engagement.valuation_date" and issue["value"] == "9999-12-31"
    assert "1900-01-01" in issue["allowed"] and "2199-12-31" in issue["allowed"]
    r = svc.client.post("/v1/appraisals:batch", json=[CARD, far], headers=svc.h())
    assert r.status_code == 200 and len(r.json()["results"]) == 1 and r.json()["failures"]


def test_fast_json_rendering_equals_the_standard_one_and_falls_back():
    """Responses are rendered by orjson (faster on the event loop): the same JSON value as the
    standard renderer for a whole appraisal; an integer orjson refuses (beyond 64 bits, echoed
    from a request) is rendered by the standard library instead of failing."""
    import json

    from fastapi.responses import JSONResponse

    from valuation import api
    from valuation.service.app import _FastJSONResponse

    body = api.appraise(load(EXAMPLE_CARDS[0]), library="seed").to_dict()
    fast = _FastJSONResponse(body).body
    assert json.loads(fast) == json.loads(JSONResponse(body).body) == json.loads(json.dumps(body))
    big = {"value": 2 ** 70, "message_zh": "超出范围"}
    assert json.loads(_FastJSONResponse(big).body) == big
    assert _FastJSONResponse(fast).body is fast                 # already rendered: as it is


def test_cached_appraisals_are_kept_rendered(svc):
    """The result cache keeps each answer as its JSON bytes (one object for the garbage
    collector instead of a result's hundreds); a hit sends exactly the bytes first sent."""
    from conftest import EXAMPLE_CARDS, load

    card = load(EXAMPLE_CARDS[1])
    first = svc.client.post("/v1/appraisals", json=card, headers=svc.h())
    again = svc.client.post("/v1/appraisals", json=card, headers=svc.h())
    assert (first.headers["X-Result-Cache"], again.headers["X-Result-Cache"]) == ("miss", "hit")
    assert again.content == first.content
    assert all(type(v) is bytes for v in svc.service.results._d.values())


def test_rendering_a_result_directly_equals_rendering_its_cleaned_dict():
    """``render_result(r)`` writes the result's own values (``clean`` only where orjson meets
    a non-plain value): the same bytes as ``render_json(r.to_dict())`` for every example card,
    traced or not, and for odd values — numpy scalars and arrays, timestamps, NaN and inf,
    tuples, builtin subclasses, dates, dataclasses, non-str keys, integers beyond 64 bits (the
    last ones by the old way)."""
    import dataclasses
    import datetime as dt

    import numpy as np
    import pandas as pd

    from valuation import api
    from valuation.service.render import render_json, render_result

    for path in EXAMPLE_CARDS:
        for trace in (True, False):
            r = api.appraise(load(path), library="seed", trace=trace)
            assert render_result(r) == render_json(r.to_dict())

    class Text(str):
        pass

    class Table(dict):
        pass

    @dataclasses.dataclass
    class Point:
        x: float

    r = api.appraise(load(EXAMPLE_CARDS[0]), library="seed", trace=False)
    odd = [np.float64(1.25), np.float64("nan"), np.int64(7), np.bool_(True), np.array([1.0, np.nan]),
           pd.Timestamp("2025-03-01"), pd.NaT, float("inf"), -0.0, (1, "a", None), Table(a=np.int32(2)),
           np.str_("x")]
    slow = [Text("t"), dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4), Point(1.5), {1: "a"}, 2 ** 70]
    for v in odd + slow:
        rr = dataclasses.replace(r, explanation={"v": v, "nested": [{"w": v}]},
                                 provenance={**r.provenance, "random_seed": v})
        assert render_result(rr) == render_json(rr.to_dict()), v
