"""Concurrent first reads of the run history on a new database (the service answering
``GET /v1/runs/{id}`` from several clients at once) create the tables once, without
"database is locked"."""
from __future__ import annotations

import threading

import pytest

from valuation.batch import rundb
from valuation.core.errors import NotFoundError


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_first_reads_create_the_history_tables_once(tmp_path, attempt):
    url = f"sqlite:///{tmp_path / f'history{attempt}.db'}"
    barrier = threading.Barrier(8)
    outcomes: list[object] = []
    lock = threading.Lock()

    def read() -> None:
        barrier.wait()
        try:
            rundb.run_show("no-such-run", db=url)
            out: object = "found?"
        except Exception as e:  # noqa: BLE001 - the outcome is what is checked
            out = e
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 8
    bad = [o for o in outcomes if not isinstance(o, NotFoundError)]
    assert not bad, bad
