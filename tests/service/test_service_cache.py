"""The appraisal response cache: identical requests on the same snapshot return the first
answer (same numbers, same provenance); a new library version, another trace flag or another
card misses; ``result_cache_size=0`` disables it."""
import copy

from conftest import EXAMPLE_CARDS, load

CARD = load(EXAMPLE_CARDS[0])


def test_identical_request_hits_and_returns_the_same_body(make_service):
    s = make_service(library=None)          # appraisals on the store: its snapshot can change
    c = s.client
    r1 = c.post("/v1/appraisals", json=CARD, headers=s.h())
    r2 = c.post("/v1/appraisals", json=CARD, headers=s.h())
    assert r1.status_code == r2.status_code == 200
    assert r1.headers["X-Result-Cache"] == "miss" and r2.headers["X-Result-Cache"] == "hit"
    assert r1.json() == r2.json()
    # another trace flag or another card is computed afresh
    assert c.post("/v1/appraisals?trace=false", json=CARD, headers=s.h()).headers["X-Result-Cache"] == "miss"
    other = copy.deepcopy(CARD)
    other["asset"]["asset_id"] = "OTHER-1"
    assert c.post("/v1/appraisals", json=other, headers=s.h()).headers["X-Result-Cache"] == "miss"

    # a new active version in a library changes the snapshot: the next request misses and its
    # provenance names the new snapshot
    r = c.put("/v1/libraries/standards/CACHE.1", headers=s.h("admin"),
              json={"content": {"id": "CACHE.1", "title_en": "t"}, "note": "n", "base_version": None,
                    "status": "active"})
    assert r.status_code == 200, r.text
    s.service.snapshot_id(fresh=True)
    r3 = c.post("/v1/appraisals", json=CARD, headers=s.h())
    assert r3.headers["X-Result-Cache"] == "miss"
    assert r3.json()["provenance"]["library_snapshot"] != r1.json()["provenance"]["library_snapshot"]
    assert r3.json()["estimate"] == r1.json()["estimate"]      # a standards entry moves no number


def test_cache_can_be_switched_off(make_service):
    s = make_service(result_cache_size=0)
    for _ in range(2):
        r = s.client.post("/v1/appraisals", json=CARD, headers=s.h())
        assert r.status_code == 200 and r.headers["X-Result-Cache"] == "miss"
    assert len(s.service.results) == 0


def _burst(s, body, k):
    """k identical POST /v1/appraisals at once (one event loop, the app in process)."""
    import asyncio

    import httpx

    async def go():
        transport = httpx.ASGITransport(app=s.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
            return await asyncio.gather(*[c.post("/v1/appraisals", json=body, headers=s.h()) for _ in range(k)])

    return asyncio.run(go())


def test_a_burst_of_identical_requests_is_computed_once(make_service):
    """Eight identical requests at once: one computes, the others share its answer (or find it
    in the cache) — all bodies equal."""
    s = make_service(library=None)
    rs = _burst(s, CARD, 8)
    assert all(r.status_code == 200 for r in rs)
    kinds = [r.headers["X-Result-Cache"] for r in rs]
    assert kinds.count("miss") == 1 and set(kinds) <= {"miss", "shared", "hit"}, kinds
    assert all(r.json() == rs[0].json() for r in rs)


def test_a_shared_failure_reaches_every_waiter(make_service):
    s = make_service(library=None)
    bad = copy.deepcopy(CARD)
    bad["engagement"]["valuation_date"] = "2026-13-01"
    rs = _burst(s, bad, 4)
    assert [r.status_code for r in rs] == [422] * 4
    assert all(r.json()["issues"][0]["field"] == "engagement.valuation_date" for r in rs)
