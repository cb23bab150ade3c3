"""ISMS registers, actuaries and regulatory calendar; records that must never change are protected

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Tables of the information-security registers (incidents with their timeline and evidence, information assets,
access rights and review campaigns, authorized software, users allowed to install software and the data-center
access list, updates, security tests and findings, internal documents, regulator submissions), the actuary
registry (licenses, professional development, independent-actuary engagements) and the status of regulatory
deadlines. Generated with Alembic's autogenerate from the models and frozen.

Triggers (SQLite ``RAISE(ABORT)``; PostgreSQL plpgsql), whoever sends the SQL:

* an incident's timeline and evidence rows are never updated (KZ164-43/44: technical data kept unaltered);
* incidents, their timeline and evidence are not deleted before the incident's ``retain_until`` (closing date +
  the retention setting, at least 5 years, KZ164-40), and ``retain_until`` is never moved earlier or cleared;
* security tests and their findings are not deleted before ``retain_until`` (at least 3 years, KZ164-57/61),
  which is never moved earlier;
* regulator submissions (the hash of what was sent, KZ164-50/52) are append-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MESSAGE = "aktuar: ISMS records are protected"

SQLITE_UP = [
    f"""CREATE TRIGGER isms_incident_events_no_update BEFORE UPDATE ON isms_incident_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: an incident timeline entry is never changed'); END""",
    f"""CREATE TRIGGER isms_evidence_no_update BEFORE UPDATE ON isms_evidence
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: incident evidence is never changed'); END""",
    f"""CREATE TRIGGER isms_incident_events_no_delete BEFORE DELETE ON isms_incident_events
    WHEN (SELECT retain_until FROM isms_incidents i WHERE i.id = OLD.incident_id) IS NULL
      OR (SELECT retain_until FROM isms_incidents i WHERE i.id = OLD.incident_id) > date('now')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: incident records are kept at least 5 years'); END""",
    f"""CREATE TRIGGER isms_evidence_no_delete BEFORE DELETE ON isms_evidence
    WHEN (SELECT retain_until FROM isms_incidents i WHERE i.id = OLD.incident_id) IS NULL
      OR (SELECT retain_until FROM isms_incidents i WHERE i.id = OLD.incident_id) > date('now')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: incident records are kept at least 5 years'); END""",
    f"""CREATE TRIGGER isms_incidents_no_delete BEFORE DELETE ON isms_incidents
    WHEN OLD.retain_until IS NULL OR OLD.retain_until > date('now')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: incident records are kept at least 5 years'); END""",
    f"""CREATE TRIGGER isms_incidents_retention_kept BEFORE UPDATE OF retain_until ON isms_incidents
    WHEN OLD.retain_until IS NOT NULL AND (NEW.retain_until IS NULL OR NEW.retain_until < OLD.retain_until)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: the retention of an incident cannot be shortened'); END""",
    f"""CREATE TRIGGER isms_security_tests_no_delete BEFORE DELETE ON isms_security_tests
    WHEN OLD.retain_until > date('now')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: security test results are kept at least 3 years'); END""",
    f"""CREATE TRIGGER isms_security_tests_retention_kept BEFORE UPDATE OF retain_until ON isms_security_tests
    WHEN NEW.retain_until IS NULL OR NEW.retain_until < OLD.retain_until
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: the retention of a security test cannot be shortened'); END""",
    f"""CREATE TRIGGER isms_findings_no_delete BEFORE DELETE ON isms_findings
    WHEN (SELECT retain_until FROM isms_security_tests t WHERE t.id = OLD.test_id) > date('now')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: security test results are kept at least 3 years'); END""",
    f"""CREATE TRIGGER isms_submissions_no_update BEFORE UPDATE ON isms_submissions
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: a submission record is never changed'); END""",
    f"""CREATE TRIGGER isms_submissions_no_delete BEFORE DELETE ON isms_submissions
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: a submission record is never deleted'); END""",
]
SQLITE_TRIGGERS = ("isms_incident_events_no_update", "isms_evidence_no_update", "isms_incident_events_no_delete",
                   "isms_evidence_no_delete", "isms_incidents_no_delete", "isms_incidents_retention_kept",
                   "isms_security_tests_no_delete", "isms_security_tests_retention_kept", "isms_findings_no_delete",
                   "isms_submissions_no_update", "isms_submissions_no_delete")

# One guard function; the retention date that protects a row is looked up by table (TG_TABLE_SCHEMA keeps the
# lookups in the schema of the table being changed, independent of the caller's search_path).
POSTGRES_UP = [
    f"""CREATE FUNCTION aktuar_isms_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    keep date;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '{MESSAGE}: TRUNCATE of % refused', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_TABLE_NAME = 'isms_submissions' THEN
        RAISE EXCEPTION '{MESSAGE}: a submission record is never changed or deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF TG_TABLE_NAME IN ('isms_incident_events', 'isms_evidence') THEN
            RAISE EXCEPTION '{MESSAGE}: incident evidence and timeline are never changed'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- (nested: plpgsql does not short-circuit, and other tables have no retain_until)
        IF TG_TABLE_NAME IN ('isms_incidents', 'isms_security_tests') THEN
            IF OLD.retain_until IS NOT NULL
               AND (NEW.retain_until IS NULL OR NEW.retain_until < OLD.retain_until) THEN
                RAISE EXCEPTION '{MESSAGE}: the retention of % cannot be shortened', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        RETURN NEW;
    END IF;
    -- DELETE
    IF TG_TABLE_NAME IN ('isms_incidents', 'isms_security_tests') THEN
        keep := OLD.retain_until;
    ELSIF TG_TABLE_NAME = 'isms_findings' THEN
        EXECUTE format('SELECT retain_until FROM %I.isms_security_tests WHERE id = $1', TG_TABLE_SCHEMA)
            INTO keep USING OLD.test_id;
    ELSE
        EXECUTE format('SELECT retain_until FROM %I.isms_incidents WHERE id = $1', TG_TABLE_SCHEMA)
            INTO keep USING OLD.incident_id;
    END IF;
    IF keep IS NULL OR keep > current_date THEN
        RAISE EXCEPTION '{MESSAGE}: % is kept until %', TG_TABLE_NAME, coalesce(keep::text, 'the incident is closed')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$fn$""",
]
GUARDED = ("isms_incidents", "isms_incident_events", "isms_evidence", "isms_security_tests", "isms_findings",
           "isms_submissions")
for _t in GUARDED:
    POSTGRES_UP.append(f"""CREATE TRIGGER {_t}_guard BEFORE UPDATE OR DELETE ON {_t}
    FOR EACH ROW EXECUTE FUNCTION aktuar_isms_guard()""")
    POSTGRES_UP.append(f"""CREATE TRIGGER {_t}_no_truncate BEFORE TRUNCATE ON {_t}
    FOR EACH STATEMENT EXECUTE FUNCTION aktuar_isms_guard()""")


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_UP
    elif dialect == "postgresql":
        statements = POSTGRES_UP
    else:
        raise RuntimeError(f"aktuar supports SQLite and PostgreSQL, not {dialect}")
    for sql in statements:
        op.execute(sql)


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for t in GUARDED:
        op.execute(f"DROP TRIGGER IF EXISTS {t}_guard ON {t}")
        op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
    op.execute("DROP FUNCTION IF EXISTS aktuar_isms_guard()")


def upgrade() -> None:
    op.create_table("actuaries",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("full_name", sa.String(length=200), nullable=False),
    sa.Column("iin", sa.String(length=12), nullable=True),
    sa.Column("license_number", sa.String(length=64), nullable=True),
    sa.Column("license_date", sa.Date(), nullable=True),
    sa.Column("license_issuer", sa.String(length=300), nullable=True),
    sa.Column("employer", sa.String(length=300), nullable=True),
    sa.Column("position", sa.String(length=200), nullable=True),
    sa.Column("iaa_member_body", sa.String(length=300), nullable=True),
    sa.Column("is_independent", sa.Boolean(), nullable=False),
    sa.Column("employment", sa.Text(), nullable=False),
    sa.Column("affiliations", sa.Text(), nullable=False),
    sa.Column("activities", sa.Text(), nullable=False),
    sa.Column("updated_by", sa.String(length=64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("license_number")
    )
    op.create_table("calendar_status",
    sa.Column("key", sa.String(length=100), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("owner", sa.String(length=200), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("changed_by", sa.String(length=64), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key")
    )
    op.create_table("isms_access_reviews",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("started_by", sa.String(length=64), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due", sa.Date(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("closed_by", sa.String(length=64), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("isms_access_rights",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("system", sa.String(length=100), nullable=False),
    sa.Column("subject", sa.String(length=200), nullable=False),
    sa.Column("subject_kind", sa.String(length=16), nullable=False),
    sa.Column("rights", sa.Text(), nullable=False),
    sa.Column("responsible", sa.String(length=200), nullable=True),
    sa.Column("justification", sa.Text(), nullable=False),
    sa.Column("granted_by", sa.String(length=64), nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("isms_assets",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=300), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("owner", sa.String(length=200), nullable=False),
    sa.Column("criticality", sa.String(length=16), nullable=False),
    sa.Column("classification", sa.String(length=32), nullable=False),
    sa.Column("location", sa.String(length=300), nullable=False),
    sa.Column("configuration", sa.Text(), nullable=False),
    sa.Column("interconnections", sa.Text(), nullable=False),
    sa.Column("third_parties", sa.Text(), nullable=False),
    sa.Column("business_functions", sa.Text(), nullable=False),
    sa.Column("rto_hours", sa.Double(), nullable=True),
    sa.Column("rpo_hours", sa.Double(), nullable=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("security_function", sa.Boolean(), nullable=False),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("updated_by", sa.String(length=64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("code")
    )
    op.create_table("isms_documents",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=64), nullable=False),
    sa.Column("title", sa.String(length=300), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("approval_body", sa.String(length=32), nullable=False),
    sa.Column("approved_on", sa.Date(), nullable=False),
    sa.Column("version", sa.String(length=32), nullable=False),
    sa.Column("revision_months", sa.Integer(), nullable=False),
    sa.Column("owner", sa.String(length=200), nullable=False),
    sa.Column("document_sha256", sa.String(length=64), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("updated_by", sa.String(length=64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("code")
    )
    op.create_table("isms_incidents",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("ref", sa.String(length=32), nullable=False),
    sa.Column("title", sa.String(length=300), nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detected_by", sa.String(length=200), nullable=False),
    sa.Column("classification", sa.String(length=64), nullable=False),
    sa.Column("severity", sa.String(length=16), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("causes", sa.Text(), nullable=True),
    sa.Column("mechanism", sa.Text(), nullable=True),
    sa.Column("consequences", sa.Text(), nullable=True),
    sa.Column("conclusion", sa.Text(), nullable=True),
    sa.Column("corrective_actions", sa.Text(), nullable=False),
    sa.Column("assets", sa.Text(), nullable=False),
    sa.Column("risks", sa.Text(), nullable=False),
    sa.Column("created_by", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("retain_until", sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("ref")
    )
    op.create_table("isms_privileged_users",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("person", sa.String(length=200), nullable=False),
    sa.Column("scope", sa.String(length=300), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("requested_by", sa.String(length=64), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by_it", sa.String(length=64), nullable=True),
    sa.Column("agreed_by_is", sa.String(length=64), nullable=True),
    sa.Column("valid_until", sa.Date(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("last_monitored_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("monitoring_notes", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("isms_security_tests",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("system", sa.String(length=100), nullable=False),
    sa.Column("release", sa.String(length=64), nullable=False),
    sa.Column("performed_at", sa.Date(), nullable=False),
    sa.Column("performed_by", sa.String(length=200), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("recorded_by", sa.String(length=64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retain_until", sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("isms_software",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("version", sa.String(length=64), nullable=False),
    sa.Column("vendor", sa.String(length=200), nullable=False),
    sa.Column("purpose", sa.Text(), nullable=False),
    sa.Column("security_function", sa.Boolean(), nullable=False),
    sa.Column("installations", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("approved_by", sa.String(length=64), nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("name", "version")
    )
    op.create_table("isms_submissions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("package_name", sa.String(length=300), nullable=False),
    sa.Column("package_sha256", sa.String(length=64), nullable=False),
    sa.Column("content_sha256", sa.String(length=64), nullable=False),
    sa.Column("recipient", sa.String(length=300), nullable=False),
    sa.Column("signers", sa.Text(), nullable=False),
    sa.Column("created_by", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("isms_updates",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("system", sa.String(length=100), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("recorded_by", sa.String(length=64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("test_result", sa.String(length=16), nullable=True),
    sa.Column("tested_by", sa.String(length=64), nullable=True),
    sa.Column("tested_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("installed_by", sa.String(length=64), nullable=True),
    sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("actuary_engagements",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organization", sa.String(length=300), nullable=False),
    sa.Column("independent_id", sa.Integer(), nullable=False),
    sa.Column("inhouse_id", sa.Integer(), nullable=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("ended_on", sa.Date(), nullable=True),
    sa.Column("recorded_by", sa.String(length=64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["independent_id"], ["actuaries.id"], ),
    sa.ForeignKeyConstraint(["inhouse_id"], ["actuaries.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("actuary_pdp_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("actuary_id", sa.Integer(), nullable=False),
    sa.Column("item", sa.Integer(), nullable=False),
    sa.Column("on_date", sa.Date(), nullable=False),
    sa.Column("title", sa.String(length=300), nullable=False),
    sa.Column("organizer", sa.String(length=300), nullable=False),
    sa.Column("organizer_iaa_member", sa.Boolean(), nullable=False),
    sa.Column("points", sa.Integer(), nullable=False),
    sa.Column("document", sa.String(length=300), nullable=True),
    sa.Column("recorded_by", sa.String(length=64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["actuary_id"], ["actuaries.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(op.f("ix_actuary_pdp_events_actuary_id"), "actuary_pdp_events", ["actuary_id"], unique=False)
    op.create_table("isms_access_review_items",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("review_id", sa.Integer(), nullable=False),
    sa.Column("system", sa.String(length=100), nullable=False),
    sa.Column("subject", sa.String(length=200), nullable=False),
    sa.Column("subject_kind", sa.String(length=16), nullable=False),
    sa.Column("rights", sa.Text(), nullable=False),
    sa.Column("decision", sa.String(length=16), nullable=False),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("decided_by", sa.String(length=64), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["review_id"], ["isms_access_reviews.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(op.f("ix_isms_access_review_items_review_id"), "isms_access_review_items", ["review_id"], unique=False)
    op.create_table("isms_evidence",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("incident_id", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(length=300), nullable=False),
    sa.Column("stored_path", sa.String(length=300), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger(), nullable=False),
    sa.Column("source", sa.String(length=300), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("collected_by", sa.String(length=64), nullable=False),
    sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["incident_id"], ["isms_incidents.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(op.f("ix_isms_evidence_incident_id"), "isms_evidence", ["incident_id"], unique=False)
    op.create_table("isms_findings",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("test_id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(length=300), nullable=False),
    sa.Column("severity", sa.String(length=16), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("fixed_by", sa.String(length=64), nullable=True),
    sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["test_id"], ["isms_security_tests.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(op.f("ix_isms_findings_test_id"), "isms_findings", ["test_id"], unique=False)
    op.create_table("isms_incident_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("incident_id", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("actor", sa.String(length=64), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("details", sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(["incident_id"], ["isms_incidents.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(op.f("ix_isms_incident_events_incident_id"), "isms_incident_events", ["incident_id"], unique=False)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index(op.f("ix_isms_incident_events_incident_id"), table_name="isms_incident_events")
    op.drop_table("isms_incident_events")
    op.drop_index(op.f("ix_isms_findings_test_id"), table_name="isms_findings")
    op.drop_table("isms_findings")
    op.drop_index(op.f("ix_isms_evidence_incident_id"), table_name="isms_evidence")
    op.drop_table("isms_evidence")
    op.drop_index(op.f("ix_isms_access_review_items_review_id"), table_name="isms_access_review_items")
    op.drop_table("isms_access_review_items")
    op.drop_index(op.f("ix_actuary_pdp_events_actuary_id"), table_name="actuary_pdp_events")
    op.drop_table("actuary_pdp_events")
    op.drop_table("actuary_engagements")
    op.drop_table("isms_updates")
    op.drop_table("isms_submissions")
    op.drop_table("isms_software")
    op.drop_table("isms_security_tests")
    op.drop_table("isms_privileged_users")
    op.drop_table("isms_incidents")
    op.drop_table("isms_documents")
    op.drop_table("isms_assets")
    op.drop_table("isms_access_rights")
    op.drop_table("isms_access_reviews")
    op.drop_table("calendar_status")
    op.drop_table("actuaries")
