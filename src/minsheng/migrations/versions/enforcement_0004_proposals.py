"""enforcement: proposals apart from decisions — ``enf_decisions.stage`` (proposed | decided |
withdrawn) and ``enf_cases.cancel_reason``; existing penalty rows of cases still before their
decision (proposed … heard) become proposals, so statistics and the prior-violation history stop
counting them (issue 13, ``rules/history.py``).

Revision ID: enforcement_0004
Revises: enforcement_0003
Create Date: 2026-12-02 03:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enforcement_0004"
down_revision: str | Sequence[str] | None = "enforcement_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Case statuses before the 行政处罚决定 (rules.base.Status), frozen here as of this revision.
BEFORE_DECISION = (
    "open",
    "facts_recorded",
    "proposed",
    "pre_notified",
    "hearing_requested",
    "hearing_scheduled",
    "heard",
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite a batch would recreate enf_cases, which other
    # tables reference, and fail on a database with rows.
    op.add_column(
        "enf_decisions",
        sa.Column("stage", sa.String(length=20), nullable=False, server_default="decided"),
    )
    op.create_index(op.f("ix_enf_decisions_stage"), "enf_decisions", ["stage"], unique=False)
    op.add_column("enf_cases", sa.Column("cancel_reason", sa.String(length=20), nullable=True))
    decisions = sa.table(
        "enf_decisions",
        sa.column("case_id", sa.Integer()),
        sa.column("outcome", sa.String()),
        sa.column("stage", sa.String()),
    )
    cases = sa.table("enf_cases", sa.column("id", sa.Integer()), sa.column("status", sa.String()))
    op.execute(
        decisions.update()
        .where(
            decisions.c.outcome == "penalty",
            decisions.c.case_id.in_(
                sa.select(cases.c.id).where(cases.c.status.in_(BEFORE_DECISION))
            ),
        )
        .values(stage="proposed")
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite ≥ 3.35, PostgreSQL), for the same reason as above.
    op.drop_column("enf_cases", "cancel_reason")
    op.drop_index(op.f("ix_enf_decisions_stage"), table_name="enf_decisions")
    op.drop_column("enf_decisions", "stage")
