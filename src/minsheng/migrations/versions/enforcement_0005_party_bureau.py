"""enforcement: the bureau that supervises each party (staff scopes, issue 12 item 10)

Every case, commitment, inspection, grade, credit record and objection hangs off a party, so the
party's bureau decides which bureau's staff see them. Parties stored before this revision belong
to the bureau configured in ``enforcement/data/procedure.json`` (the only bureau there was).

Revision ID: enforcement_0005
Revises: enforcement_0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision: str = "enforcement_0005"
down_revision: str | Sequence[str] | None = "enforcement_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _configured_bureau() -> str:
    text = (
        resources.files("minsheng.enforcement").joinpath("data/procedure.json").read_text("utf-8")
    )
    return str(json.loads(text)["bureau"]["abbreviation"])


def upgrade() -> None:
    # ADD/DROP COLUMN in place, not a batch copy: copying enf_parties (DROP TABLE) fails on SQLite
    # once cases, commitments and grades point at its rows. Existing parties belong to the
    # configured bureau; the default only fills them (the application always sets the bureau).
    op.add_column(
        "enf_parties",
        sa.Column(
            "bureau",
            sa.String(length=30),
            nullable=False,
            server_default=_configured_bureau(),
        ),
    )
    op.create_index(op.f("ix_enf_parties_bureau"), "enf_parties", ["bureau"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_enf_parties_bureau"), table_name="enf_parties")
    op.drop_column("enf_parties", "bureau")
