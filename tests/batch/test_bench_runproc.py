"""benchmarks/bench_runproc.py runs at a tiny size and prints the lines the report quotes (no
timing is asserted: speed is measured by the script, not by tests)."""
import re
import subprocess
import sys
from pathlib import Path


def test_bench_runproc_prints_its_figures():
    root = Path(__file__).resolve().parents[2]
    p = subprocess.run([sys.executable, "benchmarks/bench_runproc.py", "--n", "300", "--workers", "1"],
                       cwd=root, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert re.search(r"^run's process: [\d.]+ CPU-s \(dask, 1 workers\)$", p.stdout, re.M), p.stdout
    for part in ("load", "plan", "value", "finish", "end"):
        assert re.search(rf"^  {part} +[\d.]+ CPU-s .*ended-threads=-?[\d.]+$", p.stdout, re.M), p.stdout
    assert re.search(r"staging tables \(their threads\): user [\d.]+ sys [\d.]+ CPU-s", p.stdout), p.stdout
    assert re.search(r"results sink \(main thread\): user [\d.]+ sys [\d.]+ CPU-s", p.stdout), p.stdout
