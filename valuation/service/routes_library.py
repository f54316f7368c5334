"""Routes of the five libraries: read (viewer) and versioned write (appraiser drafts, admin
active versions); 409 for a stale ``base_version`` (see :mod:`.app`)."""
from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..core.result import clean
from ..library.records import LIBRARIES
from . import models as M
from .auth import appraiser, service_of, viewer
from .errors import PLAIN_TEXT, ServiceError
from .keys import ApiKey, role_allows
from .respond import _AUTH_ERRORS, _BODY_ERRORS, _err, _json, _ok

__all__ = ["LibraryName", "router"]

#: The five libraries (path parameter ``lib``).
LibraryName = Enum("LibraryName", {n: n for n in LIBRARIES}, type=str)  # type: ignore[misc]

router = APIRouter()



# ------------------------------------------------------------------ libraries
lib_errors = {**_AUTH_ERRORS, 404: _err(zh="条目或版本不存在", en="no such entry or version"),
              422: _BODY_ERRORS[422]}


def _entry(e: Any) -> dict[str, Any]:
    return clean(e.to_dict())


@router.get("/v1/libraries/{lib}", tags=["libraries"], response_class=JSONResponse,
            responses={200: _ok(M.LibraryList, "库条目", "entries of the library"), **lib_errors})
async def list_library(request: Request, lib: LibraryName,
                       status: Literal["active", "retired", "draft", "all"] = "active",
                       search: str | None = Query(None, max_length=200),
                       offset: int = Query(0, ge=0, le=10**9), limit: int = Query(100, ge=1, le=1000),
                       key: ApiKey = Depends(viewer)) -> JSONResponse:
    """库条目列表 / entries of a library, one per key (sorted, paged)."""
    svc = service_of(request)
    entries, sid = await run_in_threadpool(
        lambda: (svc.store().list(lib.value, status, search), svc.store().snapshot_id()))
    page = entries[offset: offset + limit]
    return _json({"library": lib.value, "status": status, "total": len(entries),
                  "offset": offset, "limit": limit, "entries": [_entry(e) for e in page]},
                 snapshot=sid, request=request)


@router.get("/v1/libraries/{lib}/{key}", tags=["libraries"], response_class=JSONResponse,
            responses={200: _ok(M.LibraryEntry, "条目版本", "one version"), **lib_errors})
async def get_entry(request: Request, lib: LibraryName,
                    key: str = PathParam(..., max_length=200, pattern=PLAIN_TEXT),
                    version: int | None = Query(None, ge=1, le=M.MAX_VERSION),
                    api_key: ApiKey = Depends(viewer)) -> JSONResponse:
    """条目（生效版本或指定版本）/ the version in force, or ``?version=N``."""
    svc = service_of(request)
    e, sid = await run_in_threadpool(
        lambda: (svc.store().get(lib.value, key, version), svc.store().snapshot_id()))
    return _json(_entry(e), snapshot=sid, request=request)


@router.get("/v1/libraries/{lib}/{key}/history", tags=["libraries"], response_class=JSONResponse,
            responses={200: _ok(M.LibraryHistory, "版本历史", "every version"), **lib_errors})
async def history(request: Request, lib: LibraryName,
                  key: str = PathParam(..., max_length=200, pattern=PLAIN_TEXT),
                  api_key: ApiKey = Depends(viewer)) -> JSONResponse:
    """版本历史 / every version of an entry, oldest first."""
    svc = service_of(request)
    hist, sid = await run_in_threadpool(
        lambda: (svc.store().history(lib.value, key), svc.store().snapshot_id()))
    return _json({"library": lib.value, "key": key, "versions": [_entry(e) for e in hist]},
                 snapshot=sid, request=request)


@router.put("/v1/libraries/{lib}/{key}", tags=["libraries"], response_class=JSONResponse,
            responses={200: _ok(M.LibraryEntry, "写入的新版本", "the version written"), **lib_errors,
                       409: _err(zh="版本冲突：已有更新的版本，未写入", en="stale base_version: nothing written"),
                       413: _BODY_ERRORS[413]})
async def put_entry(request: Request, body: M.LibraryWrite, lib: LibraryName,
                    key: str = PathParam(..., max_length=200, pattern=PLAIN_TEXT),
                    api_key: ApiKey = Depends(appraiser)) -> JSONResponse:
    """写入新版本 / write a new version (drafts: appraiser; active: admin). Nothing is edited
    in place; a stale ``base_version`` gives 409 with the latest version."""
    svc = service_of(request)
    if body.status == "active" and not role_allows(api_key.role, "admin"):
        raise ServiceError(403, "forbidden",
                           "评估师只能提交草稿版本（status=draft）；生效版本须由管理员写入",
                           "an appraiser may only write draft versions (status=draft); "
                           "active versions need the admin role",
                           role=api_key.role, required_role="admin")
    e = await run_in_threadpool(lambda: svc.store().put(
        lib.value, key, body.content, author=f"api:{api_key.name}", note=body.note,
        base_version=body.base_version, status=body.status,
        effective_from=body.effective_from, references=body.references))
    sid = await run_in_threadpool(lambda: (svc.snapshot_id(fresh=True), svc.store().snapshot_id())[1])
    return _json(_entry(e), snapshot=sid, request=request)
