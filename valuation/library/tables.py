"""Database schema of the library store (SQLAlchemy Core; SQLite and PostgreSQL).

``library_versions``: one row per version, never updated or deleted — database triggers refuse
UPDATE and DELETE on both tables (created by ``migrate.py``), so even SQL typed by hand cannot
change a stored version.
``library_audit``: one row per write (append-only as well).
The unique constraint on (library, key, version) decides races between concurrent writers.
"""
from __future__ import annotations

import sqlalchemy as sa

__all__ = ["audit", "metadata", "versions"]

metadata = sa.MetaData()

versions = sa.Table(
    "library_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("library", sa.String(32), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("effective_from", sa.Date, nullable=True),
    sa.Column("refs", sa.JSON, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("library", "key", "version", name="uq_library_key_version"),
    sa.CheckConstraint("version >= 1", name="ck_version_positive"),
    sa.CheckConstraint("status IN ('draft', 'active', 'retired')", name="ck_status"),
)
sa.Index("ix_library_versions_lib_status", versions.c.library, versions.c.status)

audit = sa.Table(
    "library_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("library", sa.String(32), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
)
sa.Index("ix_library_audit_lib_key", audit.c.library, audit.c.key)

# The immutability triggers (UPDATE/DELETE refused; TRUNCATE too on PostgreSQL) are created
# once by the schema migration (``library/migrate.py``, step 1), not on every open.
