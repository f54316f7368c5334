"""The service's own ASGI middleware: the body-size limit (413 before anything is parsed),
the provenance headers, and the fast path of ``POST /v1/appraisals``."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders

from .. import __version__
from .errors import ServiceError, error_body, response_for
from .guard import KEY_SCOPE
from .keys import role_allows
from .respond import (
    _CARD_EN,
    _CARD_ZH,
    _FAST_TRACE,
    _META,
    APPRAISAL_PATH,
    BATCH_PATH,
    _appraisal_response,
    _body_value,
    _no_receive,
)
from .state import Service

__all__ = ["ServiceMiddleware"]


class ServiceMiddleware:
    """Pure ASGI: body-size limit (413 before anything is parsed) and provenance headers."""

    def __init__(self, app: Any, service: Service):
        self.app = app
        self.svc = service

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        meta: dict[str, Any] = {}
        scope[_META] = meta
        svc = self.svc

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Engine-Version"] = __version__
                sid = meta.get("snapshot")
                if not sid:
                    try:
                        sid = await svc.current_snapshot_id()
                    except Exception:  # noqa: BLE001 - a header must never break a response
                        sid = "unknown"
                headers["X-Library-Snapshot"] = sid
            await send(message)

        limit = (svc.settings.max_batch_body_bytes if scope.get("path") == BATCH_PATH
                 else svc.settings.max_body_bytes)

        async def too_large(size: str) -> None:
            body = error_body(
                "payload_too_large",
                f"请求体过大（{size}），上限为 {limit:,} 字节",
                f"request body too large ({size}); the limit is {limit:,} bytes",
                [{"field": "body", "value": size, "allowed": f"<= {limit} bytes",
                  "message_zh": f"请求体不得超过 {limit:,} 字节",
                  "message_en": f"the request body may not exceed {limit:,} bytes"}],
                limit=limit)
            await JSONResponse(body, status_code=413)(scope, receive, send_with_headers)

        if scope.get("method") in ("POST", "PUT", "PATCH"):
            declared = dict(scope.get("headers") or []).get(b"content-length")
            if declared is not None:
                try:
                    n = int(declared)
                except ValueError:
                    n = -1
                if n > limit:
                    await too_large(f"{n:,} bytes")
                    return
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await too_large(f"> {limit:,} bytes")
                    return
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            replayed = False

            async def replay() -> dict:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            if scope.get("method") == "PUT" and await self._gate_refused(scope, body, send_with_headers):
                return
            if scope.get("path") == APPRAISAL_PATH and scope.get("method") == "POST" \
                    and await self._fast_appraisal(scope, body, meta, send_with_headers):
                return
            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _gate_refused(scope: dict, raw: bytes, send: Any) -> bool:
        """The library write (``PUT /v1/libraries/{lib}/{key}``, the one body FastAPI parses
        itself, with ``json.loads``) through the input gate first: True when refused (the 422
        is sent). Why: ``json.loads`` takes NaN and Infinity (stored silently as null), and a
        body too deep, not UTF-8 or with a huge integer got a 400 naming no field; the gate
        answers them as for every other body, and refuses NUL in the note or references."""
        try:
            _body_value(raw, dict, "JSON 对象（库条目的新版本）", "a JSON object (a new library version)")
        except ServiceError as e:
            await response_for(e)(scope, _no_receive, send)
            return True
        return False

    async def _fast_appraisal(self, scope: dict, raw: bytes, meta: dict[str, Any], send: Any) -> bool:
        """Answer ``POST /v1/appraisals`` without FastAPI's routing and dependency solving
        when the request is plainly well-formed; False (nothing sent, nothing consumed) to
        let the route answer it.

        Why: a single appraisal is the service's hot path, and FastAPI's per-request work
        (resolving the key, bearer and query dependencies: most of what the app spent on a
        cached answer) runs on the one event loop that must also answer every
        other client of a coalesced batch. Taken only for: no query string or ``trace=true``
        / ``trace=false``; exactly one ``X-API-Key`` header and no ``Authorization``; a key
        that is valid with the appraiser role and within its rate; a body that is a JSON
        object. Everything else — missing or wrong keys, bad JSON, other query strings, a
        refused rate — goes to the route, which gives its usual answers. The answer is the
        route's: the same :meth:`Service.appraisal`, the same headers, and errors raised while
        appraising rendered as the app's handlers render them (``errors.response_for``).
        """
        trace = _FAST_TRACE.get(scope.get("query_string") or b"")
        if trace is None:
            return False
        presented = None
        for name, value in scope.get("headers") or ():
            if name == b"x-api-key":
                if presented is not None:
                    return False
                presented = value.decode("latin-1")
            elif name == b"authorization":
                return False
        if not presented:
            return False
        svc = self.svc
        key = scope.get(KEY_SCOPE) or await svc.key_for(presented)   # verified by the guard
        if key is None or not role_allows(key.role, "appraiser"):
            return False
        try:
            card = _body_value(raw, dict, _CARD_ZH, _CARD_EN)
        except ServiceError:
            return False                # the route answers the 422
        if not svc.limiter.allow(key.id)[0]:
            return False                # the route checks again and answers 429
        svc.fast_answers += 1
        try:
            body, snap_id, how, together = await svc.appraisal(card, trace)
        except Exception as e:  # noqa: BLE001 - answered as the app's handlers answer it
            resp = response_for(e)
        else:
            meta["snapshot"] = snap_id
            resp = _appraisal_response(body, how, together)
        await resp(scope, _no_receive, send)
        return True
