"""The appraisal fast path (``ServiceMiddleware._fast_appraisal``) answers exactly as the
``POST /v1/appraisals`` route does, and leaves every other request to the route.

The route is reached on purpose by presenting the key as ``Authorization: Bearer`` (the fast
path only takes ``X-API-Key``); the result cache is off so both sides compute."""
from __future__ import annotations

import json

import pytest

from valuation.core.models import repo_root

CARDS = sorted((repo_root() / "examples" / "cards").glob("*.json"))
SAME_HEADERS = ("content-type", "content-length", "x-result-cache", "x-coalesced", "x-engine-version",
                "x-library-snapshot")


def _card(i: int = 0) -> dict:
    return json.loads(CARDS[i].read_text(encoding="utf-8"))


@pytest.fixture
def svc(make_service):
    return make_service(result_cache_size=0)


def _both(svc, body: bytes, query: str = ""):
    s = svc.service
    before = s.fast_answers
    fast = svc.client.post("/v1/appraisals" + query, content=body,
                           headers={"X-API-Key": svc.keys["appraiser"], "Content-Type": "application/json"})
    assert s.fast_answers == before + 1, "the fast path did not answer"
    route = svc.client.post("/v1/appraisals" + query, content=body,
                            headers={"Authorization": "Bearer " + svc.keys["appraiser"],
                                     "Content-Type": "application/json"})
    assert s.fast_answers == before + 1, "the route request went through the fast path"
    return fast, route


@pytest.mark.parametrize("i", range(len(CARDS)))
def test_fast_path_equals_the_route_on_every_example_card(svc, i):
    fast, route = _both(svc, json.dumps(_card(i)).encode())
    assert fast.status_code == route.status_code == 200
    assert fast.content == route.content
    for h in SAME_HEADERS:
        assert fast.headers.get(h) == route.headers.get(h), h


@pytest.mark.parametrize("query", ["?trace=false", "?trace=true"])
def test_fast_path_reads_the_trace_flag_as_the_route_does(svc, query):
    fast, route = _both(svc, json.dumps(_card()).encode(), query)
    assert fast.status_code == 200 and fast.content == route.content
    assert bool(fast.json()["methods"]["cost"]["trace"]) == (query == "?trace=true")


def test_an_invalid_card_gets_the_routes_structured_422(svc):
    card = _card()
    card["asset"]["records"] = -5
    fast, route = _both(svc, json.dumps(card).encode())
    assert fast.status_code == route.status_code == 422
    assert fast.content == route.content
    assert fast.json()["issues"][0]["field"].endswith("records")


@pytest.mark.parametrize("case", ["bad json", "array", "empty", "no key", "wrong key", "viewer",
                                  "other query", "two keys"])
def test_everything_else_is_answered_by_the_route(svc, case):
    s = svc.service
    body, headers, query = json.dumps(_card()).encode(), {"X-API-Key": svc.keys["appraiser"]}, ""
    expect = 200
    if case == "bad json":
        body, expect = b'{"asset": ', 422
    elif case == "array":
        body, expect = b"[1, 2]", 422
    elif case == "empty":
        body, expect = b"  ", 422
    elif case == "no key":
        headers, expect = {}, 401
    elif case == "wrong key":
        headers, expect = {"X-API-Key": "dav_000000000000_nope"}, 401
    elif case == "viewer":
        headers, expect = {"X-API-Key": svc.keys["viewer"]}, 403
    elif case == "other query":
        query = "?trace=1"
    before = s.fast_answers
    if case == "two keys":
        hdrs = [("X-API-Key", svc.keys["appraiser"]), ("X-API-Key", svc.keys["appraiser"])]
        r = svc.client.post("/v1/appraisals", content=body, headers=hdrs)
    else:
        r = svc.client.post("/v1/appraisals" + query, content=body, headers=headers)
    assert r.status_code == expect, r.text
    assert s.fast_answers == before
    assert r.headers["x-engine-version"] and r.headers["x-library-snapshot"]


def test_a_refused_rate_is_the_routes_429(make_service):
    svc = make_service(rate_per_second=0.001, rate_burst=1)
    body = json.dumps(_card()).encode()
    h = {"X-API-Key": svc.keys["appraiser"]}
    first = svc.client.post("/v1/appraisals", content=body, headers=h)
    assert first.status_code == 200 and svc.service.fast_answers == 1
    second = svc.client.post("/v1/appraisals", content=body, headers=h)
    assert second.status_code == 429
    assert second.json()["code"] == "rate_limited" and "retry-after" in second.headers
    assert svc.service.fast_answers == 1


def test_provenance_input_hash_is_the_cards_own_hash_through_the_service(svc):
    """The service hashes each card once (its cache key) and hands the hash to the
    computation: the provenance must still be ``card_hash`` of that card."""
    from valuation import api
    from valuation.core.portfolio import card_hash

    for i in range(len(CARDS)):
        card = _card(i)
        got = svc.client.post("/v1/appraisals", json=card, headers=svc.h()).json()
        assert got["provenance"]["input_hash"] == card_hash(card)
        assert got["provenance"] == api.appraise(card, library="seed").to_dict()["provenance"]
