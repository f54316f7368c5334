"""The examples in the docstrings of :mod:`valuation.api` run as written (doctest, cwd = the
repository root, as the README shows them)."""
from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["valuation.api", "valuation.facade.batch"])
def test_api_doctests(monkeypatch, name):
    """The facade's own module and its parts (whose functions ``valuation.api`` re-exports)."""
    import importlib

    mod = importlib.import_module(name)
    monkeypatch.chdir(ROOT)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                          verbose=False, report=True)
    assert res.attempted > 0, f"{name} has no doctest examples"
    assert res.failed == 0, f"{res.failed} of {res.attempted} doctest examples failed"
    assert Path(os.getcwd()) == ROOT


def test_readme_quick_start_runs(tmp_path):
    """The README's Python quick start runs as written from the repository root."""
    import re
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block, "README has no python quick start"
    script = tmp_path / "quick_start.py"
    script.write_text(block.group(1), encoding="utf-8")
    env = {**os.environ, "VALUATION_DB_URL": f"sqlite:///{tmp_path / 'qs.db'}"}
    p = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    first = p.stdout.splitlines()[0].split()
    assert len(first) == 4 and float(first[0]) > 0    # estimate, low, high, coverage
