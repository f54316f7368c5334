"""The HTTP pricing service (FastAPI): a face over :mod:`valuation.api`, no valuation logic.

Routes (all under ``/v1`` need an API key in ``X-API-Key`` or ``Authorization: Bearer``):

==========================================  ==========  =============================================
``POST /v1/appraisals``                     appraiser   one INTERCHANGE card → ``Result.to_dict()``
``POST /v1/appraisals:batch``               appraiser   list of cards → results; above ``max_batch``
                                                        cards (or ``max_batch_forecasts`` cards
                                                        with history) → 202, a background run
``POST /v1/prices``                         appraiser   public-data product (65号) → prices and caps
``GET  /v1/runs/{run_id}``                  viewer      summary of a batch run (404 when unknown)
``GET  /v1/libraries/{lib}``                viewer      entries of a library (paged)
``GET  /v1/libraries/{lib}/{key}``          viewer      version in force, or ``?version=N``
``GET  /v1/libraries/{lib}/{key}/history``  viewer      every version, oldest first
``PUT  /v1/libraries/{lib}/{key}``          appraiser   new version ``{content, note, base_version}``;
                                                        drafts for appraisers, active for admins;
                                                        409 when ``base_version`` is stale
``GET  /healthz``                           —           liveness and the library snapshot
==========================================  ==========  =============================================

``X-Library-Snapshot`` names the library state the response comes from: the snapshot an
appraisal ran against (as in its provenance), the store's snapshot for library routes, else the
snapshot appraisals currently run against.

Missing, wrong or revoked key → 401 with ``WWW-Authenticate`` (checked before the body is read;
failed attempts rate limited per client address, :mod:`.guard`); too low a role → 403; body
above the limit → 413 (before parsing); no answer within the deadline → 504; more than the per-key rate → 429; invalid input → 422 naming field, value and
what is allowed (Chinese and English). Every response carries ``X-Engine-Version`` and
``X-Library-Snapshot``; an appraisal also ``X-Result-Cache`` (``hit|miss|shared``,
:mod:`.cache`) and, when computed, ``X-Coalesced`` (how many concurrent requests that
computation served together, :mod:`.coalesce`).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from .. import __version__
from . import books, routes_appraisal, routes_library, shares
from .auth import appraiser, require, viewer  # noqa: F401 - the routes' key dependencies
from .errors import install_handlers
from .guard import GuardMiddleware
from .middleware import ServiceMiddleware
from .respond import (  # noqa: F401 - the helpers' import path before the split (books, shares, tests)
    _AUTH_ERRORS,
    _BODY_ERRORS,
    _PROV_HEADERS,
    APPRAISAL_PATH,
    BATCH_PATH,
    _body_ref,
    _body_value,
    _err,
    _FastJSONResponse,
    _json,
    _json_body,
    _ok,
    _schema_component,
)
from .routes_library import LibraryName  # noqa: F401
from .settings import Settings
from .state import Service

__all__ = ["Service", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. ``settings`` default: :meth:`Settings.from_env`.

    The routes live by concept in :mod:`.routes_appraisal` (appraisal, pricing, liveness,
    runs), :mod:`.books`, :mod:`.routes_library` and :mod:`.shares`; they reach this app's
    :class:`Service` as ``request.app.state.service``.
    """
    settings = settings or Settings.from_env()
    svc = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await run_in_threadpool(svc.warm_up)
        try:
            yield
        finally:
            svc.runs.close()
            if svc.pool is not None:
                await run_in_threadpool(svc.pool.close)

    app = FastAPI(
        title="数据资产评估与定价服务 / Data asset valuation and pricing service",
        version=__version__, lifespan=lifespan,
        description="成本法、收益法、市场法评估，指导价区间，公共数据定价（发改价格〔2025〕65号），五库只读与版本化写入。"
                    "\n\nCost, income and market appraisal, guided price ranges, public-data pricing "
                    "(NDRC 2025 No. 65), and the five libraries (read, versioned write).")
    app.state.service = svc
    install_handlers(app)
    app.add_middleware(ServiceMiddleware, service=svc)
    app.add_middleware(GuardMiddleware, service=svc)    # outermost: the key before the body
    app.include_router(routes_appraisal.router)          # healthz, appraisals, batch, prices
    books.register(app, svc, appraiser)                  # POST /v1/books
    app.include_router(routes_appraisal.runs_router)     # GET /v1/runs/{run_id}
    app.include_router(routes_library.router)            # the five libraries
    shares.install_shares(app, svc, appraiser, viewer)   # revenue sharing and its ledger (issue 21)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the card and product schemas of docs/INTERCHANGE.md."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    comps["AppraisalCard"] = _schema_component("card")
    comps["PriceProduct"] = _schema_component("product")
    app.openapi_schema = schema
    return schema
