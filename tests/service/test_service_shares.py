"""HTTP face of revenue sharing: POST /v1/shares (auth, 422 naming the field, ledger),
GET /v1/shares and /v1/shares/{record_id}; answers equal ``api.share``."""
from __future__ import annotations

import json
from pathlib import Path

from valuation import api

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sharing" / "public_data_operation.json"


def test_http_shares(make_service):
    s = make_service()
    spec = json.loads(EXAMPLE.read_text("utf-8"))
    assert s.client.post("/v1/shares", json=spec).status_code == 401
    r = s.client.post("/v1/shares", json=spec, headers=s.h("viewer"))
    assert r.status_code == 403
    r = s.client.post("/v1/shares?record=true", json=spec, headers=s.h())
    assert r.status_code == 200, r.text
    body = r.json()
    want = api.share(spec, library="seed")
    assert [x["amount"] for x in body["shares"]] == [x["amount"] for x in want["shares"]]
    assert body["ledger"]["seq"] == 1 and r.headers["X-Library-Snapshot"]
    rec = s.client.get(f"/v1/shares/{body['ledger']['record_id']}", headers=s.h("viewer")).json()
    assert rec["records"][0]["ran_by"].startswith("api:")
    hist = s.client.get("/v1/shares?arrangement_id=DL-AO-2025-001", headers=s.h("viewer")).json()
    assert len(hist["records"]) == 1
    assert s.client.get("/v1/shares/nope", headers=s.h("viewer")).status_code == 404
    spec["method"] = "agreement"
    r = s.client.post("/v1/shares", json=spec, headers=s.h())
    assert r.status_code == 422 and any(i["field"].endswith("agreed_share") for i in r.json()["issues"])
    r = s.client.post("/v1/shares", content=b"[1]", headers={**s.h(), "Content-Type": "application/json"})
    assert r.status_code == 422
