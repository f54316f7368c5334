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

import copy
import datetime as _dt
import gc
import importlib
import threading
import time
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders

from .. import __version__, api
from ..core.gate import GateError, forecasts_in, parse_json
from ..core.portfolio import card_hash
from ..core.result import clean
from ..library.records import LIBRARIES
from . import models as M
from .cache import ResultCache
from .coalesce import Coalescer
from .compute import ComputePool, limit_blas_threads, runner, submitter, warm_engine
from .errors import ServiceError, error_body, install_handlers, response_for
from .flight import SingleFlight
from .guard import KEY_SCOPE, GuardMiddleware
from .keys import ROLE_LABELS, ApiKey, KeyStore, role_allows
from .ratelimit import TokenBucketLimiter
from .render import render_json
from .runs import RunRegistry, failed_rows
from .settings import Settings

__all__ = ["Service", "create_app"]

BATCH_PATH = "/v1/appraisals:batch"
APPRAISAL_PATH = "/v1/appraisals"
#: query strings the appraisal fast path understands (anything else: the route decides)
_FAST_TRACE = {b"": True, b"trace=true": True, b"trace=false": False}
_CARD_ZH, _CARD_EN = "资产卡片 JSON 对象", "a JSON object (asset card)"
_META = "valuation.meta"

#: The five libraries (path parameter ``lib``).
LibraryName = Enum("LibraryName", {n: n for n in LIBRARIES}, type=str)  # type: ignore[misc]


class Service:
    """State shared by the routes of one app: keys, rate limiter, library, runs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        limit_blas_threads(settings.blas_threads)     # before compute processes are spawned
        self.db_url = settings.resolved_db_url()
        self.keys = KeyStore(self.db_url, cache_seconds=settings.key_cache_seconds)
        self.limiter = TokenBucketLimiter(settings.rate_per_second, settings.rate_burst)
        self._store: Any = None
        self._store_lock = threading.Lock()
        self._sid: tuple[float, str] = (0.0, "")
        runs_dir = settings.runs_dir or str(Path("var") / "runs")
        self.runs = RunRegistry(runs_dir, self.library, history_db=settings.resolved_db_url())
        self.results = ResultCache(settings.result_cache_size)
        # appraisals are CPU-bound Python: more threads than this only fight over the GIL
        self.cpu_limiter = anyio.CapacityLimiter(max(1, settings.appraisal_threads))
        # single-card appraisals that queue for the CPU are computed together (coalesce.py),
        # in this process or in a pool of compute processes (compute.py), one batch each
        n = int(settings.compute_processes)
        self.pool = ComputePool(n, "seed" if settings.library == "seed" else self.db_url,
                                warm=settings.warm_up) if n > 0 else None
        self.warmed = 0                 # example cards appraised at start in this process
        self.flight = SingleFlight()    # expired snapshot id / key: one re-read for all waiting
        self.fast_answers = 0           # appraisals answered by ServiceMiddleware._fast_appraisal
        self.coalescer = Coalescer(None if self.pool else runner(self.library),
                                   anyio.CapacityLimiter(n) if self.pool else self.cpu_limiter,
                                   settings.coalesce_max, max_wait=settings.coalesce_wait_ms / 1e3,
                                   gap=settings.coalesce_gap_ms / 1e3,
                                   submit=submitter(self.pool) if self.pool else None)

    # ------------------------------------------------------------------ appraisal
    async def appraise_one(self, card: dict[str, Any], trace: bool, sid: str, input_hash: str
                           ) -> tuple[bytes, str | None, int]:
        """``(Result.to_dict() rendered as JSON, its library snapshot, n)`` of one card,
        computed in a batch of ``n`` requests that queued together (``sid``: the snapshot the
        request was made on; ``input_hash``: the card's ``card_hash``)."""
        asset = card.get("asset")
        aid = asset.get("asset_id") if isinstance(asset, dict) else None
        item = (card, input_hash)
        (body, snap_id), n = await self.coalescer.submit((bool(trace), sid), item, conflict=aid)
        return body, snap_id, n

    async def appraisal(self, card: dict[str, Any], trace: bool) -> tuple[bytes, str | None, str, int]:
        """``POST /v1/appraisals`` once the card is parsed and the caller authorised: ``(JSON
        body, its library snapshot, X-Result-Cache, X-Coalesced or 0)``. The same card on the
        same snapshot and day gives the same numbers, so it is answered from the result cache;
        otherwise computed in a coalesced batch."""
        sid = await self.current_snapshot_id()
        h = card_hash(card)
        ck = (h, bool(trace), sid, _dt.date.today().isoformat())
        together = 0

        async def compute() -> tuple[bytes, str | None]:
            nonlocal together
            body, snap_id, together = await self.appraise_one(card, trace, sid, h)
            return body, snap_id

        body, snap_id, how = await self.results.answer(ck, sid, compute)
        return body, snap_id, how, together

    async def key_for(self, presented: str) -> ApiKey | None:
        """The active key ``presented`` names, or None: from the cache on the event loop, else
        one database read shared by the requests waiting on it (a key cache of 0 s reads on
        every request)."""
        known, key = self.keys.cached(presented)
        if known:
            return key
        if self.keys.cache_seconds > 0:
            return await self.flight.run(("key", presented), lambda: self.keys.verify(presented))
        return await run_in_threadpool(self.keys.verify, presented)

    # ------------------------------------------------------------------ library
    def store(self) -> Any:
        """The library store at ``db_url`` (seeded when empty, as the Python API does)."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    st = api.open_library(self.db_url)
                    if not st.list("standards"):
                        from ..library.seed.loader import load_seeds

                        load_seeds(st)
                    self._store = st
        return self._store

    def library(self) -> Any:
        """What appraisals run against: ``"seed"`` or the store."""
        return "seed" if self.settings.library == "seed" else self.store()

    def cached_snapshot_id(self) -> str | None:
        """The snapshot id while its cache is fresh, else None (then :meth:`snapshot_id`, which
        may read the database, in a worker thread)."""
        t, sid = self._sid
        if sid and time.monotonic() - t <= self.settings.snapshot_cache_seconds:
            return sid
        return None

    async def current_snapshot_id(self) -> str:
        """:meth:`snapshot_id` for the event loop: without a thread hop when cached (while an
        appraisal computes in a worker thread, each hop waits for the GIL)."""
        return self.cached_snapshot_id() or await self.flight.run("snapshot", self.snapshot_id)

    def snapshot_id(self, *, fresh: bool = False) -> str:
        """Current library snapshot id (cached ``snapshot_cache_seconds``)."""
        now = time.monotonic()
        t, sid = self._sid
        if fresh or not sid or now - t > self.settings.snapshot_cache_seconds:
            lib = self.library()
            sid = api.snapshot("seed").snapshot_id if lib == "seed" else lib.snapshot_id()
            self._sid = (now, sid)
        return sid

    def warm_up(self) -> None:
        """Resolve the snapshot, import the approaches and appraise the example cards once (in
        each compute process, or here), so the first requests are not slow."""
        api.snapshot(self.library())
        for mod in ("valuation.methods.cost", "valuation.methods.income", "valuation.methods.market",
                    "valuation.pricing.reconcile", "valuation.rules.engine", "valuation.rules.facts"):
            try:
                importlib.import_module(mod)
            except ImportError:
                pass
        self.snapshot_id(fresh=True)
        if self.pool is not None:
            self.pool.warm_up()           # after the store is seeded: the processes open it
        elif self.settings.warm_up:
            self.warmed = warm_engine(self.library())   # the first requests must not fill the caches
        # the library, models and modules loaded above live as long as the process: out of
        # the collector's reach, its full collections no longer walk them (pauses that set the
        # tail latency of whatever request is computing at the time)
        gc.collect()
        gc.freeze()


# ---------------------------------------------------------------------- middleware
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

            if scope.get("path") == APPRAISAL_PATH and scope.get("method") == "POST" \
                    and await self._fast_appraisal(scope, body, meta, send_with_headers):
                return
            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _fast_appraisal(self, scope: dict, raw: bytes, meta: dict[str, Any], send: Any) -> bool:
        """Answer ``POST /v1/appraisals`` without FastAPI's routing and dependency solving
        when the request is plainly well-formed; False (nothing sent, nothing consumed) to
        let the route answer it.

        Why: a single appraisal is the service's hot path, and FastAPI's per-request work
        (resolving the key, bearer and query dependencies; ~0.25 ms of the ~0.45 ms the app
        spent on a cached answer) runs on the one event loop that must also answer every
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


# ---------------------------------------------------------------------- helpers
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


# ---------------------------------------------------------------------- the app
def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. ``settings`` default: :meth:`Settings.from_env`."""
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

    def require(role: str):
        async def dependency(request: Request,
                             x_api_key: str | None = Security(_api_key_header),
                             bearer: HTTPAuthorizationCredentials | None = Security(_bearer)) -> ApiKey:
            presented = x_api_key or (bearer.credentials if bearer is not None else None)
            if not presented:
                raise ServiceError(401, "unauthorized", "缺少 API 密钥（请求头 X-API-Key 或 "
                                   "Authorization: Bearer）",
                                   "missing API key (header X-API-Key or Authorization: Bearer)",
                                   headers={"WWW-Authenticate": 'Bearer realm="valuation"'})
            key = request.scope.get(KEY_SCOPE) or await svc.key_for(presented)
            if key is None:     # an authentication failure (the guard answers it first)
                raise ServiceError(401, "unauthorized", "API 密钥无效或已被吊销",
                                   "the API key is not valid or has been revoked",
                                   headers={"WWW-Authenticate": 'Bearer realm="valuation"'})
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

    # ------------------------------------------------------------------ health
    @app.get("/healthz", response_model=M.Health, tags=["service"],
             responses={200: {"headers": _PROV_HEADERS, "description": "ok"}})
    async def healthz(request: Request) -> JSONResponse:
        """存活检查（无需密钥）/ liveness (no key needed)."""
        sid = await svc.current_snapshot_id()
        return _json({"status": "ok", "engine_version": __version__, "library_snapshot": sid},
                     snapshot=sid, request=request)

    # ------------------------------------------------------------------ appraisal
    @app.post(APPRAISAL_PATH, tags=["appraisal"], response_class=JSONResponse,
              responses={200: _ok(M.AppraisalResult, "评估结果", "the appraisal result"),
                         **_AUTH_ERRORS, **_BODY_ERRORS},
              openapi_extra=_body_ref({"$ref": "#/components/schemas/AppraisalCard"},
                                      "资产卡片（docs/INTERCHANGE.md）/ asset card (docs/INTERCHANGE.md)"))
    async def appraise(request: Request, key: ApiKey = Depends(appraiser),
                       trace: bool = Query(True, description="计算过程 / include the traces")
                       ) -> JSONResponse:
        """评估一张资产卡片 / appraise one asset card with every applicable approach."""
        card = await _json_body(request, dict, _CARD_ZH, _CARD_EN)
        body, snap_id, how, together = await svc.appraisal(card, trace)
        _meta(request)["snapshot"] = snap_id
        return _appraisal_response(body, how, together)

    @app.post(BATCH_PATH, tags=["appraisal"], response_class=JSONResponse,
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
        data = await _json_body(request, (list, dict), "资产卡片数组", "a JSON array of asset cards")
        cards = data.get("cards") if isinstance(data, dict) else data
        if not isinstance(cards, list):
            raise ServiceError(422, "validation_error", "请求体须为资产卡片数组",
                               "the request body must be a JSON array of asset cards",
                               issues=[{"field": "body", "value": type(data).__name__,
                                        "allowed": "array of cards, or {\"cards\": [...]}",
                                        "message_zh": "请求体须为资产卡片数组",
                                        "message_en": "the body must be an array of cards"}])
        n, lim, run_lim = len(cards), settings.max_batch, settings.max_run_cards
        if n > run_lim:
            raise ServiceError(413, "payload_too_large",
                               f"一次提交 {n:,} 张卡片，超过上限 {run_lim:,}；请用 `valuation revalue` 批量重估",
                               f"{n:,} cards in one request exceed the limit of {run_lim:,}; use "
                               "`valuation revalue` for batch revaluation",
                               issues=[{"field": "body", "value": n, "allowed": f"<= {run_lim} cards",
                                        "message_zh": f"卡片数不得超过 {run_lim:,}",
                                        "message_en": f"at most {run_lim:,} cards"}], limit=run_lim)
        if n > lim or forecasts_in(cards) > settings.max_batch_forecasts:   # bounded work
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
    @app.post("/v1/prices", tags=["pricing"], response_class=JSONResponse,
              responses={200: _ok(M.PriceResult, "定价结果", "prices, caps and checks"),
                         **_AUTH_ERRORS, **_BODY_ERRORS},
              openapi_extra=_body_ref({"$ref": "#/components/schemas/PriceProduct"},
                                      "公共数据产品（发改价格〔2025〕65号）/ public-data product"))
    async def price(request: Request, key: ApiKey = Depends(appraiser)) -> JSONResponse:
        """公共数据产品定价 / public-data pricing: maximum allowed revenue, price caps, checks."""
        product = await _json_body(request, dict, "产品 JSON 对象", "a JSON object (product)")
        out = await run_in_threadpool(lambda: api.price(product, library=svc.library()))
        out = clean(out)
        return _json(out, snapshot=(out.get("provenance") or {}).get("library_snapshot"),
                     request=request)

    importlib.import_module("valuation.service.books").register(app, svc, appraiser)  # POST /v1/books

    # ------------------------------------------------------------------ runs
    @app.get("/v1/runs/{run_id}", tags=["runs"], response_class=JSONResponse,
             responses={200: _ok(M.RunSummary, "运行摘要", "run summary"), **_AUTH_ERRORS,
                        404: _err(zh="运行不存在", en="unknown run")})
    async def get_run(request: Request, run_id: str = PathParam(..., max_length=200),
                      key: ApiKey = Depends(viewer)) -> JSONResponse:
        """批量运行摘要 / summary of a batch run."""
        s = await run_in_threadpool(svc.runs.get, run_id)
        if s is None:
            raise ServiceError(404, "not_found", f"运行 {run_id} 不存在", f"run {run_id} is unknown",
                               run_id=run_id)
        return _json(clean(s), snapshot=s.get("library_snapshot"), request=request)

    # ------------------------------------------------------------------ libraries
    lib_errors = {**_AUTH_ERRORS, 404: _err(zh="条目或版本不存在", en="no such entry or version"),
                  422: _BODY_ERRORS[422]}

    def _entry(e: Any) -> dict[str, Any]:
        return clean(e.to_dict())

    @app.get("/v1/libraries/{lib}", tags=["libraries"], response_class=JSONResponse,
             responses={200: _ok(M.LibraryList, "库条目", "entries of the library"), **lib_errors})
    async def list_library(request: Request, lib: LibraryName,
                           status: Literal["active", "retired", "draft", "all"] = "active",
                           search: str | None = Query(None, max_length=200),
                           offset: int = Query(0, ge=0, le=10**9), limit: int = Query(100, ge=1, le=1000),
                           key: ApiKey = Depends(viewer)) -> JSONResponse:
        """库条目列表 / entries of a library, one per key (sorted, paged)."""
        entries, sid = await run_in_threadpool(
            lambda: (svc.store().list(lib.value, status, search), svc.store().snapshot_id()))
        page = entries[offset: offset + limit]
        return _json({"library": lib.value, "status": status, "total": len(entries),
                      "offset": offset, "limit": limit, "entries": [_entry(e) for e in page]},
                     snapshot=sid, request=request)

    @app.get("/v1/libraries/{lib}/{key}", tags=["libraries"], response_class=JSONResponse,
             responses={200: _ok(M.LibraryEntry, "条目版本", "one version"), **lib_errors})
    async def get_entry(request: Request, lib: LibraryName,
                        key: str = PathParam(..., max_length=200),
                        version: int | None = Query(None, ge=1, le=M.MAX_VERSION),
                        api_key: ApiKey = Depends(viewer)) -> JSONResponse:
        """条目（生效版本或指定版本）/ the version in force, or ``?version=N``."""
        e, sid = await run_in_threadpool(
            lambda: (svc.store().get(lib.value, key, version), svc.store().snapshot_id()))
        return _json(_entry(e), snapshot=sid, request=request)

    @app.get("/v1/libraries/{lib}/{key}/history", tags=["libraries"], response_class=JSONResponse,
             responses={200: _ok(M.LibraryHistory, "版本历史", "every version"), **lib_errors})
    async def history(request: Request, lib: LibraryName,
                      key: str = PathParam(..., max_length=200),
                      api_key: ApiKey = Depends(viewer)) -> JSONResponse:
        """版本历史 / every version of an entry, oldest first."""
        hist, sid = await run_in_threadpool(
            lambda: (svc.store().history(lib.value, key), svc.store().snapshot_id()))
        return _json({"library": lib.value, "key": key, "versions": [_entry(e) for e in hist]},
                     snapshot=sid, request=request)

    @app.put("/v1/libraries/{lib}/{key}", tags=["libraries"], response_class=JSONResponse,
             responses={200: _ok(M.LibraryEntry, "写入的新版本", "the version written"), **lib_errors,
                        409: _err(zh="版本冲突：已有更新的版本，未写入", en="stale base_version: nothing written"),
                        413: _BODY_ERRORS[413]})
    async def put_entry(request: Request, body: M.LibraryWrite, lib: LibraryName,
                        key: str = PathParam(..., max_length=200),
                        api_key: ApiKey = Depends(appraiser)) -> JSONResponse:
        """写入新版本 / write a new version (drafts: appraiser; active: admin). Nothing is edited
        in place; a stale ``base_version`` gives 409 with the latest version."""
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

    from .shares import install_shares  # revenue sharing and its ledger (issue 21)
    install_shares(app, svc, appraiser, viewer)

    # ------------------------------------------------------------------ OpenAPI
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps["AppraisalCard"] = _schema_component("card")
        comps["PriceProduct"] = _schema_component("product")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
