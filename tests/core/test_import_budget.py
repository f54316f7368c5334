"""What a Dask worker and every face start with (issue 20 step 6; docs/DESIGN.md §4).

The fork server of a Dask run imports :data:`valuation.batch.backends.WORKER_MODULES` before any
worker exists, and every run (1 or 2 workers) waits for it; every CLI call and the service's
start import :mod:`valuation.api`. Neither may pull in a library that the common path — cards
or a batch with explicit comparables — does not use: scikit-learn and statsmodels (the learned
and hedonic models of the case library), ``scipy.stats`` (``scipy.special`` gives the same
quantiles), the Excel and report writers, and (for the worker) the run history's SQLAlchemy.
Checked by the modules a fresh interpreter holds, not by seconds: a timing would be flaky on a
shared machine, a module is there or not.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: imported only where used (the learned model, the hedonic fit, workbooks, reports, plots)
NOT_ON_THE_COMMON_PATH = ("sklearn", "statsmodels", "scipy.stats", "scipy.optimize", "openpyxl",
                          "xlsxwriter", "docx", "jinja2", "plotly", "matplotlib")
#: ceilings on the number of modules, ~25 % above what was measured (worker ~900, api ~900,
#: both ~1,900 before): catches a heavy library creeping back without tracking versions
MODULE_CEILING = 1150


def _modules_after(code: str) -> list[str]:
    """``sys.modules`` of a fresh interpreter (this checkout first on the path) after ``code``."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in NOT_ON_THE_COMMON_PATH if m in modules]


WORKER = ("import importlib\nfrom valuation.batch.backends import WORKER_MODULES\n"
          "for m in WORKER_MODULES:\n    importlib.import_module(m)")


@pytest.fixture(scope="module")
def worker_modules():
    return _modules_after(WORKER)


def test_worker_modules_leave_the_heavy_libraries_out(worker_modules):
    assert "valuation.methods.registry" in worker_modules and "scipy.special" in worker_modules
    assert _heavy(worker_modules) == []
    assert "sqlalchemy" not in worker_modules     # the run history lives in the run's process
    assert len(worker_modules) <= MODULE_CEILING, len(worker_modules)


def test_api_leaves_the_heavy_libraries_out():
    mods = _modules_after("import valuation.api")
    assert "valuation.facade.appraise" in mods
    assert _heavy(mods) == []
    assert "sqlalchemy" not in mods               # opened with a store or the run history
    assert len(mods) <= MODULE_CEILING, len(mods)


def test_the_check_sees_a_heavy_import():
    # the learned model is where scikit-learn is imported: the check must see it there
    assert "sklearn" in _heavy(_modules_after("import valuation.methods.market.learned"))


def test_names_of_lazy_packages_resolve():
    from valuation import api, batch, library
    from valuation.batch import pipeline, rundb  # submodules, found after the lazy names

    assert api.ONLY == pipeline.ONLY == ("all", "high-premium", "high-impairment")
    assert batch.revalue is pipeline.revalue and batch.history is rundb.history
    from valuation.library.store import Store
    assert library.Store is Store
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        batch.nothing  # noqa: B018


# A run with ``history=False`` (a benchmark, a Dask run's own process) needs no database: the run
# history, and SQLAlchemy under it (~0.1–0.2 s), is imported by a run that records itself only.
def test_the_pipeline_imports_the_run_history_only_inside_a_run():
    # the pipeline's own part, checked on its source: no module-level import of rundb
    import ast

    tree = ast.parse((ROOT / "valuation" / "batch" / "pipeline.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [f"{getattr(n, 'module', None) or ''}:{','.join(a.name for a in n.names)}" for n in top]
    assert not [x for x in names if "rundb" in x or "sqlalchemy" in x], names


def test_importing_the_pipeline_leaves_sqlalchemy_out():
    mods = _modules_after("import valuation.batch.pipeline")
    assert "valuation.batch.pipeline" in mods and "valuation.batch.assemble" in mods
    assert "sqlalchemy" not in mods and "valuation.batch.rundb" not in mods


def test_a_run_without_history_never_imports_sqlalchemy(tmp_path):
    run = ("from valuation.batch.pipeline import revalue\n"
           "from valuation.batch.synth import synthetic_portfolio\n"
           "from valuation.library.snapshot import snapshot_from_seeds\n"
           "a, recs = synthetic_portfolio(5, seed=1, prefix='T-')\n"
           f"s = revalue(a, {str(tmp_path / 'o.csv')!r}, records=recs, snapshot=snapshot_from_seeds(),\n"
           "            history=False, workers=1, as_of='2025-06-30')\n"
           "assert s.counts['valued'] == 5, s.counts")
    assert "sqlalchemy" not in _modules_after(run)
