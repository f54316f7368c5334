"""The service's outer guard (ASGI): authentication before the body, a rate limit on failed
authentication per client address, security headers and a per-request deadline.

Why each (docs/SECURITY.md "HTTP service"):

- the key is checked from the headers before a single byte of the body is read, so an
  unauthenticated client cannot make the service buffer (up to 32 MB) or parse anything;
- a missing, wrong or revoked key is an authentication failure: 401 with ``WWW-Authenticate``
  (RFC 9110 §15.5.2); 403 stays for a valid key whose role is too low (the routes decide);
- wrong keys count against the client address (a token bucket: ``auth_failures_burst``
  failures, refilled at ``auth_failures_per_second``); an address out of tokens gets 429 with
  ``Retry-After`` before its key is even looked up, so guessing keys is slow and cheap to refuse;
- every answer carries ``X-Content-Type-Options: nosniff``; answers under ``/v1/`` (results,
  library contents, errors) ``Cache-Control: no-store``; the server banner is off
  (``valuation serve`` runs uvicorn with ``server_header=False``);
- a request still unanswered after ``request_deadline_seconds`` gets 504 with the bilingual
  error body (the work it started finishes in its thread and is dropped: CPU-bound Python
  cannot be interrupted; the schema's list limits bound it, :mod:`valuation.core.schema`).
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

import anyio
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders

from .. import __version__
from .errors import error_body

__all__ = ["GuardMiddleware", "FailureLimiter", "presented_key", "KEY_SCOPE"]

#: where the guard leaves the key it verified for this request (an ``ApiKey`` or None)
KEY_SCOPE = "valuation.api_key"
_CHALLENGE = 'Bearer realm="valuation", charset="UTF-8"'


class FailureLimiter:
    """Failed authentications per client address: a token bucket of ``burst`` tokens refilled
    at ``rate`` per second; ``blocked`` looks without taking, ``record`` takes one. Bounded
    memory: at most ``max_addresses`` buckets (the oldest are forgotten)."""

    def __init__(self, burst: int, rate: float, *, max_addresses: int = 10_000, clock=time.monotonic):
        self.burst, self.rate = max(1, int(burst)), float(rate)
        self.max_addresses = max_addresses
        self._clock = clock
        self._b: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, addr: str, now: float) -> float:
        tokens, last = self._b.get(addr, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * self.rate)

    def blocked(self, addr: str) -> float:
        """Seconds until ``addr`` may try again (0: it may)."""
        with self._lock:
            t = self._tokens(addr, self._clock())
        if t >= 1.0:
            return 0.0
        return (1.0 - t) / self.rate if self.rate > 0 else 3600.0

    def record(self, addr: str) -> None:
        now = self._clock()
        with self._lock:
            t = self._tokens(addr, now)
            self._b.pop(addr, None)
            if len(self._b) >= self.max_addresses:
                self._b.pop(next(iter(self._b)))
            self._b[addr] = (max(0.0, t - 1.0), now)


def presented_key(headers: Any) -> str | None:
    """The key of ``X-API-Key``, else of ``Authorization: Bearer`` (as the routes read them)."""
    bearer = None
    for name, value in headers or ():
        if name == b"x-api-key":
            v = value.decode("latin-1").strip()
            if v:
                return v
        elif name == b"authorization":
            scheme, _, cred = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and cred.strip():
                bearer = cred.strip()
    return bearer


class GuardMiddleware:
    """Outermost layer of the service (see the module docstring)."""

    def __init__(self, app: Any, service: Any):
        self.app = app
        self.svc = service
        s = service.settings
        self.failures = FailureLimiter(s.auth_failures_burst, s.auth_failures_per_second)
        self.deadline = float(s.request_deadline_seconds)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path") or ""
        api = path.startswith("/v1/")

        async def send_secure(message: dict) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["X-Content-Type-Options"] = "nosniff"
                if api:
                    h["Cache-Control"] = "no-store"
                if "server" in h:
                    del h["server"]
            await send(message)

        if api and not await self._authenticated(scope, send_secure):
            return
        if self.deadline > 0:
            await self._with_deadline(scope, receive, send_secure)
        else:
            await self.app(scope, receive, send_secure)

    async def _authenticated(self, scope: dict, send: Any) -> bool:
        """True when the request presents an active key; else the refusal is sent."""
        addr = (scope.get("client") or ("unknown",))[0] or "unknown"
        presented = presented_key(scope.get("headers"))
        wait = self.failures.blocked(addr)
        # a blocked address still gets in with a key verified moments ago (in memory, no
        # database read): clients sharing an address with a key guesser keep working
        if wait > 0 and not (presented and self.svc.keys.cached(presented)[1] is not None):
            ra = str(max(1, math.ceil(wait)))
            await self._refuse(scope, send, 429, "auth_rate_limited",
                               f"认证失败次数过多，请 {ra} 秒后重试",
                               f"too many failed authentications from this address; retry in {ra} s",
                               {"Retry-After": ra})
            return False
        if not presented:
            await self._refuse(scope, send, 401, "unauthorized",
                               "缺少 API 密钥（请求头 X-API-Key 或 Authorization: Bearer）",
                               "missing API key (header X-API-Key or Authorization: Bearer)",
                               {"WWW-Authenticate": _CHALLENGE})
            return False
        key = await self.svc.key_for(presented)
        scope[KEY_SCOPE] = key      # the routes and the fast path read it instead of again
        if key is None:
            self.failures.record(addr)
            await self._refuse(scope, send, 401, "unauthorized", "API 密钥无效或已被吊销",
                               "the API key is not valid or has been revoked",
                               {"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'})
            return False
        return True

    async def _refuse(self, scope: dict, send: Any, status: int, code: str, zh: str, en: str,
                      headers: dict[str, str]) -> None:
        body = error_body(code, zh, en, [{"field": "X-API-Key", "value": None,
                                          "allowed": "an active API key", "message_zh": zh,
                                          "message_en": en}])
        await self._respond(scope, send, status, body, headers)

    async def _respond(self, scope: dict, send: Any, status: int, body: dict[str, Any],
                       headers: dict[str, str]) -> None:
        try:
            sid = await self.svc.current_snapshot_id()
        except Exception:  # noqa: BLE001 - a header must never break a response
            sid = "unknown"
        h = {**headers, "X-Engine-Version": __version__, "X-Library-Snapshot": sid}
        await JSONResponse(body, status_code=status, headers=h)(scope, _no_receive, send)

    async def _with_deadline(self, scope: dict, receive: Any, send: Any) -> None:
        """The app's answer, or 504 when none has started within the deadline. One cancel
        scope (no task per request): a request waiting for a compute slot, a coalesced batch
        or a cached answer is cancelled at once; a computation already running in a thread
        finishes there and its outcome is dropped."""
        started = False

        async def tracked(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with anyio.move_on_after(self.deadline) as cs:
            await self.app(scope, receive, tracked)
        if cs.cancelled_caught and not started:
            s = self.deadline
            body = error_body(
                "deadline_exceeded", f"请求未能在 {s:g} 秒内完成，已放弃；请稍后重试或减少输入规模",
                f"the request was not answered within {s:g} s and was abandoned; retry later or "
                "send less work", [], deadline_seconds=s)
            await self._respond(scope, send, 504, body, {"Retry-After": "5"})


async def _no_receive() -> dict[str, Any]:    # pragma: no cover - a plain response never reads
    return {"type": "http.disconnect"}
