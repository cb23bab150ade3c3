"""``aktuar users …`` on the command line: bootstrap, two-factor set-up, login to a 0600 session file, admin
commands, exit codes, ``cli_actor`` for the other command modules."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from accounts_fixtures import cli_env, events, fast_hashing  # noqa: F401 - autouse fixture
from rich.console import Console
from typer.testing import CliRunner

from aktuar import cli_users
from aktuar.security import mfa
from aktuar.services import accounts

SECRET_A = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_B = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
PW_A = "granite river lantern okapi"
PW_B = "violet harbor sprocket"


def _next_code(secret: str) -> str:
    """A code the server accepts once the enrollment's own step is used: the next step's (±1 window)."""
    return mfa.code_for_step(secret, mfa.step_at(datetime.now(UTC)) + 1)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Tables printed in full, whatever terminal width the test runner reports."""
    monkeypatch.setattr(cli_users, "out", Console(width=200))


def _run(env, args, input=None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_users.app, args, input=input, env=env)


def _enroll(env, monkeypatch, username, password, secret):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mfa, "new_secret", lambda: secret)
    code = mfa.code_at(secret, datetime.now(UTC))
    r = _run(env, ["mfa-enroll", "--username", username], input=f"{password}\n\n{code}\n")
    assert r.exit_code == 0, r.output
    assert "Recovery codes" in r.output and secret in r.output
    return r


@pytest.mark.req("KZ164-23")
@pytest.mark.req("KZ164-65")
def test_cli_bootstrap_enroll_login_admin_logout(database, monkeypatch) -> None:
    env = cli_env(database)
    r = _run(env, ["whoami"])
    assert r.exit_code == 2 and "log in first: aktuar users login" in r.output

    r = _run(env, ["bootstrap", "--username", "a.officer", "--full-name", "Aigul Officer"], input=f"{PW_A}\n{PW_A}\n")
    assert r.exit_code == 0, r.output
    r = _run(env, ["login", "--username", "a.officer"], input=f"{PW_A}\n123456\n")
    assert r.exit_code == 2 and "mfa-enroll" in r.output
    _enroll(env, monkeypatch, "a.officer", PW_A, SECRET_A)

    r = _run(env, ["login", "--username", "a.officer"], input=f"wrong password here\n{_next_code(SECRET_A)}\n")
    assert r.exit_code == 2 and "login failed" in r.output
    r = _run(env, ["login", "--username", "a.officer"], input=f"{PW_A}\n{_next_code(SECRET_A)}\n")
    assert r.exit_code == 0, r.output
    assert PW_A not in r.output
    session = Path(env["AKTUAR_DATA_DIR"]) / "sessions" / accounts.session_file(Path("/x")).name
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert stat.S_IMODE(session.parent.stat().st_mode) == 0o700
    r = _run(env, ["whoami"])
    assert r.exit_code == 0 and "a.officer" in r.output and "is_officer" in r.output

    r = _run(env, ["add", "b.user", "--full-name", "Bolat User", "--role", "actuary"], input=f"{PW_B}\n{PW_B}\n")
    assert r.exit_code == 0, r.output
    r = _run(env, ["add", "c.weak", "--full-name", "Chingiz Weak"], input="qwerty123456\nqwerty123456\n")
    assert r.exit_code == 2 and "common" in r.output
    r = _run(env, ["grant", "b.user", "risk_manager"])
    assert r.exit_code == 0 and "risk_manager" in r.output
    r = _run(env, ["grant", "b.user", "internal_auditor"])
    assert r.exit_code == 2 and "cannot be combined" in r.output
    r = _run(env, ["list"])
    assert r.exit_code == 0 and "b.user" in r.output and "Bolat User" in r.output
    r = _run(env, ["disable", "b.user", "--reason", "on leave"])
    assert r.exit_code == 0
    r = _run(env, ["enable", "b.user"])
    assert r.exit_code == 0
    r = _run(env, ["unlock", "b.user"])
    assert r.exit_code == 0
    r = _run(env, ["expiry", "b.user", "--on", "2099-12-31"])
    assert r.exit_code == 0 and "2099-12-31" in r.output
    r = _run(env, ["policy"])
    assert r.exit_code == 0 and "accounts.lockout_threshold = 5" in r.output
    r = _run(env, ["policy", "accounts.password_min_length", "14"])
    assert r.exit_code == 0 and "accounts.password_min_length = 14" in r.output

    r = _run(env, ["logout"])
    assert r.exit_code == 0 and "logged out" in r.output and not session.exists()
    r = _run(env, ["list"])
    assert r.exit_code == 2 and "log in first" in r.output
    actions = {e.action for e in events(database)}
    assert {"user.bootstrap", "mfa.enroll", "login", "user.create", "role.grant", "user.disable", "user.enable",
            "user.unlock", "user.expiry", "setting.change", "logout"} <= actions


@pytest.mark.req("KZ164-25")
def test_cli_service_accounts_and_token_login(database, monkeypatch, tmp_path) -> None:
    env = cli_env(database)
    env_it = {**env, "AKTUAR_SESSION_FILE": str(tmp_path / "it-session")}
    _run(env, ["bootstrap", "--username", "a.officer", "--full-name", "Aigul Officer"], input=f"{PW_A}\n{PW_A}\n")
    _enroll(env, monkeypatch, "a.officer", PW_A, SECRET_A)
    assert _run(env, ["login", "--username", "a.officer"], input=f"{PW_A}\n{_next_code(SECRET_A)}\n").exit_code == 0
    assert _run(env, ["add", "i.admin", "--full-name", "Ilyas Admin", "--role", "it_admin"],
                input=f"{PW_B}\n{PW_B}\n").exit_code == 0
    _enroll(env, monkeypatch, "i.admin", PW_B, SECRET_B)
    r = _run(env_it, ["login", "--username", "i.admin"], input=f"{PW_B}\n{_next_code(SECRET_B)}\n")
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE((tmp_path / "it-session").stat().st_mode) == 0o600

    r = _run(env_it, ["service-account", "request", "--system", "Reporting portal", "--name", "report-reader",
                      "--purpose", "dashboard", "--responsible", "a.officer", "--role", "risk_manager"])
    assert r.exit_code == 0 and "#1" in r.output, r.output
    r = _run(env_it, ["service-account", "token", "1", "--scope", "run.read"])
    assert r.exit_code == 2 and "approvals" in r.output
    assert _run(env_it, ["service-account", "approve", "1"]).exit_code == 0
    r = _run(env, ["service-account", "approve", "1"])
    assert r.exit_code == 0 and "active" in r.output
    r = _run(env_it, ["service-account", "token", "1", "--scope", "run.read", "--days", "30"])
    assert r.exit_code == 0, r.output
    token = next(line.strip() for line in r.output.splitlines() if line.strip().startswith("akt_"))
    r = _run({**env, "AKTUAR_TOKEN": token}, ["whoami"])
    assert r.exit_code == 0 and "svc:Reporting portal/report-reader" in r.output and "run.read" in r.output
    r = _run({**env, "AKTUAR_TOKEN": token}, ["list"])
    assert r.exit_code == 2 and "may not account.read" in r.output
    r = _run(env, ["service-account", "list"])
    assert r.exit_code == 0 and "report-reader" in r.output
    r = _run(env_it, ["service-account", "revoke", token.split("_")[1]])
    assert r.exit_code == 0
    r = _run({**env, "AKTUAR_TOKEN": token}, ["whoami"])
    assert r.exit_code == 2 and "API token is not valid" in r.output


def test_cli_actor_for_other_command_modules(database, monkeypatch) -> None:
    env = cli_env(database)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(accounts.NotLoggedIn, match="log in first: aktuar users login"):
        accounts.cli_actor(database)
    with pytest.raises(typer.Exit) as exc:
        cli_users.cli_actor(database)
    assert exc.value.exit_code == 2
    monkeypatch.setenv("AKTUAR_TOKEN", "akt_0123456789ab_forged")
    with pytest.raises(accounts.TokenInvalid):
        accounts.cli_actor(database)


def test_session_file_readable_by_others_is_refused(database, monkeypatch, tmp_path) -> None:
    f = tmp_path / "session"
    accounts.save_session_token(f, "aks_x")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    f.chmod(0o644)
    monkeypatch.setenv("AKTUAR_SESSION_FILE", str(f))
    with pytest.raises(accounts.NotLoggedIn, match="readable by other users"):
        accounts.cli_actor(database)
