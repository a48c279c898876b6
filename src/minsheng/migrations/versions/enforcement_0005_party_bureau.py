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
    with op.batch_alter_table("enf_parties") as batch:
        batch.add_column(sa.Column("bureau", sa.String(length=30), nullable=True))
    parties = sa.table("enf_parties", sa.column("bureau", sa.String(length=30)))
    op.execute(parties.update().values(bureau=_configured_bureau()))
    with op.batch_alter_table("enf_parties") as batch:
        batch.alter_column("bureau", existing_type=sa.String(length=30), nullable=False)
        batch.create_index(batch.f("ix_enf_parties_bureau"), ["bureau"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enf_parties") as batch:
        batch.drop_index(batch.f("ix_enf_parties_bureau"))
        batch.drop_column("bureau")
