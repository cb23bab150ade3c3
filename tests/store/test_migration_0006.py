"""Migration 0006 (background jobs of the web application and the person's language in the database) on SQLite
and PostgreSQL: upgrade keeps existing accounts, downgrade removes exactly what it added and keeps the rest, a
second upgrade works; backups carry the new table and column and restore them (KZ164-27)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from aktuar.security import backups
from aktuar.security.context import Actor
from aktuar.store import migrate
from aktuar.store import models as m
from aktuar.store.db import Database, Settings

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
IT_ADMIN = Actor("it.admin", frozenset({"it_admin"}), user_id=1, source="test host=ci")
KEY = bytes.fromhex("41" * 32)


def _columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        insp = inspect(conn)
        return {c["name"] for c in insp.get_columns(table)} if insp.has_table(table) else set()


def _indexes(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {i["name"] for i in inspect(conn).get_indexes(table)}


def _populate(db: Database) -> None:
    with db.session() as s:
        s.add(m.User(id=1, username="it.admin", full_name="Aliya Nurlanovna", status="active", failed_logins=0,
                     created_at=T0, mfa_enabled=False, language="en"))
        meth = m.Methodology(name="IFRS 17 close", version="1", status="coordinated", description="",
                             parameters='{"engine":"ifrs17"}', parameters_sha256="0" * 64, created_by="it.admin",
                             created_at=T0)
        s.add(meth)
        s.flush()
        run = m.Run(reporting_date=date(2026, 12, 31), scope="{}", methodology_id=meth.id, parameters="{}",
                    is_test=True, status="failed", code_version="0.1", environment="{}", inputs_sha256="a" * 64,
                    created_by="it.admin", created_at=T0)
        s.add(run)
        s.flush()
        s.add_all([
            m.WebJob(id="job-done-Aa_1", owner="it.admin", kind="ifrs17.prepare", status="done", done=7, total=7,
                     params='{"dataset_id":1,"is_test":true,"methodology_id":1}', run_id=run.id, started_at=T0,
                     updated_at=T0 + timedelta(seconds=9), finished_at=T0 + timedelta(seconds=9),
                     worker="app-1:4242"),
            m.WebJob(id="job-failed-Bb_2", owner="it.admin", kind="run.prepare", status="failed", done=0, total=0,
                     params="{}", error="Ақтұар «дата» 'x'; --", error_file="close.zip:contracts.csv", error_row=5,
                     error_column="issue_date", started_at=T0, updated_at=T0, finished_at=T0, worker="app-2:1"),
        ])


@pytest.mark.req("KZ164-30")
def test_0006_downgrades_and_upgrades_keeping_the_rest(database) -> None:
    assert migrate.current(database.engine) == migrate.head(database.engine)
    assert {"id", "owner", "kind", "status", "done", "total", "params", "run_id", "error", "error_file", "error_row",
            "error_column", "started_at", "updated_at", "finished_at", "worker"} == _columns(database, "web_jobs")
    assert {"ix_web_jobs_owner", "ix_web_jobs_status"} <= _indexes(database, "web_jobs")
    assert "language" in _columns(database, "users")
    _populate(database)
    cfg = migrate.config(database.engine)
    command.downgrade(cfg, "0005")
    assert migrate.current(database.engine) == "0005"
    assert _columns(database, "web_jobs") == set() and "language" not in _columns(database, "users")
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["it.admin"]
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 1
    migrate.upgrade(database.engine)
    assert migrate.current(database.engine) == migrate.head(database.engine)
    with database.session() as s:
        user = s.execute(select(m.User)).scalar_one()
        assert user.username == "it.admin" and user.language is None  # the preference went with the column
        assert s.execute(select(m.WebJob)).first() is None


def test_0006_upgrades_a_0005_database_with_accounts(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    db = Database(Settings.from_env(data_dir=folder, database_url=f"sqlite:///{folder / 'aktuar.sqlite3'}"))
    try:
        migrate.upgrade(db.engine, "0005")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, full_name, status, failed_logins, created_at, "
                              "mfa_enabled, must_change_password) VALUES (1, 'a.user', 'A User', 'active', 0, "
                              "'2026-01-01 00:00:00', 0, 0)"))
        before, after = migrate.upgrade(db.engine, "0006")
        assert (before, after) == ("0005", "0006")
        with db.session() as s:
            assert s.execute(select(m.User.username, m.User.language)).one() == ("a.user", None)
            s.add(m.WebJob(id="x" * 22, owner="a.user", kind="run.prepare", status="running", done=0, total=0,
                           params="{}", started_at=T0, updated_at=T0, worker="h:1"))
    finally:
        db.dispose()


@pytest.mark.req("KZ164-27")
def test_backups_carry_the_jobs_and_the_language(database, tmp_path: Path) -> None:
    """The backup reflects every table: ``web_jobs`` and ``users.language`` are saved and restored exactly."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backups"))
    from backups_support import dump, escrow_keys, new_sqlite_target

    _populate(database)
    before = dump(database)
    assert len(before["web_jobs"]) == 2
    info = backups.create_backup(database, IT_ADMIN, tmp_path / "backups", KEY, T0)
    assert info.tables["web_jobs"] == 2
    new_dir = tmp_path / "restored"
    escrow_keys(database, new_dir)
    res = backups.restore_backup(info.path, KEY, new_sqlite_target(new_dir), IT_ADMIN, audit_db=database)
    assert res.tables["web_jobs"] == 2
    target = Database(new_sqlite_target(new_dir))
    try:
        after = dump(target)
        assert after["web_jobs"] == before["web_jobs"]
        assert after["users"] == before["users"]
        with target.session() as s:
            assert s.execute(select(m.User.language)).scalar_one() == "en"
            job = s.get(m.WebJob, "job-failed-Bb_2")
            assert (job.error, job.error_file, job.error_row) == ("Ақтұар «дата» 'x'; --", "close.zip:contracts.csv",
                                                                  5)
    finally:
        target.dispose()
