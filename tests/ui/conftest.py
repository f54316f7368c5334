"""Fixtures of the dashboard's page tests (Streamlit ``AppTest``)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ui_db(tmp_path, monkeypatch):
    """A page test's own SQLite database (seeded on first use by the pages), run from the
    project's root as ``make run`` starts the dashboard (``app.py``, ``examples/``)."""
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'ui.db'}")
    monkeypatch.chdir(ROOT)
