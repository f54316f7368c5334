"""API keys of the HTTP service, stored hashed in the same database as the library store.

A key looks like ``dav_<id>_<secret>``: ``id`` (12 hex digits) is public and names the key in
``valuation keys list`` / ``revoke``; only ``sha256(salt ‖ secret)`` with a random per-key salt
is stored, so the database never holds a usable key. The plain key is shown once, when created.

Roles (each includes the ones before it):

* ``viewer``    — read the libraries and batch runs;
* ``appraiser`` — also appraise, price, run batches and write *draft* library versions;
* ``admin``     — everything, including writing *active* library versions.

>>> ks = KeyStore("sqlite://")
>>> info, plain = ks.create("alice", "appraiser")
>>> ks.verify(plain).role, ks.verify(plain + "x") is None
('appraiser', True)
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from ..core.errors import Issue, NotFoundError, ValidationError

__all__ = ["ROLES", "ROLE_LABELS", "ApiKey", "KeyStore", "role_allows"]

ROLES: tuple[str, ...] = ("viewer", "appraiser", "admin")
ROLE_LABELS = {"viewer": ("查看者", "viewer"), "appraiser": ("评估师", "appraiser"),
               "admin": ("管理员", "administrator")}
_RANK = {r: i for i, r in enumerate(ROLES)}
PREFIX = "dav"

metadata = sa.MetaData()
api_keys = sa.Table(
    "service_api_keys", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('viewer', 'appraiser', 'admin')", name="ck_service_key_role"),
)


def role_allows(have: str, need: str) -> bool:
    """Whether role ``have`` may do what needs role ``need``."""
    return _RANK.get(have, -1) >= _RANK[need]


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def _aware(ts: _dt.datetime | None) -> _dt.datetime | None:
    if ts is None:
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=_dt.UTC)


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    role: str
    created_at: _dt.datetime
    revoked_at: _dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "role": self.role,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


class KeyStore:
    """Create, list, revoke and verify API keys (table ``service_api_keys``)."""

    def __init__(self, url: str | None = None, *, cache_seconds: float = 0.0):
        from ..library.database import make_engine, normalise_url
        from ..library.migrate import create_tables

        self.engine = make_engine(normalise_url(url) if url else None)
        create_tables(self.engine, metadata)  # under the set-up lock: processes may race
        self.cache_seconds = float(cache_seconds)
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- management
    def create(self, name: str, role: str) -> tuple[ApiKey, str]:
        """A new key; returns its record and the plain key (shown once, never stored)."""
        issues = []
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            issues.append(Issue("name", name, "non-empty text, ≤ 200 characters",
                                "密钥名称不能为空（最长 200 字符）",
                                "the key needs a name (at most 200 characters)"))
        if role not in ROLES:
            issues.append(Issue("role", role, " | ".join(ROLES),
                                f"角色 {role!r} 无效，允许：{'、'.join(ROLES)}",
                                f"role {role!r} is not one of {', '.join(ROLES)}"))
        if issues:
            raise ValidationError(issues)
        kid = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        now = _dt.datetime.now(_dt.UTC)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(api_keys), {"id": kid, "name": name.strip(), "role": role,
                                               "salt": salt, "key_hash": _hash(salt, secret),
                                               "created_at": now, "revoked_at": None})
        return ApiKey(kid, name.strip(), role, now), f"{PREFIX}_{kid}_{secret}"

    def list(self, include_revoked: bool = True) -> list[ApiKey]:
        q = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if not include_revoked:
            q = q.where(api_keys.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [self._key(r) for r in rows]

    def get(self, key_id: str) -> ApiKey:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise NotFoundError(f"API 密钥 {key_id} 不存在", f"API key {key_id} does not exist",
                                key_id=key_id)
        return self._key(row)

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent; the record is kept for the audit trail)."""
        key = self.get(key_id)
        if key.revoked_at is None:
            with self.engine.begin() as conn:
                conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id,
                                                       api_keys.c.revoked_at.is_(None))
                             .values(revoked_at=_dt.datetime.now(_dt.UTC)))
        with self._lock:
            self._cache.clear()
        return self.get(key_id)

    # ---------------------------------------------------------------- verification
    def verify(self, presented: str) -> ApiKey | None:
        """The active key matching ``presented``, or None (malformed, unknown, wrong or
        revoked). Constant-time comparison; verified keys are cached ``cache_seconds``."""
        if not isinstance(presented, str) or len(presented) > 200:
            return None
        now = time.monotonic()
        fp = hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()
        if self.cache_seconds > 0:
            hit = self._cache.get(fp)
            if hit is not None and hit[0] > now:
                return hit[1]
        key = self._verify_db(presented)
        if self.cache_seconds > 0:
            with self._lock:
                if len(self._cache) > 4096:
                    self._cache.clear()
                self._cache[fp] = (now + self.cache_seconds, key)
        return key

    def cached(self, presented: str) -> tuple[bool, ApiKey | None]:
        """``(True, what verify returns)`` when ``presented`` is malformed or its verification
        is still cached — no database read, so the service answers it on the event loop
        without a thread hop —, else ``(False, None)``."""
        if not isinstance(presented, str) or len(presented) > 200:
            return True, None
        if self.cache_seconds <= 0:
            return False, None
        hit = self._cache.get(hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest())
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def _verify_db(self, presented: str) -> ApiKey | None:
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == parts[1])).first()
        if row is None:
            _hash("00" * 16, parts[2])  # same work whether or not the id exists
            return None
        if not hmac.compare_digest(_hash(row.salt, parts[2]), row.key_hash):
            return None
        key = self._key(row)
        return key if key.active else None

    @staticmethod
    def _key(row: sa.Row) -> ApiKey:
        m = row._mapping
        return ApiKey(id=m["id"], name=m["name"], role=m["role"],
                      created_at=_aware(m["created_at"]), revoked_at=_aware(m["revoked_at"]))
