"""``POST /v1/books`` (appraiser key): 入表 and impairment test of one card (财会〔2023〕11号;
CAS 6, CAS 1, CAS 8) — a face over :func:`valuation.api.book`, registered by ``create_app``."""
from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from .. import api
from ..core.result import clean

__all__ = ["BookAnswer", "register"]

BOOKS_PATH = "/v1/books"


class BookAnswer(BaseModel):
    """The books of one data resource (:func:`valuation.api.book`); absent figures are null."""

    model_config = ConfigDict(extra="allow")

    asset_id: str
    classification: str | None
    cost: float | None = None
    expensed: float | None = None
    accumulated_amortisation: float | None = None
    carrying_amount_before_impairment: float | None = None
    value_in_use: float | None = None
    fair_value_less_costs_of_disposal: float | None = None
    net_realisable_value: float | None = None
    recoverable_amount: float | None = None
    impairment_loss: float | None = None
    carrying_amount: float | None = None
    schedule: list[dict[str, Any]] = []
    disclosure: dict[str, Any] = {}
    flags: list[dict[str, Any]] = []
    trace: list[dict[str, Any]] = []
    provenance: dict[str, Any] = {}


def register(app: FastAPI, svc: Any, appraiser: Any) -> None:
    """Add the route (``appraiser``: the app's key dependency). The app's own response helpers
    are used, so errors, headers and OpenAPI match the other routes."""
    from .respond import _AUTH_ERRORS, _BODY_ERRORS, _body_ref, _json, _json_body, _ok

    ok, errors, body_ref, json_body, respond = _ok, {**_AUTH_ERRORS, **_BODY_ERRORS}, _body_ref, _json_body, _json

    @app.post(BOOKS_PATH, tags=["accounting"], response_class=JSONResponse,
              responses={200: ok(BookAnswer, "入表与减值测试", "books and impairment test"), **errors},
              openapi_extra=body_ref({"$ref": "#/components/schemas/AppraisalCard"},
                                     "含 accounting 部分的资产卡片 / asset card with an accounting section"))
    async def books(request: Request, key: Any = Depends(appraiser)) -> JSONResponse:
        """数据资源入表与减值测试 / classify, measure, amortise and impairment-test one card."""
        card = await json_body(request, dict, "资产卡片 JSON 对象", "a JSON object (asset card)")
        # the engine runs under the service's CPU slot, like the batch route
        out = clean(await anyio.to_thread.run_sync(lambda: api.book(card, library=svc.library()),
                                                   limiter=svc.cpu_limiter))
        return respond(out, snapshot=(out.get("provenance") or {}).get("library_snapshot"), request=request)
