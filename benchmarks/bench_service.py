"""Latency and throughput of the HTTP pricing service on loopback.

Starts ``valuation serve`` (uvicorn, one process) on 127.0.0.1 with a fresh seeded SQLite
library in a temporary folder, creates an appraiser key, then lets ``--clients`` threads
(20 by default, each with its own keep-alive connection) send ``POST /v1/appraisals`` with
an example card until ``--requests`` responses have come back or ``--max-seconds`` has
passed. Prints p50/p90/p99/max latency and throughput, and the share of non-200 answers,
and how many requests the computations served on average (``X-Coalesced``: concurrent
single-card requests are computed together, :mod:`valuation.service.coalesce`).

Two phases: ``repeated`` sends the same card every time (after the first, answers come from
the service's result cache — a pricing desk asking again), ``distinct`` gives every request
its own asset id and book value (every answer is computed). ``--phases`` picks them.

Latency is reported over all responses and, separately, in steady state: without each
client's first ``--ramp-up`` responses (default 1). The first round is a cold burst — twenty
requests at an idle service, the first computed alone and the other nineteen queued behind it
— which closed-loop clients meet once, at start; it is 1 % of 2,000 responses, so it alone
would set the p99.

``--batch-cost`` measures no HTTP at all: the CPU time (``time.process_time``, min and median
of ``--repeat`` runs, so it holds on a machine shared with other work) of one in-process
evaluation of 1, 10 and 20 distinct cards as the service computes a coalesced batch
(:func:`valuation.service.compute.appraise_rendered`, traces included) — the figures behind
the choice between computing in the serving process and compute processes
(:func:`valuation.service.compute.default_processes`).

``--load wrk`` drives the same ``distinct`` phase with wrk (Debian package ``wrk``), a load
generator written in C, instead of the Python client threads: ``--clients`` keep-alive
connections, each sending its next request on the answer, every request with its own asset id
and book value (a Lua script). The Python clients cost ~0.5 ms of CPU per request on the same
two cores as the service, and twenty threads take turns on one interpreter lock to read an
answer and send the next request — the figures then include the load generator's own
queueing. wrk runs ``--warmup-seconds`` first (not measured, so the cold start is left out)
and then ``--max-seconds``; its latency percentiles are over every response of that run.

The per-key rate limit is switched off for the run (``VALUATION_SERVICE_RATE_PER_SECOND=0``):
the benchmark measures the engine behind the service, not the throttle. Loopback only; the
server is stopped at the end, whatever happens.

Usage::

    .venv/bin/python benchmarks/bench_service.py [--clients 20] [--requests 2000]
        [--max-seconds 120] [--card examples/cards/E01_*.json]
        [--compute-processes 2] [--load wrk --max-seconds 20] [--batch-cost --repeat 15]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"service did not become healthy on port {port} within {timeout} s")


def _tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of ``root`` and every process below it, by pid (Linux
    ``/proc``; empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        if p in stats:
            out[p] = stats[p][1]
            todo.extend(c for c, (pp, _) in stats.items() if pp == p)
    return out


_WRK_SCRIPT = """
-- distinct cards: <part1> asset id <part2> book value <part3>; one counter per wrk thread
local parts = {%s}
local headers = {["X-API-Key"] = %s, ["Content-Type"] = "application/json"}
local n = 0
local ids = 0
function setup(thread)
  ids = ids + 1
  thread:set("tid", ids)
end
function request()
  n = n + 1
  local body = parts[1] .. "WRK-" .. tid .. "-" .. n .. parts[2] .. (1000000 + 137 * n) .. parts[3]
  return wrk.format("POST", "/v1/appraisals", headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests %%d duration_us %%d non2xx %%d socket_errors %%d\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("RESULT p%%g %%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("RESULT max %%d\\n", latency.max))
end
"""


def _lua_string(s: str) -> str:
    """``s`` as a Lua long string literal (no escapes inside; the level is chosen so the text
    cannot close it)."""
    level = 0
    while f"]{'=' * level}]" in s:
        level += 1
    return f"[{'=' * level}[{s}]{'=' * level}]"


def _wrk_phase(a: argparse.Namespace, card: dict, key: str, port: int, tmp: Path
               ) -> tuple[dict[str, float], dict[str, float]]:
    """Run wrk (warm-up, then the measured run) with distinct cards; (its RESULT figures,
    the CPU seconds of each side over the measured run)."""
    c = json.loads(json.dumps(card))
    c["asset"]["asset_id"] = "@@AID@@"
    c["asset"]["book_value"] = 987654321987
    text = json.dumps(c, ensure_ascii=False)
    head, rest = text.split('"@@AID@@"')
    mid, tail = rest.split("987654321987")
    parts = ", ".join(_lua_string(p) for p in (head + '"', '"' + mid, tail))
    script = tmp / "distinct.lua"
    script.write_text(_WRK_SCRIPT % (parts, _lua_string(key)), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    threads = str(min(a.clients, os.cpu_count() or 1))

    def wrk(seconds: float) -> str:
        return subprocess.run(["wrk", "-t", threads, "-c", str(a.clients), "-d", f"{max(1, round(seconds))}s",
                               "--timeout", "30s", "-s", str(script), url],
                              check=True, capture_output=True, text=True).stdout

    wrk(a.warmup_seconds)
    srv_pid = a.server_pid
    cpu0 = _tree_cpu(srv_pid)
    own0 = _children_cpu()
    out = wrk(a.max_seconds)
    cpu1 = _tree_cpu(srv_pid)
    own1 = _children_cpu()
    figures = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            f = line.split()
            for k, v in zip(f[1::2], f[2::2]):
                figures[k] = float(v)
    used = {"serving process": cpu1.get(srv_pid, 0.0) - cpu0.get(srv_pid, 0.0),
            "other service processes": sum(v - cpu0.get(p, 0.0) for p, v in cpu1.items() if p != srv_pid),
            "wrk": own1 - own0}
    return figures, used


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk runs), from ``os.times``."""
    t = os.times()
    return t.children_user + t.children_system


def _distinct(card: dict, i: int) -> dict:
    c = json.loads(json.dumps(card))
    c["asset"]["asset_id"] = f"BENCH-{i}"
    c["asset"]["book_value"] = 1_000_000 + 137 * i
    return c


def _batch_cost(card: dict, repeat: int) -> None:
    """Print the CPU time of one coalesced evaluation of 1, 10 and 20 distinct cards and the
    fixed and per-card parts fitted to them (least squares over the minima)."""
    from valuation import api
    from valuation.service.compute import appraise_rendered, warm_engine

    warm_engine("seed")                 # the caches a running service has filled
    sid = api.snapshot("seed").snapshot_id
    sizes, mins = (1, 10, 20), []
    for n in sizes:
        cpu = []
        for r in range(repeat):
            cards = [_distinct(card, 1000 * r + 100 * n + i) for i in range(n)]
            t = time.process_time()
            out = appraise_rendered("seed", True, cards, None, sid)
            cpu.append((time.process_time() - t) * 1000)
            if any(isinstance(o, Exception) for o in out):
                raise RuntimeError(f"a card failed: {out}")
        mins.append(min(cpu))
        print(f"[batch cost] {n:>2} cards: CPU ms min {min(cpu):.1f}, median {np.median(cpu):.1f} "
              f"({min(cpu) / n:.2f} per card) over {repeat} runs")
    per_card, fixed = np.polyfit(sizes, mins, 1)
    print(f"[batch cost] fit: {fixed:.1f} ms per evaluation + {per_card:.2f} ms per card; "
          f"20 clients: one batch of 20 ~{fixed + 20 * per_card:.1f} ms in the serving process, "
          f"two of 10 side by side ~{fixed + 10 * per_card:.1f} ms in two compute processes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000, help="total responses to collect")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="stop sending after this")
    ap.add_argument("--warmup", type=int, default=20, help="requests sent first, not measured")
    ap.add_argument("--phases", default="repeated,distinct")
    ap.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--compute-processes", type=int, default=None,
                    help="compute processes behind one serving process (valuation serve "
                         "--compute-processes; 0 = compute in the serving process; default: "
                         "the service's own default, one per core on 2+ cores)")
    ap.add_argument("--ramp-up", type=int, default=1,
                    help="first responses of each client left out of the steady-state figures")
    ap.add_argument("--load", choices=("python", "wrk"), default="python",
                    help="load generator: Python client threads, or wrk (C; distinct cards only)")
    ap.add_argument("--warmup-seconds", type=float, default=3.0, help="wrk: unmeasured run first")
    ap.add_argument("--batch-cost", action="store_true",
                    help="no HTTP: CPU time of one coalesced evaluation of 1, 10 and 20 cards")
    ap.add_argument("--repeat", type=int, default=15, help="--batch-cost: runs per size")
    ap.add_argument("--card", type=Path, default=sorted((ROOT / "examples" / "cards").glob("E01*.json"))[0])
    a = ap.parse_args()

    card = json.loads(a.card.read_text(encoding="utf-8"))
    if a.batch_cost:
        _batch_cost(card, max(1, a.repeat))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    db = f"sqlite:///{tmp / 'service.db'}"
    env = {**os.environ, "VALUATION_SERVICE_RATE_PER_SECOND": "0", "VALUATION_SERVICE_RUNS_DIR": str(tmp / "runs"),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([str(BIN / "valuation"), "init", "--db", db], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    key = json.loads(subprocess.run(
        [str(BIN / "valuation"), "keys", "create", "--role", "appraiser", "--name", "bench", "--db", db,
         "--format", "json"], check=True, env=env, capture_output=True, text=True).stdout)["key"]
    port = _free_port()
    srv = subprocess.Popen([str(BIN / "valuation"), "serve", "--host", "127.0.0.1", "--port", str(port),
                            "--db", db, "--log-level", "error", "--workers", str(a.server_workers),
                            *([] if a.compute_processes is None
                              else ["--compute-processes", str(a.compute_processes)])],
                           env=env, start_new_session=True)
    a.server_pid = srv.pid
    if a.load == "wrk":
        a.warmup = 0                    # wrk warms up by its own unmeasured run
    if a.load == "wrk" and not shutil.which("wrk"):
        os.killpg(srv.pid, signal.SIGTERM)
        sys.exit("--load wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    try:
        _wait_healthy(port)
        if a.load == "wrk":
            figures, used = _wrk_phase(a, card, key, port, tmp)
        headers = {"X-API-Key": key, "Content-Type": "application/json"}

        def body_of(i: int, distinct: bool) -> bytes:
            return json.dumps(_distinct(card, i) if distinct else card).encode()

        def one(conn: http.client.HTTPConnection, body: bytes) -> tuple[float, int, int]:
            t = time.perf_counter()
            conn.request("POST", "/v1/appraisals", body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            return time.perf_counter() - t, r.status, int(r.getheader("X-Coalesced") or 0)

        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(a.warmup):
            _, st, _ = one(warm, body_of(-1 - i, True))
            if st != 200:
                raise RuntimeError(f"warm-up request answered {st}")
        warm.close()

        def phase(distinct: bool) -> tuple[np.ndarray, dict[int, int], float, list[int], np.ndarray]:
            lat: list[float] = []
            steady: list[float] = []
            together: list[int] = []
            codes: dict[int, int] = {}
            lock = threading.Lock()
            counter = [0]
            deadline = time.monotonic() + a.max_seconds

            def client() -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                mine = 0
                while time.monotonic() < deadline:
                    with lock:
                        if counter[0] >= a.requests:
                            break
                        i = counter[0]
                        counter[0] += 1
                    dt, st, n = one(conn, body_of(i, distinct))
                    mine += 1
                    with lock:
                        lat.append(dt)
                        if mine > a.ramp_up:
                            steady.append(dt)
                        if n:
                            together.append(n)
                        codes[st] = codes.get(st, 0) + 1
                conn.close()

            threads = [threading.Thread(target=client) for _ in range(a.clients)]
            cpu0, own0 = _tree_cpu(srv.pid), time.process_time()
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            cpu1, own1 = _tree_cpu(srv.pid), time.process_time()
            used = {"serving process": cpu1.get(srv.pid, 0.0) - cpu0.get(srv.pid, 0.0),
                    "other service processes": sum(v - cpu0.get(p, 0.0) for p, v in cpu1.items() if p != srv.pid),
                    "benchmark clients": own1 - own0}
            cpu.append(used)
            return (np.asarray(lat) * 1000, codes, time.perf_counter() - t0, together,
                    np.asarray(steady) * 1000)

        cpu: list[dict[str, float]] = []
        results = ({} if a.load == "wrk" else
                   {p: phase(p == "distinct") for p in a.phases.split(",") if p})
    finally:
        # the server alone first: its shutdown stops the compute processes in order (a signal
        # to the whole group kills them under requests wrk abandoned at its end, and the
        # server logs a broken pool for each); the group only if it does not stop in time
        os.kill(srv.pid, signal.SIGTERM)
        try:
            srv.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(srv.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)      # the service's database and runs

    print(f"card: {a.card.name}; clients: {a.clients}; server workers: {a.server_workers}; "
          f"compute processes: {'default' if a.compute_processes is None else a.compute_processes}; "
          f"load: {a.load}")
    if a.load == "wrk":
        n, secs = figures.get("requests", 0), figures.get("duration_us", 0) / 1e6
        print(f"[wrk distinct] responses: {n:.0f} in {secs:.1f} s (after {a.warmup_seconds:g} s of warm-up); "
              f"non-2xx {figures.get('non2xx', 0):.0f}, socket errors {figures.get('socket_errors', 0):.0f}")
        print(f"[wrk distinct] latency ms: p50 {figures['p50'] / 1e3:.1f}, p90 {figures['p90'] / 1e3:.1f}, "
              f"p99 {figures['p99'] / 1e3:.1f}, p99.9 {figures['p99.9'] / 1e3:.1f}, max {figures['max'] / 1e3:.1f}")
        if n:
            print("[wrk distinct] CPU ms per response: " + ", ".join(
                f"{k} {v * 1000 / n:.2f}" for k, v in used.items())
                + f"; all {sum(used.values()) / secs:.2f} cores busy of {os.cpu_count()}")
        print(f"service [wrk distinct]: {n / max(secs, 1e-9):.1f} req/s, p99 {figures['p99'] / 1e3:.1f} ms "
              f"with {a.clients} clients")
    for (name, (ms, codes, wall, together, steady)), used in zip(results.items(), cpu):
        ok = codes.get(200, 0)
        print(f"[{name}] responses: {len(ms)} in {wall:.1f} s; status: {codes}")
        if together:
            batches = sum(1 / n for n in together)      # a computation of n: n answers of n
            print(f"[{name}] computed: {len(together)} requests in ~{batches:.0f} computations, "
                  f"{len(together) / batches:.1f} requests each (X-Coalesced), largest {max(together)}")
            # with several server workers each keeps its own clients (keep-alive connections):
            # the common sizes show how the kernel split them (e.g. 10/10 or 7/13)
            sizes = np.bincount(np.asarray(together))
            common = sorted(((int(c), k) for k, c in enumerate(sizes) if c), reverse=True)[:4]
            print(f"[{name}] requests by batch size: "
                  + ", ".join(f"{k}: {c}" for c, k in sorted(common, key=lambda x: x[1])))
        print(f"[{name}] latency ms: p50 {np.percentile(ms, 50):.1f}, p90 {np.percentile(ms, 90):.1f}, "
              f"p99 {np.percentile(ms, 99):.1f}, max {ms.max():.1f}")
        if len(steady):
            print(f"[{name}] steady state (without each client's first {a.ramp_up}): "
                  f"{len(steady)} responses, p50 {np.percentile(steady, 50):.1f}, "
                  f"p90 {np.percentile(steady, 90):.1f}, p99 {np.percentile(steady, 99):.1f}, "
                  f"max {steady.max():.1f}")
        if len(ms):
            # where the two cores went: CPU ms per response of each side (Linux /proc)
            print(f"[{name}] CPU ms per response: " + ", ".join(
                f"{k} {v * 1000 / len(ms):.2f}" for k, v in used.items())
                + f"; all {sum(used.values()) / wall:.2f} cores busy of {os.cpu_count()}")
        print(f"service [{name}]: {len(ms) / wall:.1f} req/s, {ok / max(len(ms), 1):.1%} OK, "
              f"p99 {np.percentile(ms, 99):.1f} ms (steady state "
              f"{np.percentile(steady, 99) if len(steady) else float('nan'):.1f} ms) with {a.clients} clients")


if __name__ == "__main__":
    main()
