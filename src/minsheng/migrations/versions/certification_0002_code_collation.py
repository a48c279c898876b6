"""certification: the registry's code columns (number, id_hash, verify_token) compared byte by
byte on PostgreSQL (``COLLATE "C"``)

Their B-trees (the number's unique constraint, the (id_hash, holder_name) look-up index, the
token's unique index) compared values through the database locale's ``strcoll``: a tenth of a
bulk import's server time, and a ``number LIKE 'prefix%'`` search could not use the index. The
values are ASCII letters and digits, so equality and order are the same under either collation.
The upgrade rebuilds the three indexes under an exclusive lock of ``cert_certificates`` (≈ 10 s
for a million certificates on a 2-core machine): run it in a quiet hour. SQLite compares bytes
already; nothing changes there.

Revision ID: certification_0002
Revises: certification_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "certification_0002"
down_revision: str | Sequence[str] | None = "certification_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, length) of the code columns; one ALTER TABLE so that each index is rebuilt once.
CODE_COLUMNS = (("number", 22), ("id_hash", 64), ("verify_token", 32))


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    clauses = ", ".join(
        f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"'
        for name, length in CODE_COLUMNS
    )
    op.execute(f"ALTER TABLE cert_certificates {clauses}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
