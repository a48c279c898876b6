"""enforcement: the inputs of the mandatory articles (party birth date for Art. 30; no-fault,
mental state, Art. 32(五) basis and the fine base on cases) and the rule id and rule-set status
on decisions

Revision ID: enforcement_0002
Revises: enforcement_0001
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enforcement_0002"
down_revision: str | Sequence[str] | None = "enforcement_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enf_parties") as batch:
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
    with op.batch_alter_table("enf_cases") as batch:
        batch.add_column(
            sa.Column("mitigating_basis", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("no_fault_proven", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("mental_state", sa.String(length=20), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("fine_base_yuan", sa.Integer(), nullable=True))
    with op.batch_alter_table("enf_decisions") as batch:
        batch.add_column(
            sa.Column("rule_id", sa.String(length=40), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("rule_set", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("enf_decisions") as batch:
        batch.drop_column("rule_set")
        batch.drop_column("rule_id")
    with op.batch_alter_table("enf_cases") as batch:
        batch.drop_column("fine_base_yuan")
        batch.drop_column("mental_state")
        batch.drop_column("no_fault_proven")
        batch.drop_column("mitigating_basis")
    with op.batch_alter_table("enf_parties") as batch:
        batch.drop_column("birth_date")
