"""Routes of appraisal, public-data pricing, liveness and batch runs (see :mod:`.app`)."""
from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from .. import __version__, api
from ..core.gate import forecasts_in
from ..core.result import clean
from . import models as M
from .auth import appraiser, service_of, viewer
from .errors import PLAIN_TEXT, ServiceError
from .keys import ApiKey
from .respond import (
    _AUTH_ERRORS,
    _BODY_ERRORS,
    _CARD_EN,
    _CARD_ZH,
    _PROV_HEADERS,
    APPRAISAL_PATH,
    BATCH_PATH,
    _appraisal_response,
    _body_ref,
    _err,
    _json,
    _json_body,
    _meta,
    _ok,
)
from .runs import failed_rows

__all__ = ["router", "runs_router"]

router = APIRouter()
runs_router = APIRouter()



# ------------------------------------------------------------------ health
@router.get("/healthz", response_model=M.Health, tags=["service"],
            responses={200: {"headers": _PROV_HEADERS, "description": "ok"}})
async def healthz(request: Request) -> JSONResponse:
    """存活检查（无需密钥）/ liveness (no key needed)."""
    svc = service_of(request)
    sid = await svc.current_snapshot_id()
    return _json({"status": "ok", "engine_version": __version__, "library_snapshot": sid},
                 snapshot=sid, request=request)


# ------------------------------------------------------------------ appraisal
@router.post(APPRAISAL_PATH, tags=["appraisal"], response_class=JSONResponse,
             responses={200: _ok(M.AppraisalResult, "评估结果", "the appraisal result"),
                        **_AUTH_ERRORS, **_BODY_ERRORS},
             openapi_extra=_body_ref({"$ref": "#/components/schemas/AppraisalCard"},
                                     "资产卡片（docs/INTERCHANGE.md）/ asset card (docs/INTERCHANGE.md)"))
async def appraise(request: Request, key: ApiKey = Depends(appraiser),
                   trace: bool = Query(True, description="计算过程 / include the traces")
                   ) -> JSONResponse:
    """评估一张资产卡片 / appraise one asset card with every applicable approach."""
    svc = service_of(request)
    card = await _json_body(request, dict, _CARD_ZH, _CARD_EN)
    body, snap_id, how, together = await svc.appraisal(card, trace)
    _meta(request)["snapshot"] = snap_id
    return _appraisal_response(body, how, together)


@router.post(BATCH_PATH, tags=["appraisal"], response_class=JSONResponse,
             responses={200: _ok(M.BatchResponse, "批量评估结果", "results of the batch"),
                        202: {"model": M.RunAccepted, "headers": _PROV_HEADERS,
                              "description": "卡片多于上限，转为后台运行 / more cards than "
                                             "max_batch: accepted as a background run"},
                        **_AUTH_ERRORS, **_BODY_ERRORS},
             openapi_extra=_body_ref({"type": "array",
                                      "items": {"$ref": "#/components/schemas/AppraisalCard"}},
                                     "资产卡片列表 / list of asset cards"))
async def appraise_batch(request: Request, key: ApiKey = Depends(appraiser)) -> JSONResponse:
    """批量评估 / appraise many cards at once (columnar; no traces). Bad cards are reported
    in ``failures``; the rest is appraised."""
    svc = service_of(request)
    data = await _json_body(request, (list, dict), "资产卡片数组", "a JSON array of asset cards")
    cards = data.get("cards") if isinstance(data, dict) else data
    if not isinstance(cards, list):
        raise ServiceError(422, "validation_error", "请求体须为资产卡片数组",
                           "the request body must be a JSON array of asset cards",
                           issues=[{"field": "body", "value": type(data).__name__,
                                    "allowed": "array of cards, or {\"cards\": [...]}",
                                    "message_zh": "请求体须为资产卡片数组",
                                    "message_en": "the body must be an array of cards"}])
    n, lim, run_lim = len(cards), svc.settings.max_batch, svc.settings.max_run_cards
    if n > run_lim:
        raise ServiceError(413, "payload_too_large",
                           f"一次提交 {n:,} 张卡片，超过上限 {run_lim:,}；请用 `valuation revalue` 批量重估",
                           f"{n:,} cards in one request exceed the limit of {run_lim:,}; use "
                           "`valuation revalue` for batch revaluation",
                           issues=[{"field": "body", "value": n, "allowed": f"<= {run_lim} cards",
                                    "message_zh": f"卡片数不得超过 {run_lim:,}",
                                    "message_en": f"at most {run_lim:,} cards"}], limit=run_lim)
    if n > lim or forecasts_in(cards) > svc.settings.max_batch_forecasts:   # bounded work
        s = svc.runs.start(cards, submitted_by=key.name)
        return _json({"run_id": s["run_id"], "status": s["status"],
                      "href": f"/v1/runs/{s['run_id']}", "n_assets": n}, status=202)

    def run() -> dict[str, Any]:
        snap = api.snapshot(svc.library())
        br = api.appraise_many(cards, library=snap, trace=False)
        d = br.to_dict()
        return {"count": len(d["results"]), "failed": failed_rows(d["failures"]),
                "library_snapshot": snap.snapshot_id, **d}

    out = await anyio.to_thread.run_sync(run, limiter=svc.cpu_limiter)
    return _json(out, snapshot=out["library_snapshot"], request=request)


# ------------------------------------------------------------------ pricing
@router.post("/v1/prices", tags=["pricing"], response_class=JSONResponse,
             responses={200: _ok(M.PriceResult, "定价结果", "prices, caps and checks"),
                        **_AUTH_ERRORS, **_BODY_ERRORS},
             openapi_extra=_body_ref({"$ref": "#/components/schemas/PriceProduct"},
                                     "公共数据产品（发改价格〔2025〕65号）/ public-data product"))
async def price(request: Request, key: ApiKey = Depends(appraiser)) -> JSONResponse:
    """公共数据产品定价 / public-data pricing: maximum allowed revenue, price caps, checks."""
    svc = service_of(request)
    product = await _json_body(request, dict, "产品 JSON 对象", "a JSON object (product)")
    out = await run_in_threadpool(lambda: api.price(product, library=svc.library()))
    out = clean(out)
    return _json(out, snapshot=(out.get("provenance") or {}).get("library_snapshot"),
                 request=request)


# ------------------------------------------------------------------ runs
@runs_router.get("/v1/runs/{run_id}", tags=["runs"], response_class=JSONResponse,
                 responses={200: _ok(M.RunSummary, "运行摘要", "run summary"), **_AUTH_ERRORS,
                            404: _err(zh="运行不存在", en="unknown run")})
async def get_run(request: Request, run_id: str = PathParam(..., max_length=200, pattern=PLAIN_TEXT),
                  key: ApiKey = Depends(viewer)) -> JSONResponse:
    """批量运行摘要 / summary of a batch run."""
    svc = service_of(request)
    s = await run_in_threadpool(svc.runs.get, run_id)
    if s is None:
        raise ServiceError(404, "not_found", f"运行 {run_id} 不存在", f"run {run_id} is unknown",
                           run_id=run_id)
    return _json(clean(s), snapshot=s.get("library_snapshot"), request=request)
