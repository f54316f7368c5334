"""Distribution ledger: immutable records per arrangement and period, in the library's database.

Own table (a separate :class:`sqlalchemy.MetaData`, created on first use, like
``batch/rundb.py``): ``sharing_records``, one row per recorded distribution with the inputs (the
spec), the method, the allocation, the library snapshot, who ran it and a content hash. Rows
are never updated or deleted — database triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL); a correction is a new record with the next ``seq`` for the same arrangement and
period. The unique (arrangement, period, seq) decides races between concurrent writers.
Every record is reconciled before it is written: Σ amounts in cents = distributable in cents.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..core.errors import NotFoundError, RefusedError

__all__ = ["record", "history", "show", "diff", "ensure_schema", "metadata", "records"]

metadata = sa.MetaData()

records = sa.Table(
    "sharing_records", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("arrangement_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ran_by", sa.String(200), nullable=False),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("distributable_cents", sa.BigInteger, nullable=False),
    sa.Column("snapshot_id", sa.String(64), nullable=False),
    sa.Column("engine_version", sa.String(32), nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("allocation", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("core", sa.JSON, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("arrangement_id", "period", "seq", name="uq_sharing_arrangement_period_seq"),
    sa.CheckConstraint("seq >= 1", name="ck_sharing_seq_positive"),
)
sa.Index("ix_sharing_records_arrangement", records.c.arrangement_id, records.c.period)

_MESSAGE = "distribution records are immutable (record a new distribution instead)"
for _op in ("UPDATE", "DELETE"):
    sa.event.listen(records, "after_create", sa.DDL(
        f"CREATE TRIGGER sharing_records_no_{_op.lower()} BEFORE {_op} ON sharing_records "
        f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END").execute_if(dialect="sqlite"))
sa.event.listen(records, "before_create", sa.DDL(   # only when the table is created
    "CREATE OR REPLACE FUNCTION valuation_sharing_immutable() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{_MESSAGE} (%%)', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
).execute_if(dialect="postgresql"))
sa.event.listen(records, "after_create", sa.DDL(
    "CREATE TRIGGER sharing_records_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON sharing_records "
    "FOR EACH STATEMENT EXECUTE FUNCTION valuation_sharing_immutable()").execute_if(dialect="postgresql"))

_ENSURED: set[str] = set()
_LOCK = threading.Lock()


def ensure_schema(eng: sa.Engine) -> None:
    """Create the ledger table (and its immutability triggers) once per engine, under the
    store's set-up lock like ``batch.rundb.ensure_schema``."""
    key = str(eng.url) + f"#{id(eng)}"
    if key in _ENSURED:
        return
    with _LOCK:
        if key not in _ENSURED:
            from ..library.migrate import create_tables

            create_tables(eng, metadata)  # under the store's set-up lock: processes may race
            _ENSURED.add(key)


def _begin(eng: sa.Engine):
    from ..library.database import WRITE_OPTION

    return eng.execution_options(**{WRITE_OPTION: True}).begin()


def _hash(row: Mapping[str, Any]) -> str:
    keys = ("arrangement_id", "period", "seq", "ran_by", "method", "currency", "distributable_cents",
            "snapshot_id", "input_hash", "inputs", "allocation", "flags", "core")
    blob = json.dumps({k: row[k] for k in keys}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _reconcile(answer: Mapping[str, Any]) -> int:
    """Σ amounts in cents; refused unless it equals the distributable amount in cents."""
    total = sum(int(round(s["amount"] * 100)) for s in answer["shares"])
    want = int(round(float(answer["distributable"]) * 100))
    if total != want:
        raise RefusedError(f"分配合计 {total / 100:,.2f} 与可分配收益 {want / 100:,.2f} 不一致，未记账",
                           f"the amounts add up to {total / 100:,.2f}, not the distributable {want / 100:,.2f}; "
                           "nothing recorded", field="shares", value=total / 100, allowed=f"= {want / 100}")
    return want


def record(eng: sa.Engine, spec: Mapping[str, Any], answer: Mapping[str, Any], *, ran_by: str) -> dict[str, Any]:
    """Append one distribution; returns ``{"record_id", "seq", "content_hash", "created_at"}``.
    Concurrent writers for one arrangement and period each get their own ``seq`` (retry on the
    unique constraint)."""
    ensure_schema(eng)
    want = _reconcile(answer)
    prov = answer.get("provenance") or {}
    base = {"arrangement_id": answer["arrangement_id"], "period": answer.get("period") or "",
            "ran_by": ran_by or "", "method": answer["method"], "currency": answer["currency"],
            "distributable_cents": want, "snapshot_id": prov.get("library_snapshot") or "",
            "engine_version": prov.get("engine_version") or "", "input_hash": prov.get("input_hash") or "",
            "inputs": json.loads(json.dumps(spec, default=str)),
            "allocation": [{k: s[k] for k in ("id", "name", "role", "holder_type", "amount", "fraction", "input_cost")}
                           for s in answer["shares"]],
            "flags": [{k: f.get(k) for k in ("code", "severity", "participant", "references")} for f in answer["flags"]],
            "core": {k: v for k, v in (answer.get("core") or {}).items() if k in
                     ("in_core", "excess", "coalition", "least_core_excess", "core_empty", "checked")}}
    for _ in range(50):
        try:   # the failed transaction is rolled back as a whole before the next attempt
            with _begin(eng) as c:
                last = c.execute(sa.select(sa.func.max(records.c.seq)).where(
                    records.c.arrangement_id == base["arrangement_id"],
                    records.c.period == base["period"])).scalar()
                row = {**base, "seq": int(last or 0) + 1, "id": uuid.uuid4().hex[:20],
                       "created_at": _dt.datetime.now(_dt.UTC)}
                row["content_hash"] = _hash(row)
                c.execute(records.insert().values(**row))
        except sa.exc.IntegrityError:
            continue
        return {"record_id": row["id"], "seq": row["seq"], "content_hash": row["content_hash"],
                "created_at": row["created_at"].isoformat()}
    raise RefusedError("记账冲突过多，请重试", "too many concurrent writers; retry", field="arrangement_id",
                       value=base["arrangement_id"], allowed="a retry")


def history(eng: sa.Engine, arrangement_id: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Records, oldest first: ``record_id, arrangement_id, period, seq, created_at, ran_by,
    method, distributable, currency, snapshot_id, n_flags``."""
    ensure_schema(eng)
    q = sa.select(records.c.id, records.c.arrangement_id, records.c.period, records.c.seq, records.c.created_at,
                  records.c.ran_by, records.c.method, records.c.distributable_cents, records.c.currency,
                  records.c.snapshot_id, records.c.flags)
    if arrangement_id is not None:
        q = q.where(records.c.arrangement_id == arrangement_id)
    if period is not None:
        q = q.where(records.c.period == period)
    with eng.connect() as c:
        rows = c.execute(q.order_by(records.c.arrangement_id, records.c.period, records.c.seq)).all()
    return pd.DataFrame({
        "record_id": [r.id for r in rows], "arrangement_id": [r.arrangement_id for r in rows],
        "period": [r.period for r in rows], "seq": [r.seq for r in rows],
        "created_at": [r.created_at for r in rows], "ran_by": [r.ran_by for r in rows],
        "method": [r.method for r in rows], "distributable": [r.distributable_cents / 100 for r in rows],
        "currency": [r.currency for r in rows], "snapshot_id": [r.snapshot_id for r in rows],
        "n_flags": [len(r.flags or []) for r in rows]})


def show(eng: sa.Engine, record_id: str) -> dict[str, Any]:
    """One record as a dict; the content hash is verified on read."""
    ensure_schema(eng)
    with eng.connect() as c:
        r = c.execute(sa.select(records).where(records.c.id == record_id)).mappings().first()
    if r is None:
        raise NotFoundError(f"分配记录 {record_id} 不存在", f"distribution record {record_id} is unknown",
                            record_id=record_id)
    d = dict(r)
    if _hash(d) != d["content_hash"]:
        raise RefusedError(f"分配记录 {record_id} 的内容校验失败", f"record {record_id} fails its content hash",
                           field="record_id", value=record_id, allowed="an intact record")
    d["record_id"] = d.pop("id")
    d["distributable"] = d["distributable_cents"] / 100
    d["created_at"] = d["created_at"].isoformat() if hasattr(d["created_at"], "isoformat") else d["created_at"]
    return d


def diff(eng: sa.Engine, a: str, b: str) -> pd.DataFrame:
    """Per participant of either record: amount and fraction in ``a`` and ``b``, ``change``
    (b − a) and ``fraction_change``."""
    ra, rb = show(eng, a), show(eng, b)
    fa = pd.DataFrame(ra["allocation"])[["id", "amount", "fraction"]]
    fb = pd.DataFrame(rb["allocation"])[["id", "amount", "fraction"]]
    out = fa.merge(fb, on="id", how="outer", suffixes=("_a", "_b"), sort=False)
    out["change"] = out["amount_b"].fillna(0) - out["amount_a"].fillna(0)
    out["fraction_change"] = out["fraction_b"].fillna(0) - out["fraction_a"].fillna(0)
    return out
