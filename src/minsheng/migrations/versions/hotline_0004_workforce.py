"""hotline workforce: the counsellor register, the roster and the seat-state history

Revision ID: hotline_0004
Revises: hotline_0002
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import minsheng.core.db

revision: str = "hotline_0004"
down_revision: str | Sequence[str] | None = "hotline_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("hotline_counsellors") as batch:
        batch.add_column(sa.Column("qualification_kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("certificate_no", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("certificate_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("training_hours", sa.Float(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("supervision_hours_month", sa.Float(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("dialects", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("weekly_hours_max", sa.Float(), nullable=False, server_default="40")
        )
        batch.add_column(sa.Column("availability", sa.JSON(), nullable=True))
    op.create_table(
        "hotline_shifts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("hotline_id", sa.String(length=64), nullable=False),
        sa.Column("counsellor_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("break_start_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("break_end_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["hotline_counsellors.id"],
            name=op.f("fk_hotline_shifts_counsellor_id_hotline_counsellors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["hotline_id"],
            ["hotline_hotlines.id"],
            name=op.f("fk_hotline_shifts_hotline_id_hotline_hotlines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_shifts")),
    )
    with op.batch_alter_table("hotline_shifts") as batch:
        batch.create_index(batch.f("ix_hotline_shifts_hotline_id"), ["hotline_id"], unique=False)
        batch.create_index(
            batch.f("ix_hotline_shifts_counsellor_id"), ["counsellor_id"], unique=False
        )
        batch.create_index(batch.f("ix_hotline_shifts_day"), ["day"], unique=False)
    op.create_table(
        "hotline_seat_states",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("counsellor_id", sa.String(length=64), nullable=False),
        sa.Column("hotline_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("from_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("to_at", minsheng.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["hotline_counsellors.id"],
            name=op.f("fk_hotline_seat_states_counsellor_id_hotline_counsellors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_seat_states")),
    )
    with op.batch_alter_table("hotline_seat_states") as batch:
        for col in ("counsellor_id", "hotline_id", "from_at", "to_at"):
            batch.create_index(batch.f(f"ix_hotline_seat_states_{col}"), [col], unique=False)


def downgrade() -> None:
    op.drop_table("hotline_seat_states")
    op.drop_table("hotline_shifts")
    with op.batch_alter_table("hotline_counsellors") as batch:
        for col in (
            "availability",
            "weekly_hours_max",
            "active",
            "dialects",
            "supervision_hours_month",
            "training_hours",
            "certificate_date",
            "certificate_no",
            "qualification_kind",
        ):
            batch.drop_column(col)
