"""hotline calls: who ended the call (ended_by)

Revision ID: hotline_0002
Revises: hotline_0001
Create Date: 2026-11-27 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0002"
down_revision: str | Sequence[str] | None = "hotline_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_calls") as batch:
        batch.add_column(sa.Column("ended_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hotline_calls") as batch:
        batch.drop_column("ended_by")
