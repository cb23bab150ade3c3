"""``aktuar users``: personal accounts, login with two factors, roles, lockout, technological accounts.

Thin: parse, call ``aktuar.services.accounts``, print. Other command modules get the logged-in person with
``cli_actor(db)`` (exit code 2 and "log in first: aktuar users login" when there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from aktuar.cli_common import fail as _fail
from aktuar.cli_common import open_database as _database
from aktuar.errors import AktuarError, InputError
from aktuar.security.context import SYSTEM, Actor, cli_source
from aktuar.services import accounts
from aktuar.store.db import Database

T = TypeVar("T")

app = typer.Typer(help="Accounts: login (password + one-time code), users, roles, lockout, technological accounts.",
                  no_args_is_help=True, add_completion=False)
service_app = typer.Typer(help="Technological (service) accounts and their API tokens (KZ164-25).",
                          no_args_is_help=True, add_completion=False)
app.add_typer(service_app, name="service-account")

out = Console()
err = Console(stderr=True)


def cli_actor(db: Database) -> Actor:
    """The logged-in person (session file) or API token (``AKTUAR_TOKEN``); prints the reason and exits with
    code 2 when there is none ("log in first: aktuar users login")."""
    try:
        return accounts.cli_actor(db)
    except AktuarError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail raises typer.Exit


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option} {value!r}: give a date as YYYY-MM-DD") from None
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _when(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _prompt_secret(label: str, confirm: bool = False) -> str:
    value: str = typer.prompt(label, hide_input=True, confirmation_prompt=confirm)
    return value


def _prompt_code(label: str = "One-time code from the authenticator app (or a recovery code)") -> str:
    value: str = typer.prompt(label, default="", show_default=False)
    return value.strip()


def _as_actor(db: Database, fn: Callable[[Actor], T]) -> T:
    return fn(cli_actor(db))


# ------------------------------------------------------------------------------------------------ login
@app.command()
def bootstrap(
    username: Annotated[str, typer.Option(help="User name of the first information security officer.")],
    full_name: Annotated[str, typer.Option("--full-name", help="The person's full name.")],
) -> None:
    """Create the first account (an information security officer) of an empty installation."""
    password = _prompt_secret("Password (at least 12 characters; a passphrase of several words)", confirm=True)
    with _database() as db:
        info = accounts.bootstrap(db, username, full_name, password, source=cli_source())
    out.print(f"created {info.username} ({info.full_name}) as is_officer. Next: set up the authenticator app with "
              "'aktuar users mfa-enroll', then 'aktuar users login'.")


@app.command()
def login(
    username: Annotated[str | None, typer.Option(help="Your user name (asked when not given).")] = None,
) -> None:
    """Log in with your password and the one-time code of your authenticator app (or a recovery code)."""
    name = username or typer.prompt("User name")
    password = _prompt_secret("Password")
    code = _prompt_code()
    with _database() as db:
        try:
            res = accounts.login(db, name, password, code, cli_source())
        except accounts.MfaEnrollmentRequired as exc:
            _fail(str(exc))
        path = accounts.session_file(db.settings.data_dir)
        accounts.save_session_token(path, res.session_token)
    out.print(f"logged in as {res.actor.username} ({', '.join(sorted(res.actor.roles)) or 'no roles'}) until "
              f"{_when(res.expires_at)}")
    if res.method == "recovery_code":
        err.print(f"[yellow]a recovery code was used; {res.recovery_codes_left} left.[/] Set up the authenticator "
                  "again with 'aktuar users mfa-enroll' or make new codes with 'aktuar users recovery-codes'.")
    if res.must_change_password:
        err.print("[yellow]your password was set by an administrator: change it now with 'aktuar users passwd'[/]")


@app.command()
def logout() -> None:
    """End this command line's session."""
    with _database() as db:
        path = accounts.session_file(db.settings.data_dir)
        token = accounts.read_session_token(path) if path.exists() else None
        ended = accounts.logout(db, token) if token else False
        path.unlink(missing_ok=True)
    out.print("logged out" if ended else "no active session")


@app.command()
def whoami() -> None:
    """Show who this command line acts as."""
    with _database() as db:
        actor = cli_actor(db)
        if actor.user_id is not None:
            info = accounts.my_account(db, actor)
            out.print(f"{info.username} — {info.full_name}; roles: {', '.join(info.roles) or 'none'}; "
                      f"two-factor: {'on' if info.mfa_enabled else 'off'}; via {actor.via}")
        else:
            scopes = ", ".join(sorted(actor.scopes or ())) or "none"
            out.print(f"{actor.username}; roles: {', '.join(sorted(actor.roles))}; scopes: {scopes}; via {actor.via}")


@app.command()
def passwd() -> None:
    """Change your password (asks for your current password and one-time code)."""
    with _database() as db:
        actor = cli_actor(db)
        current = _prompt_secret("Current password")
        code = _prompt_code()
        new = _prompt_secret("New password (at least 12 characters; a passphrase of several words)", confirm=True)
        path = accounts.session_file(db.settings.data_dir)
        accounts.change_password(db, actor, current, code, new, keep_session=accounts.read_session_token(path))
    out.print("password changed; your other sessions have ended")


@app.command("mfa-enroll")
def mfa_enroll(
    username: Annotated[str | None, typer.Option(help="Your user name (default: the logged-in user).")] = None,
) -> None:
    """Set up (or replace) your authenticator app; prints 10 recovery codes, shown once."""
    with _database() as db:
        name = username
        if name is None:
            try:
                name = accounts.cli_actor(db).username
            except AktuarError:
                name = typer.prompt("User name")
        password = _prompt_secret("Password")
        current = _prompt_code("Current one-time code (leave empty when setting up for the first time)")
        enrollment = accounts.begin_mfa_enrollment(db, name, password, current or None, source=cli_source())
        out.print("Add this account to your authenticator app (scan the link as a QR code, or type the key):")
        out.print(f"  key:  {enrollment.secret}", markup=False)
        out.print(f"  link: {enrollment.uri}", markup=False, soft_wrap=True)
        code = _prompt_code("Code the app shows now")
        codes = accounts.confirm_mfa_enrollment(db, name, password, code, source=cli_source())
    out.print("two-factor authentication is on. Recovery codes (each works once; keep them offline, they are not "
              "shown again):")
    for c in codes:
        out.print(f"  {c}", markup=False)


@app.command("recovery-codes")
def recovery_codes() -> None:
    """Replace your recovery codes (asks for your password and one-time code); shown once."""
    with _database() as db:
        actor = cli_actor(db)
        password = _prompt_secret("Password")
        code = _prompt_code()
        codes = accounts.new_recovery_codes(db, actor, password, code)
    out.print("new recovery codes (the old ones no longer work):")
    for c in codes:
        out.print(f"  {c}", markup=False)


# ------------------------------------------------------------------------------------------ administration
@app.command()
def add(
    username: Annotated[str, typer.Argument(help="User name (e.g. a.ivanova).")],
    full_name: Annotated[str, typer.Option("--full-name", help="The person's full name.")],
    role: Annotated[list[str] | None, typer.Option("--role", help="Role (repeat for several).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail.")] = None,
    position: Annotated[str | None, typer.Option(help="Position in the company.")] = None,
    expires: Annotated[str | None, typer.Option(help="Account expiry date (YYYY-MM-DD, 00:00 UTC).")] = None,
) -> None:
    """Create a personal account (information security officer)."""
    with _database() as db:
        actor = cli_actor(db)
        password = _prompt_secret("Initial password (give it to the person; they change it at first login)",
                                  confirm=True)
        info = accounts.create_user(db, actor, username, full_name, password, role or [], email=email,
                                    position=position, expires_at=_date(expires, "--expires"))
    out.print(f"created {info.username} ({info.full_name}); roles: {', '.join(info.roles) or 'none'}. They set "
              "up two-factor login with 'aktuar users mfa-enroll'.")


@app.command("list")
def list_() -> None:
    """List the accounts."""
    with _database() as db:
        users = _as_actor(db, lambda a: accounts.list_users(db, a))
    table = Table(title="accounts")
    for col in ("user", "full name", "roles", "status", "2FA", "last login", "locked until", "expires"):
        table.add_column(col, overflow="fold")
    for u in users:
        status = u.status + (f" ({u.disabled_reason})" if u.disabled_reason else "")
        table.add_row(u.username, u.full_name, ", ".join(u.roles), status, "on" if u.mfa_enabled else "off",
                      _when(u.last_login_at), _when(u.locked_until), _when(u.expires_at))
    out.print(table)


@app.command()
def grant(username: str, role: str) -> None:
    """Grant a role to an account."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.grant_role(db, a, username, role))
    out.print(f"{info.username}: roles {', '.join(info.roles)}")


@app.command()
def revoke(username: str, role: str) -> None:
    """Revoke a role from an account."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.revoke_role(db, a, username, role))
    out.print(f"{info.username}: roles {', '.join(info.roles) or 'none'}")


@app.command()
def disable(username: str, reason: Annotated[str, typer.Option(help="Why (e.g. 'left the company').")]) -> None:
    """Disable (block) an account and end its sessions."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.disable_user(db, a, username, reason))
    out.print(f"{info.username} disabled")


@app.command()
def enable(username: str) -> None:
    """Enable a disabled account."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.enable_user(db, a, username))
    out.print(f"{info.username} enabled")


@app.command()
def unlock(username: str) -> None:
    """Lift the lockout of an account after failed logins."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.unlock_user(db, a, username))
    out.print(f"{info.username} unlocked")


@app.command()
def expiry(
    username: str,
    on: Annotated[str | None, typer.Option(help="Expiry date YYYY-MM-DD (00:00 UTC).")] = None,
    never: Annotated[bool, typer.Option("--never", help="Remove the expiry.")] = False,
) -> None:
    """Set or remove the date on which an account stops working."""
    if (on is None) == (not never):
        _fail("give either --on YYYY-MM-DD or --never")
    with _database() as db:
        when = None if never else _date(on, "--on")
        info = _as_actor(db, lambda a: accounts.set_expiry(db, a, username, when))
    out.print(f"{info.username} expires: {_when(info.expires_at) or 'never'}")


@app.command("mfa-reset")
def mfa_reset(username: str) -> None:
    """Remove a person's second factor (lost phone); asks for YOUR password and one-time code."""
    with _database() as db:
        actor = cli_actor(db)
        password = _prompt_secret("Your password")
        code = _prompt_code("Your one-time code")
        info = accounts.reset_mfa(db, actor, username, password=password, otp=code)
    out.print(f"{info.username}: second factor removed and sessions ended; they set up a new one with "
              "'aktuar users mfa-enroll'")


@app.command("disable-inactive")
def disable_inactive() -> None:
    """Disable accounts without a login for longer than the inactivity period (run daily; acts as system)."""
    with _database() as db:
        done = accounts.disable_inactive(db, replace(SYSTEM, source=cli_source()))
    out.print(f"disabled {len(done)} inactive account(s)" + (f": {', '.join(done)}" if done else ""))


@app.command()
def policy(
    key: Annotated[str | None, typer.Argument(help="Setting to change (e.g. accounts.lockout_threshold).")] = None,
    value: Annotated[int | None, typer.Argument(help="New value.")] = None,
) -> None:
    """Show the account policy, or change one setting (information security officer)."""
    with _database() as db:
        if key is not None:
            if value is None:
                _fail(f"give the new value of {key}")
            new_value = int(value or 0)
            pol = _as_actor(db, lambda a: accounts.set_policy(db, a, key, new_value))
        else:
            pol = accounts.get_policy(db)
    for k, (field, lo, hi, meaning) in accounts.POLICY_SETTINGS.items():
        out.print(f"{k} = {getattr(pol, field)}  ({meaning}; {lo}–{hi})", markup=False)


# ------------------------------------------------------------------------------------ technological accounts
@service_app.command("request")
def sa_request(
    system: Annotated[str, typer.Option(help="Information system the account is used in.")],
    name: Annotated[str, typer.Option(help="Account name (e.g. backup-robot).")],
    purpose: Annotated[str, typer.Option(help="What it is used for.")],
    responsible: Annotated[str, typer.Option(help="User name of the personally responsible person.")],
    role: Annotated[list[str], typer.Option("--role", help="Role (repeat for several).")],
) -> None:
    """Register a technological account (IT or IS); it needs the approvals of the heads of IT and IS."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.request_service_account(db, a, system, name, purpose, responsible,
                                                                        role))
    out.print(f"#{info.id} {info.system}/{info.name} registered, pending approval by the head of IT and the head "
              "of information security")


@service_app.command("approve")
def sa_approve(service_account_id: int) -> None:
    """Approve a technological account (as head of IT or head of IS)."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.approve_service_account(db, a, service_account_id))
    out.print(f"#{info.id} {info.system}/{info.name}: {info.status} (IT: {info.approved_by_it or '—'}, "
              f"IS: {info.approved_by_is or '—'})")


@service_app.command("token")
def sa_token(
    service_account_id: int,
    scope: Annotated[list[str], typer.Option("--scope", help="Permission (repeat for several), e.g. run.read.")],
    days: Annotated[int, typer.Option(help="Validity in days.")] = 90,
) -> None:
    """Issue an API token for an active technological account; it is shown once."""
    with _database() as db:
        tok = _as_actor(db, lambda a: accounts.issue_token(db, a, service_account_id, scope, days))
    out.print(f"token (shown once; give it to the system through AKTUAR_TOKEN, valid until {_when(tok.expires_at)}):")
    out.print(tok.token, markup=False, soft_wrap=True)


@service_app.command("revoke")
def sa_revoke(prefix: Annotated[str, typer.Argument(help="The token's prefix (or the token).")]) -> None:
    """Revoke an API token."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.revoke_token(db, a, prefix))
    out.print(f"token {info.prefix} revoked")


@service_app.command("disable")
def sa_disable(service_account_id: int, reason: Annotated[str, typer.Option(help="Why.")]) -> None:
    """Disable a technological account and revoke its tokens."""
    with _database() as db:
        info = _as_actor(db, lambda a: accounts.disable_service_account(db, a, service_account_id, reason))
    out.print(f"#{info.id} {info.system}/{info.name} disabled")


@service_app.command("list")
def sa_list() -> None:
    """The register of technological accounts and their tokens."""
    with _database() as db:
        rows = _as_actor(db, lambda a: accounts.list_service_accounts(db, a))
        tokens = _as_actor(db, lambda a: accounts.list_tokens(db, a))
    table = Table(title="technological accounts")
    for col in ("id", "system/name", "responsible", "roles", "IT approval", "IS approval", "status", "tokens"):
        table.add_column(col, overflow="fold")
    for r in rows:
        live = [t.prefix for t in tokens if t.service_account_id == r.id and t.revoked_at is None]
        table.add_row(str(r.id), f"{r.system}/{r.name}", r.responsible, ", ".join(r.roles), r.approved_by_it or "",
                      r.approved_by_is or "", r.status, ", ".join(live))
    out.print(table)
