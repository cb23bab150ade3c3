"""`aktuar db upgrade`: migrations are installed changes in the audit trail (KZ164-30(3))."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aktuar.cli import app
from aktuar.security import audit
from aktuar.services import system
from aktuar.store.db import Database, Settings
from aktuar.store.models import AuditEvent


@pytest.mark.req("KZ164-30")
def test_cli_db_upgrade_migrates_and_audits(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("AKTUAR_DATABASE_URL", raising=False)
    runner = CliRunner()
    res = runner.invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0, res.output
    assert "migrated from empty" in res.output
    res = runner.invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0 and "already at" in res.output
    db = Database(Settings.from_env())
    with db.session() as s:
        events = s.query(AuditEvent).order_by(AuditEvent.seq).all()
        actions = [(e.category, e.action) for e in events]
        assert ("change", "db.upgrade") in actions and ("change", "version.installed") in actions
        assert actions.count(("change", "db.upgrade")) == 1  # the second upgrade changed nothing
        assert "os_user=" in events[0].source
        assert [audit.chain_hash(e.prev_hash, audit.record_payload(e)) for e in events] == [e.hash for e in events]
    db.dispose()


@pytest.mark.req("KZ164-30")
def test_new_version_is_recorded_once(database, monkeypatch) -> None:
    assert system.record_version(database) is None
    assert system.record_version(database) == system.__version__
    monkeypatch.setattr(system, "__version__", "9.9.9")
    assert system.record_version(database) != "9.9.9"
    with database.session() as s:
        installs = s.query(AuditEvent).filter(AuditEvent.action == "version.installed").count()
    assert installs == 2
