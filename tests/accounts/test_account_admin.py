"""Account administration as an attacker tries it: privilege escalation, self-service without re-authentication,
injection in names, shared accounts, separation of IT and IS (KZ164-06, -22, -24, -26, -30, -65)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_fixtures import (
    T0,
    chain_intact,
    events,
    fast_hashing,  # noqa: F401 - autouse fixture
    login,
    officer,
    person,
)
from sqlalchemy import func, select, text

from aktuar.errors import InputError
from aktuar.security import mfa
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.services import accounts
from aktuar.services.accounts import AuthenticationFailed
from aktuar.store.models import User, UserSession

LATER = T0 + timedelta(minutes=5)


# ---------------------------------------------------------------------------------------------- bootstrap
@pytest.mark.req("KZ164-24")
def test_bootstrap_only_on_an_empty_installation(database) -> None:
    boss = officer(database)
    assert boss.actor.roles == frozenset({"is_officer"})
    first = events(database, "user.bootstrap")[0]
    assert first.actor == "system" and first.category == "account"
    with pytest.raises(InputError, match="accounts exist already"):
        accounts.bootstrap(database, "m.mallory", "Mallory Intruder", "violet harbor sprocket")
    assert events(database, "user.bootstrap", "failure")
    with database.session() as s:
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 1


# ------------------------------------------------------------------------------------ privilege escalation
@pytest.mark.req("KZ164-22")
@pytest.mark.req("KZ164-30")
def test_actuary_calling_admin_services_is_refused_and_audited(database) -> None:
    boss = officer(database)
    eve = person(database, boss, "e.actuary", ["actuary"])
    attempts = [
        lambda: accounts.create_user(database, eve.actor, "e.sock", "Sock Puppet", "violet harbor sprocket",
                                     ["chief_actuary"]),
        lambda: accounts.grant_role(database, eve.actor, "e.actuary", "chief_actuary"),
        lambda: accounts.revoke_role(database, eve.actor, "a.officer", "is_officer"),
        lambda: accounts.disable_user(database, eve.actor, "a.officer", "coup"),
        lambda: accounts.unlock_user(database, eve.actor, "e.actuary"),
        lambda: accounts.set_expiry(database, eve.actor, "e.actuary", None),
        lambda: accounts.list_users(database, eve.actor),
        lambda: accounts.set_policy(database, eve.actor, "accounts.lockout_threshold", 20),
        lambda: accounts.reset_mfa(database, eve.actor, "a.officer", password=eve.password,
                                   otp=eve.code(LATER)),
        lambda: accounts.request_service_account(database, eve.actor, "ERP", "robot", "exfiltration",
                                                 "e.actuary", ["actuary"]),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    denied = [e for e in events(database, outcome="failure") if e.actor == "e.actuary"]
    assert len(denied) == len(attempts)
    assert all('"permission denied"' in e.details for e in denied)
    assert accounts.get_user(database, boss.actor, "e.actuary").roles == ("actuary",)
    assert chain_intact(database)


@pytest.mark.req("SECP-MON")
@pytest.mark.req("KZ164-06")
@pytest.mark.req("KZ164-22")
def test_it_admin_cannot_become_is_officer(database) -> None:
    boss = officer(database)
    it = person(database, boss, "i.admin", ["it_admin"])
    with pytest.raises(PermissionDenied):
        accounts.grant_role(database, it.actor, "i.admin", "is_officer")
    # nor can an officer give an IT administrator the IS role (or the other way round)
    with pytest.raises(InputError, match="it_admin and is_officer cannot be combined"):
        accounts.grant_role(database, boss.actor, "i.admin", "is_officer")
    with pytest.raises(InputError, match="cannot be combined"):
        accounts.create_user(database, boss.actor, "x.both", "Xenia Both", "violet harbor sprocket",
                             ["it_admin", "is_officer"])
    assert accounts.get_user(database, boss.actor, "i.admin").roles == ("it_admin",)
    assert len(events(database, "role.grant", "failure")) == 2


@pytest.mark.req("KZ164-22")
def test_officer_cannot_change_own_powers_and_last_officer_stays(database) -> None:
    boss = officer(database)
    for attempt in (
        lambda: accounts.grant_role(database, boss.actor, "a.officer", "chief_actuary"),
        lambda: accounts.revoke_role(database, boss.actor, "a.officer", "is_officer"),
        lambda: accounts.disable_user(database, boss.actor, "a.officer", "test"),
        lambda: accounts.set_expiry(database, boss.actor, "a.officer", None),
    ):
        with pytest.raises(PermissionDenied, match="own account"):
            attempt()
    second = person(database, boss, "s.officer", ["is_officer"])
    accounts.disable_user(database, second.actor, "a.officer", "left", now=LATER)
    with pytest.raises(InputError, match="last active information security officer"):
        accounts.revoke_role(database, boss.actor, "s.officer", "is_officer")  # boss is disabled now…
    assert chain_intact(database)


@pytest.mark.req("KZ164-22")
def test_forged_actor_roles_do_not_survive_a_session(database) -> None:
    """Roles come from the database at every use of a session, not from what a caller claims."""
    boss = officer(database)
    eve = person(database, boss, "e.actuary", ["actuary"])
    actor = accounts.authenticate_session(database, eve.token or "", T0 + timedelta(seconds=40))
    assert actor.roles == frozenset({"actuary"})


# ------------------------------------------------------------------------------------ self-service abuse
@pytest.mark.req("KZ164-26")
@pytest.mark.req("KZ164-65")
def test_password_change_requires_reauthentication(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.user", ["actuary"])
    other = login(database, p, LATER)
    new = "amber lighthouse crossing"
    at = LATER + timedelta(seconds=30)
    with pytest.raises(AuthenticationFailed):
        accounts.change_password(database, p.actor, "a guessed password", p.code(at), new, at)
    with pytest.raises(AuthenticationFailed):
        accounts.change_password(database, p.actor, p.password, None, new, at)  # no second factor
    with pytest.raises(InputError, match="common"):
        accounts.change_password(database, p.actor, p.password, p.code(at), "qwerty123456", at)
    assert len(events(database, "password.change", "failure")) == 3
    with database.session() as s:  # the two failed re-authentications count towards the lockout
        assert s.execute(select(User.failed_logins).where(User.username == "b.user")).scalar_one() == 2
    accounts.change_password(database, p.actor, p.password, p.code(at), new, at)
    # the old password no longer works; other sessions ended
    at2 = at + timedelta(seconds=30)
    with pytest.raises(AuthenticationFailed):
        accounts.login(database, "b.user", p.password, p.code(at2), "test", at2)
    assert accounts.login(database, "b.user", new, p.code(at2 + timedelta(seconds=30)), "test",
                          at2 + timedelta(seconds=30))
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, other.session_token, at2)
    # an API caller (no person) cannot change credentials
    with pytest.raises(PermissionDenied):
        accounts.change_password(database, Actor("svc:x", via="api"), new, "123456", "other long phrase here")


@pytest.mark.req("KZ164-65")
def test_replacing_the_authenticator_requires_the_current_one(database) -> None:
    """A thief who has only the password cannot enroll their own authenticator."""
    boss = officer(database)
    p = person(database, boss, "b.user", ["actuary"])
    with pytest.raises(AuthenticationFailed):
        accounts.begin_mfa_enrollment(database, "b.user", p.password, None, source="attacker", now=LATER)
    with pytest.raises(AuthenticationFailed):
        accounts.begin_mfa_enrollment(database, "b.user", p.password, "123456", source="attacker", now=LATER)
    # and the confirmation step without a pending enrollment of the owner's does nothing
    with pytest.raises(InputError, match="no authenticator set-up is pending"):
        accounts.confirm_mfa_enrollment(database, "b.user", p.password, "123456", source="attacker", now=LATER)
    assert len(events(database, "mfa.enroll.begin", "failure")) == 2
    # the owner, with password and current code, replaces it; the old secret stops working
    e = accounts.begin_mfa_enrollment(database, "b.user", p.password, p.code(LATER), source="owner", now=LATER)
    at = LATER + timedelta(seconds=30)
    with pytest.raises(InputError, match="does not match"):
        accounts.confirm_mfa_enrollment(database, "b.user", p.password, p.code(at), source="owner", now=at)
    codes = accounts.confirm_mfa_enrollment(database, "b.user", p.password, mfa.code_at(e.secret, at),
                                            source="owner", now=at)
    assert len(codes) == 10 and not set(codes) & set(p.recovery_codes)
    at2 = at + timedelta(seconds=30)
    with pytest.raises(AuthenticationFailed):
        accounts.login(database, "b.user", p.password, p.code(at2), "test", at2)
    assert accounts.login(database, "b.user", p.password, mfa.code_at(e.secret, at2), "test", at2)
    with pytest.raises(AuthenticationFailed):  # old recovery codes are gone
        accounts.login(database, "b.user", p.password, p.recovery_codes[0], "test", at2)


@pytest.mark.req("KZ164-65")
def test_mfa_reset_by_officer_requires_officer_reauthentication(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.user", ["actuary"])
    with pytest.raises(AuthenticationFailed):
        accounts.reset_mfa(database, boss.actor, "b.user", password="not my password", otp=boss.code(LATER),
                           now=LATER)
    with pytest.raises(PermissionDenied, match="own account"):
        accounts.reset_mfa(database, boss.actor, "a.officer", password=boss.password, otp=boss.code(LATER),
                           now=LATER)
    at = LATER + timedelta(seconds=30)
    info = accounts.reset_mfa(database, boss.actor, "b.user", password=boss.password, otp=boss.code(at), now=at)
    assert not info.mfa_enabled
    assert events(database, "mfa.reset")[-1].outcome == "success"
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, p.token or "", at)
    with pytest.raises(accounts.MfaEnrollmentRequired):
        accounts.login(database, "b.user", p.password, p.code(at), "test", at)


# ---------------------------------------------------------------------------------------- personal only
@pytest.mark.req("KZ164-24")
@pytest.mark.parametrize("name", ["admin", "Administrator", "root", "test", "shared", "system"])
def test_generic_shared_account_names_refused(database, name) -> None:
    boss = officer(database)
    with pytest.raises(InputError, match="generic name"):
        accounts.create_user(database, boss.actor, name, "Some Person", "violet harbor sprocket", ["actuary"])


@pytest.mark.req("KZ164-24")
def test_usernames_case_folded_unique_and_full_name_required(database) -> None:
    boss = officer(database)
    accounts.create_user(database, boss.actor, "G.Sarsenova", "Gulnara Sarsenova", "violet harbor sprocket",
                         ["actuary"])
    with pytest.raises(InputError, match="taken"):
        accounts.create_user(database, boss.actor, "g.SARSENOVA", "Gulmira Sarsenova", "violet harbor sprocket")
    with pytest.raises(InputError, match="full name"):
        accounts.create_user(database, boss.actor, "k.x", "K", "violet harbor sprocket")
    with pytest.raises(InputError, match="not allowed"):
        accounts.create_user(database, boss.actor, "gül.s", "Gül Sarsenova", "violet harbor sprocket")  # homoglyphs
    with pytest.raises(InputError, match="person's name"):
        accounts.create_user(database, boss.actor, "n.kim", "Nadezhda Kim", "nadezhda walks by the sea")
    assert accounts.get_user(database, boss.actor, "g.sarsenova").full_name == "Gulnara Sarsenova"


# ------------------------------------------------------------------------------------------ injection
INJECTIONS = [
    "Robert'); DROP TABLE users;--",
    "x' OR '1'='1",
    "1; DELETE FROM audit_events WHERE 1=1; --",
    "\"; UPDATE users SET status='active' --",
]


@pytest.mark.req("KZ164-24")
@pytest.mark.parametrize("evil", INJECTIONS)
def test_sql_injection_in_names_is_stored_literally_and_harmless(database, evil) -> None:
    boss = officer(database)
    info = accounts.create_user(database, boss.actor, "r.tables", f"Robert {evil}", "violet harbor sprocket",
                                ["actuary"], position=evil, email=evil)
    assert info.full_name == f"Robert {evil}" and info.position == evil
    with pytest.raises(InputError, match="not allowed"):
        accounts.create_user(database, boss.actor, evil, "Evil Person", "violet harbor sprocket")
    with pytest.raises(AuthenticationFailed):
        accounts.login(database, evil, evil, evil, evil, LATER)
    with pytest.raises(InputError):
        accounts.grant_role(database, boss.actor, evil, "actuary")
    with database.session() as s:
        assert s.execute(text("SELECT full_name FROM users WHERE username = 'r.tables'")).scalar_one() == \
            f"Robert {evil}"
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 2
        assert s.execute(select(func.count()).select_from(UserSession)).scalar_one() == 1
    # the failed login with the injected name is audited literally (control characters removed, truncated)
    assert any(e.actor == evil[:64] for e in events(database, "login", "failure"))
    assert chain_intact(database)
