"""hotline browser seat: the staff user who works a counsellor's seat

Revision ID: hotline_0007
Revises: hotline_0006
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0007"
down_revision: str | Sequence[str] | None = "hotline_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_counsellors") as batch:
        batch.add_column(sa.Column("staff_user", sa.String(length=100), nullable=True))
        batch.create_index("ix_hotline_counsellors_staff_user", ["staff_user"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("hotline_counsellors") as batch:
        batch.drop_index("ix_hotline_counsellors_staff_user")
        batch.drop_column("staff_user")
