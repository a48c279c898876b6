"""hotline calls and live calls: media state (anchored, recorded, supervised, hand-over)

Revision ID: hotline_0006
Revises: hotline_0005
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0006"
down_revision: str | Sequence[str] | None = "hotline_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_calls") as batch:
        batch.add_column(sa.Column("media", sa.String(length=200), nullable=True))
    with op.batch_alter_table("hotline_sip_live_calls") as batch:
        batch.add_column(sa.Column("media", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hotline_sip_live_calls") as batch:
        batch.drop_column("media")
    with op.batch_alter_table("hotline_calls") as batch:
        batch.drop_column("media")
