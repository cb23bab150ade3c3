"""valuation results are immutable in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Triggers (``aktuar.services.valuation.RESULT_TRIGGERS``) refuse: result rows added to a run that is not
running, any update of result rows, and any change or deletion of an approved run or its results — on SQLite
and PostgreSQL, whatever client issues the SQL (KZ84-AUTO: results immutable once approved).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = ("run_results_insert_running", "run_results_no_update", "run_results_no_delete_approved",
                   "runs_approved_no_update", "runs_approved_no_delete")


def upgrade() -> None:
    from aktuar.services.valuation import install_result_triggers

    install_result_triggers(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS run_results_guard ON run_results")
        op.execute("DROP TRIGGER IF EXISTS runs_guard ON runs")
        op.execute("DROP FUNCTION IF EXISTS aktuar_run_results_guard()")
        op.execute("DROP FUNCTION IF EXISTS aktuar_runs_guard()")
