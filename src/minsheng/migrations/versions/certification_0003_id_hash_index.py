"""certification: the registry's look-up by ID number through a hash index on the keyed hash
(PostgreSQL), instead of the (id_hash, holder_name) B-tree

The B-tree was the widest of the registry's indexes (64 hex digits and a name a row: 100 MB for
a million certificates) and, the keyed hashes being random, every import row descended its four
levels to a leaf of its own: after a checkpoint, a full-page image in the WAL for nearly every
leaf. A hash index keeps a 4-byte hash code and the row's address (32 MB for a million), and an
insert reads the metapage and one bucket page. Measured on copies of one 1,000,000-certificate
registry, 200,000 rows each, the two alternating (4 pairs, CHECKPOINT before each, server
backend CPU from /proc, load 3–5): the import service's server CPU 5.83 → 4.58 s (−21 %), a raw
COPY's 7.00 → 4.76 s (−32 %); WAL 237–275 → 150–177 MB; buffer accesses of this index 4.0 →
2.0–2.4 a row.

The look-ups keep an index: ``id_hash = :x`` (the staff list), ``… AND holder_name = :y`` and
``… AND number = :n`` (the public verification) fetch the few rows of that keyed hash through
the hash index and filter them (``Index Scan using ix_cert_certificates_id_hash``, 2–3 buffers).
A hash index can neither return rows in order nor enforce uniqueness; neither was asked of this
one. The upgrade builds the new index before dropping the old (reads go on during the build,
writes wait: 3.3 s for a million certificates on a 2-core machine; the downgrade 1.5 s). SQLite
ignores ``postgresql_using``: there the index becomes a B-tree on ``id_hash`` alone, which serves
the same look-ups (``SEARCH cert_certificates USING INDEX ix_cert_certificates_id_hash
(id_hash=?)``).

Revision ID: certification_0003
Revises: certification_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "certification_0003"
down_revision: str | Sequence[str] | None = "certification_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cert_certificates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cert_certificates_id_hash", ["id_hash"], unique=False, postgresql_using="hash"
        )
        batch_op.drop_index("ix_cert_certificates_id_hash_name")


def downgrade() -> None:
    with op.batch_alter_table("cert_certificates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cert_certificates_id_hash_name", ["id_hash", "holder_name"], unique=False
        )
        batch_op.drop_index("ix_cert_certificates_id_hash")
