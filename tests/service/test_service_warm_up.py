"""The service appraises the example cards once at start (``Settings.warm_up``), so its first
requests do not pay for filling the caches (seconds for the market approach's case-library fit)."""
from __future__ import annotations

import json

import pytest

from valuation import api
from valuation.core.models import repo_root
from valuation.service.compute import warm_engine
from valuation.service.settings import Settings

CARDS = sorted((repo_root() / "examples" / "cards").glob("*.json"))


def test_warm_engine_appraises_every_example_card_and_skips_a_bad_one(tmp_path, monkeypatch):
    assert len(CARDS) >= 6
    assert warm_engine("seed") == len(CARDS)
    # a card that fails is skipped, never raised: the service must start anyway
    root = tmp_path / "root"
    (root / "examples" / "cards").mkdir(parents=True)
    (root / "examples" / "cards" / "good.json").write_text(CARDS[0].read_text(encoding="utf-8"), encoding="utf-8")
    (root / "examples" / "cards" / "bad.json").write_text(json.dumps({"asset": {"asset_id": 5}}), encoding="utf-8")
    monkeypatch.setattr("valuation.service.compute.repo_root", lambda: root)
    assert warm_engine("seed") == 1


def test_service_start_warms_up_in_process(make_service):
    h = make_service(warm_up=True)
    assert h.service.warmed == len(CARDS)
    # and the answers are still exactly the API's
    card = json.loads(CARDS[0].read_text(encoding="utf-8"))
    r = h.client.post("/v1/appraisals", json=card, headers=h.h())
    assert r.status_code == 200
    assert r.json()["estimate"] == api.appraise(card, library="seed").to_dict()["estimate"]


def test_harness_default_does_not_warm_up(make_service):
    assert make_service().service.warmed == 0


@pytest.mark.parametrize("raw, value", [("0", False), ("false", False), ("off", False), ("1", True), ("Yes", True)])
def test_warm_up_from_the_environment(monkeypatch, raw, value):
    monkeypatch.setenv("VALUATION_SERVICE_WARM_UP", raw)
    assert Settings.from_env().warm_up is value


def test_a_bad_boolean_in_the_environment_names_the_variable_and_the_allowed_values(monkeypatch):
    monkeypatch.setenv("VALUATION_SERVICE_WARM_UP", "maybe")
    with pytest.raises(ValueError, match=r"VALUATION_SERVICE_WARM_UP='maybe'.*allowed 1, true"):
        Settings.from_env()
