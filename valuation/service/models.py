"""Pydantic models of the HTTP service: they document the responses in ``/openapi.json``.

Handlers return the dicts of :mod:`valuation.api` unchanged (no re-validation on the hot path);
the models describe those dicts truthfully — nullable where the engine may give ``null``, open
(``additionalProperties``) where the engine adds method-specific details. The test suite runs
schemathesis against the schema to keep it honest.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ErrorIssue", "ErrorBody", "TraceStep", "MethodOut", "Flag", "Provenance", "AppraisalResult",
    "BatchFailure", "BatchResponse", "RunAccepted", "RunSummary", "PriceItem", "PriceProvenance",
    "PriceResult", "LibraryEntry", "LibraryList", "LibraryHistory", "LibraryWrite", "Health",
]


#: Largest version number (32-bit INTEGER column on PostgreSQL).
MAX_VERSION = 2**31 - 1


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorIssue(_Open):
    """One problem of the input: field, offending value, what is allowed (zh + en)."""

    field: str = Field(description="字段路径 / dotted path of the field")
    value: Any = Field(None, description="提交的值 / the value given")
    allowed: str | None = Field(None, description="允许的取值 / what is allowed")
    message_zh: str
    message_en: str
    row: int | None = None
    asset_id: str | None = None


class ErrorBody(_Open):
    """Every error of the service has this shape (plus context such as ``latest_version``)."""

    code: str = Field(description="unauthorized | forbidden | not_found | conflict | "
                                  "payload_too_large | rate_limited | validation_error | …")
    message_zh: str
    message_en: str
    issues: list[ErrorIssue] = Field(default_factory=list)


class TraceStep(_Open):
    step: str | None = None
    label_zh: str | None = None
    label_en: str | None = None
    formula: str | None = None
    inputs: dict[str, Any] | None = None
    value: Any = None
    unit: str | None = None
    clauses: list[str] | None = None
    note_zh: str | None = None
    note_en: str | None = None


class MethodOut(_Open):
    """One approach (cost, income, market) of one appraisal."""

    estimate: float | None
    low: float | None
    high: float | None
    weight: float | None
    applicable: bool
    reason_zh: str
    reason_en: str
    reason: str
    details: dict[str, Any]
    trace: list[TraceStep]


class Flag(_Open):
    """A risk flag: code, severity (info | warning | blocker), message, cited clauses."""

    code: str
    severity: str
    message_zh: str | None = None
    message_en: str | None = None
    references: list[str] | None = None
    citations: list[dict[str, str]] | None = None   # {id, zh, en}: 《title》第N条 / title, art. N


class Provenance(_Open):
    engine_version: str
    library_snapshot: str
    input_hash: str
    valuation_date: str | None
    random_seed: int | None = None


class AppraisalResult(_Open):
    """``Result.to_dict()`` of :func:`valuation.api.appraise` (docs/INTERCHANGE.md, result)."""

    asset_id: str
    status: str = Field(description="ok | no_estimate")
    estimate: float | None
    low: float | None
    high: float | None
    coverage: float | None
    currency: str
    final: bool = Field(description="false when a blocker flag is present")
    methods: dict[str, MethodOut]
    flags: list[Flag]
    warnings: list[dict[str, Any]]
    explanation: dict[str, Any]
    provenance: Provenance
    coverage_basis: dict[str, Any] = Field(default_factory=dict, description="guided_range: assumed (with mc_se_low/high); market_range: measured (conformal, n, dataset) or assumed")
    n_real_comparables: int | None = Field(None, description="real comparables behind the market value; null when the market approach does not apply")


class BatchFailure(_Open):
    row: int | None = None
    asset_id: str | None = None
    field: str | None = None
    value: Any = None
    allowed: str | None = None
    message_zh: str | None = None
    message_en: str | None = None


class BatchResponse(BaseModel):
    """Results of a synchronous batch (``trace`` omitted for speed)."""

    count: int = Field(description="评估成功的资产数 / assets appraised")
    failed: int = Field(description="被拒绝的卡片数 / cards refused (see failures)")
    library_snapshot: str
    results: list[AppraisalResult]
    failures: list[BatchFailure]


class RunAccepted(BaseModel):
    run_id: str
    status: Literal["queued", "running", "done", "failed"]
    href: str
    n_assets: int


class RunSummary(_Open):
    run_id: str
    status: Literal["queued", "running", "done", "failed"]
    source: str = Field(description="service (batch posted to the service) | batch (valuation.batch run)")
    n_assets: int | None = None
    n_ok: int | None = None
    n_failed: int | None = None
    total_estimate: float | None = None
    flags: dict[str, int] = Field(default_factory=dict)
    engine_version: str | None = None
    library_snapshot: str | None = None
    submitted_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    results_path: str | None = None
    error: ErrorBody | None = None


class PriceItem(_Open):
    """One priced item. Amounts are ``null`` when not finite (e.g. overflow of cap × volume)."""

    item_id: str
    name: str | None = None
    use_category: str
    unit: str | None = None
    expected_volume: float | None
    cost_share: float | None
    cap: float | None
    cap_source: str
    price: float | None
    price_source: str
    revenue_at_cap: float | None
    revenue_at_price: float | None
    ok: bool
    free: bool


class PriceProvenance(_Open):
    model: str | None = None
    engine_version: str
    library_snapshot: str
    input_hash: str


class PriceResult(_Open):
    """Public-data pricing under 发改价格〔2025〕65号 (:func:`valuation.api.price`).

    Amounts are ``null`` when not finite (JSON has no NaN/Infinity)."""

    product_id: str | None
    name: str | None = None
    currency: str
    allowed_cost: float | None
    subsidies: float | None
    net_cost: float | None
    rate_cap: float | None
    rate_used: float | None
    allowed_profit: float | None
    taxes: float | None
    mar_gross: float | None
    previous_excess: float | None
    mar: float | None = Field(description="最高准许收入 / maximum allowed revenue")
    actual_revenue: float | None = None
    excess: float | None = None
    carryover_next: float | None = None
    items: list[PriceItem]
    checks: list[dict[str, Any]]
    flags: list[Flag]
    trace: list[TraceStep]
    ok: bool
    references: list[str]
    provenance: PriceProvenance


class LibraryEntry(BaseModel):
    """One stored version of a library entry."""

    library: str
    key: str
    version: int
    content: dict[str, Any]
    status: Literal["draft", "active", "retired"]
    author: str
    created_at: str
    note: str
    effective_from: str | None
    references: list[str]
    content_hash: str


class LibraryList(BaseModel):
    library: str
    status: str
    total: int
    offset: int
    limit: int
    entries: list[LibraryEntry]


class LibraryHistory(BaseModel):
    library: str
    key: str
    versions: list[LibraryEntry]


class LibraryWrite(BaseModel):
    """A new version of a library entry. ``base_version`` is the version the change was based
    on (``null`` for a new key); a stale base gives 409 and nothing is written."""

    model_config = ConfigDict(extra="forbid")

    content: dict[str, Any]
    note: str = ""
    base_version: int | None = Field(None, ge=1, le=MAX_VERSION)
    status: Literal["draft", "active"] = Field(
        "draft", description="draft (appraiser or admin) | active (admin only)")
    effective_from: str | None = Field(None, description="ISO date YYYY-MM-DD")
    references: list[str] | None = None


class Health(BaseModel):
    status: Literal["ok"]
    engine_version: str
    library_snapshot: str
