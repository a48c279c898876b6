"""hotline SIP cluster: the lease on a partition's seat states (owner node, epoch)

Revision ID: hotline_0009
Revises: hotline_0007
Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import minsheng.core.db

revision: str = "hotline_0009"
down_revision: str | Sequence[str] | None = "hotline_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_sip_partitions") as batch:
        batch.add_column(sa.Column("owner_node_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("owner_epoch", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("owner_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("hotline_sip_partitions") as batch:
        batch.drop_column("owner_at")
        batch.drop_column("owner_epoch")
        batch.drop_column("owner_node_id")
