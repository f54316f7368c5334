"""Structured, bilingual errors of the HTTP service.

Every error response is ``{code, message_zh, message_en, issues: [{field, value, allowed,
message_zh, message_en}]}`` — the engine's :class:`~valuation.core.errors.ValuationError`
family, FastAPI's request validation and the service's own refusals (401, 403, 413, 429)
alike.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.errors import (
    ConflictError,
    NotFoundError,
    RefusedError,
    RuleCompileError,
    ValidationError,
    ValuationError,
)
from ..core.result import clean

__all__ = ["PLAIN_TEXT", "ServiceError", "error_body", "install_handlers", "response_for", "validation_issue"]

#: the pattern of path and query parameters that reach a database query (ids, keys, periods):
#: no control characters — PostgreSQL cannot hold NUL in text (the driver raised: a 500), and
#: no stored id, key or period holds one, so refusing them (422) changes no valid answer
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"

log = logging.getLogger("valuation.service")


class ServiceError(Exception):
    """A refusal by the service itself (auth, size, rate, unknown run …)."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, *,
                 issues: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None,
                 **context: Any):
        super().__init__(message_en)
        self.status, self.code = status, code
        self.message_zh, self.message_en = message_zh, message_en
        self.issues = issues or []
        self.headers = headers or {}
        self.context = context


def error_body(code: str, message_zh: str, message_en: str,
               issues: list[dict[str, Any]] | None = None, **context: Any) -> dict[str, Any]:
    body = {"code": code, "message_zh": message_zh, "message_en": message_en,
            "issues": issues or []}
    body.update({k: v for k, v in context.items() if k not in body})
    return clean(body)


def error_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def _short(v: Any, limit: int = 200) -> Any:
    """Echo the offending value back, truncated, JSON-safe."""
    if isinstance(v, (bool, int, float)) or v is None:
        return clean(v)
    if isinstance(v, str):
        return v if len(v) <= limit else v[:limit] + "…"
    if isinstance(v, bytes):
        return _short(v.decode("utf-8", "replace"), limit)
    if isinstance(v, (list, dict)):
        import json

        try:
            text = json.dumps(clean(v), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return _short(repr(v), limit)
        return clean(v) if len(text) <= limit else text[:limit] + "…"
    return _short(repr(v), limit)


_ZH_BY_TYPE = {
    "missing": "缺少必填字段",
    "json_invalid": "JSON 格式错误",
    "extra_forbidden": "不允许的字段",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "string_type": "须为字符串",
    "bool_parsing": "须为布尔值",
    "bool_type": "须为布尔值",
    "dict_type": "须为 JSON 对象",
    "list_type": "须为数组",
    "model_attributes_type": "须为 JSON 对象",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_pattern_mismatch": "含有不允许的字符（如控制字符）",
}


_ALLOWED_BY_TYPE = {"int_": "integer", "float_": "number", "string_": "string", "bool_": "boolean",
                    "dict_": "JSON object", "model_attributes": "JSON object", "list_": "array",
                    "json_invalid": "valid JSON"}


def validation_issue(err: dict[str, Any]) -> dict[str, Any]:
    """One pydantic/FastAPI validation error → the service's issue shape."""
    loc = [str(x) for x in err.get("loc", ())]
    field = ".".join(loc) or "body"
    typ = str(err.get("type", ""))
    msg = str(err.get("msg", "invalid value"))
    ctx = err.get("ctx") or {}
    kind = next((v for k, v in _ALLOWED_BY_TYPE.items() if typ.startswith(k)), None)
    if "expected" in ctx:
        allowed = str(ctx["expected"])
    elif ctx.get("pattern") == PLAIN_TEXT:
        allowed = "text without control characters / 不含控制字符的文本"
    elif typ == "missing":
        allowed = "a value (required) / 必填"
    elif typ == "extra_forbidden":
        allowed = "no such field / 不应有此字段"
    elif kind is not None:
        allowed = kind
    elif "ge" in ctx:
        allowed = f">= {ctx['ge']}"
    elif "le" in ctx:
        allowed = f"<= {ctx['le']}"
    else:
        allowed = msg
    zh = _ZH_BY_TYPE.get(typ, "取值无效")
    return {"field": field, "value": None if typ == "missing" else _short(err.get("input")),
            "allowed": allowed, "message_zh": f"字段 {field}：{zh}（{msg}）",
            "message_en": f"field {field}: {msg}"}


def _valuation_status(e: ValuationError) -> int:
    if isinstance(e, ConflictError):
        return 409
    if isinstance(e, NotFoundError):
        return 404
    if isinstance(e, (ValidationError, RefusedError, RuleCompileError)):
        return 422
    return 400


def valuation_error_response(e: ValuationError) -> JSONResponse:
    d = e.to_dict()
    issues = d.pop("issues", None)
    if issues is None and isinstance(e, RefusedError) and e.field:
        issues = [{"field": e.field, "value": _short(e.value), "allowed": e.allowed,
                   "message_zh": e.message_zh, "message_en": e.message_en}]
    for i in issues or []:
        i["value"] = _short(i.get("value"))
    code = d.pop("code")
    zh, en = d.pop("message_zh"), d.pop("message_en")
    for k in ("field", "value", "allowed"):
        if k in d and not isinstance(d[k], str):
            d[k] = _short(d[k])
    return error_response(_valuation_status(e), error_body(code, zh, en, issues, **d))


def service_error_response(e: ServiceError) -> JSONResponse:
    return error_response(e.status, error_body(e.code, e.message_zh, e.message_en, e.issues,
                                               **e.context), e.headers)


def unexpected_error_response(e: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=e)
    return error_response(500, error_body("internal_error", "服务内部错误",
                                          f"internal error: {type(e).__name__}"))


def response_for(e: Exception) -> JSONResponse:
    """The response the app's handlers give an exception raised while appraising (a route
    answered outside FastAPI's routing — the appraisal fast path — answers errors exactly
    as the handlers below do)."""
    if isinstance(e, ServiceError):
        return service_error_response(e)
    if isinstance(e, ValuationError):
        return valuation_error_response(e)
    return unexpected_error_response(e)


def install_handlers(app: Any) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, e: ServiceError) -> JSONResponse:
        return service_error_response(e)

    @app.exception_handler(ValuationError)
    async def _valuation(_: Request, e: ValuationError) -> JSONResponse:
        return valuation_error_response(e)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, e: RequestValidationError) -> JSONResponse:
        issues = [validation_issue(x) for x in e.errors()]
        n = len(issues)
        return error_response(422, error_body(
            "validation_error", f"请求校验失败（共 {n} 处）：" + "；".join(i["message_zh"] for i in issues[:5]),
            f"request validation failed ({n} issue(s)): " + "; ".join(i["message_en"] for i in issues[:5]),
            issues))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        zh, code = {404: ("未找到该路径", "not_found"), 405: ("不支持该请求方法", "method_not_allowed")
                    }.get(e.status_code, ("请求失败", "http_error"))
        return error_response(e.status_code, error_body(code, zh, str(e.detail)),
                              dict(e.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, e: Exception) -> JSONResponse:  # pragma: no cover - bugs
        return unexpected_error_response(e)
