"""``aktuar audit ...`` (sub-app of cli_audit): verify exits non-zero and names each problem; the other commands
act as the logged-in user."""

from __future__ import annotations

import json

import pytest
from audit_helpers import ACTUARY, AUDITOR, ISO, IT, drop_triggers, fill, old, sql
from typer.testing import CliRunner

from aktuar import cli_audit
from aktuar.security import audit

runner = CliRunner()


@pytest.fixture
def env(database, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(database.settings.data_dir))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    if database.engine.dialect.name == "postgresql":  # the test schema of the fixture
        from aktuar.store import db as store_db

        engine = database.engine
        monkeypatch.setattr(store_db, "make_engine", lambda _settings: engine)
        monkeypatch.setattr(store_db.Database, "dispose", lambda self: None)
    return database


def as_(monkeypatch, actor) -> None:  # noqa: ANN001
    monkeypatch.setattr(cli_audit, "ACTOR_PROVIDER", lambda _db: actor)


@pytest.mark.req("KZ164-30")
@pytest.mark.req("KZ164-43")
def test_verify_exits_non_zero_and_names_the_record(env) -> None:
    fill(env, 5)
    r = runner.invoke(cli_audit.app, ["verify"])
    assert r.exit_code == 0, r.output
    assert "OK audit trail: 5 records (#1–#5)" in r.output
    drop_triggers(env)
    sql(env, "UPDATE audit_events SET actor = 'nobody' WHERE seq = 3")
    sql(env, "DELETE FROM audit_events WHERE seq = 4")
    r = runner.invoke(cli_audit.app, ["verify"])
    assert r.exit_code == 1
    assert "FAILED audit trail: 4 records (#1–#5), 0 signed checkpoints: 2 problems (changed 1, deleted 1)" in r.output
    assert "#3 changed: record #3 was changed" in r.output and "#4 deleted: record #4 is missing" in r.output


@pytest.mark.req("KZ164-30")
def test_verify_needs_no_login_but_mutating_commands_do(env) -> None:
    fill(env, 2)
    assert runner.invoke(cli_audit.app, ["verify"]).exit_code == 0
    for args in (["checkpoint"], ["archive"], ["export", "x.jsonl"], ["settings", "--set", "audit.online_days=100"]):
        r = runner.invoke(cli_audit.app, args)
        assert r.exit_code == 2 and "log in first" in r.output, (args, r.output)


@pytest.mark.req("KZ164-30")
@pytest.mark.req("KZ164-31")
def test_settings_checkpoint_archive_export(env, monkeypatch, tmp_path) -> None:
    fill(env, 3, start=old(120))
    as_(monkeypatch, ISO)
    r = runner.invoke(cli_audit.app, ["settings", "--set", "audit.online_days=30"])
    assert r.exit_code == 2 and "below the minimum of 92" in r.output
    r = runner.invoke(cli_audit.app, ["settings", "--set", "audit.online_days=100", "--set", "audit.archive_years=3"])
    assert r.exit_code == 0 and "audit.online_days" in r.output and "100" in r.output
    r = runner.invoke(cli_audit.app, ["checkpoint", "--as-user", "saule.is"])
    assert r.exit_code == 0 and "signed checkpoint of record #7" in r.output
    r = runner.invoke(cli_audit.app, ["checkpoint", "--as-user", "ivanov"])
    assert r.exit_code == 2 and "not ivanov" in r.output
    as_(monkeypatch, ACTUARY)
    r = runner.invoke(cli_audit.app, ["archive"])
    assert r.exit_code == 2 and "may not audit.archive" in r.output
    as_(monkeypatch, IT)
    r = runner.invoke(cli_audit.app, ["archive"])
    assert r.exit_code == 0 and "archived records #1–#3" in r.output
    as_(monkeypatch, AUDITOR)
    target = tmp_path / "out.jsonl"
    r = runner.invoke(cli_audit.app, ["export", str(target), "--category", "audit_config", "--since", "2000-01-01"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    assert {x["category"] for x in rows} == {"audit_config"} and len(rows) == 6
    r = runner.invoke(cli_audit.app, ["export", str(target), "--since", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    r = runner.invoke(cli_audit.app, ["verify"])
    assert r.exit_code == 0 and "archived up to #3" in r.output
    archive = next((env.settings.data_dir / audit.ARCHIVE_DIR).glob("*.jsonl"))
    r = runner.invoke(cli_audit.app, ["verify", "--archive", str(archive)])
    assert r.exit_code == 0 and "3 records" in r.output
