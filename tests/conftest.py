"""Shared pytest fixtures: the databases.

* ``pg_url`` (session): a throw-away PostgreSQL cluster started by ``scripts/ensure_postgres.sh``
  (or ``VALUATION_TEST_PG_URL`` when set), stopped at the end of the session. When no server can
  be started the PostgreSQL tests skip with the reason — except in CI (``CI=true``), where that is
  an error.
* ``store_factory`` / ``store``: fresh, empty library stores, parametrised over
  ``sqlite`` (a file in ``tmp_path``) and ``postgres`` (a fresh schema per store, dropped after the
  test).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[1]
_PG_INFO: dict[str, str] = {}

# One OpenMP/BLAS thread per test process (and the CLI, notebook and benchmark subprocesses that
# inherit it), set before the tests import scikit-learn. make test runs one worker per core, and
# OpenMP's spinning threads on cores that are already busy made scikit-learn's
# HistGradientBoosting (the learned market model) ~20× slower: tests/market/test_evidence.py's
# conformal test took 262 s with the default threads beside other processes, 12 s with one.
# The results do not depend on it (tests/golden). An explicit setting in the environment wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_report_header(config):
    pg = os.environ.get("VALUATION_TEST_PG_URL")
    return [f"valuation: PostgreSQL tests use {'VALUATION_TEST_PG_URL' if pg else 'scripts/ensure_postgres.sh'}"
            f"{' (CI: must start)' if _in_ci() else ' (skip if it cannot start)'}"]


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``) the tests marked ``slow`` or in ``LONG_FIRST`` start
    first (longest work first, a stable sort), so no worker is left finishing a 30-second test
    while the other one idles at the end. Only the order changes; single-process runs keep the
    collection order. (The browser tests run after, in one process: Makefile.)"""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not (item.get_closest_marker("slow") is not None
                                         or item.nodeid.startswith(LONG_FIRST)))


#: files of long tests (seconds each, measured with --durations on 2 cores), started first under
#: xdist beside the tests marked ``slow``; only the order changes, so a stale entry is harmless
LONG_FIRST = (
    "tests/service/test_service_schemathesis.py",   # every operation of the HTTP API
    "tests/market/test_evidence.py",                # learned market model fits, DaDaDa back-test
    "tests/test_benchmarks_smoke.py",               # each benchmark script in a subprocess
    "tests/sharing/test_bench_sharing_smoke.py",
    "tests/test_policy_issue17.py",                 # USD cards: CLI subprocesses fitting the model
    "tests/market/test_backtest_split.py",
    "tests/market/test_market_backtest.py",
    "tests/market/test_market_library.py",
    "tests/batch/test_batch_resume.py",             # a run killed and resumed in subprocesses
    "tests/batch/test_batch_backends.py",           # a local Dask cluster
) + tuple(f"tests/{d}/test_notebook_0{n}.py" for d, n in (
    ("cost", 1), ("income", 2), ("market", 3), ("pricing", 4), ("rules", 5), ("batch", 6), ("sharing", 7)))


@pytest.fixture(scope="session")
def pg_url():
    """SQLAlchemy URL of a PostgreSQL database for the tests (psycopg 3 driver)."""
    env = os.environ.get("VALUATION_TEST_PG_URL")
    if env:
        yield env
        return
    workdir = tempfile.mkdtemp(prefix="valuation-pg.", dir="/tmp")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(["sh", str(ROOT / "scripts" / "ensure_postgres.sh"), "start", workdir],
                              capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        proc = None
        reason = f"ensure_postgres.sh could not run: {e}"
    else:
        lines = proc.stderr.strip().splitlines()
        key = [ln.strip() for ln in lines if ln.startswith("ensure_postgres:") or "FATAL" in ln]
        reason = " | ".join(key or lines[-1:] or ["no message"])
    url = proc.stdout.strip().splitlines()[-1] if proc and proc.returncode == 0 and proc.stdout.strip() else ""
    if not url:
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure_postgres.sh"), "stop", workdir],
                       capture_output=True, timeout=120)
        msg = f"PostgreSQL test server could not start: {reason}"
        if _in_ci():
            raise RuntimeError(msg + (f"\n{proc.stderr}" if proc else ""))
        print(msg, file=sys.stderr)
        pytest.skip(msg)
    _PG_INFO["start_seconds"] = f"{time.perf_counter() - t0:.2f}"
    print(f"\nPostgreSQL test server {url} started in {_PG_INFO['start_seconds']} s", file=sys.stderr)
    try:
        yield url
    finally:
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure_postgres.sh"), "stop", workdir],
                       capture_output=True, timeout=120)


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_factory(backend, request, tmp_path):
    """``make() -> Store``: a fresh, empty store of the test's backend (several per test allowed).
    ``make.urls`` lists the URLs made, for a second connection."""
    from valuation.library.database import forget_engine
    from valuation.library.store import open_store

    urls: list[str] = []
    schemas: list[str] = []
    admin = None
    if backend == "postgres":
        import sqlalchemy as sa

        base = request.getfixturevalue("pg_url")
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")

    def make():
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'store-{len(urls)}.db'}"
        else:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            schemas.append(schema)
            url = _with_search_path(base, schema)
        urls.append(url)
        return open_store(url)

    make.urls = urls  # type: ignore[attr-defined]
    yield make
    for url in urls:
        forget_engine(url)
    if admin is not None:
        with admin.connect() as c:
            for schema in schemas:
                c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(store_factory):
    """A fresh, empty store (SQLite file or PostgreSQL schema)."""
    return store_factory()


@pytest.fixture
def ui_db(tmp_path, monkeypatch):
    """A dashboard page test's own SQLite database (seeded on first use by the pages), run from
    the project's root as ``make run`` starts the dashboard (``app.py``, ``examples/``).
    (Here, not in a ``tests/ui/conftest.py``: the service tests import their ``conftest`` by
    name, which a second conftest module of that name would shadow.)"""
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'ui.db'}")
    monkeypatch.chdir(ROOT)
