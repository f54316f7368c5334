"""``valuation keys create|list|revoke`` and ``valuation serve --help``."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from valuation.cli import app


def test_keys_create_list_revoke(tmp_path):
    from valuation.library.database import forget_engine
    from valuation.service.keys import KeyStore

    db = f"sqlite:///{tmp_path / 'k.db'}"
    run = CliRunner().invoke
    r = run(app, ["keys", "create", "--role", "appraiser", "--name", "alice", "--db", db])
    assert r.exit_code == 0, r.output
    plain = next(ln.split()[-1] for ln in r.stdout.splitlines() if ln.startswith("key:"))
    assert plain.startswith("dav_")
    ks = KeyStore(db)
    assert ks.verify(plain).name == "alice"
    r = run(app, ["keys", "create", "--role", "admin", "--name", "bob", "--db", db, "--format", "json"])
    bob = json.loads(r.stdout)
    assert bob["role"] == "admin" and ks.verify(bob["key"]).role == "admin"
    r = run(app, ["keys", "list", "--db", db])
    assert r.exit_code == 0 and "alice" in r.stdout and "bob" in r.stdout
    assert plain not in r.stdout and plain.split("_", 2)[2] not in r.stdout
    kid = plain.split("_")[1]
    r = run(app, ["keys", "revoke", kid, "--db", db])
    assert r.exit_code == 0 and kid in r.stdout
    assert ks.verify(plain) is None
    listed = json.loads(run(app, ["keys", "list", "--db", db, "--format", "json"]).stdout)
    assert {k["name"]: k["revoked_at"] is not None for k in listed} == {"alice": True, "bob": False}
    forget_engine(db)


def test_keys_bad_role_and_unknown_id(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    run = CliRunner().invoke
    r = run(app, ["keys", "create", "--role", "king", "--name", "x", "--db", db])
    assert r.exit_code == 2 and "king" in r.output and "viewer" in r.output
    r = run(app, ["keys", "revoke", "nope", "--db", db])
    assert r.exit_code == 3 and "nope" in r.output


def test_serve_help():
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--port" in r.output and "--db" in r.output


def test_settings_from_env(monkeypatch):
    from valuation.service.settings import Settings

    monkeypatch.setenv("VALUATION_SERVICE_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("VALUATION_SERVICE_RATE_PER_SECOND", "2.5")
    monkeypatch.setenv("VALUATION_SERVICE_LIBRARY", "seed")
    s = Settings.from_env(max_batch=7)
    assert (s.max_body_bytes, s.rate_per_second, s.library, s.max_batch) == (1234, 2.5, "seed", 7)
