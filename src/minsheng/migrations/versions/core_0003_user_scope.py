"""core: staff scopes (region and enforcement bureau of each user; the scope of each audit row)

Existing users stay national with no bureau (what they could do before), so nobody loses access
at the upgrade; an administrator narrows them with ``minsheng users scope NAME --region ...``
(docs/security.md, roles).

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0003"
down_revision: str | Sequence[str] | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("core_users") as batch:
        batch.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
        batch.add_column(sa.Column("bureau", sa.String(length=30), nullable=True))
    with op.batch_alter_table("core_audit") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("core_audit") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("core_users") as batch:
        batch.drop_column("bureau")
        batch.drop_column("region_code")
