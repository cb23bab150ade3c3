"""background jobs of the web application and the user's preferred language, in the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Several server processes (``uvicorn --workers N``, or servers behind a load balancer) serve one database, so what
the web application used to keep in the memory of one process is stored here:

* table ``web_jobs``: a run being prepared in the background (``aktuar.services.web_jobs``) — its owner, kind,
  status (running, done, failed, interrupted), progress, the run it produced or a short reason it failed, when it
  started, last reported (progress or heartbeat) and finished, and the worker (host:pid) running it;
* column ``users.language``: the language a person chose for the pages (ru, en); the next login uses it.

Written by hand (like 0004/0005); plain ``CREATE TABLE`` / ``ALTER TABLE ADD COLUMN`` that SQLite and PostgreSQL
both run. The downgrade drops them again (SQLite ≥ 3.35 drops a column in place).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("error_file", sa.String(length=300), nullable=True),
        sa.Column("error_row", sa.Integer(), nullable=True),
        sa.Column("error_column", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_jobs_owner", "web_jobs", ["owner"], unique=False)
    op.create_index("ix_web_jobs_status", "web_jobs", ["status"], unique=False)
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "language")
    op.drop_index("ix_web_jobs_status", table_name="web_jobs")
    op.drop_index("ix_web_jobs_owner", table_name="web_jobs")
    op.drop_table("web_jobs")
