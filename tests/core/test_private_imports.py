"""No module imports another package's private names (docs/DESIGN.md §4, style).

A name with a leading underscore is private to its module, or at most to the small package it
lives in: ``methods/income/value.py`` may use ``.life._survival``, but ``batch`` reaching into
``core.validate._coerce_column`` binds itself to an implementation detail that its owner may
rename at will. A name used across packages is made public (no underscore, a docstring) or the
code moves to where it belongs.

Rule checked here, by parsing every module of ``valuation/`` with :mod:`ast`: ``from M import _x``
(``_x`` not a dunder) is allowed only when ``M`` is a sibling module in the same subpackage as the
importer. The top-level modules of ``valuation`` (``api``, ``engine``, ``share_api`` …) are each
their own layer (``tests/core/test_layers.py``), so between them it is not allowed either.
"""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "valuation"


def _module_name(path: Path) -> str:
    parts = ["valuation", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    """The package that holds ``path`` (a package's ``__init__`` belongs to itself)."""
    return ".".join(["valuation", *path.relative_to(PKG).parts[:-1]])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(path: Path, source: str | None = None) -> list[str]:
    """``from M import _x`` lines of one module where ``M`` is not a sibling in its package."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    package = _package_of(path)
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source_mod = ".".join(base + ([node.module] if node.module else []))
        else:
            source_mod = node.module or ""
        if not source_mod.startswith("valuation"):
            continue     # a third-party private name is a different concern (none today)
        for alias in node.names:
            if not _private(alias.name):
                continue
            # the module that provides the name: M itself, or M.<name> for "from pkg import _mod"
            home = source_mod.rsplit(".", 1)[0] if source_mod != package else package
            sibling = home == package and package != "valuation"
            if not sibling:
                bad.append(f"{_module_name(path)}:{node.lineno} imports {alias.name} from {source_mod}")
    return bad


def test_no_private_name_is_imported_across_packages():
    bad = [line for path in sorted(PKG.rglob("*.py")) for line in private_imports(path)]
    assert not bad, "private names used across packages (make them public or move the code):\n" \
        + "\n".join(bad)


def test_the_check_sees_a_cross_package_import_and_allows_a_sibling():
    # the check must be able to fail: a batch module reaching into core, a top-level module into
    # another one, and a sibling's helper in one subpackage (allowed)
    batch = PKG / "batch" / "example.py"
    assert private_imports(batch, "from ..core.validate import _coerce, public\n") == [
        "valuation.batch.example:1 imports _coerce from valuation.core.validate"]
    assert private_imports(batch, "from valuation.core import _helper\n") == [
        "valuation.batch.example:1 imports _helper from valuation.core"]
    top = PKG / "share_api.py"
    assert len(private_imports(top, "from .api import _history_db\n")) == 1
    income = PKG / "methods" / "income" / "value.py"
    assert private_imports(income, "from .life import _survival\nfrom . import _kernel\n") == []
    assert private_imports(income, "from ..base import _plain\n") != []
    assert private_imports(income, "from .life import __all__, x as _x\n") == []
