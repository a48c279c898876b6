"""hotline SIP cluster: nodes, partitions, live calls

Revision ID: hotline_0005
Revises: hotline_0004
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import minsheng.core.db

revision: str = "hotline_0005"
down_revision: str | Sequence[str] | None = "hotline_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, minsheng.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "hotline_sip_nodes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sip_address", sa.String(length=100), nullable=False),
        sa.Column("control_address", sa.String(length=100), nullable=True),
        sa.Column("draining", sa.Boolean(), nullable=False),
        _ts("heartbeat_at", True),
        _ts("started_at", True),
        sa.Column("counters", sa.JSON(), nullable=False),
        sa.Column("active_partitions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hotline_sip_partitions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("primary_node_id", sa.String(length=64), nullable=False),
        sa.Column("standby_node_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["primary_node_id"], ["hotline_sip_nodes.id"]),
        sa.ForeignKeyConstraint(["standby_node_id"], ["hotline_sip_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id"),
    )
    op.create_table(
        "hotline_sip_live_calls",
        sa.Column("call_ref", sa.String(length=100), nullable=False),
        sa.Column("sip_call_id", sa.String(length=300), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("partition_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("hotline_id", sa.String(length=64), nullable=True),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("city_code", sa.String(length=6), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("expected_wait_s", sa.Float(), nullable=True),
        sa.Column("crisis", sa.Boolean(), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=True),
        sa.Column("counsellor_id", sa.String(length=64), nullable=True),
        sa.Column("caller_hash", sa.String(length=64), nullable=False),
        sa.Column("caller_masked", sa.String(length=32), nullable=False),
        sa.Column("location_source", sa.String(length=16), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("dialled", sa.String(length=32), nullable=True),
        _ts("arrived_at", False),
        _ts("answered_at", True),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("call_ref"),
    )
    op.create_index("ix_hotline_sip_live_calls_node_id", "hotline_sip_live_calls", ["node_id"])
    op.create_index(
        "ix_hotline_sip_live_calls_hotline_id", "hotline_sip_live_calls", ["hotline_id"]
    )
    op.create_index(
        "ix_hotline_sip_live_calls_province_code", "hotline_sip_live_calls", ["province_code"]
    )


def downgrade() -> None:
    op.drop_table("hotline_sip_live_calls")
    op.drop_table("hotline_sip_partitions")
    op.drop_table("hotline_sip_nodes")
