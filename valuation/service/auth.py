"""The key dependencies of the routes: ``viewer``, ``appraiser`` and ``admin`` (docs/SECURITY.md).

The guard (:mod:`.guard`) has verified the key before the body was read; here the route's role
and the key's rate are checked. The service state is the app's (``app.state.service``).
"""
from __future__ import annotations

from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from .errors import ServiceError
from .guard import KEY_SCOPE
from .keys import ROLE_LABELS, ApiKey, role_allows
from .respond import _api_key_header, _bearer

__all__ = ["appraiser", "require", "service_of", "viewer"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="valuation"'}


def service_of(request: Request) -> Any:
    """The app's :class:`~valuation.service.state.Service` (set by ``create_app``)."""
    return request.app.state.service


def require(role: str) -> Any:
    """A dependency giving the caller's :class:`ApiKey` when it may act as ``role``: 401 without
    a valid key, 403 for too low a role, 429 past the key's rate."""
    async def dependency(request: Request,
                         x_api_key: str | None = Security(_api_key_header),
                         bearer: HTTPAuthorizationCredentials | None = Security(_bearer)) -> ApiKey:
        svc = service_of(request)
        presented = x_api_key or (bearer.credentials if bearer is not None else None)
        if not presented:
            raise ServiceError(401, "unauthorized", "缺少 API 密钥（请求头 X-API-Key 或 "
                               "Authorization: Bearer）",
                               "missing API key (header X-API-Key or Authorization: Bearer)",
                               headers=_CHALLENGE)
        key = request.scope.get(KEY_SCOPE) or await svc.key_for(presented)
        if key is None:     # an authentication failure (the guard answers it first)
            raise ServiceError(401, "unauthorized", "API 密钥无效或已被吊销",
                               "the API key is not valid or has been revoked", headers=_CHALLENGE)
        if not role_allows(key.role, role):
            raise ServiceError(403, "forbidden",
                               f"角色 {ROLE_LABELS[key.role][0]} 无权执行此操作，需要 "
                               f"{ROLE_LABELS[role][0]} 或更高",
                               f"role {key.role} may not do this; it needs {role} or higher",
                               role=key.role, required_role=role)
        ok, retry = svc.limiter.allow(key.id)
        if not ok:
            ra = svc.limiter.retry_after_header(retry)
            raise ServiceError(429, "rate_limited",
                               f"请求过于频繁（每个密钥每秒 {svc.limiter.rate:g} 次），请 {ra} 秒后重试",
                               f"too many requests (limit {svc.limiter.rate:g}/s per key); "
                               f"retry in {ra} s", headers={"Retry-After": ra})
        request.state.api_key = key
        return key
    return dependency


viewer, appraiser = require("viewer"), require("appraiser")
