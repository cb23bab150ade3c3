"""Scheduled backups (order and periodicity, KZ164-28) and the ``aktuar backup`` command line (KZ164-27)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from backups_support import IT_ADMIN, T0, audit_rows, dump, populate, sqlite_db
from sqlalchemy import text
from typer.testing import CliRunner

from aktuar import cli_backup
from aktuar.security import backups
from aktuar.store.db import Database

KEY = bytes(range(7, 39))


@pytest.mark.req("KZ164-27")
@pytest.mark.req("KZ164-30")
def test_schedule_makes_due_backups_prunes_and_audits(database, tmp_path: Path) -> None:
    populate(database)
    dest = tmp_path / "scheduled"
    assert backups.run_scheduled(database, T0, key=KEY).status == "not_configured"
    sched = backups.set_schedule(database, IT_ADMIN, interval_seconds=backups.parse_interval("1d"),
                                 destination=dest, retention=2)
    change = audit_rows(database, "setting.change")[-1]
    assert change.category == "system_config" and json.loads(change.details)["to"] == sched.as_dict()

    first = backups.run_scheduled(database, T0, key=KEY)
    assert first.status == "created" and first.backup is not None and not first.pruned
    assert backups.run_scheduled(database, T0 + timedelta(hours=23), key=KEY).status == "not_due"
    second = backups.run_scheduled(database, T0 + timedelta(days=1), key=KEY)
    third = backups.run_scheduled(database, T0 + timedelta(days=2, minutes=5), key=KEY)
    assert second.status == third.status == "created"
    assert third.pruned == [first.backup.path]
    kept = backups.scan_backups(dest)
    assert [b.path for b in kept] == [third.backup.path, second.backup.path]  # type: ignore[union-attr]
    assert all(backups.verify_backup(b.path, KEY).ok for b in kept)

    made = audit_rows(database, "backup.scheduled")
    assert [e.outcome for e in made] == ["success"] * 3 and all(e.actor == "system" for e in made)
    pruned = audit_rows(database, "backup.prune")
    assert json.loads(pruned[-1].details)["removed"] == [first.backup.path.name]

    # a failed scheduled backup is audited and reported, never silent
    failed = backups.run_scheduled(database, T0 + timedelta(days=4), key=None)
    assert failed.status == "failed" and "no backup key" in failed.message
    assert audit_rows(database, "backup.scheduled")[-1].outcome == "failure"

    backups.set_schedule(database, IT_ADMIN, interval_seconds=3600, destination=dest, retention=2, enabled=False)
    assert backups.run_scheduled(database, T0 + timedelta(days=9), key=KEY).status == "disabled"


@pytest.mark.req("KZ164-27")
def test_schedule_validation(database, tmp_path: Path) -> None:
    for kwargs, msg in [({"interval_seconds": 10}, "at least one minute"), ({"retention": 0}, "retention"),
                        ({"destination": "relative/dir"}, "absolute"),
                        ({"destination": database.settings.data_dir / "keys" / "b"}, "keys directory")]:
        args = {"interval_seconds": 3600, "destination": tmp_path / "d", "retention": 3, **kwargs}
        with pytest.raises(backups.InputError, match=msg):
            backups.set_schedule(database, IT_ADMIN, **args)
    for bad in ("", "1", "1y", "-1d", "d"):
        with pytest.raises(backups.InputError):
            backups.parse_interval(bad)
    assert backups.parse_interval("30m") == 1800 and backups.parse_interval("2w") == 14 * 86400


# ------------------------------------------------------------------------------------------- command line
def _env(db: Database) -> dict[str, str]:
    env = {"AKTUAR_DATA_DIR": str(db.settings.data_dir)}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        base = os.environ["AKTUAR_TEST_DATABASE_URL"]
        env["AKTUAR_DATABASE_URL"] = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    else:
        env["AKTUAR_DATABASE_URL"] = db.settings.database_url
    return env


@pytest.fixture
def it_admin_cli(database, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The command line acting as the logged-in IT administrator (the login itself is the accounts' concern)."""
    monkeypatch.setattr(cli_backup, "_actor", lambda db: IT_ADMIN)
    env = _env(database)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.mark.req("KZ164-27")
def test_cli_create_verify_list_restore(database, it_admin_cli, tmp_path: Path, monkeypatch) -> None:
    populate(database)
    before = dump(database)
    key_file = tmp_path / "escrow" / "backup.key"
    r = CliRunner().invoke(cli_backup.app, ["keygen", "--out", str(key_file)])
    assert r.exit_code == 0, r.output
    monkeypatch.setenv(backups.KEY_FILE_ENV, str(key_file))
    dest = tmp_path / "backups"

    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(dest)])
    assert r.exit_code == 0, r.output
    files = list(dest.iterdir())
    assert len(files) == 1 and "backup written" in r.output and files[0].name in r.output.replace("\n", "")

    r = CliRunner().invoke(cli_backup.app, ["verify", str(files[0])])
    assert r.exit_code == 0 and "OK:" in r.output, r.output
    r = CliRunner().invoke(cli_backup.app, ["list", str(dest)])
    assert r.exit_code == 0 and files[0].name[:20] in r.output, r.output

    new = tmp_path / "restored"
    (new / "keys").mkdir(parents=True)
    for p in (database.settings.data_dir / "keys").rglob("*"):  # the escrowed keys
        if p.is_file():
            (new / "keys" / p.relative_to(database.settings.data_dir / "keys")).parent.mkdir(parents=True,
                                                                                          exist_ok=True)
            (new / "keys" / p.relative_to(database.settings.data_dir / "keys")).write_bytes(p.read_bytes())
    r = CliRunner().invoke(cli_backup.app, ["restore", str(files[0]), "--data-dir", str(new)])
    assert r.exit_code == 0, r.output
    assert "audit trail verifies" in r.output
    restored = sqlite_db(new)
    try:
        after = dump(restored)
        assert after["users"] == before["users"] and after["run_results"] == before["run_results"]
    finally:
        restored.dispose()

    # refusing to restore over the system just restored
    r = CliRunner().invoke(cli_backup.app, ["restore", str(files[0]), "--data-dir", str(new)])
    assert r.exit_code == 2 and "not empty" in r.output


@pytest.mark.req("KZ164-27")
def test_cli_failures_exit_non_zero_with_a_sentence(database, it_admin_cli, tmp_path: Path, monkeypatch) -> None:
    populate(database)
    monkeypatch.delenv(backups.KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(backups.KEY_ENV, raising=False)
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "b")])
    assert r.exit_code == 2 and "no backup key" in r.output

    monkeypatch.setenv(backups.KEY_ENV, KEY.hex())
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    path = next((tmp_path / "b").iterdir())
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0xFF
    path.write_bytes(bytes(raw))
    r = CliRunner().invoke(cli_backup.app, ["verify", str(path)])
    assert r.exit_code == 1 and "tampered" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli_backup.app, ["restore", str(path), "--data-dir", str(tmp_path / "n")])
    assert r.exit_code == 2 and "nothing was restored" in r.output
    assert not (tmp_path / "n").exists()

    monkeypatch.setattr(cli_backup, "_actor", lambda db: backups.Actor("eve", frozenset({"actuary"})))
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "c")])
    assert r.exit_code == 2 and "may not backup.manage" in r.output


@pytest.mark.req("KZ164-27")
def test_cli_schedule_and_run_scheduled(database, it_admin_cli, tmp_path: Path, monkeypatch) -> None:
    populate(database)
    r = CliRunner().invoke(cli_backup.app, ["schedule"])
    assert r.exit_code == 0 and "no backup schedule" in r.output
    r = CliRunner().invoke(cli_backup.app, ["schedule", "--every", "6h"])
    assert r.exit_code == 2 and "needs --every, --dest and --keep" in r.output
    r = CliRunner().invoke(cli_backup.app, ["schedule", "--every", "1x", "--dest", str(tmp_path), "--keep", "2"])
    assert r.exit_code == 2 and "not understood" in r.output
    r = CliRunner().invoke(cli_backup.app, ["schedule", "--every", "6h", "--dest", str(tmp_path / "s"),
                                            "--keep", "3"])
    assert r.exit_code == 0 and "every 6h" in r.output and "keeping 3" in r.output, r.output

    monkeypatch.delenv(backups.KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(backups.KEY_ENV, raising=False)
    r = CliRunner().invoke(cli_backup.app, ["run-scheduled"])
    assert r.exit_code == 2 and "no backup key" in r.output
    assert audit_rows(database, "backup.scheduled")[-1].outcome == "failure"
    monkeypatch.setenv(backups.KEY_ENV, KEY.hex())
    r = CliRunner().invoke(cli_backup.app, ["run-scheduled"])
    assert r.exit_code == 0 and r.output.startswith("created"), r.output
    r = CliRunner().invoke(cli_backup.app, ["run-scheduled"])
    assert r.exit_code == 0 and r.output.startswith("not_due"), r.output
    r = CliRunner().invoke(cli_backup.app, ["list"])
    assert r.exit_code == 0 and "aktuar-backup-" in r.output
    r = CliRunner().invoke(cli_backup.app, ["schedule", "--off"])
    assert r.exit_code == 0 and "OFF" in r.output


@pytest.mark.req("KZ164-27")
def test_cli_acts_as_the_logged_in_user(database, tmp_path: Path, monkeypatch) -> None:
    """Without a login the command line refuses (exit 2) and says how to log in."""
    for k, v in _env(database).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AKTUAR_SESSION_FILE", str(tmp_path / "no-session"))
    monkeypatch.delenv("AKTUAR_TOKEN", raising=False)
    monkeypatch.setenv(backups.KEY_ENV, KEY.hex())
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "b")])
    assert r.exit_code == 2 and "log in" in r.output
    assert not (tmp_path / "b").exists()


@pytest.mark.req("SECP-DATA")
def test_sessions_folder_is_never_backed_up(tmp_path: Path) -> None:
    """The command line's saved session tokens (in the data directory) are credentials: not in a backup."""
    db = sqlite_db(tmp_path / "source")
    try:
        populate(db)
        token = b"akt_session_0123456789abcdef0123456789abcdef"
        (db.settings.data_dir / "sessions").mkdir()
        (db.settings.data_dir / "sessions" / "root").write_bytes(token)
        info = backups.create_backup(db, IT_ADMIN, tmp_path / "b", KEY, T0)
        from backups_support import decrypted

        content, manifest = decrypted(info.path, KEY)
        assert token not in content
        assert not any(x["name"].startswith("files/sessions") for x in manifest["members"])
    finally:
        db.dispose()


@pytest.mark.req("KZ164-27")
@pytest.mark.req("KZ164-22")
def test_cli_with_a_real_login(database, tmp_path: Path, monkeypatch) -> None:
    """An IT administrator logged in with password and one-time code (``aktuar users login``'s session file) makes
    a backup; the audit record names them. An actuary's session is refused."""
    from datetime import UTC, datetime

    from argon2 import PasswordHasher, Type

    from aktuar.security import mfa, passwords
    from aktuar.services import accounts

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)  # same code, small cost
    monkeypatch.setattr(passwords, "HASHER", fast)
    monkeypatch.setattr(mfa, "RECOVERY_HASHER", fast)
    monkeypatch.delenv("AKTUAR_TOKEN", raising=False)
    monkeypatch.delenv("AKTUAR_SECRETS_KEY_FILE", raising=False)
    now = datetime.now(UTC)

    def enrolled_login(username: str, pw: str) -> accounts.LoginResult:
        e = accounts.begin_mfa_enrollment(database, username, pw, source="test", now=now)
        accounts.confirm_mfa_enrollment(database, username, pw, mfa.code_at(e.secret, now), source="test", now=now)
        at = now + timedelta(seconds=30)
        return accounts.login(database, username, pw, mfa.code_at(e.secret, at), "test", at)

    accounts.bootstrap(database, "sec.officer", "Aigul Officer", "granite river lantern okapi", now)
    officer = enrolled_login("sec.officer", "granite river lantern okapi")
    for name, role, pw in (("it.admin", "it_admin", "violet harbor sprocket 41"),
                           ("an.actuary", "actuary", "amber canyon whistle 93")):
        accounts.create_user(database, officer.actor, name, "Ivan Sample", pw, [role], now=now)
    admin = enrolled_login("it.admin", "violet harbor sprocket 41")
    actuary = enrolled_login("an.actuary", "amber canyon whistle 93")

    for k, v in _env(database).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv(backups.KEY_ENV, KEY.hex())
    session_file = tmp_path / "session"
    monkeypatch.setenv("AKTUAR_SESSION_FILE", str(session_file))

    accounts.save_session_token(session_file, actuary.session_token)
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "b")])
    assert r.exit_code == 2 and "may not backup.manage" in r.output
    assert audit_rows(database, "backup.create")[-1].actor == "an.actuary"

    accounts.save_session_token(session_file, admin.session_token)
    r = CliRunner().invoke(cli_backup.app, ["create", "--dest", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    event = audit_rows(database, "backup.create")[-1]
    assert (event.actor, event.outcome) == ("it.admin", "success")
