"""core: web sessions, API-token expiry

Tokens issued before this revision get 90 days from the upgrade, so nobody is locked out at once
and every old token still ends (docs/security.md, sessions and tokens).

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import minsheng.core.db

revision: str = "core_0002"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("core_users") as batch:
        batch.add_column(
            sa.Column("token_expires_at", minsheng.core.db.UTCDateTime(), nullable=True)
        )
    users = sa.table("core_users", sa.column("token_expires_at", minsheng.core.db.UTCDateTime()))
    op.execute(users.update().values(token_expires_at=datetime.now(UTC) + timedelta(days=90)))
    op.create_table(
        "core_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", minsheng.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", minsheng.core.db.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", minsheng.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_users.id"],
            name=op.f("fk_core_sessions_user_id_core_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_sessions")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_core_sessions_id_hash")),
    )
    op.create_index(op.f("ix_core_sessions_user_id"), "core_sessions", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_core_sessions_user_id"), table_name="core_sessions")
    op.drop_table("core_sessions")
    with op.batch_alter_table("core_users") as batch:
        batch.drop_column("token_expires_at")
