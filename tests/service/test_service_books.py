"""``POST /v1/books`` (issue 22): the books of one card behind an appraiser key, 401 without,
422 naming the field for a refused accounting section."""
from __future__ import annotations

import copy

from conftest import EXAMPLE_CARDS, load

E01 = load(next(p for p in EXAMPLE_CARDS if p.name.startswith("E01")))
ACC = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-12-01",
       "available_for_use": "2024-01-01", "useful_life_years": 8, "capitalised_cost": 3_200_000}


def _card(**acc):
    c = copy.deepcopy(E01)
    c["accounting"] = {**ACC, **acc}
    return c


def test_http_books(svc):
    r = svc.client.post("/v1/books", json=_card(), headers=svc.h())
    assert r.status_code == 200, r.text
    assert r.json()["classification"] == "intangible_asset"
    assert r.headers["X-Library-Snapshot"] == r.json()["provenance"]["library_snapshot"]
    assert svc.client.post("/v1/books", json=_card()).status_code == 401
    bad = svc.client.post("/v1/books", json=_card(useful_life_years=-1), headers=svc.h())
    assert bad.status_code == 422
    assert bad.json()["issues"][0]["field"] == "accounting.useful_life_years"
    assert svc.client.post("/v1/books", content=b"[1]", headers=svc.h()).status_code == 422
    assert "/v1/books" in svc.client.get("/openapi.json").json()["paths"]
