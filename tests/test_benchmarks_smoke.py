"""The benchmark scripts keep working: each runs at a tiny size and prints its figure lines.

No timing is asserted here (DEVELOPERS: speed is measured by the scripts, never by tests);
only that the scripts run and print the lines their readers rely on."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: int = 600) -> str:
    p = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_bench_revalue_last_line_has_the_agreed_form(tmp_path):
    out = _run("benchmarks/bench_revalue.py", "--n", "2000", "--dask-n", "1000", "--sample", "5",
               "--workers", "1", "--dask-repeat", "1")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"revalue: 2000 assets in [\d.]+ s \([\d,.]+ assets/s\), peak [\d,]+ MB", last), last


def test_bench_dask_ceiling_prints_the_bound():
    out = _run("benchmarks/bench_dask_ceiling.py", "--n", "3000", "--chunk-size", "1000", "--repeat", "1")
    assert re.search(r"the run's own work \(least of 3\): decode the input once [\d.]+ s \([\d.]+ CPU-s; .*"
                     r"write the results file [\d.]+ s \([\d.]+ CPU-s\); efficiency at most \d+% .*"
                     r"85 % would allow [\d.]+ s before and after", out), out
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"ceiling: 3000 assets, 1 process [\d.]+ s, 2 processes [\d.]+ s \(the slower\), "
                        r"efficiency \d+%", last), last


def test_bench_plan_prints_the_plan_cpu():
    out = _run("benchmarks/bench_plan.py", "--n", "3000", "--chunk", "1000", "--repeat", "1", "--shuffle")
    assert re.search(r"make_plan: \S+ \(.*\), 3 partitions: first [\d.]+ CPU-s", out), out


def test_bench_partition_prints_the_stage_cpu():
    out = _run("benchmarks/bench_partition.py", "--n", "500", "--repeat", "1")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"partition: 500 assets, validate [\d.]+ ms, value [\d.]+ ms, total [\d.]+ ms CPU "
                        r"\([\d.]+ µs an asset; least of 1\)", last), last


def test_bench_rules_runs():
    out = _run("benchmarks/bench_rules.py", "--n", "5000")
    assert re.search(r"evaluate: 30 rules × 5000 assets in [\d.]+ s", out), out


@pytest.mark.timeout(300)
def test_bench_service_runs_on_loopback():
    out = _run("benchmarks/bench_service.py", "--clients", "2", "--requests", "20", "--warmup", "2",
               "--max-seconds", "60")
    for phase in ("repeated", "distinct"):
        assert re.search(rf"service \[{phase}\]: [\d.]+ req/s, 100.0% OK, p99 [\d.]+ ms "
                         rf"\(steady state [\d.]+ ms\) with 2 clients", out), out
        assert re.search(rf"\[{phase}\] steady state \(without each client's first 1\): \d+ responses", out), out


def test_bench_service_batch_cost_prints_the_fit():
    out = _run("benchmarks/bench_service.py", "--batch-cost", "--repeat", "1")
    for n in (1, 10, 20):
        assert re.search(rf"\[batch cost\] +{n} cards: CPU ms min [\d.]+, median [\d.]+", out), out
    assert re.search(r"\[batch cost\] fit: -?[\d.]+ ms per evaluation \+ -?[\d.]+ ms per card", out), out


@pytest.mark.timeout(300)
def test_bench_service_runs_with_wrk(tmp_path):
    import os
    import shutil

    if not shutil.which("wrk"):
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is missing in CI: scripts/test-setup.sh installs it")
        pytest.skip("wrk not installed (Debian package wrk; scripts/test-setup.sh installs it)")
    out = _run("benchmarks/bench_service.py", "--load", "wrk", "--clients", "2", "--max-seconds", "2",
               "--warmup-seconds", "1", "--compute-processes", "1")
    assert re.search(r"service \[wrk distinct\]: [\d.]+ req/s, p99 [\d.]+ ms with 2 clients", out), out
    assert re.search(r"\[wrk distinct\] responses: [1-9]\d* in [\d.]+ s .*non-2xx 0, socket errors 0", out), out
    assert re.search(r"\[wrk distinct\] CPU ms per response: serving process [\d.]+, "
                     r"other service processes [\d.]+, wrk [\d.]+", out), out


def test_bench_appraise_runs():
    out = _run("benchmarks/bench_appraise.py", "--calls", "2")
    assert re.search(r"appraise: all cards median [\d.]+ ms, p99 [\d.]+ ms", out), out


def test_bench_import_bomb_refuses_and_the_database_does_not_grow():
    out = _run("benchmarks/bench_import_bomb.py")
    for name in ("yaml alias bomb", "json 100k deep"):
        m = re.search(rf"{name}\s+\d+ bytes\s+[\d.]+ ms\s+db (\d+) → (\d+) bytes\s+refused", out)
        assert m and m.group(1) == m.group(2), out


def test_bench_limits_prints_the_cpu_of_the_largest_requests():
    out = _run("benchmarks/bench_limits.py", "--repeat", "1", "--batch", "20")
    for shape in ("history", "scenarios"):
        assert re.search(rf"largest card \[{shape}\]: cpu [\d.]+ s", out), out
    assert re.search(r"largest batch: 20 cards \(1 with history\) cpu [\d.]+ s, 0 failed", out), out


def test_bench_excel_last_line_has_the_agreed_form():
    out = _run("benchmarks/bench_excel.py", "--n", "200", "--workers", "1")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"excel: 200 assets xlsx → xlsx in [\d.]+ s \(read [\d.]+ s, write [\d.]+ s\)", last), last
    assert "read_portfolio: " in out and "(200 assets, 600 records rows)" in out, out


def test_bench_floor_agrees_with_the_batch_and_prints_the_ratio():
    """The floor must do the batch's arithmetic: its self-check line shows ~1e-15 differences
    and the same flags on every asset (a larger difference fails here)."""
    out = _run("benchmarks/bench_floor.py", "--n", "600", "--workers", "1", "--repeat", "1")
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"floor: 600 assets, floor [\d,]+ assets/s, batch [\d,]+ assets/s, batch/floor [\d.]+×", last), last
    m = re.search(r"largest relative difference: (.*); same flags on ([\d.]+)% of assets", out)
    assert m, out
    diffs = [float(x.split()[-1]) for x in m.group(1).split(", ")]
    assert len(diffs) == 6 and max(diffs) < 1e-12, m.group(0)
    assert m.group(2) == "100.00", m.group(0)
    assert re.search(r"the floor's arithmetic \d+% of it; outside the floor: read \d+%", out), out
    assert re.search(r"I/O alone .*results file [\d.]+ CPU-s = [\d.]+× the floor; with the input turned into "
                     r"the floor's arrays [\d.]+ CPU-s = [\d.]+×", out), out
