"""Accounts and access (KZ164-06, -22, -23, -24, -25, -26, -65).

- Personalized accounts only (KZ164-24): a user name per person (case-folded, no generic names such as
  ``admin``), the person's full name, roles from ``rbac.ROLES`` whose combinations ``rbac.role_conflicts``
  allows (IT administration and information security never on one account, KZ164-06).
- Every operation checks its permission here, in the service layer (KZ164-22), and is audited: logins and
  sessions as ``auth``, account and role changes as ``account``, policy changes as ``system_config``; refused
  attempts are audited in a transaction of their own (KZ164-30).
- Login (KZ164-23, KZ164-65): password (argon2id) and a second factor (TOTP or a one-time recovery code). Unknown
  user, wrong password, wrong code, locked, disabled, expired: one message and the same argon2 work, so an
  attacker cannot tell which (no account enumeration). After ``lockout_threshold`` failures an account is locked
  for ``lockout_minutes`` (KZ164-26); the check-and-count runs under a row lock (``SELECT … FOR UPDATE`` on
  PostgreSQL; the database write lock on SQLite), so concurrent guesses cannot exceed the threshold. Accounts
  expire (``expires_at``) and are disabled after ``inactive_days`` without a login.
- Sessions: a random token (256 bits) of which only the SHA-256 is stored, with an absolute lifetime and an idle
  timeout. API tokens of technological accounts (KZ164-25): random (256 bits), shown once, stored as SHA-256 (a
  fast hash is enough for a high-entropy secret: it cannot be guessed, only stolen), scoped to permissions,
  expiring and revocable; a technological account works only after the head of IT (``it_admin``) and the head
  of information security (``is_officer``) — two different people — have approved it.
- Changing one's password or second factor requires re-authentication (password and current second factor).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.security import audit, mfa, passwords, rbac
from aktuar.security.context import SYSTEM, Actor, cli_source
from aktuar.security.rbac import PermissionDenied
from aktuar.store.db import Database
from aktuar.store.models import (
    ApiToken,
    RecoveryCode,
    ServiceAccount,
    Setting,
    User,
    UserRole,
    UserSession,
)

T = TypeVar("T")

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
RESERVED_USERNAMES = frozenset({
    "admin", "administrator", "root", "system", "test", "guest", "user", "users", "shared", "operator", "service",
    "support", "demo", "aktuar", "postgres", "sa", "superuser", "unknown", "anonymous", "nobody", "it", "is",
})
# Powers that an API token never carries: administering identities and access stays interactive and two-factor.
FORBIDDEN_TOKEN_SCOPES = frozenset({
    "account.manage", "security.configure", "audit.configure", "service_account.request",
    "service_account.approve_it", "service_account.approve_is", "service_account.token", "service_account.revoke",
})
# Roles a technological account may not hold: no robot administers accounts, roles or the audit trail.
FORBIDDEN_SERVICE_ROLES = frozenset({"is_officer"})
SESSION_PREFIX = "aks_"
TOKEN_PREFIX = "akt_"


# ------------------------------------------------------------------------------------------------- errors
class AuthenticationFailed(AktuarError):
    """Login or re-authentication failed (one message for every reason; the audit trail has the reason)."""


class MfaEnrollmentRequired(AuthenticationFailed):
    """The password was right but the account has no second factor yet."""


class SessionInvalid(AktuarError):
    """A session token is unknown, ended, expired or idle too long, or its account can no longer log in."""


class TokenInvalid(AktuarError):
    """An API token is malformed, unknown, revoked or expired, or its technological account is not active."""


# ------------------------------------------------------------------------------------------------- policy
@dataclass(frozen=True)
class Policy:
    """Account security parameters (settings ``accounts.*``; changes audited as system parameters)."""

    password_min_length: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    inactive_days: int = 90
    session_hours: int = 8
    session_idle_minutes: int = 30
    token_max_days: int = 365


# setting key -> (Policy field, smallest allowed, largest allowed, meaning)
POLICY_SETTINGS: dict[str, tuple[str, int, int, str]] = {
    "accounts.password_min_length": ("password_min_length", 8, 64, "minimum password length (characters)"),
    "accounts.lockout_threshold": ("lockout_threshold", 3, 20, "failed logins before an account is locked"),
    "accounts.lockout_minutes": ("lockout_minutes", 1, 1440, "how long a locked account stays locked (minutes)"),
    "accounts.inactive_days": ("inactive_days", 1, 3650, "days without a login before an account is disabled"),
    "accounts.session_hours": ("session_hours", 1, 24, "absolute lifetime of a login session (hours)"),
    "accounts.session_idle_minutes": ("session_idle_minutes", 5, 480, "idle timeout of a login session (minutes)"),
    "accounts.token_max_days": ("token_max_days", 1, 730, "longest validity of an API token (days)"),
}


def policy(s: Session) -> Policy:
    """The account policy in force (defaults overridden by stored settings)."""
    rows = s.execute(select(Setting.key, Setting.value).where(Setting.key.in_(list(POLICY_SETTINGS)))).all()
    values: dict[str, int] = {}
    for key, value in rows:
        field, lo, hi, _ = POLICY_SETTINGS[key]
        try:
            v = int(json.loads(value))
        except (TypeError, ValueError):
            continue
        values[field] = min(max(v, lo), hi)
    return Policy(**values)


def get_policy(db: Database) -> Policy:
    with db.session() as s:
        return policy(s)


def set_policy(db: Database, actor: Actor, key: str, value: int, *, now: datetime | None = None) -> Policy:
    """Change one account-policy setting (``security.configure``); audited as a system-parameter change."""
    now = _now(now)
    if key not in POLICY_SETTINGS:
        err = InputError(f"unknown account setting '{key}': settings are {', '.join(POLICY_SETTINGS)}")
        _audit_refusal(db, actor, "system_config", "setting.change", key, err)
        raise err
    field, lo, hi, meaning = POLICY_SETTINGS[key]

    def work(s: Session) -> tuple[Policy, dict[str, Any]]:
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise InputError(f"{key} ({meaning}) must be a whole number from {lo} to {hi}, not {value!r}")
        before = getattr(policy(s), field)
        row = s.get(Setting, key)
        if row is None:
            s.add(Setting(key=key, value=json.dumps(value), changed_by=actor.username, changed_at=now))
        else:
            row.value, row.changed_by, row.changed_at = json.dumps(value), actor.username, now
        s.flush()
        return policy(s), {"from": before, "to": value}

    return _admin_op(db, actor, "security.configure", "system_config", "setting.change", key, work)


# ---------------------------------------------------------------------------------------------- data views
@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    full_name: str
    roles: tuple[str, ...]
    status: str
    email: str | None = None
    position: str | None = None
    disabled_reason: str | None = None
    locked_until: datetime | None = None
    failed_logins: int = 0
    last_login_at: datetime | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    mfa_enabled: bool = False
    must_change_password: bool = False


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    session_token: str
    expires_at: datetime
    method: str  # totp | recovery_code
    must_change_password: bool = False
    recovery_codes_left: int | None = None


@dataclass(frozen=True)
class MfaEnrollment:
    """A pending second factor: show ``secret`` / ``uri`` (QR code) once, then confirm with a code."""

    secret: str
    uri: str


@dataclass(frozen=True)
class ServiceAccountInfo:
    id: int
    system: str
    name: str
    purpose: str
    responsible: str
    requested_by: str | None
    approved_by_it: str | None
    approved_by_is: str | None
    approved_at: datetime | None
    status: str
    roles: tuple[str, ...]
    created_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """An API token: ``token`` is shown once and never stored (only its SHA-256)."""

    token: str
    prefix: str
    service_account_id: int
    scopes: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    prefix: str
    service_account_id: int | None
    scopes: tuple[str, ...]
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


# ------------------------------------------------------------------------------------------------- helpers
def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return audit.utc(now)


def _u(at: datetime | None) -> datetime | None:
    return None if at is None else audit.utc(at)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _printable(value: str | None, limit: int = 64) -> str:
    """A user-supplied name made safe for the audit trail: control characters removed, truncated."""
    return "".join(c for c in str(value or "") if unicodedata.category(c)[0] != "C")[:limit]


def normalize_username(username: str) -> str:
    """The stored form of a user name (NFKC, case-folded, trimmed); ``InputError`` when it is not allowed."""
    u = unicodedata.normalize("NFKC", str(username or "")).strip().casefold()
    if not USERNAME_RE.match(u):
        raise InputError(f"user name '{_printable(username)}' is not allowed: use 2 to 64 characters: Latin letters, "
                         "digits, '.', '_' or '-', starting with a letter (e.g. 'a.ivanova')")
    if u in RESERVED_USERNAMES:
        raise InputError(f"user name '{u}' is a generic name: accounts are personal (KZ164-24), use the person's "
                         "own name (e.g. 'a.ivanova')")
    return u


def _login_name(username: str) -> str | None:
    try:
        return normalize_username(username)
    except InputError:
        return None


def normalize_full_name(full_name: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", str(full_name or "")).split())
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise InputError("the full name contains control characters: type the person's name as printed")
    if not 3 <= len(name) <= 200 or not any(c.isalpha() for c in name) or len(name.split(" ")) < 2:
        raise InputError("give the person's full name (surname and given name, 3 to 200 characters): accounts are "
                         "personal (KZ164-24)")
    return name


def _roles_of(user: User) -> frozenset[str]:
    return frozenset(r.role for r in user.roles)


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id, username=user.username, full_name=user.full_name, roles=tuple(sorted(_roles_of(user))),
        status=user.status, email=user.email, position=user.position, disabled_reason=user.disabled_reason,
        locked_until=_u(user.locked_until), failed_logins=user.failed_logins or 0,
        last_login_at=_u(user.last_login_at), expires_at=_u(user.expires_at), created_at=_u(user.created_at),
        mfa_enabled=bool(user.mfa_enabled), must_change_password=bool(user.must_change_password),
    )


def _audit_refusal(db: Database, actor: Actor, category: str, action: str, obj: str, exc: BaseException) -> None:
    """Record a refused operation in a transaction of its own (the operation itself was rolled back)."""
    if isinstance(exc, PermissionDenied):
        details: dict[str, Any] = {"reason": "permission denied", "permission": exc.permission}
    else:
        details = {"reason": "refused", "error": type(exc).__name__, "message": str(exc)[:500]}
    with db.session() as s2:
        audit.record(s2, actor, category, action, object=obj[:300], outcome="failure", details=details)


def _admin_op(
    db: Database,
    actor: Actor,
    permission: str,
    category: str,
    action: str,
    obj: str,
    work: Callable[[Session], tuple[T, dict[str, Any]]],
) -> T:
    """Check ``permission``, run ``work`` and audit it in one transaction; audit a refusal separately."""
    try:
        rbac.require(actor, permission)
        with db.session() as s:
            result, details = work(s)
            audit.record(s, actor, category, action, object=obj, details=details)
        return result
    except AktuarError as exc:
        _audit_refusal(db, actor, category, action, obj, exc)
        raise


def _user(s: Session, username: str, *, lock: bool = False) -> User:
    u = _login_name(username)
    user = None
    if u is not None:
        q = select(User).where(User.username == u)
        user = s.execute(q.with_for_update() if lock else q).scalar_one_or_none()
    if user is None:
        raise InputError(f"no account '{_printable(username)}': list the accounts with 'aktuar users list'")
    return user


def _not_self(actor: Actor, user: User, what: str) -> None:
    if actor.user_id is not None and actor.user_id == user.id:
        raise PermissionDenied(actor, f"{what} on their own account (ask another information security officer)")


def _lock_user_row(s: Session, username: str | None) -> User | None:
    """The account row, locked for this transaction: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
    database write lock is taken first (a no-op UPDATE), which serialises concurrent logins."""
    if username is None:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("UPDATE users SET failed_logins = failed_logins WHERE id = -1"))
        return None
    if s.get_bind().dialect.name == "sqlite":
        s.execute(update(User).where(User.username == username).values(failed_logins=User.failed_logins)
                  .execution_options(synchronize_session=False))
    return s.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()


def _active_is_officers(s: Session, excluding: int | None = None) -> int:
    q = (select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
         .where(UserRole.role == "is_officer", User.status == "active"))
    if excluding is not None:
        q = q.where(User.id != excluding)
    return int(s.execute(q).scalar_one())


def _end_sessions(s: Session, user_id: int, now: datetime, reason: str, keep_token: str | None = None) -> int:
    q = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token:
        q = q.where(UserSession.token_hash != _sha256(keep_token))
    res = s.execute(q.values(ended_at=now, end_reason=reason).execution_options(synchronize_session=False))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ authentication
def login_failed_message(pol: Policy) -> str:
    return (f"login failed: the user name, password or one-time code is wrong, or the account is locked, disabled "
            f"or expired. After {pol.lockout_threshold} failed attempts an account is locked for "
            f"{pol.lockout_minutes} minutes; an information security officer can unlock it.")


def reauth_failed_message(pol: Policy) -> str:
    return ("re-authentication failed: the password or one-time code is wrong, or the account is locked. After "
            f"{pol.lockout_threshold} failed attempts the account is locked for {pol.lockout_minutes} minutes.")


@dataclass
class _Check:
    ok: bool
    reason: str
    method: str | None = None
    step: int | None = None
    locked_now: bool = False
    recovery_left: int | None = None


def _reference_activity(user: User) -> datetime:
    times = [t for t in (_u(user.last_login_at), _u(user.created_at), _u(user.status_changed_at)) if t]
    return max(times)


def _may_disable_inactive(s: Session, user: User) -> bool:
    """Inactivity never disables the last active information security officer (nobody could administer
    accounts any more); every other account is disabled."""
    return "is_officer" not in _roles_of(user) or _active_is_officers(s, excluding=user.id) > 0


def _count_failure(user: User, now: datetime, pol: Policy) -> bool:
    """One more failed attempt; True when it locks the account."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= pol.lockout_threshold:
        user.locked_until = now + timedelta(minutes=pol.lockout_minutes)
        return True
    return False


def _second_factor(s: Session, db: Database, user: User, otp: str | None, now: datetime) -> _Check:
    code = (otp or "").strip()
    if mfa.looks_like_totp(code) and user.mfa_secret:
        secret = mfa.decrypt_secret(mfa.load_key(db.settings.data_dir), user.mfa_secret, user.id)
        step = mfa.verify_totp(secret, code, now, user.mfa_last_step)
        if step is not None:
            return _Check(True, "ok", method="totp", step=step)
        return _Check(False, "bad_otp")
    if mfa.looks_like_recovery_code(code):
        unused = [rc for rc in user.recovery_codes if rc.used_at is None]
        for rc in unused:
            if mfa.verify_recovery_code(rc.code_hash, code):
                rc.used_at = now
                return _Check(True, "ok", method="recovery_code", recovery_left=len(unused) - 1)
        return _Check(False, "bad_recovery_code")
    return _Check(False, "bad_otp")


def _authenticate(
    s: Session, db: Database, user: User | None, password: str | None, otp: str | None, now: datetime, pol: Policy,
    *, require_mfa: bool,
) -> _Check:
    """Password (+ second factor) against a row-locked account; counts failures and locks. The same argon2
    work is done whatever the outcome."""
    pw = password or ""
    if user is None:
        passwords.dummy_verify(pw)
        return _Check(False, "unknown_user")
    locked_until = _u(user.locked_until)
    if locked_until is not None and locked_until > now:
        passwords.verify_password(user.password_hash, pw)
        return _Check(False, "locked")
    if locked_until is not None:  # the lock has run out
        user.locked_until = None
        user.failed_logins = 0
    if user.status != "active":
        passwords.verify_password(user.password_hash, pw)
        return _Check(False, "disabled")
    expires_at = _u(user.expires_at)
    if expires_at is not None and now >= expires_at:
        passwords.verify_password(user.password_hash, pw)
        return _Check(False, "expired")
    if now - _reference_activity(user) > timedelta(days=pol.inactive_days) and _may_disable_inactive(s, user):
        passwords.verify_password(user.password_hash, pw)
        user.status, user.status_changed_at = "disabled", now
        user.disabled_reason = f"no login for more than {pol.inactive_days} days"
        audit.record(s, SYSTEM, "account", "user.disable", object=user.username,
                     details={"reason": "inactive", "inactive_days": pol.inactive_days})
        return _Check(False, "inactive")
    v = passwords.verify_password(user.password_hash, pw)
    if not v.ok:
        return _Check(False, "bad_password", locked_now=_count_failure(user, now, pol))
    if v.new_hash:
        user.password_hash = v.new_hash
    if require_mfa:
        if not user.mfa_enabled or not user.mfa_secret:
            return _Check(False, "mfa_not_enrolled")
        second = _second_factor(s, db, user, otp, now)
        if not second.ok:
            second.locked_now = _count_failure(user, now, pol)
            return second
        if second.step is not None:
            user.mfa_last_step = second.step
        user.failed_logins = 0
        return second
    user.failed_logins = 0
    return _Check(True, "ok", method="password")


def _attempt_actor(user: User | None, username: str, source: str, via: str) -> Actor:
    if user is None:
        return Actor(username=_printable(username) or "unknown", source=source, via=via)
    return Actor(username=user.username, roles=_roles_of(user), user_id=user.id, source=source, via=via)


def _audit_attempt(s: Session, actor: Actor, category: str, action: str, obj: str, check: _Check,
                   pol: Policy, extra: dict[str, Any] | None = None) -> None:
    details: dict[str, Any] = {"reason": check.reason, **(extra or {})}
    if check.ok:
        details = {"method": check.method, **(extra or {})}
    audit.record(s, actor, category, action, object=obj, outcome="success" if check.ok else "failure",
                 details=details)
    if check.locked_now:
        audit.record(s, actor, "auth", "account.locked", object=obj,
                     details={"failed_logins": pol.lockout_threshold, "minutes": pol.lockout_minutes})


def login(
    db: Database,
    username: str,
    password: str,
    otp: str | None,
    source: str,
    now: datetime | None = None,
    *,
    via: str = "cli",
) -> LoginResult:
    """Interactive login with password and second factor (TOTP code or recovery code); a new session.

    Raises ``AuthenticationFailed`` with one message whatever the reason (``MfaEnrollmentRequired`` only after
    a correct password for an account without a second factor). Every attempt is audited (category auth).
    """
    now = _now(now)
    name = _login_name(username)
    result: LoginResult | None = None
    with db.session() as s:
        pol = policy(s)
        user = _lock_user_row(s, name)
        check = _authenticate(s, db, user, password, otp, now, pol, require_mfa=True)
        actor = _attempt_actor(user, username, source, via)
        obj = user.username if user is not None else actor.username
        if check.ok and user is not None:
            user.last_login_at = now
            token = SESSION_PREFIX + secrets.token_urlsafe(32)
            expires = now + timedelta(hours=pol.session_hours)
            sess = UserSession(token_hash=_sha256(token), user_id=user.id, source=source[:200], created_at=now,
                               expires_at=expires, last_seen_at=now)
            s.add(sess)
            s.flush()
            _audit_attempt(s, actor, "auth", "login", obj, check, pol,
                           {"session": sess.id, **({"recovery_codes_left": check.recovery_left}
                                                   if check.recovery_left is not None else {})})
            result = LoginResult(actor=actor, session_token=token, expires_at=expires, method=check.method or "",
                                 must_change_password=bool(user.must_change_password),
                                 recovery_codes_left=check.recovery_left)
        else:
            _audit_attempt(s, actor, "auth", "login", obj, check, pol)
    if result is None:
        if check.reason == "mfa_not_enrolled":
            raise MfaEnrollmentRequired(
                "two-factor authentication is not set up for this account yet: set it up with "
                "'aktuar users mfa-enroll' (an authenticator app), then log in")
        raise AuthenticationFailed(login_failed_message(pol))
    return result


# -------------------------------------------------------------------------------------------------- sessions
def authenticate_session(db: Database, token: str, now: datetime | None = None, *,
                         source: str | None = None, via: str = "cli") -> Actor:
    """The actor of a live session (and it stays alive: last seen now). ``SessionInvalid`` when the token is
    unknown, ended, past its lifetime or idle timeout, or the account can no longer log in (audited)."""
    now = _now(now)
    reason: str | None = None
    actor: Actor | None = None
    with db.session() as s:
        pol = policy(s)
        sess = s.execute(select(UserSession).where(UserSession.token_hash == _sha256(token or ""))).scalar_one_or_none()
        if sess is None:
            reason = "unknown"
        else:
            user = s.get(User, sess.user_id)
            if sess.ended_at is not None:
                reason = "ended"
            elif now >= audit.utc(sess.expires_at):
                reason = "expired"
            elif now - audit.utc(sess.last_seen_at) > timedelta(minutes=pol.session_idle_minutes):
                reason = "idle"
            elif user is None or user.status != "active":
                reason = "account_disabled"
            elif user.expires_at is not None and now >= audit.utc(user.expires_at):
                reason = "account_expired"
            who = _attempt_actor(user, "unknown", source or sess.source, via)
            if reason is None and user is not None:
                sess.last_seen_at = now
                actor = who
            else:
                if sess.ended_at is None:
                    sess.ended_at, sess.end_reason = now, reason
                audit.record(s, who, "auth", "session", object=who.username, outcome="failure",
                             details={"reason": reason, "session": sess.id})
    if actor is not None:
        return actor
    if reason == "unknown":
        with db.session() as s2:
            audit.record(s2, Actor("unknown", source=source or "cli"), "auth", "session", outcome="failure",
                         details={"reason": "unknown session token"})
    raise SessionInvalid("your session has ended (logged out, expired or idle too long, or the account can no "
                         "longer log in): log in again: aktuar users login")


def logout(db: Database, token: str, now: datetime | None = None) -> bool:
    """End a session (audited); False when the token belongs to no live session."""
    now = _now(now)
    with db.session() as s:
        sess = s.execute(select(UserSession).where(UserSession.token_hash == _sha256(token or ""))).scalar_one_or_none()
        if sess is None or sess.ended_at is not None:
            return False
        user = s.get(User, sess.user_id)
        sess.ended_at, sess.end_reason = now, "logout"
        who = _attempt_actor(user, "unknown", sess.source, "cli")
        audit.record(s, who, "auth", "logout", object=who.username, details={"session": sess.id})
        return True


def my_account(db: Database, actor: Actor) -> UserInfo:
    """The logged-in person's own account."""
    if actor.user_id is None:
        raise InputError(f"{actor.username} is not a personal account")
    with db.session() as s:
        user = s.get(User, actor.user_id)
        if user is None:
            raise InputError(f"no account '{actor.username}'")
        return _info(user)


# -------------------------------------------------------------------------------------- preferences (language)
LANGUAGES: tuple[str, ...] = ("ru", "en")
"""The languages a person may choose for the pages (the web catalog's languages)."""


def preferred_language(db: Database, user_id: int | None) -> str | None:
    """The language the person chose for the pages (``None``: not chosen yet, or not a personal account)."""
    if user_id is None:
        return None
    with db.session() as s:
        value = s.execute(select(User.language).where(User.id == int(user_id))).scalar_one_or_none()
    return value if value in LANGUAGES else None


def set_language(db: Database, actor: Actor, language: str) -> str:
    """Store the language of one's own pages (``ru`` or ``en``) on one's account, so that every server process
    and the next login use it. A preference of the person's own account, not a security setting: no permission
    beyond being logged in as a person is needed; audited (category ``account``, action ``preference.change``)
    when it changes, and a refusal is audited too."""
    obj = _printable(actor.username)
    try:
        lang = str(language or "").strip().lower()
        if lang not in LANGUAGES:
            raise InputError(f"language '{_printable(language, 10)}' is not offered: choose one of "
                             f"{', '.join(LANGUAGES)}")
        if actor.user_id is None or actor.via == "api":
            raise PermissionDenied(actor, "choose a language (only a person logged in interactively can)")
        with db.session() as s:
            user = s.get(User, actor.user_id)
            if user is None or user.username != actor.username:
                raise InputError(f"no account '{obj}'")
            before = user.language
            if before != lang:
                user.language = lang
                audit.record(s, actor, "account", "preference.change", object=user.username,
                             details={"preference": "language", "from": before, "to": lang})
        return lang
    except AktuarError as exc:
        _audit_refusal(db, actor, "account", "preference.change", obj, exc)
        raise


# ------------------------------------------------------------------------------------------ account admin
def bootstrap(db: Database, username: str, full_name: str, password: str, now: datetime | None = None, *,
              source: str = "system") -> UserInfo:
    """Create the first account, an information security officer, only while no account exists (audited as
    ``system``). The officer then sets up two-factor authentication (``mfa-enroll``) and creates the others."""
    now = _now(now)
    actor = replace(SYSTEM, source=source[:200])
    try:
        u = normalize_username(username)
        name = normalize_full_name(full_name)
        with db.session() as s:
            pol = policy(s)
            passwords.validate_password(password, username=u, full_name=name, min_length=pol.password_min_length)
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
            user = User(username=u, full_name=name, password_hash=passwords.hash_password(password),
                        password_changed_at=now, status="active", failed_logins=0, created_at=now,
                        status_changed_at=now, mfa_enabled=False, must_change_password=False)
            user.roles.append(UserRole(role="is_officer", granted_by="system", granted_at=now))
            s.add(user)
            s.flush()
            if int(s.execute(select(func.count()).select_from(User)).scalar_one()) != 1:
                raise InputError("accounts exist already: bootstrap only creates the first account; ask an "
                                 "information security officer to create yours")
            audit.record(s, actor, "account", "user.bootstrap", object=u,
                         details={"roles": ["is_officer"], "full_name": name})
            return _info(user)
    except AktuarError as exc:
        _audit_refusal(db, actor, "account", "user.bootstrap", _printable(username), exc)
        raise


def create_user(
    db: Database,
    actor: Actor,
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[str] = (),
    *,
    email: str | None = None,
    position: str | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> UserInfo:
    """Create a personal account (``account.manage``) with an initial password the person is asked to change."""
    now = _now(now)
    wanted = frozenset(roles)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        u = normalize_username(username)
        name = normalize_full_name(full_name)
        problems = rbac.role_conflicts(wanted)
        if problems:
            raise InputError("; ".join(problems))
        if s.execute(select(User.id).where(User.username == u)).first() is not None:
            raise InputError(f"user name '{u}' is taken: choose another (e.g. add an initial)")
        pol = policy(s)
        passwords.validate_password(password, username=u, full_name=name, min_length=pol.password_min_length)
        exp = _u(expires_at)
        if exp is not None and exp <= now:
            raise InputError("the expiry date is in the past: give a future date or none")
        user = User(username=u, full_name=name, email=_clean_optional(email), position=_clean_optional(position),
                    password_hash=passwords.hash_password(password), password_changed_at=now, status="active",
                    failed_logins=0, created_at=now, status_changed_at=now, expires_at=exp, mfa_enabled=False,
                    must_change_password=True)
        for r in sorted(wanted):
            user.roles.append(UserRole(role=r, granted_by=actor.username, granted_at=now))
        s.add(user)
        s.flush()
        return _info(user), {"roles": sorted(wanted), "full_name": name,
                             "expires_at": exp.isoformat() if exp else None}

    return _admin_op(db, actor, "account.manage", "account", "user.create", _printable(username), work)


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    v = " ".join(unicodedata.normalize("NFKC", value).split())
    if any(unicodedata.category(c)[0] == "C" for c in v) or len(v) > 200:
        raise InputError("e-mail and position: at most 200 printable characters")
    return v or None


def list_users(db: Database, actor: Actor) -> list[UserInfo]:
    """All accounts (``account.read``)."""
    try:
        rbac.require(actor, "account.read")
    except PermissionDenied as exc:
        _audit_refusal(db, actor, "account", "user.list", "", exc)
        raise
    with db.session() as s:
        return [_info(u) for u in s.execute(select(User).order_by(User.username)).scalars()]


def get_user(db: Database, actor: Actor, username: str) -> UserInfo:
    """One account (``account.read``, or one's own)."""
    if _login_name(username) != actor.username or actor.user_id is None:
        try:
            rbac.require(actor, "account.read")
        except PermissionDenied as exc:
            _audit_refusal(db, actor, "account", "user.read", _printable(username), exc)
            raise
    with db.session() as s:
        return _info(_user(s, username))


def grant_role(db: Database, actor: Actor, username: str, role: str, now: datetime | None = None) -> UserInfo:
    """Grant a role (``account.manage``); refused on one's own account and for incompatible combinations."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "grant roles")
        have = _roles_of(user)
        if role in have:
            raise InputError(f"{user.username} already has the role {role}")
        problems = rbac.role_conflicts(have | {role})
        if problems:
            raise InputError("; ".join(problems))
        user.roles.append(UserRole(role=role, granted_by=actor.username, granted_at=now))
        s.flush()
        return _info(user), {"role": role, "roles": sorted(have | {role})}

    return _admin_op(db, actor, "account.manage", "account", "role.grant", f"{_printable(username)}:{role}", work)


def revoke_role(db: Database, actor: Actor, username: str, role: str, now: datetime | None = None) -> UserInfo:
    """Revoke a role (``account.manage``); the last active information security officer keeps theirs."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "revoke roles")
        have = _roles_of(user)
        if role not in have:
            raise InputError(f"{user.username} does not have the role {role}")
        if role == "is_officer" and user.status == "active" and _active_is_officers(s, excluding=user.id) == 0:
            raise InputError(f"{user.username} is the last active information security officer: grant the role "
                             "to another person first")
        for r in list(user.roles):
            if r.role == role:
                user.roles.remove(r)
        s.flush()
        return _info(user), {"role": role, "roles": sorted(have - {role})}

    return _admin_op(db, actor, "account.manage", "account", "role.revoke", f"{_printable(username)}:{role}", work)


def disable_user(db: Database, actor: Actor, username: str, reason: str, now: datetime | None = None) -> UserInfo:
    """Disable (block) an account and end its sessions (``account.manage``)."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "disable")
        why = " ".join(str(reason or "").split())[:200]
        if not why:
            raise InputError("give a reason for disabling the account (e.g. 'left the company')")
        if user.status != "active":
            raise InputError(f"{user.username} is already disabled")
        if "is_officer" in _roles_of(user) and _active_is_officers(s, excluding=user.id) == 0:
            raise InputError(f"{user.username} is the last active information security officer: grant the role "
                             "to another person first")
        user.status, user.disabled_reason, user.status_changed_at = "disabled", why, now
        ended = _end_sessions(s, user.id, now, "disabled")
        return _info(user), {"reason": why, "sessions_ended": ended}

    return _admin_op(db, actor, "account.manage", "account", "user.disable", _printable(username), work)


def enable_user(db: Database, actor: Actor, username: str, now: datetime | None = None) -> UserInfo:
    """Enable a disabled account (``account.manage``); the inactivity period starts again."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "enable")
        if user.status == "active":
            raise InputError(f"{user.username} is already active")
        problems = rbac.role_conflicts(_roles_of(user))
        if problems:
            raise InputError("; ".join(problems))
        before = user.disabled_reason
        user.status, user.disabled_reason, user.status_changed_at = "active", None, now
        return _info(user), {"was_disabled_for": before}

    return _admin_op(db, actor, "account.manage", "account", "user.enable", _printable(username), work)


def unlock_user(db: Database, actor: Actor, username: str, now: datetime | None = None) -> UserInfo:
    """Lift a lockout after failed logins (``account.manage``), audited."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "unlock")
        locked = _u(user.locked_until)
        details = {"failed_logins": user.failed_logins, "locked_until": locked.isoformat() if locked else None}
        user.failed_logins, user.locked_until = 0, None
        return _info(user), details

    return _admin_op(db, actor, "account.manage", "account", "user.unlock", _printable(username), work)


def set_expiry(db: Database, actor: Actor, username: str, expires_at: datetime | None,
               now: datetime | None = None) -> UserInfo:
    """Set or clear the date after which an account can no longer log in (``account.manage``)."""
    now = _now(now)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "change the expiry")
        before = _u(user.expires_at)
        user.expires_at = _u(expires_at)
        return _info(user), {"from": before.isoformat() if before else None,
                             "to": user.expires_at.isoformat() if user.expires_at else None}

    return _admin_op(db, actor, "account.manage", "account", "user.expiry", _printable(username), work)


def disable_inactive(db: Database, actor: Actor, now: datetime | None = None) -> list[str]:
    """Disable every active account without a login for more than ``inactive_days`` (``account.manage``; run it
    daily as ``system``). Returns the user names disabled."""
    now = _now(now)

    def work(s: Session) -> tuple[list[str], dict[str, Any]]:
        pol = policy(s)
        limit = timedelta(days=pol.inactive_days)
        done: list[str] = []
        for user in s.execute(select(User).where(User.status == "active").order_by(User.username)
                              .with_for_update()).scalars():
            if now - _reference_activity(user) > limit and _may_disable_inactive(s, user):
                user.status, user.status_changed_at = "disabled", now
                user.disabled_reason = f"no login for more than {pol.inactive_days} days"
                _end_sessions(s, user.id, now, "disabled")
                s.flush()
                audit.record(s, actor, "account", "user.disable", object=user.username,
                             details={"reason": "inactive", "inactive_days": pol.inactive_days})
                done.append(user.username)
        return done, {"disabled": done, "inactive_days": pol.inactive_days}

    return _admin_op(db, actor, "account.manage", "account", "accounts.disable_inactive", "", work)


# --------------------------------------------------------------------------------- self-service (re-auth)
class _CountedFailure(AktuarError):
    """Raised by self-service work when a factor checked there is wrong: counts towards the lockout."""

    def __init__(self, reason: str, error: AktuarError) -> None:
        super().__init__(str(error))
        self.reason = reason
        self.error = error


def _self_service(
    db: Database,
    actor: Actor,
    username: str,
    source: str,
    action: str,
    password: str,
    otp: str | None,
    now: datetime,
    require_mfa: Callable[[User], bool],
    work: Callable[[Session, User, _Check], tuple[T, dict[str, Any]]],
    precheck: Callable[[Session, User, Policy], None] | None = None,
) -> T:
    """Re-authenticate the account's owner (password and, where required, the second factor) under the row
    lock, then do ``work``; a failed re-authentication counts towards the lockout and is audited. ``precheck``
    and ``work`` raise before they change anything, so a refusal commits only the re-authentication's effects
    (consumed code, failure count) and its audit record."""
    name = _login_name(username)
    result: list[T] = []
    failure: AktuarError | None = None
    with db.session() as s:
        pol = policy(s)
        user = _lock_user_row(s, name)
        who = _attempt_actor(user, username, source, actor.via)
        obj = user.username if user is not None else who.username
        if user is not None and actor.user_id is not None and actor.user_id != user.id:
            raise PermissionDenied(actor, "re-authenticate as another person")
        try:
            if user is not None and precheck is not None:
                precheck(s, user, pol)
        except AktuarError as exc:
            failure = exc
            audit.record(s, who, "account", action, object=obj, outcome="failure",
                         details={"reason": "refused", "error": type(exc).__name__, "message": str(exc)[:500]})
        if failure is None:
            check = _authenticate(s, db, user, password, otp, now, pol,
                                  require_mfa=require_mfa(user) if user is not None else True)
            if check.ok and user is not None:
                try:
                    value, details = work(s, user, check)
                except _CountedFailure as exc:
                    failed = _Check(False, exc.reason, locked_now=_count_failure(user, now, pol))
                    _audit_attempt(s, who, "account", action, obj, failed, pol)
                    failure = exc.error
                except AktuarError as exc:
                    audit.record(s, who, "account", action, object=obj, outcome="failure",
                                 details={"reason": "refused", "error": type(exc).__name__,
                                          "message": str(exc)[:500]})
                    failure = exc
                else:
                    s.flush()
                    audit.record(s, who, "account", action, object=obj,
                                 details={"reauth": check.method, **details})
                    result.append(value)
            else:
                _audit_attempt(s, who, "account", action, obj, check, pol)
                failure = AuthenticationFailed(reauth_failed_message(pol))
    if failure is not None:
        raise failure
    return result[0]


def change_password(
    db: Database,
    actor: Actor,
    current_password: str,
    otp: str | None,
    new_password: str,
    now: datetime | None = None,
    *,
    keep_session: str | None = None,
) -> UserInfo:
    """Change one's own password: re-authentication with the current password and second factor; the new
    password must meet the policy; the account's other sessions end."""
    now = _now(now)

    def precheck(s: Session, user: User, pol: Policy) -> None:
        passwords.validate_password(new_password, username=user.username, full_name=user.full_name,
                                    min_length=pol.password_min_length)

    def work(s: Session, user: User, check: _Check) -> tuple[UserInfo, dict[str, Any]]:
        if passwords.verify_password(user.password_hash, new_password).ok:
            raise InputError("the new password is the current one: choose a different password")
        user.password_hash = passwords.hash_password(new_password)
        user.password_changed_at, user.must_change_password = now, False
        ended = _end_sessions(s, user.id, now, "password_changed", keep_token=keep_session)
        return _info(user), {"sessions_ended": ended}

    _require_personal(actor)
    return _self_service(db, actor, actor.username, actor.source, "password.change", current_password, otp, now,
                         lambda u: bool(u.mfa_enabled), work, precheck)


def _require_personal(actor: Actor) -> None:
    if actor.user_id is None or actor.via == "api":
        raise PermissionDenied(actor, "change credentials (only a person logged in interactively can)")


def begin_mfa_enrollment(
    db: Database,
    username: str,
    password: str,
    otp: str | None = None,
    *,
    source: str,
    now: datetime | None = None,
    via: str = "cli",
) -> MfaEnrollment:
    """Start setting up an authenticator app: re-authenticate (password, and the current second factor when one
    is set up), store a new secret as pending and return it for the app. ``confirm_mfa_enrollment`` activates
    it."""
    now = _now(now)
    actor = Actor(_printable(username), source=source, via=via)

    def work(s: Session, user: User, check: _Check) -> tuple[MfaEnrollment, dict[str, Any]]:
        secret = mfa.new_secret()
        user.mfa_pending_secret = mfa.encrypt_secret(mfa.load_key(db.settings.data_dir), secret, user.id)
        return (MfaEnrollment(secret=secret, uri=mfa.provisioning_uri(secret, user.username)),
                {"replaces_existing": bool(user.mfa_enabled)})

    return _self_service(db, actor, username, source, "mfa.enroll.begin", password, otp, now,
                         lambda u: bool(u.mfa_enabled), work)


def confirm_mfa_enrollment(
    db: Database,
    username: str,
    password: str,
    code: str,
    *,
    source: str,
    now: datetime | None = None,
    via: str = "cli",
) -> list[str]:
    """Activate the pending authenticator with a code it shows (re-authenticating with the password); returns 10
    new recovery codes, shown once. The previous second factor, recovery codes and other sessions end."""
    now = _now(now)
    actor = Actor(_printable(username), source=source, via=via)

    def work(s: Session, user: User, check: _Check) -> tuple[list[str], dict[str, Any]]:
        if user.mfa_pending_secret is None:
            raise InputError("no authenticator set-up is pending: start with 'aktuar users mfa-enroll'")
        key = mfa.load_key(db.settings.data_dir)
        secret = mfa.decrypt_secret(key, user.mfa_pending_secret, user.id)
        step = mfa.verify_totp(secret, code or "", now, None)
        if step is None:
            raise _CountedFailure("bad_otp", InputError(
                "the code does not match the new authenticator: check the app's clock and enter the code it shows "
                "now"))
        user.mfa_secret, user.mfa_pending_secret = user.mfa_pending_secret, None
        user.mfa_enabled, user.mfa_last_step = True, step
        codes = _replace_recovery_codes(s, user)
        ended = _end_sessions(s, user.id, now, "mfa_changed")
        return codes, {"recovery_codes": len(codes), "sessions_ended": ended}

    return _self_service(db, actor, username, source, "mfa.enroll", password, None, now, lambda u: False, work)


def _replace_recovery_codes(s: Session, user: User) -> list[str]:
    for rc in list(user.recovery_codes):
        user.recovery_codes.remove(rc)
    codes = mfa.new_recovery_codes()
    for c in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=mfa.hash_recovery_code(c)))
    return codes


def new_recovery_codes(db: Database, actor: Actor, password: str, otp: str, now: datetime | None = None) -> list[str]:
    """Replace one's recovery codes (re-authentication with password and second factor); shown once."""
    now = _now(now)
    _require_personal(actor)

    def work(s: Session, user: User, check: _Check) -> tuple[list[str], dict[str, Any]]:
        codes = _replace_recovery_codes(s, user)
        return codes, {"recovery_codes": len(codes)}

    return _self_service(db, actor, actor.username, actor.source, "mfa.recovery_codes", password, otp, now,
                         lambda u: True, work)


def reset_mfa(db: Database, actor: Actor, username: str, *, password: str, otp: str,
              now: datetime | None = None) -> UserInfo:
    """An information security officer removes another person's second factor (lost phone), after
    re-authenticating themselves; the person's sessions end and they set up a new authenticator at their next
    login (``mfa-enroll``)."""
    now = _now(now)
    try:
        rbac.require(actor, "account.manage")
        _require_personal(actor)
    except PermissionDenied as exc:
        _audit_refusal(db, actor, "account", "mfa.reset", _printable(username), exc)
        raise

    def noop(s: Session, user: User, check: _Check) -> tuple[None, dict[str, Any]]:
        return None, {"for": _printable(username)}

    _self_service(db, actor, actor.username, actor.source, "reauth", password, otp, now, lambda u: True, noop)

    def work(s: Session) -> tuple[UserInfo, dict[str, Any]]:
        user = _user(s, username, lock=True)
        _not_self(actor, user, "reset the second factor")
        had = bool(user.mfa_enabled)
        user.mfa_secret = user.mfa_pending_secret = None
        user.mfa_enabled, user.mfa_last_step = False, None
        for rc in list(user.recovery_codes):
            user.recovery_codes.remove(rc)
        ended = _end_sessions(s, user.id, now, "mfa_reset")
        return _info(user), {"had_mfa": had, "sessions_ended": ended}

    return _admin_op(db, actor, "account.manage", "account", "mfa.reset", _printable(username), work)


# ---------------------------------------------------------------------------- technological accounts (KZ164-25)
def _sa_info(s: Session, sa: ServiceAccount) -> ServiceAccountInfo:
    def name(uid: int | None) -> str | None:
        if uid is None:
            return None
        u = s.get(User, uid)
        return u.username if u else None

    return ServiceAccountInfo(
        id=sa.id, system=sa.system, name=sa.name, purpose=sa.purpose, responsible=name(sa.responsible_user_id) or "",
        requested_by=name(sa.requested_by_id), approved_by_it=name(sa.approved_by_it_id),
        approved_by_is=name(sa.approved_by_is_id), approved_at=_u(sa.approved_at), status=sa.status,
        roles=tuple(json.loads(sa.roles or "[]")), created_at=_u(sa.created_at),
    )


def _clean_text(value: str, what: str, limit: int) -> str:
    v = " ".join(unicodedata.normalize("NFKC", str(value or "")).split())
    if not v or len(v) > limit or any(unicodedata.category(c)[0] == "C" for c in v):
        raise InputError(f"{what}: give 1 to {limit} printable characters")
    return v


def request_service_account(
    db: Database,
    actor: Actor,
    system: str,
    name: str,
    purpose: str,
    responsible: str,
    roles: Iterable[str],
    now: datetime | None = None,
) -> ServiceAccountInfo:
    """Register a technological account for an information system with the person responsible for it
    (``service_account.request``: IT or IS). It stays pending until approved by the head of IT and the head of
    information security."""
    now = _now(now)
    wanted = frozenset(roles)

    def work(s: Session) -> tuple[ServiceAccountInfo, dict[str, Any]]:
        sys_name = _clean_text(system, "information system", 100)
        acct = unicodedata.normalize("NFKC", str(name or "")).strip().casefold()
        if not USERNAME_RE.match(acct):
            raise InputError(f"technological account name '{_printable(name)}': 2 to 64 Latin letters, digits, "
                             "'.', '_' or '-', starting with a letter")
        why = _clean_text(purpose, "purpose", 2000)
        if not wanted:
            raise InputError("give the technological account at least one role (least privilege, KZ164-22)")
        problems = rbac.role_conflicts(wanted)
        if problems:
            raise InputError("; ".join(problems))
        bad = sorted(wanted & FORBIDDEN_SERVICE_ROLES)
        if bad:
            raise InputError(f"a technological account cannot hold {', '.join(bad)}: administering accounts and the "
                             "audit trail is reserved to persons")
        person = _user(s, responsible)
        if person.status != "active":
            raise InputError(f"the responsible person {person.username} is disabled: name an active person")
        if s.execute(select(ServiceAccount.id).where(ServiceAccount.system == sys_name,
                                                     ServiceAccount.name == acct)).first():
            raise InputError(f"{sys_name}/{acct} is registered already")
        sa = ServiceAccount(system=sys_name, name=acct, purpose=why, responsible_user_id=person.id,
                            requested_by_id=actor.user_id, status="pending", roles=json.dumps(sorted(wanted)),
                            created_at=now)
        s.add(sa)
        s.flush()
        return _sa_info(s, sa), {"id": sa.id, "system": sys_name, "name": acct, "responsible": person.username,
                                 "roles": sorted(wanted), "purpose": why}

    return _admin_op(db, actor, "service_account.request", "account", "service_account.request",
                     f"{_printable(system, 100)}/{_printable(name)}", work)


def approve_service_account(db: Database, actor: Actor, service_account_id: int,
                            now: datetime | None = None) -> ServiceAccountInfo:
    """Approve a technological account as head of IT (``it_admin``) or head of IS (``is_officer``); it becomes
    active when both approvals are given, by two different people."""
    now = _now(now)
    if rbac.allowed(actor, "service_account.approve_it") and not actor.has("system"):
        permission, side = "service_account.approve_it", "it"
    else:
        permission, side = "service_account.approve_is", "is"

    def work(s: Session) -> tuple[ServiceAccountInfo, dict[str, Any]]:
        sa = s.execute(select(ServiceAccount).where(ServiceAccount.id == int(service_account_id))
                       .with_for_update()).scalar_one_or_none()
        if sa is None:
            raise InputError(f"no technological account #{service_account_id}: list them with "
                             "'aktuar users service-account list'")
        if actor.user_id is None:
            raise PermissionDenied(actor, "approve technological accounts (a person must approve)")
        if sa.status != "pending":
            raise InputError(f"technological account #{sa.id} is {sa.status}, not pending approval")
        if side == "it":
            if sa.approved_by_it_id is not None:
                raise InputError(f"#{sa.id} is approved by the head of IT already")
            if sa.approved_by_is_id == actor.user_id:
                raise PermissionDenied(actor, "give both approvals (IT and IS approve as two different people)")
            sa.approved_by_it_id = actor.user_id
        else:
            if sa.approved_by_is_id is not None:
                raise InputError(f"#{sa.id} is approved by the head of information security already")
            if sa.approved_by_it_id == actor.user_id:
                raise PermissionDenied(actor, "give both approvals (IT and IS approve as two different people)")
            sa.approved_by_is_id = actor.user_id
        if sa.approved_by_it_id is not None and sa.approved_by_is_id is not None:
            sa.status, sa.approved_at = "active", now
        s.flush()
        return _sa_info(s, sa), {"as": side, "status": sa.status}

    return _admin_op(db, actor, permission, "account", "service_account.approve", f"#{service_account_id}", work)


def disable_service_account(db: Database, actor: Actor, service_account_id: int, reason: str,
                            now: datetime | None = None) -> ServiceAccountInfo:
    """Disable a technological account and revoke all its tokens (``service_account.revoke``)."""
    now = _now(now)

    def work(s: Session) -> tuple[ServiceAccountInfo, dict[str, Any]]:
        sa = s.get(ServiceAccount, int(service_account_id))
        if sa is None:
            raise InputError(f"no technological account #{service_account_id}")
        why = _clean_text(reason, "reason", 200)
        sa.status = "disabled"
        res = s.execute(update(ApiToken).where(ApiToken.service_account_id == sa.id, ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now).execution_options(synchronize_session=False))
        return _sa_info(s, sa), {"reason": why, "tokens_revoked": int(res.rowcount or 0)}  # type: ignore[attr-defined]

    return _admin_op(db, actor, "service_account.revoke", "account", "service_account.disable",
                     f"#{service_account_id}", work)


def list_service_accounts(db: Database, actor: Actor) -> list[ServiceAccountInfo]:
    """The register of technological accounts (``service_account.read``)."""
    try:
        rbac.require(actor, "service_account.read")
    except PermissionDenied as exc:
        _audit_refusal(db, actor, "account", "service_account.list", "", exc)
        raise
    with db.session() as s:
        rows = s.execute(select(ServiceAccount).order_by(ServiceAccount.system, ServiceAccount.name)).scalars()
        return [_sa_info(s, sa) for sa in rows]


def list_tokens(db: Database, actor: Actor, service_account_id: int | None = None) -> list[TokenInfo]:
    try:
        rbac.require(actor, "service_account.read")
    except PermissionDenied as exc:
        _audit_refusal(db, actor, "account", "token.list", "", exc)
        raise
    with db.session() as s:
        q = select(ApiToken).order_by(ApiToken.id)
        if service_account_id is not None:
            q = q.where(ApiToken.service_account_id == int(service_account_id))
        return [TokenInfo(prefix=t.token_prefix, service_account_id=t.service_account_id,
                          scopes=tuple(json.loads(t.scopes or "[]")), created_at=_u(t.created_at),
                          expires_at=_u(t.expires_at), revoked_at=_u(t.revoked_at), last_used_at=_u(t.last_used_at))
                for t in s.execute(q).scalars()]


def issue_token(
    db: Database,
    actor: Actor,
    service_account_id: int,
    scopes: Iterable[str],
    days: int,
    now: datetime | None = None,
) -> IssuedToken:
    """Issue an API token for an active technological account (``service_account.token``), limited to
    ``scopes`` (permissions its roles grant) and valid for ``days``. The token is returned once."""
    now = _now(now)
    wanted = tuple(sorted(set(scopes)))

    def work(s: Session) -> tuple[IssuedToken, dict[str, Any]]:
        sa = s.get(ServiceAccount, int(service_account_id))
        if sa is None:
            raise InputError(f"no technological account #{service_account_id}")
        if sa.status != "active":
            raise InputError(f"technological account #{sa.id} is {sa.status}: it needs the approvals of the head of "
                             "IT and the head of information security first")
        if not wanted:
            raise InputError("give the token at least one scope (a permission, e.g. run.read)")
        unknown = [p for p in wanted if p not in rbac.PERMISSIONS]
        if unknown:
            raise InputError(f"unknown permission(s) {', '.join(unknown)}: permissions are "
                             f"{', '.join(rbac.PERMISSIONS)}")
        forbidden = [p for p in wanted if p in FORBIDDEN_TOKEN_SCOPES]
        if forbidden:
            raise InputError(f"an API token cannot carry {', '.join(forbidden)}: administering identities and access "
                             "is done by persons with two-factor login")
        roles = frozenset(json.loads(sa.roles or "[]"))
        beyond = [p for p in wanted if not (rbac.PERMISSIONS[p] & roles)]
        if beyond:
            raise InputError(f"the roles of #{sa.id} ({', '.join(sorted(roles))}) do not grant "
                             f"{', '.join(beyond)}")
        pol = policy(s)
        if not isinstance(days, int) or not 1 <= days <= pol.token_max_days:
            raise InputError(f"token validity: 1 to {pol.token_max_days} days")
        prefix = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        expires = now + timedelta(days=days)
        s.add(ApiToken(token_prefix=prefix, token_hash=_sha256(token), service_account_id=sa.id,
                       scopes=json.dumps(list(wanted)), created_at=now, expires_at=expires))
        s.flush()
        return (IssuedToken(token=token, prefix=prefix, service_account_id=sa.id, scopes=wanted, expires_at=expires),
                {"prefix": prefix, "scopes": list(wanted), "expires_at": expires.isoformat()})

    return _admin_op(db, actor, "service_account.token", "account", "token.issue", f"#{service_account_id}", work)


def revoke_token(db: Database, actor: Actor, prefix: str, now: datetime | None = None) -> TokenInfo:
    """Revoke an API token by its public prefix (``service_account.revoke``)."""
    now = _now(now)
    p = str(prefix or "").strip()
    if p.startswith(TOKEN_PREFIX):
        p = p[len(TOKEN_PREFIX):].split("_", 1)[0]

    def work(s: Session) -> tuple[TokenInfo, dict[str, Any]]:
        t = s.execute(select(ApiToken).where(ApiToken.token_prefix == p)).scalar_one_or_none()
        if t is None:
            raise InputError(f"no API token with prefix '{_printable(p, 16)}'")
        if t.revoked_at is None:
            t.revoked_at = now
        return (TokenInfo(prefix=t.token_prefix, service_account_id=t.service_account_id,
                          scopes=tuple(json.loads(t.scopes or "[]")), created_at=_u(t.created_at),
                          expires_at=_u(t.expires_at), revoked_at=_u(t.revoked_at), last_used_at=_u(t.last_used_at)),
                {"prefix": t.token_prefix, "service_account": t.service_account_id})

    return _admin_op(db, actor, "service_account.revoke", "account", "token.revoke", _printable(p, 16), work)



def _service_actor_name(sa: ServiceAccount) -> str:
    """The acting name of a technological account: ``svc:<system>/<name>``, unique per account — cut to 64
    characters with the account's number kept, so two accounts never share a name (jobs and audit records
    belong to one of them)."""
    name = f"svc:{sa.system}/{sa.name}"
    if len(name) <= 64:
        return name
    tail = f"~#{sa.id}"
    return name[: 64 - len(tail)] + tail


def authenticate_token(db: Database, token: str, now: datetime | None = None, *, source: str | None = None) -> Actor:
    """The actor of an API token (via ``api``, roles of its technological account, limited to the token's
    scopes). ``TokenInvalid`` when it is malformed, unknown, revoked or expired, or the account is not active.
    Every use is audited (category auth)."""
    now = _now(now)
    raw = str(token or "").strip()
    parts = raw.split("_", 2)
    prefix = parts[1] if len(parts) == 3 and raw.startswith(TOKEN_PREFIX) else None
    reason: str | None = None
    actor: Actor | None = None
    with db.session() as s:
        t = None
        if prefix is not None and re.fullmatch(r"[0-9a-f]{12}", prefix):
            t = s.execute(select(ApiToken).where(ApiToken.token_prefix == prefix)).scalar_one_or_none()
        sa = s.get(ServiceAccount, t.service_account_id) if t is not None and t.service_account_id else None
        if t is None or not hmac.compare_digest(t.token_hash, _sha256(raw)):
            reason = "unknown"
        elif t.revoked_at is not None:
            reason = "revoked"
        elif now >= audit.utc(t.expires_at):
            reason = "expired"
        elif sa is None or sa.status != "active":
            reason = "service_account_not_active"
        else:
            person = s.get(User, sa.responsible_user_id)
            if person is None or person.status != "active":
                reason = "responsible_person_disabled"
        src = (source or "api") + (f" token={prefix}" if prefix and t is not None else "")
        name = _service_actor_name(sa) if sa is not None else "unknown"
        who = Actor(username=name, roles=frozenset(json.loads(sa.roles or "[]")) if sa else frozenset(),
                    source=src[:200], via="api",
                    scopes=frozenset(json.loads(t.scopes or "[]")) if t is not None else frozenset())
        if reason is None and t is not None:
            t.last_used_at = now
            audit.record(s, who, "auth", "token.auth", object=name, details={"prefix": prefix})
            actor = who
        else:
            audit.record(s, who, "auth", "token.auth", object=name, outcome="failure",
                         details={"reason": reason, "prefix": _printable(prefix, 16) if prefix else None})
    if actor is None:
        raise TokenInvalid("the API token is not valid (malformed, unknown, revoked or expired, or its technological "
                           "account is not active): ask the head of IT for a new token")
    return actor


# --------------------------------------------------------------------------------- command-line login state
SESSION_FILE_ENV = "AKTUAR_SESSION_FILE"
TOKEN_ENV = "AKTUAR_TOKEN"


class NotLoggedIn(AktuarError):
    """No session (or API token) for this command line."""


def session_file(data_dir: Path) -> Path:
    """Where the command line keeps its session token: ``$AKTUAR_SESSION_FILE`` or
    ``<data dir>/sessions/<operating-system user>`` (mode 0600)."""
    env = os.environ.get(SESSION_FILE_ENV)
    if env:
        return Path(env)
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        who = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Path(data_dir) / "sessions" / (re.sub(r"[^A-Za-z0-9._-]", "_", who) or "unknown")


def save_session_token(path: Path, token: str) -> None:
    """Write the token readable by its owner only (directory 0700, file 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (token + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_session_token(path: Path) -> str | None:
    if not path.exists():
        return None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise NotLoggedIn(f"the session file {path} is readable by other users: delete it and log in again: "
                          "aktuar users login")
    token = path.read_text(encoding="ascii", errors="replace").strip()
    return token or None


def cli_actor(db: Database) -> Actor:
    """The actor of this command line: ``$AKTUAR_TOKEN`` (an API token) or the session saved by
    ``aktuar users login``. ``NotLoggedIn`` / ``SessionInvalid`` / ``TokenInvalid`` (all ``AktuarError``)
    otherwise; ``aktuar.cli_users.cli_actor`` turns them into exit code 2."""
    source = cli_source()
    token = os.environ.get(TOKEN_ENV)
    if token:
        return authenticate_token(db, token, source=f"api/{source}")
    saved = read_session_token(session_file(db.settings.data_dir))
    if saved is None:
        raise NotLoggedIn("log in first: aktuar users login")
    return authenticate_session(db, saved, source=source)
