"""hotline directory: each hotline's own recording setting (issue 14, recording per hotline)

Existing lines keep what the platform did until now: recording is off unless the operator turns
it on per line (``minsheng hotline recording set``, the staff directory page); the platform
setting ``HOTLINE_RECORDING`` is the default for lines created from now on.

Revision ID: hotline_0008
Revises: hotline_0007
Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hotline_0008"
down_revision: str | Sequence[str] | None = "hotline_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_hotlines") as batch:
        batch.add_column(
            sa.Column("recording", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("hotline_hotlines") as batch:
        batch.drop_column("recording")
