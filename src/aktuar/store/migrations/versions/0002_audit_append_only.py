"""audit trail append-only: triggers refusing UPDATE and DELETE

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

The database itself refuses UPDATE and DELETE on ``audit_events`` and ``audit_checkpoints`` (and TRUNCATE on
PostgreSQL), whoever sends them (KZ164-30, tamper evidence). The only exception is retention archiving
(``aktuar.security.audit.archive``): inside its one transaction a row in ``audit_maintenance`` allows DELETE of
``audit_events`` rows with ``seq <= up_to_seq`` — after the records were written to a signed archive file and a
signed checkpoint was stored — and the row is deleted again before commit.

A database administrator can still drop a trigger; that is what ``aktuar audit verify`` (hash chain, signed
checkpoints, checkpoint journal outside the database) detects.

Note for later migrations on SQLite: Alembic's batch mode recreates a table and loses its triggers; a revision
that alters ``audit_events`` or ``audit_checkpoints`` must re-create them (``create_triggers`` below).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "aktuar: the audit trail is append-only"

SQLITE_UP = [
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE of audit_events refused'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance m WHERE OLD.seq <= m.up_to_seq)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE of audit_events refused'); END""",
    f"""CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE of audit_checkpoints refused'); END""",
    f"""CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE of audit_checkpoints refused'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_update",
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete",
]

# The maintenance table is looked up in the schema of the table being changed (TG_TABLE_SCHEMA), so the function
# does not depend on the caller's search_path.
POSTGRES_UP = [
    f"""CREATE FUNCTION aktuar_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    allowed boolean := false;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.audit_maintenance m WHERE $1 <= m.up_to_seq)',
                       TG_TABLE_SCHEMA)
            INTO allowed USING OLD.seq;
        IF allowed THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$fn$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION aktuar_audit_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION aktuar_audit_append_only()""",
    """CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION aktuar_audit_append_only()""",
    """CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION aktuar_audit_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints",
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints",
    "DROP FUNCTION IF EXISTS aktuar_audit_append_only()",
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    raise RuntimeError(f"aktuar supports SQLite and PostgreSQL, not {dialect}")


def create_triggers() -> None:
    for sql in _statements(True):
        op.execute(sql)


def upgrade() -> None:
    create_triggers()


def downgrade() -> None:
    for sql in _statements(False):
        op.execute(sql)
