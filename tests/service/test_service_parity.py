"""The numbers of the HTTP service equal those of the Python API and of the CLI
(``valuation appraise CARD --format json``) for every example card — exactly, since all three
faces call the same :func:`valuation.api.appraise` on the same library snapshot."""
from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE_CARDS, load
from typer.testing import CliRunner

from valuation import api


def _cli_json(card_path, db: str) -> dict:
    from valuation.cli import app

    res = CliRunner().invoke(app, ["appraise", str(card_path), "--format", "json", "--db", db])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _numbers(d: dict) -> dict:
    out = {k: d[k] for k in ("asset_id", "estimate", "low", "high", "coverage", "currency", "final")}
    for m, md in d["methods"].items():
        out.update({f"{m}.{k}": md[k] for k in ("estimate", "low", "high", "weight", "applicable")})
    out["flags"] = sorted(f["code"] for f in d["flags"])
    out["provenance"] = d["provenance"]
    return out


def test_there_are_example_cards():
    assert len(EXAMPLE_CARDS) >= 2


@pytest.mark.parametrize("card_path", EXAMPLE_CARDS, ids=lambda p: p.stem)
def test_http_equals_python_api_and_cli_seed(svc, card_path):
    card = load(card_path)
    r = svc.client.post("/v1/appraisals", json=card, headers=svc.h())
    assert r.status_code == 200, r.text
    http = r.json()
    py = json.loads(api.appraise(card, library="seed").to_json())
    cli = _cli_json(card_path, "seed")
    assert http == py == cli                    # whole documents, bit for bit
    assert _numbers(http)["estimate"] is not None or http["status"] == "no_estimate"


def test_http_equals_cli_on_the_store(make_service):
    """Against a database store (library=None): the HTTP service and ``--db URL`` agree."""
    s = make_service(library=None)
    for card_path in EXAMPLE_CARDS:
        card = load(card_path)
        r = s.client.post("/v1/appraisals", json=card, headers=s.h())
        assert r.status_code == 200, r.text
        cli = _cli_json(card_path, s.service.db_url)
        assert _numbers(r.json()) == _numbers(cli)
        assert r.json()["provenance"]["library_snapshot"] == r.headers["X-Library-Snapshot"]


def test_batch_numbers_equal_single_appraisals(svc):
    cards = [load(p) for p in EXAMPLE_CARDS]
    ids = [c["asset"]["asset_id"] for c in cards]
    cards = [c for i, c in enumerate(cards) if ids.index(c["asset"]["asset_id"]) == i]
    r = svc.client.post("/v1/appraisals:batch", json=cards, headers=svc.h())
    assert r.status_code == 200
    body = r.json()
    assert body["failed"] == 0
    by_id = {x["asset_id"]: x for x in body["results"]}
    for c in cards:
        single = api.appraise(c, library="seed")
        b = by_id[c["asset"]["asset_id"]]
        for k in ("estimate", "low", "high"):
            assert b[k] == pytest.approx(getattr(single, k), rel=1e-9, abs=1e-9), (c["asset"]["asset_id"], k)
