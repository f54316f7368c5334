"""The pricing layer works on numpy arrays: it imports no pandas (the frames it reads or hands
back are read and built at the edge, ``core/result_frames.py``), and no pandas internals are
used anywhere in it (issue 20 steps 4–5)."""
import ast
from pathlib import Path

import pytest

PRICING = Path(__file__).resolve().parents[2] / "valuation" / "pricing"
INTERNALS = ("_mgr", "BlockManager", "_from_arrays", "_from_mgr", "make_block_same_class", "_get_column_array",
             "_pa_array", "_from_pyarrow_array", "pandas.core", "pandas._libs")


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("path", sorted(PRICING.glob("*.py")), ids=lambda p: p.name)
def test_pandas_only_at_the_edge_and_no_internals(path):
    src = path.read_text(encoding="utf-8")
    found = [name for name in INTERNALS if name in src]
    assert not found, f"{path.name} uses pandas internals: {found}"
    assert "pandas" not in _imports(ast.parse(src)), f"{path.name} imports pandas (core/result_frames.py does)"


def test_the_scan_sees_an_import_and_an_internal():
    """The checks above can fail: they find an import and a private name when there is one."""
    assert "pandas" in _imports(ast.parse("import pandas as pd\nfrom pandas import DataFrame"))
    assert any(name in "frame._mgr.blocks" for name in INTERNALS)
