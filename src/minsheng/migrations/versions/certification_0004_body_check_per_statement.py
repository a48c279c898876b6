"""certification: a certificate's body checked once per statement on PostgreSQL (statement
triggers over the rows the statement wrote) instead of by the foreign key's look-up per row

The foreign key ``fk_cert_certificates_body_id_cert_bodies`` runs one ``SELECT 1 FROM cert_bodies
WHERE id = $1 FOR KEY SHARE`` through SPI for every row inserted: for a bulk import (``certs
import``, a ``COPY`` of 16,384 rows a statement) that was 30 % of the server's work (backend CPU for
200,000 rows into a copy of a 1,000,000-certificate registry: 5.73 / 6.37 s with it, 4.16 / 4.26 s
with no check; docs/performance.md, session 8). The same guard, set-based: after each INSERT
statement on ``cert_certificates`` one trigger reads the statement's transition table once (``GROUP
BY body_id``: one or a few ids for thousands of rows), locks those bodies ``FOR KEY SHARE`` (as the
foreign key does, so that a concurrent delete of one waits for this transaction) and refuses the
statement if one does not exist; an UPDATE is checked row by row, only where a row's body changes
(the foreign key skips unchanged keys too). The other side of the key: a row trigger on
``cert_bodies`` refuses to delete a body, or change its id, while a certificate names it (the
foreign key's ``NO ACTION``). Both raise SQLSTATE 23503 ``foreign_key_violation`` naming the old
constraint, so a caller sees the same ``IntegrityError`` as before.

Left as it was: ``TRUNCATE cert_bodies`` alone is no longer refused (the foreign key refused it; a
statement trigger cannot tell whether the certificates are truncated in the same command), a
database administrator's act that no part of the platform performs. In a ``REPEATABLE READ``
transaction deleting a body, a certificate committed after its snapshot is not seen (the foreign key
re-checks with a fresh snapshot); the platform deletes no body and runs in ``READ COMMITTED``.
SQLite keeps the foreign key (it has no statement triggers, and a row trigger would cost what the
key costs). The model keeps the ``ForeignKey`` (with ``info`` saying this), for the ORM's joins and
for SQLite; ``core.migrate.include_object`` tells Alembic's comparison not to ask for it on
PostgreSQL.

Revision ID: certification_0004
Revises: certification_0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "certification_0004"
down_revision: str | Sequence[str] | None = "certification_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_cert_certificates_body_id_cert_bodies"  # the constraint replaced, named in the errors

# The SQL below is fixed text (no value is interpolated).
CHECK_ROWS = """
CREATE FUNCTION cert_certificates_body_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fk constant text := 'fk_cert_certificates_body_id_cert_bodies';
    ids integer[];
    missing integer;
BEGIN
    -- The bodies the statement's rows name (one or a few for thousands of rows), in one
    -- hashed pass over the rows; the checks below then touch only those.
    SELECT array_agg(body_id) INTO ids
      FROM (SELECT body_id FROM new_rows WHERE body_id IS NOT NULL GROUP BY body_id) named;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM cert_bodies WHERE id = ANY (ids) FOR KEY SHARE;
    SELECT n INTO missing FROM unnest(ids) AS n
     WHERE NOT EXISTS (SELECT 1 FROM cert_bodies b WHERE b.id = n)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                        TG_TABLE_NAME, fk
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = fk,
                  TABLE = TG_TABLE_NAME, COLUMN = 'body_id',
                  DETAIL = format('Key (body_id)=(%s) is not present in table "%s".',
                                  missing, 'cert_bodies');
    END IF;
    RETURN NULL;
END
$$
"""

# An UPDATE checks only the rows whose body changes (as the foreign key skips unchanged keys), so
# a status change locks no body.
CHECK_CHANGED = """
CREATE FUNCTION cert_certificates_body_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fk constant text := 'fk_cert_certificates_body_id_cert_bodies';
BEGIN
    PERFORM 1 FROM cert_bodies WHERE id = NEW.body_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                        TG_TABLE_NAME, fk
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = fk,
                  TABLE = TG_TABLE_NAME, COLUMN = 'body_id',
                  DETAIL = format('Key (body_id)=(%s) is not present in table "%s".',
                                  NEW.body_id, 'cert_bodies');
    END IF;
    RETURN NULL;
END
$$
"""

KEEP_REFERENCED = """
CREATE FUNCTION cert_bodies_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fk constant text := 'fk_cert_certificates_body_id_cert_bodies';
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM cert_certificates WHERE body_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" '
                        'on table "%"', TG_TABLE_NAME, fk, 'cert_certificates'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = fk, TABLE = TG_TABLE_NAME,
                  DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                                  OLD.id, 'cert_certificates');
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER cert_certificates_body_insert AFTER INSERT ON cert_certificates "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION cert_certificates_body_exists()",
    "CREATE TRIGGER cert_certificates_body_update AFTER UPDATE OF body_id ON cert_certificates "
    "FOR EACH ROW WHEN (NEW.body_id IS NOT NULL AND NEW.body_id IS DISTINCT FROM OLD.body_id) "
    "EXECUTE FUNCTION cert_certificates_body_changed()",
    "CREATE TRIGGER cert_bodies_keep_referenced BEFORE DELETE OR UPDATE OF id ON cert_bodies "
    "FOR EACH ROW EXECUTE FUNCTION cert_bodies_keep_referenced()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHECK_ROWS)
    op.execute(CHECK_CHANGED)
    op.execute(KEEP_REFERENCED)
    for statement in TRIGGERS:
        op.execute(statement)
    op.drop_constraint(FK, "cert_certificates", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_foreign_key(FK, "cert_certificates", "cert_bodies", ["body_id"], ["id"])
    op.execute("DROP TRIGGER cert_bodies_keep_referenced ON cert_bodies")
    op.execute("DROP TRIGGER cert_certificates_body_update ON cert_certificates")
    op.execute("DROP TRIGGER cert_certificates_body_insert ON cert_certificates")
    op.execute("DROP FUNCTION cert_bodies_keep_referenced()")
    op.execute("DROP FUNCTION cert_certificates_body_changed()")
    op.execute("DROP FUNCTION cert_certificates_body_exists()")
