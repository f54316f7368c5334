"""Issue 18 on the HTTP face: every hostile class of ``tests/hostile_inputs.py`` is a 4xx with
the bilingual error body (never 500), the key is checked before the body is read, wrong keys
are 401 and rate limited per address, answers carry the security headers, a request past the
deadline gets 504, and the largest request the limits allow is answered."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_limits import largest_batch, largest_card  # noqa: E402
from hostile_inputs import CARD, TEXT_CASES  # noqa: E402

JSON = {"Content-Type": "application/json"}


def _error_body(r) -> dict:
    body = r.json()
    assert set(body) >= {"code", "message_zh", "message_en", "issues"}
    assert body["message_zh"] != body["message_en"]
    return body


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_each_hostile_card_is_422_naming_the_field(svc, name):
    raw, field = TEXT_CASES[name]
    for path in ("/v1/appraisals", "/v1/appraisals?trace=false"):     # fast path and route
        r = svc.client.post(path, content=raw, headers={**svc.h(), **JSON})
        assert r.status_code == 422, (name, r.status_code, r.text[:500])
        assert field in _error_body(r)["issues"][0]["field"]


@pytest.mark.parametrize("name", ["deep nesting", "lone surrogate", "duplicate key", "5000-digit integer"])
def test_hostile_cards_inside_a_batch_and_a_price_are_422(svc, name):
    raw, _ = TEXT_CASES[name]
    batch = b"[" + raw + b"]"
    r = svc.client.post("/v1/appraisals:batch", content=batch, headers={**svc.h(), **JSON})
    assert r.status_code == 422, r.text[:300]
    r = svc.client.post("/v1/prices", content=raw, headers={**svc.h(), **JSON})
    assert r.status_code == 422


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_any_body_is_answered_with_a_4xx_or_200_never_500(svc, raw):
    r = svc.client.post("/v1/appraisals", content=raw, headers={**svc.h(), **JSON})
    assert r.status_code in (200, 422), r.text[:300]
    if r.status_code == 422:
        _error_body(r)


# ------------------------------------------------------------------ authentication
def test_the_key_is_checked_before_the_body_is_read():
    """At the ASGI level: a wrong key is refused without ``receive`` ever being called."""
    from valuation.service.guard import GuardMiddleware
    from valuation.service.settings import Settings

    class Keys:
        def cached(self, presented):
            return True, None

    class Svc:
        settings = Settings()
        keys = Keys()

        async def key_for(self, presented):
            return None

        async def current_snapshot_id(self):
            return "snap"

    reads, sent = [], []

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 10, "more_body": True}

    async def send(m):
        sent.append(m)

    async def inner(scope, receive, send):      # pragma: no cover - must not be reached
        raise AssertionError("the app ran")

    guard = GuardMiddleware(inner, Svc())
    for headers in ([(b"x-api-key", b"dav_wrong_key")], []):
        sent.clear()
        scope = {"type": "http", "method": "POST", "path": "/v1/appraisals", "headers": headers,
                 "client": ("10.0.0.1", 1234), "query_string": b""}
        anyio.run(guard, scope, receive, send)
        start = sent[0]
        assert start["status"] == 401
        assert any(k == b"www-authenticate" and v.startswith(b"Bearer") for k, v in start["headers"])
    assert reads == []


def test_failed_authentication_is_rate_limited_per_address(make_service):
    s = make_service(auth_failures_burst=3, auth_failures_per_second=0.01, key_cache_seconds=60.0)
    good = s.h()
    assert s.client.post("/v1/appraisals", json=CARD, headers=good).status_code == 200
    codes = [s.client.get("/v1/libraries/models", headers={"X-API-Key": f"dav_000000000000_x{i}"}).status_code
             for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    r = s.client.get("/v1/libraries/models", headers={"X-API-Key": "dav_000000000000_y"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert _error_body(r)["code"] == "auth_rate_limited"
    # a key verified moments ago still gets in from that address
    assert s.client.post("/v1/appraisals", json=CARD, headers=good).status_code == 200


def test_a_valid_key_with_too_low_a_role_is_still_403(svc):
    r = svc.client.post("/v1/appraisals", json=CARD, headers=svc.h("viewer"))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


# ------------------------------------------------------------------ headers, deadline
def test_security_headers(svc):
    ok = svc.client.post("/v1/appraisals", json=CARD, headers=svc.h())
    bad = svc.client.post("/v1/appraisals", json=CARD)
    health = svc.client.get("/healthz")
    for r in (ok, bad, health):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "server" not in r.headers
    assert ok.headers["Cache-Control"] == "no-store" and bad.headers["Cache-Control"] == "no-store"
    assert "WWW-Authenticate" in bad.headers


def test_uvicorn_is_started_without_a_server_banner():
    import inspect

    from valuation.cli import service

    assert "server_header=False" in inspect.getsource(service.serve)


def test_a_request_past_the_deadline_gets_504_with_the_bilingual_body(make_service):
    s = make_service(request_deadline_seconds=0.05, result_cache_size=0)
    card = largest_card(7)            # a history forecast: well over 50 ms
    r = s.client.post("/v1/appraisals", json=card, headers=s.h())
    assert r.status_code == 504, r.text[:300]
    body = _error_body(r)
    assert body["code"] == "deadline_exceeded" and body["deadline_seconds"] == 0.05
    assert r.headers["X-Library-Snapshot"]


# ------------------------------------------------------------------ bounded work
def test_the_largest_allowed_card_is_answered(svc):
    """Not timed here: benchmarks/bench_limits.py prints its CPU time."""
    for shape in ("history", "scenarios"):
        card = largest_card(11, shape=shape)
        r = svc.client.post("/v1/appraisals", json=card, headers=svc.h())
        assert r.status_code == 200, r.text[:500]
        assert r.json()["asset_id"] == card["asset"]["asset_id"]


def test_one_item_over_a_limit_is_refused(svc):
    from valuation.core.schema import MAX_ITEMS

    card = largest_card(12, shape="scenarios")
    card["income"]["scenarios"].append(dict(card["income"]["scenarios"][0], name="one too many"))
    r = svc.client.post("/v1/appraisals", json=card, headers=svc.h())
    assert r.status_code == 422
    issue = r.json()["issues"][0]
    assert issue["field"] == "income.scenarios"
    assert issue["allowed"] == f"at most {MAX_ITEMS['income.scenarios']} items (bounded work per request)"


def test_the_largest_synchronous_batch_is_answered_and_more_forecasts_run_in_background(svc):
    st = svc.service.settings
    cards = largest_batch(st.max_batch, st.max_batch_forecasts)
    r = svc.client.post("/v1/appraisals:batch", content=json.dumps(cards), headers={**svc.h(), **JSON})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["count"] == st.max_batch
    cards = largest_batch(3, st.max_batch_forecasts + 1)
    r = svc.client.post("/v1/appraisals:batch", json=cards, headers=svc.h())
    assert r.status_code == 202 and r.json()["n_assets"] == 3


def test_the_limits_are_documented_in_the_json_schema():
    from valuation.core.schema import DEFAULT_MAX_ITEMS, MAX_ITEMS, json_schema

    s = json_schema("card")
    inc = s["properties"]["income"]["properties"]
    assert inc["scenarios"]["maxItems"] == MAX_ITEMS["income.scenarios"]
    assert inc["history"]["properties"]["values"]["maxItems"] == MAX_ITEMS["income.history.values"]
    assert inc["scenarios"]["items"]["properties"]["income"]["maxItems"] == DEFAULT_MAX_ITEMS
    assert any(alt.get("maxItems") == DEFAULT_MAX_ITEMS for alt in inc["revenue"]["oneOf"])
    assert s["properties"]["market"]["properties"]["comparables"]["maxItems"] == MAX_ITEMS["market.comparables"]
