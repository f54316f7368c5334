"""``PUT /v1/libraries/{lib}/{key}``: its body goes through the same input gate as every other
request body (docs/SECURITY.md), so what is stored is what the client sent or nothing at all.

Before, FastAPI parsed this one body with ``json.loads``: NaN and Infinity were taken and
stored silently as ``null`` (200), and a body too deep, with a huge integer or not UTF-8 got a
400 "There was an error parsing the body" naming no field; an entry key holding a control
character (NUL) was stored as a key (PostgreSQL cannot store NUL in text at all).
"""
from __future__ import annotations

import pytest


def _put(svc, body: bytes, key: str = "T-GATE", role: str = "admin"):
    return svc.client.put(f"/v1/libraries/standards/{key}", content=body,
                          headers={**svc.h(role), "Content-Type": "application/json"})


@pytest.mark.parametrize("body, field, said", [
    (b'{"content": {"x": NaN}}', "body", "NaN is not valid JSON"),
    (b'{"content": {"x": -Infinity}}', "body", "Infinity is not valid JSON"),
    (b'{"content": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "body", "nested too deeply"),
    (b'{"content": {"x": 1' + b"0" * 5000 + b"}}", "content.x", "integer too large"),
    (b'\xff\xfe{"content": {}}', "body", "UTF-8"),
    (b'{"content": {"x": 1}, "note": "a\\u0000b"}', "note", "U+0000"),
])
def test_a_body_the_gate_refuses_is_422_naming_the_field_and_nothing_is_stored(svc, body, field, said):
    r = _put(svc, body)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    e = r.json()
    assert e["code"] == "validation_error" and e["message_zh"] and e["message_en"]
    issue = e["issues"][0]
    assert issue["field"] == field and issue["allowed"] and said in issue["message_en"], issue
    assert svc.client.get("/v1/libraries/standards/T-GATE/history", headers=svc.h("viewer")).status_code == 404


def test_a_clean_body_is_still_written_and_pydantic_still_checks_its_fields(svc):
    r = _put(svc, b'{"content": {"x": 1.5}, "note": "ok"}')
    assert r.status_code == 200 and r.json()["content"] == {"x": 1.5} and r.json()["version"] == 1
    r = _put(svc, b'{"content": {"x": 2}, "base_version": 1, "status": "retired"}')
    assert r.status_code == 422 and r.json()["issues"][0]["field"] == "body.status"
    r = _put(svc, b"")
    assert r.status_code == 422 and r.json()["issues"][0]["field"] == "body"


@pytest.mark.parametrize("key", ["%00", "a%0Ab", "a%E2%80%8Bb", "%7F"])
def test_an_entry_key_with_a_control_character_is_refused(svc, key):
    r = _put(svc, b'{"content": {"x": 1}}', key=key)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    # the route's path pattern (control characters) or the store's key check (zero-width too)
    assert r.json()["issues"][0]["field"] in ("path.key", "key")
    listed = svc.client.get("/v1/libraries/standards?status=all&limit=1000", headers=svc.h("viewer")).json()
    assert not [e["key"] for e in listed["entries"] if not e["key"].isprintable()]
