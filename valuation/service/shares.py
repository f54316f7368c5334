"""HTTP routes of revenue sharing (a face over :func:`valuation.api.share` and its ledger).

=====================================  ==========  ============================================
``POST /v1/shares``                    appraiser   sharing spec → distribution; ``?record=true``
                                                   appends it to the ledger (who ran it: the key)
``GET  /v1/shares``                    viewer      ledger records (``?arrangement_id=&period=``)
``GET  /v1/shares/{record_id}``        viewer      one record (404 when unknown)
=====================================  ==========  ============================================
"""
from __future__ import annotations

import copy
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from .. import api
from ..core.result import clean
from .errors import PLAIN_TEXT
from .keys import ApiKey
from .respond import _AUTH_ERRORS, _BODY_ERRORS, _body_value, _err, _json, _ok

__all__ = ["install_shares", "ShareResult"]


class ShareResult(BaseModel):
    """A distribution (docs/sharing.md); amounts sum to ``distributable`` to the cent."""

    model_config = ConfigDict(extra="allow")
    arrangement_id: str
    method: str
    distributable: float
    currency: str
    shares: list[dict[str, Any]]
    core: dict[str, Any]
    flags: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    provenance: dict[str, Any]


class ShareRecords(BaseModel):
    model_config = ConfigDict(extra="allow")
    records: list[dict[str, Any]]


def _spec_schema() -> dict[str, Any]:
    s = copy.deepcopy(api.share_schema("en"))
    for k in ("$schema", "$id"):
        s.pop(k, None)
    return s


def install_shares(app: FastAPI, svc: Any, appraiser: Any, viewer: Any) -> None:
    """Add the sharing routes to ``app`` (``appraiser``/``viewer``: the app's key checks)."""

    @app.post("/v1/shares", tags=["sharing"], response_class=JSONResponse,
              responses={200: _ok(ShareResult, "收益分配结果", "the distribution"), **_AUTH_ERRORS, **_BODY_ERRORS},
              openapi_extra={"requestBody": {"required": True, "description": "收益分配安排 / sharing spec",
                                             "content": {"application/json": {"schema": _spec_schema()}}}})
    async def share(request: Request, key: ApiKey = Depends(appraiser),
                    record: bool = Query(False, description="记入分配台账 / append to the ledger")) -> JSONResponse:
        """收益分配（谁投入、谁贡献、谁受益）/ share a distributable amount among participants."""
        spec = _body_value(await request.body(), dict, "收益分配安排 JSON 对象", "a JSON object (sharing spec)")
        out = await run_in_threadpool(lambda: api.share(spec, library=svc.library(), record=record,
                                                        ran_by=f"api:{key.name}", db=svc.db_url))
        out = clean(out)
        return _json(out, snapshot=out["provenance"].get("library_snapshot"), request=request)

    @app.get("/v1/shares", tags=["sharing"], response_class=JSONResponse,
             responses={200: _ok(ShareRecords, "分配台账", "ledger records"), **_AUTH_ERRORS})
    async def share_history(request: Request, key: ApiKey = Depends(viewer),
                            arrangement_id: str | None = Query(None, max_length=64, pattern=PLAIN_TEXT),
                            period: str | None = Query(None, max_length=64, pattern=PLAIN_TEXT)) -> JSONResponse:
        """分配台账 / ledger records, oldest first."""
        df = await run_in_threadpool(lambda: api.share_history(arrangement_id, period, db=svc.db_url))
        df["created_at"] = df["created_at"].astype(str)
        return _json({"records": clean(df.to_dict(orient="records"))}, request=request)

    @app.get("/v1/shares/{record_id}", tags=["sharing"], response_class=JSONResponse,
             responses={200: _ok(ShareRecords, "台账记录", "one record"), **_AUTH_ERRORS,
                        404: _err(zh="记录不存在", en="unknown record")})
    async def share_record(request: Request, record_id: str = PathParam(..., max_length=64, pattern=PLAIN_TEXT),
                           key: ApiKey = Depends(viewer)) -> JSONResponse:
        """一条台账记录 / one ledger record."""
        rec = await run_in_threadpool(lambda: api.share_record(record_id, db=svc.db_url))
        return _json({"records": [clean(rec)]}, request=request)
