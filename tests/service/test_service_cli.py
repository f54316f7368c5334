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


def test_default_compute_processes_one_per_core_for_a_single_server():
    from valuation.service.compute import default_processes

    assert default_processes(1, cpus=2) == 2
    assert default_processes(1, cpus=8) == 8
    assert default_processes(1, cpus=1) == 0        # one core: compute in the serving process
    assert default_processes(2, cpus=8) == 0        # several servers would each start a pool


def _serve(monkeypatch, args, env=None):
    """``valuation serve`` with uvicorn.run replaced by a recorder: which settings it would
    start the service with (the real server is exercised by tests/test_benchmarks_smoke.py)."""
    import uvicorn

    from valuation.service.settings import Settings

    seen = {}
    monkeypatch.delenv("VALUATION_SERVICE_COMPUTE_PROCESSES", raising=False)
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw, settings=Settings.from_env()))
    r = CliRunner().invoke(app, ["serve", "--port", "0", *args])
    assert r.exit_code == 0, r.output
    return seen["settings"], r.output


def test_serve_defaults_and_overrides_of_compute_processes(monkeypatch):
    import os

    cores = os.cpu_count() or 1
    s, out = _serve(monkeypatch, [])
    assert s.compute_processes == (cores if cores >= 2 else 0)
    assert f"compute processes {s.compute_processes}" in out
    assert _serve(monkeypatch, ["--compute-processes", "0"])[0].compute_processes == 0
    assert _serve(monkeypatch, ["--compute-processes", "3"])[0].compute_processes == 3
    assert _serve(monkeypatch, ["--workers", "2"])[0].compute_processes == 0
    # the environment variable, when set, replaces the default (not an explicit option)
    assert _serve(monkeypatch, [], {"VALUATION_SERVICE_COMPUTE_PROCESSES": "1"})[0].compute_processes == 1
