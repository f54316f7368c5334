"""benchmarks/bench_sharing.py runs at a tiny size and prints its figure lines (no timing is
asserted: speed is measured by the script, never by tests)."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_sharing_prints_its_figures():
    p = subprocess.run([sys.executable, "benchmarks/bench_sharing.py", "--n", "10", "--m", "15", "--orders", "200",
                        "400"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert re.search(r"exact shapley: 10 participants, .* total [\d.]+ s \(max \|φ − closed form\| = ", p.stdout)
    assert len(re.findall(r"sampling: 15 participants, +\d+ orders in +[\d.]+ s: max", p.stdout)) == 2
