"""HTTP pricing service (FastAPI) over :mod:`valuation.api`: ``create_app(settings)``."""
from .settings import Settings

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None):  # noqa: ANN201 - lazy import of FastAPI
    from .app import create_app as _create

    return _create(settings)
