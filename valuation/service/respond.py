"""Responses, request bodies and OpenAPI fragments shared by the service's routes (the app,
:mod:`.books`, :mod:`.shares`), so errors, headers and the OpenAPI document match everywhere."""
from __future__ import annotations

import copy
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer

from ..core.gate import GateError, parse_json
from . import models as M
from .errors import ServiceError
from .render import render_json

BATCH_PATH = "/v1/appraisals:batch"
APPRAISAL_PATH = "/v1/appraisals"
#: query strings the appraisal fast path understands (anything else: the route decides)
_FAST_TRACE = {b"": True, b"trace=true": True, b"trace=false": False}
_CARD_ZH, _CARD_EN = "资产卡片 JSON 对象", "a JSON object (asset card)"
_META = "valuation.meta"

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="API 密钥 / API key (`valuation keys create`)")
_bearer = HTTPBearer(auto_error=False, description="同一密钥，Bearer 形式 / the same key as a bearer token")


def _err(model: type = M.ErrorBody, zh: str = "", en: str = "") -> dict[str, Any]:
    return {"model": model, "description": f"{zh} / {en}" if zh else en}


_PROV_HEADERS = {
    "X-Engine-Version": {"description": "引擎版本 / engine version", "schema": {"type": "string"}},
    "X-Library-Snapshot": {"description": "库快照 / library snapshot id", "schema": {"type": "string"}},
}
_AUTH_ERRORS = {401: _err(zh="缺少、无效或已吊销的 API 密钥", en="missing, wrong or revoked API key"),
                403: _err(zh="角色不足", en="role too low"),
                429: _err(zh="请求过于频繁", en="rate limit exceeded")}
_BODY_ERRORS = {413: _err(zh="请求体过大", en="request body too large"),
                422: _err(zh="输入校验失败（字段、取值、允许范围）",
                          en="validation failed (field, value, allowed)")}


def _ok(model: type, zh: str, en: str) -> dict[str, Any]:
    return {"model": model, "description": f"{zh} / {en}", "headers": _PROV_HEADERS}


def _body_ref(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


def _meta(request: Request) -> dict[str, Any]:
    return request.scope.setdefault(_META, {})


class _FastJSONResponse(JSONResponse):
    """A JSONResponse rendered by :func:`~valuation.service.render.render_json`."""

    def render(self, content: Any) -> bytes:
        return render_json(content)


def _json(data: Any, status: int = 200, snapshot: str | None = None,
          request: Request | None = None) -> JSONResponse:
    if snapshot and request is not None:
        _meta(request)["snapshot"] = snapshot
    return _FastJSONResponse(data, status_code=status)


async def _no_receive() -> dict[str, Any]:    # pragma: no cover - a plain response never reads
    return {"type": "http.disconnect"}


def _appraisal_response(body: bytes, how: str, together: int) -> JSONResponse:
    resp = _FastJSONResponse(body)
    resp.headers["X-Result-Cache"] = how
    if together:
        resp.headers["X-Coalesced"] = str(together)
    return resp


async def _json_body(request: Request, expect: type, what_zh: str, what_en: str) -> Any:
    return _body_value(await request.body(), expect, what_zh, what_en)


def _body_value(raw: bytes, expect: type, what_zh: str, what_en: str) -> Any:
    """The JSON value of a request body, through the input gate (:mod:`valuation.core.gate`:
    UTF-8, depth, duplicate keys, big integers, control characters; NaN and Infinity are not
    JSON), when it is an ``expect``; else the 422 naming the problem. The body's size was
    checked before it was read (413)."""
    if not raw.strip():
        issue = ("body", None, "请求体为空", "the request body is empty")
    else:
        try:
            data = parse_json(raw, field="body", max_bytes=len(raw), docs_at=_DOCS_AT)
        except GateError as e:
            issues = [i.to_dict() for i in e.issues]
            for i in issues:            # the body as a whole: what it must be
                if i["field"] == "body":
                    i["allowed"] = what_en
            raise ServiceError(422, "validation_error", e.message_zh, e.message_en,
                               issues=issues) from None
        if isinstance(data, expect):
            return data
        issue = ("body", type(data).__name__, f"请求体须为{what_zh}",
                 f"the request body must be {what_en}")
    field, value, zh, en = issue
    raise ServiceError(422, "validation_error", zh, en, issues=[
        {"field": field, "value": value, "allowed": what_en, "message_zh": zh, "message_en": en}])


#: where a request body holds documents of its own (the batch: a list, or ``{"cards": [...]}``)
_DOCS_AT = ("[]", "cards[]")


def _schema_component(doc: str) -> dict[str, Any]:
    from ..core.schema import json_schema

    s = copy.deepcopy(json_schema(doc, "en"))
    for k in ("$schema", "$id"):
        s.pop(k, None)
    return s
