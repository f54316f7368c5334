"""Single flight (valuation.service.flight): concurrent callers share one read."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from valuation.service.flight import SingleFlight


def test_concurrent_callers_share_one_read_and_a_later_caller_reads_again():
    flight = SingleFlight()
    calls = []
    gate = threading.Event()

    def read():
        calls.append(1)
        gate.wait(5)
        return len(calls)

    async def main():
        tasks = [asyncio.create_task(flight.run("k", read)) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        first = await asyncio.gather(*tasks)
        again = await flight.run("k", read)          # the read is over: a new one
        return first, again

    first, again = asyncio.run(main())
    assert first == [1] * 20
    assert again == 2
    assert flight.runs == 2


def test_different_keys_do_not_share():
    flight = SingleFlight()

    async def main():
        return await asyncio.gather(flight.run("a", lambda: "A"), flight.run("b", lambda: "B"))

    assert asyncio.run(main()) == ["A", "B"]
    assert flight.runs == 2


def test_an_error_reaches_every_caller_and_is_not_kept():
    flight = SingleFlight()
    n = []

    def boom():
        n.append(1)
        time.sleep(0.02)
        raise RuntimeError("database down")

    async def main():
        res = await asyncio.gather(*[flight.run("k", boom) for _ in range(5)], return_exceptions=True)
        ok = await flight.run("k", lambda: "back")
        return res, ok

    res, ok = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) and str(r) == "database down" for r in res)
    assert len(n) == 1 and ok == "back"


def test_a_cancelled_caller_does_not_cancel_the_read_for_the_others():
    flight = SingleFlight()
    gate = threading.Event()

    def read():
        gate.wait(5)
        return "v"

    async def main():
        a = asyncio.create_task(flight.run("k", read))
        b = asyncio.create_task(flight.run("k", read))
        await asyncio.sleep(0.02)
        a.cancel()
        await asyncio.sleep(0.01)
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await a
        return await b

    assert asyncio.run(main()) == "v"
    assert flight.runs == 1


def test_the_service_reads_an_expired_key_once_for_concurrent_requests(make_service):
    """With a key cache (here 60 s), concurrent first requests verify the key once."""
    h = make_service(key_cache_seconds=60.0)
    svc = h.service
    reads = []
    real = svc.keys._verify_db
    svc.keys._verify_db = lambda presented: (reads.append(1), time.sleep(0.05), real(presented))[2]
    results = []

    def one():
        results.append(h.client.get("/v1/runs/none", headers=h.h("viewer")).status_code)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [404] * 6
    assert len(reads) == 1
