"""Login as an attacker tries it: account enumeration, brute force (also concurrent), TOTP replay, recovery
codes, blocked accounts, sessions (KZ164-23, KZ164-26, KZ164-65, KZ164-30)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from accounts_fixtures import (
    T0,
    CountingHasher,
    events,
    fast_hashing,  # noqa: F401 - autouse fixture
    login,
    officer,
    person,
)
from sqlalchemy import select, text

from aktuar.security import passwords
from aktuar.security.context import SYSTEM
from aktuar.services import accounts
from aktuar.services.accounts import AuthenticationFailed
from aktuar.store.models import User, UserSession

LATER = T0 + timedelta(minutes=5)


def _fails(db, username, password, otp, at=LATER, source="test 10.0.0.66") -> str:
    with pytest.raises(AuthenticationFailed) as exc:
        accounts.login(db, username, password, otp, source, at)
    assert type(exc.value) is AuthenticationFailed
    return str(exc.value)


# ------------------------------------------------------------------------------------------- enumeration
@pytest.mark.req("KZ164-23")
@pytest.mark.req("KZ164-26")
def test_no_account_enumeration_same_message_and_same_argon2_work(database, monkeypatch) -> None:
    boss = officer(database)
    target = person(database, boss, "b.target", ["actuary"])
    # production argon2id parameters for the comparison (the stored hash is re-made with them)
    prod = CountingHasher(time_cost=passwords.TIME_COST, memory_cost=passwords.MEMORY_COST_KIB,
                          parallelism=passwords.PARALLELISM)
    monkeypatch.setattr(passwords, "HASHER", prod)
    with database.session() as s:
        s.execute(select(User).where(User.username == "b.target")).scalar_one().password_hash = \
            passwords.hash_password(target.password)
    prod.verified.clear()

    t = time.perf_counter()
    unknown = _fails(database, "no.such.person", "guess one two three", "123456")
    t_unknown = time.perf_counter() - t
    work_unknown = list(prod.verified)
    prod.verified.clear()
    t = time.perf_counter()
    wrong = _fails(database, "b.target", "guess one two three", "123456")
    t_wrong = time.perf_counter() - t
    work_wrong = list(prod.verified)

    assert unknown == wrong
    assert work_unknown == work_wrong == [{"m": 65536, "t": 3, "p": 1}]  # one full argon2id check each
    assert max(t_unknown, t_wrong) / min(t_unknown, t_wrong) < 5
    reasons = [e.details for e in events(database, "login", "failure")]
    assert any('"unknown_user"' in r for r in reasons) and any('"bad_password"' in r for r in reasons)


@pytest.mark.req("KZ164-23")
def test_every_failure_reason_gives_the_same_message(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    other = person(database, boss, "c.other", ["actuary"])
    gone = person(database, boss, "d.gone", ["actuary"])
    accounts.disable_user(database, boss.actor, "d.gone", "left the company", now=T0)
    accounts.set_expiry(database, boss.actor, "c.other", T0 + timedelta(minutes=1), now=T0)
    messages = {
        _fails(database, "nobody.here", p.password, p.code(LATER)),
        _fails(database, "b.target", "not the password at all", p.code(LATER)),
        _fails(database, "b.target", p.password, "000000" if p.code(LATER) != "000000" else "111111"),
        _fails(database, "b.target", p.password, ""),
        _fails(database, "d.gone", gone.password, gone.code(LATER)),
        _fails(database, "c.other", other.password, other.code(LATER)),
        _fails(database, "' OR '1'='1' --", "' OR '1'='1' --", "123456"),
    }
    assert len(messages) == 1
    reasons = {e.details for e in events(database, "login", "failure")}
    for r in ("unknown_user", "bad_password", "bad_otp", "disabled", "expired"):
        assert any(f'"{r}"' in d for d in reasons), r
    # the source of every attempt is recorded
    assert all(e.source == "test 10.0.0.66" for e in events(database, "login", "failure"))


# ------------------------------------------------------------------------------------------- brute force
@pytest.mark.req("KZ164-26")
@pytest.mark.req("KZ164-30")
def test_lockout_after_threshold_then_unlock_by_officer_audited(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    for i in range(5):
        _fails(database, "b.target", f"wrong guess number {i}", p.code(LATER))
    # locked: even the right password and code are refused, with the same message
    _fails(database, "b.target", p.password, p.code(LATER))
    assert len(events(database, "account.locked")) == 1
    accounts.unlock_user(database, boss.actor, "b.target", now=LATER)
    unlock = events(database, "user.unlock")
    assert len(unlock) == 1 and unlock[0].actor == boss.username and unlock[0].object == "b.target"
    res = login(database, p, LATER + timedelta(seconds=30))
    assert res.actor.username == "b.target"


@pytest.mark.req("KZ164-26")
def test_lock_is_time_based(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    for i in range(5):
        _fails(database, "b.target", f"wrong guess number {i}", p.code(LATER))
    later = LATER + timedelta(minutes=14)
    _fails(database, "b.target", p.password, p.code(later), at=later)
    after = LATER + timedelta(minutes=16)
    assert login(database, p, after).actor.username == "b.target"
    with database.session() as s:
        u = s.execute(select(User).where(User.username == "b.target")).scalar_one()
        assert u.failed_logins == 0 and u.locked_until is None


@pytest.mark.req("KZ164-26")
def test_lockout_holds_under_concurrent_attempts(database, monkeypatch) -> None:
    """8 threads × 3 wrong passwords at once: exactly ``threshold`` guesses are evaluated, the rest meet the
    lock; the right password is refused afterwards."""
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    # a slower argon2id so that unserialised checks would overlap
    monkeypatch.setattr(passwords, "HASHER", CountingHasher(time_cost=2, memory_cost=8192, parallelism=1))
    with database.session() as s:
        s.execute(select(User).where(User.username == "b.target")).scalar_one().password_hash = \
            passwords.hash_password(p.password)
    threads, attempts = 8, 3
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def attacker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(attempts):
                try:
                    accounts.login(database, "b.target", f"guess {n}-{i} horse staple", "123456",
                                   f"test thread {n}", LATER)
                    outcomes.append("success")
                except AuthenticationFailed:
                    outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    ts = [threading.Thread(target=attacker, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    assert outcomes.count("refused") == threads * attempts
    reasons = [e.details for e in events(database, "login", "failure")]
    assert sum('"bad_password"' in r for r in reasons) == 5  # not one guess more than the threshold
    assert sum('"locked"' in r for r in reasons) == threads * attempts - 5
    with database.session() as s:
        u = s.execute(select(User).where(User.username == "b.target")).scalar_one()
        assert u.failed_logins == 5 and u.locked_until is not None
    _fails(database, "b.target", p.password, p.code(LATER + timedelta(seconds=30)),
           at=LATER + timedelta(seconds=30))


@pytest.mark.req("KZ164-26")
def test_lockout_threshold_is_a_setting(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    accounts.set_policy(database, boss.actor, "accounts.lockout_threshold", 3, now=T0)
    assert events(database, "setting.change")[0].category == "system_config"
    for i in range(3):
        _fails(database, "b.target", f"wrong guess number {i}", p.code(LATER))
    _fails(database, "b.target", p.password, p.code(LATER))
    with pytest.raises(Exception, match="from 3 to 20"):
        accounts.set_policy(database, boss.actor, "accounts.lockout_threshold", 100, now=T0)
    assert events(database, "setting.change", "failure")


# -------------------------------------------------------------------------------------------------- TOTP
@pytest.mark.req("KZ164-65")
def test_totp_code_is_accepted_once(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    at = LATER
    code = p.code(at)
    accounts.login(database, "b.target", p.password, code, "test", at)
    # replayed in the same step and in the next one (still inside the ±1 window)
    _fails(database, "b.target", p.password, code, at=at)
    _fails(database, "b.target", p.password, code, at=at + timedelta(seconds=30))
    # a newer code works; afterwards the older one (inside the window) is refused
    accounts.login(database, "b.target", p.password, p.code(at + timedelta(seconds=30)), "test",
                   at + timedelta(seconds=30))
    _fails(database, "b.target", p.password, p.code(at), at=at + timedelta(seconds=31))
    # an old code (two steps back) is refused
    _fails(database, "b.target", p.password, p.code(at - timedelta(seconds=60)), at=at + timedelta(seconds=90))
    assert sum('"bad_otp"' in e.details for e in events(database, "login", "failure")) == 4


@pytest.mark.req("KZ164-65")
def test_concurrent_replay_of_one_code_succeeds_once(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    code = p.code(LATER)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            accounts.login(database, "b.target", p.password, code, "test", LATER)
            outcomes.append("ok")
        except AuthenticationFailed:
            outcomes.append("refused")

    ts = [threading.Thread(target=attempt) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]


@pytest.mark.req("KZ164-65")
def test_password_alone_never_logs_in(database) -> None:
    boss = officer(database)
    accounts.create_user(database, boss.actor, "b.new", "Nurlan Sample", "violet harbor sprocket", ["actuary"],
                         now=T0)
    with pytest.raises(accounts.MfaEnrollmentRequired, match="mfa-enroll"):
        accounts.login(database, "b.new", "violet harbor sprocket", None, "test", LATER)
    # and the enrollment hint comes only after the right password
    _fails(database, "b.new", "wrong password here", None)


@pytest.mark.req("KZ164-65")
def test_recovery_code_works_once(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.target", ["actuary"])
    rc = p.recovery_codes[3]
    res = accounts.login(database, "b.target", p.password, rc, "test", LATER)
    assert res.method == "recovery_code" and res.recovery_codes_left == 9
    _fails(database, "b.target", p.password, rc, at=LATER + timedelta(seconds=1))
    _fails(database, "b.target", p.password, "abcd-efgh-jkmn", at=LATER + timedelta(seconds=2))
    with database.session() as s:
        stored = s.execute(text("SELECT r.code_hash FROM recovery_codes r JOIN users u ON u.id = r.user_id "
                                "WHERE u.username = :u"), {"u": "b.target"}).scalars().all()
    assert len(stored) == 10 and all(h.startswith("$argon2id$") and rc not in h for h in stored)


# -------------------------------------------------------------------------------------- blocked accounts
@pytest.mark.req("KZ164-26")
def test_disabled_expired_and_inactive_accounts_cannot_log_in(database) -> None:
    boss = officer(database)
    a = person(database, boss, "b.disabled", ["actuary"])
    b = person(database, boss, "c.expired", ["actuary"])
    c = person(database, boss, "d.inactive", ["actuary"])
    accounts.disable_user(database, boss.actor, "b.disabled", "left the company", now=T0)
    _fails(database, "b.disabled", a.password, a.code(LATER))
    accounts.enable_user(database, boss.actor, "b.disabled", now=LATER)
    assert login(database, a, LATER + timedelta(seconds=30)).actor.username == "b.disabled"

    accounts.set_expiry(database, boss.actor, "c.expired", T0 + timedelta(days=10), now=T0)
    assert login(database, b, T0 + timedelta(days=9)).actor.username == "c.expired"
    day11 = T0 + timedelta(days=11)
    _fails(database, "c.expired", b.password, b.code(day11), at=day11)

    # no login for more than 90 days: refused and disabled at the attempt
    day100 = T0 + timedelta(days=100)
    _fails(database, "d.inactive", c.password, c.code(day100), at=day100)
    info = accounts.get_user(database, boss.actor, "d.inactive")
    assert info.status == "disabled" and "90 days" in (info.disabled_reason or "")


@pytest.mark.req("KZ164-26")
def test_disable_inactive_sweep(database) -> None:
    boss = officer(database)
    active = person(database, boss, "b.active", ["actuary"])
    person(database, boss, "c.idle", ["actuary"])
    day80 = T0 + timedelta(days=80)
    login(database, active, day80)
    day95 = T0 + timedelta(days=95)
    actuary = person(database, boss, "f.actuary", ["actuary"], now=day95 - timedelta(minutes=1))
    with pytest.raises(accounts.PermissionDenied):
        accounts.disable_inactive(database, actuary.actor, now=day95)
    done = accounts.disable_inactive(database, SYSTEM, now=day95)
    # the only information security officer is kept, or nobody could administer accounts any more
    assert done == ["c.idle"]
    assert accounts.get_user(database, boss.actor, "c.idle").status == "disabled"
    assert accounts.get_user(database, boss.actor, "a.officer").status == "active"
    assert [e.object for e in events(database, "user.disable")] == ["c.idle"]
    assert events(database, "accounts.disable_inactive", "failure")[0].actor == "f.actuary"
    # once there is a second officer, the inactive one is disabled too
    boss2 = person(database, boss, "e.officer2", ["is_officer"], now=day95)
    assert accounts.disable_inactive(database, boss2.actor, now=day95 + timedelta(minutes=5)) == ["a.officer"]


# ---------------------------------------------------------------------------------------------- sessions
@pytest.mark.req("KZ164-23")
def test_sessions_hashed_expire_idle_and_logout(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.user", ["actuary"])
    at = LATER
    res = login(database, p, at)
    with database.session() as s:
        hashes = s.execute(select(UserSession.token_hash)).scalars().all()
    assert res.session_token not in hashes and accounts._sha256(res.session_token) in hashes
    assert accounts.authenticate_session(database, res.session_token, at + timedelta(minutes=20)).username == "b.user"
    # idle for more than 30 minutes
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, res.session_token, at + timedelta(minutes=51))
    # absolute lifetime of 8 hours even when active
    res2 = login(database, p, at + timedelta(minutes=1))
    t = at + timedelta(minutes=1)
    while t < at + timedelta(hours=7, minutes=50):
        t += timedelta(minutes=25)
        accounts.authenticate_session(database, res2.session_token, t)
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, res2.session_token, at + timedelta(hours=8, minutes=2))
    # logout
    res3 = login(database, p, at + timedelta(minutes=2))
    assert accounts.logout(database, res3.session_token, at + timedelta(minutes=3))
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, res3.session_token, at + timedelta(minutes=4))
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, "aks_forged-token", at)
    assert events(database, "logout") and events(database, "session", "failure")


@pytest.mark.req("KZ164-22")
def test_session_follows_account_changes(database) -> None:
    boss = officer(database)
    p = person(database, boss, "b.user", ["actuary", "risk_manager"])
    res = login(database, p, LATER)
    accounts.revoke_role(database, boss.actor, "b.user", "actuary", now=LATER)
    actor = accounts.authenticate_session(database, res.session_token, LATER + timedelta(minutes=1))
    assert actor.roles == frozenset({"risk_manager"})
    accounts.disable_user(database, boss.actor, "b.user", "investigation", now=LATER + timedelta(minutes=2))
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(database, res.session_token, LATER + timedelta(minutes=3))
