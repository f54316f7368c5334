"""Layer rules of docs/DESIGN.md §4: dependencies point down; core layers never import faces."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "valuation"
FACE_LIBS = ("streamlit", "fastapi", "uvicorn", "starlette")
# a layer may import only from the layers listed for it (besides itself)
ALLOWED = {
    "core": set(),
    "library": {"core"},
    # docs/DESIGN.md §4: library and core form the bottom row; methods stay pure (no store access)
    "quality": {"core", "library"},
    "rules": {"core", "library"},
    "methods": {"core", "quality", "library"},
    "pricing": {"core", "quality", "methods", "rules", "library"},
    "engine": {"core", "quality", "methods", "rules", "pricing"},
    # 入表 and impairment (issue 22): pure, fed the engine's estimates by api and batch
    "accounting": {"core"},
    "sharing": {"core", "library"},     # revenue sharing: pure, plus its ledger table
    # the market back-test (issue 16): an analysis tool reading and writing frames, above methods
    "backtest": {"core", "library", "methods"},
    "report": {"core", "quality", "methods", "rules", "pricing", "engine", "library", "accounting",
               "sharing"},
    # batch gets the snapshot and database from the facade: it never imports it (issue 20)
    "batch": {"core", "quality", "methods", "rules", "pricing", "engine", "library", "accounting"},
    "api": {"core", "quality", "methods", "rules", "pricing", "engine", "library", "batch", "report",
            "accounting", "sharing", "share_api", "facade", "backtest"},     # share_api: the sharing part of the facade
    # the facade's parts by concept (library, appraise, batch, analysis), re-exported by api
    "facade": {"core", "quality", "methods", "rules", "pricing", "engine", "library", "batch", "report",
               "accounting", "backtest"},
    "share_api": {"core", "library", "batch", "sharing", "api", "report", "facade"},
}
CORE_LAYERS = ("core", "quality", "methods", "rules", "pricing", "batch", "engine", "library", "accounting",
               "sharing")


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem != "__init__" else "root"


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg_parts = ["valuation", *path.relative_to(PKG).parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod
            for a in node.names:  # "from .. import api"
                yield f"{mod}.{a.name}"
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" \
                and node.args and isinstance(node.args[0], ast.Constant):
            yield str(node.args[0].value)


def test_layers_point_down():
    bad = []
    for path in PKG.rglob("*.py"):
        layer = _layer(path)
        if layer not in ALLOWED:
            continue
        for mod in _imports(path):
            if mod.split(".")[0] in FACE_LIBS and layer in CORE_LAYERS:
                bad.append(f"{path.relative_to(PKG)} imports face library {mod}")
            if mod.startswith("valuation."):
                target = mod.split(".")[1]
                if target in ("__version__",):
                    continue
                if target != layer and target in ALLOWED and target not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(PKG)} ({layer}) imports {mod}")
                if target in ("cli", "service", "ui") and layer in ALLOWED:
                    bad.append(f"{path.relative_to(PKG)} ({layer}) imports face {mod}")
    assert not bad, "\n".join(bad)


def test_methods_never_open_the_store():
    """Methods may use the pure case schema of the library, never the database."""
    bad = []
    for path in (PKG / "methods").rglob("*.py"):
        for mod in _imports(path):
            if mod.startswith(("valuation.library.store", "valuation.library.database", "sqlalchemy")):
                bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_faces_hold_no_valuation_logic():
    """CLI, service and UI reach the methods only through valuation.api."""
    bad = []
    for face in ("cli", "service", "ui"):
        for path in (PKG / face).rglob("*.py"):
            for mod in _imports(path):
                if mod.startswith(("valuation.methods", "valuation.engine", "valuation.quality")):
                    bad.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not bad, "\n".join(bad)
