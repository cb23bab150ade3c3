"""documents of a run (an IFRS 17 close's disclosure documents), immutable like the run's results

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Table ``run_documents``: the documents a valuation run produces beside its numbers (for an IFRS 17 close run,
the ``aktuar-ifrs17/1`` disclosure document of every reporting date, canonical JSON). Their SHA-256 is part of
the run's results hash (``aktuar.services.valuation.results_sha256``).

Triggers (``aktuar.services.valuation.DOCUMENT_TRIGGERS``; SQLite ``RAISE(ABORT)``, PostgreSQL plpgsql), whoever
sends the SQL: documents are added to a run only while it is running, never updated, and those of an approved
run never deleted (KZ84-AUTO: results immutable once approved).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = ("run_documents_insert_running", "run_documents_no_update", "run_documents_no_delete_approved")


def upgrade() -> None:
    op.create_table("run_documents",
                    sa.Column("run_id", sa.Integer(), nullable=False),
                    sa.Column("name", sa.String(length=64), nullable=False),
                    sa.Column("media_type", sa.String(length=64), nullable=False),
                    sa.Column("sha256", sa.String(length=64), nullable=False),
                    sa.Column("content", sa.Text(), nullable=False),
                    sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
                    sa.PrimaryKeyConstraint("run_id", "name"))
    from aktuar.services.valuation import install_document_triggers

    install_document_triggers(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS run_documents_guard ON run_documents")
        op.execute("DROP FUNCTION IF EXISTS aktuar_run_documents_guard()")
    op.drop_table("run_documents")
