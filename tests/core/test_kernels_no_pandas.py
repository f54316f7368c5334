"""Kernels import no pandas (issue 20 "Done when"; docs/DESIGN.md §4): a kernel package reads
the typed containers (``Portfolio.columns``, ``Portfolio.arrays``) and gives numpy arrays or
plain dataclasses; frames are built at the faces' edge. Every file of every package in
:data:`KERNELS` is checked (``methods/market/`` included: its back-test moved to
``valuation/backtest/``, the case frame's conversion to ``library/cases/table.py``)."""
import ast
from pathlib import Path

import pytest

VALUATION = Path(__file__).resolve().parents[2] / "valuation"
KERNELS = ("rules", "quality", "pricing", "methods")


def pandas_imports(src: str) -> list[int]:
    """Lines of ``import pandas`` / ``from pandas … import`` (at any depth: a lazy import too)."""
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pandas" for a in node.names):
            out.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pandas":
            out.append(node.lineno)
    return out


@pytest.mark.parametrize("package", KERNELS)
def test_kernel_imports_no_pandas(package):
    files = sorted((VALUATION / package).rglob("*.py"))
    assert files
    bad = [f"{p.relative_to(VALUATION)}:{line}" for p in files
           for line in pandas_imports(p.read_text(encoding="utf-8"))]
    assert not bad, "pandas imported in a kernel (read pf.columns / pf.arrays):\n" + "\n".join(bad)


def test_the_check_sees_an_import():
    assert pandas_imports("import numpy\ndef f():\n    import pandas as pd\n") == [3]
    assert pandas_imports("from pandas.api.types import is_number\n") == [1]
    assert pandas_imports("import numpy as np\n") == []
