"""Path and query parameters that reach a database query refuse control characters (422
naming the parameter), instead of passing them to the driver.

Before: on PostgreSQL a NUL in ``GET /v1/runs/{run_id}``, ``/v1/shares/{record_id}``,
``/v1/shares?arrangement_id=`` / ``?period=``, ``/v1/libraries/{lib}/{key}`` and its history
was a 500 (psycopg: "PostgreSQL text fields cannot contain NUL (0x00) bytes"); on SQLite the
same requests answered 404 or an empty list. No stored run id, record id, arrangement, period
or entry key can hold a control character, so refusing them changes no valid answer.
"""
from __future__ import annotations

import pytest

#: (URL, the parameter the 422 must name)
BAD = [
    ("/v1/runs/a%00b", "path.run_id"),
    ("/v1/shares/a%00b", "path.record_id"),
    ("/v1/shares?arrangement_id=a%00b", "query.arrangement_id"),
    ("/v1/shares?period=2025%0A", "query.period"),
    ("/v1/libraries/standards/a%00b", "path.key"),
    ("/v1/libraries/standards/a%1Fb/history", "path.key"),
]


def _check(client, headers) -> None:
    for url, field in BAD:
        r = client.get(url, headers=headers)
        assert r.status_code == 422, (url, r.status_code, r.text[:300])
        body = r.json()
        assert body["code"] == "validation_error" and body["message_zh"] and body["message_en"]
        issue = body["issues"][0]
        assert issue["field"] == field, (url, issue)
        assert issue["allowed"] == "text without control characters / 不含控制字符的文本", issue
        assert "控制字符" in issue["message_zh"], issue
    # printable text (CJK included) is still looked up as before
    assert client.get("/v1/runs/运行-1", headers=headers).status_code == 404
    assert client.get("/v1/libraries/standards/CAS2023.art24", headers=headers).status_code == 200
    assert client.get("/v1/shares?period=2025年", headers=headers).status_code == 200


def test_control_characters_in_parameters_are_422_naming_the_parameter(make_service):
    svc = make_service(library=None)
    _check(svc.client, svc.h("viewer"))


@pytest.mark.postgres
def test_no_500_on_postgresql_for_a_nul_in_a_parameter(pg_url, tmp_path):
    from fastapi.testclient import TestClient

    from valuation.service.app import create_app
    from valuation.service.keys import KeyStore
    from valuation.service.settings import Settings

    app = create_app(Settings(db_url=pg_url, library=None, runs_dir=str(tmp_path / "runs"),
                              rate_per_second=0.0, key_cache_seconds=0.0, warm_up=False))
    key = KeyStore(pg_url).create("test-viewer", "viewer")[1]
    with TestClient(app, raise_server_exceptions=False) as client:
        _check(client, {"X-API-Key": key})
