"""Fixtures of the HTTP service tests: a seeded SQLite library per test (copied from one
seeded template per session), the app with keys of every role."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CARDS = sorted((ROOT / "examples" / "cards").glob("*.json")) + [
    ROOT / "examples" / "interchange_example.json"]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory) -> Path:
    """A SQLite file with the seed libraries loaded (made once per session)."""
    from valuation import api
    from valuation.library.database import forget_engine

    path = tmp_path_factory.mktemp("svc-template") / "template.db"
    url = f"sqlite:///{path}"
    api.open_library(url, init=True)
    forget_engine(url)
    return path


@pytest.fixture
def db_url(seeded_db_file, tmp_path) -> str:
    """A private copy of the seeded database (sqlite3 backup: WAL content included)."""
    from valuation.library.database import forget_engine

    dst = tmp_path / "service.db"
    src = sqlite3.connect(seeded_db_file)
    out = sqlite3.connect(dst)
    with out:
        src.backup(out)
    src.close()
    out.close()
    url = f"sqlite:///{dst}"
    yield url
    forget_engine(url)


@dataclass
class Harness:
    client: Any
    app: Any
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def service(self):
        return self.app.state.service

    def h(self, role: str = "appraiser") -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@pytest.fixture
def make_service(db_url, tmp_path):
    """``make(**settings) -> Harness`` (keys for viewer, appraiser, admin; lifespan run)."""
    from fastapi.testclient import TestClient

    from valuation.service.app import create_app
    from valuation.service.keys import KeyStore
    from valuation.service.settings import Settings

    opened: list[Any] = []

    def make(**kw: Any) -> Harness:
        # no warm-up by default: it costs every test's start (tests/service/test_service_warm_up.py)
        base = dict(db_url=db_url, library="seed", runs_dir=str(tmp_path / "runs"),
                    rate_per_second=0.0, key_cache_seconds=0.0, warm_up=False)
        base.update(kw)
        app = create_app(Settings(**base))
        ks = KeyStore(base["db_url"])
        keys = {r: ks.create(f"test-{r}", r)[1] for r in ("viewer", "appraiser", "admin")}
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return Harness(client, app, keys)

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def svc(make_service) -> Harness:
    return make_service()
