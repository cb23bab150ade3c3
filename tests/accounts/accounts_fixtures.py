"""Shared helpers of the account tests: cheaper argon2id parameters (same code paths, faster), people with an
enrolled authenticator, a clock, and the environment for the command line."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select, text

from aktuar.security import audit, mfa, passwords
from aktuar.security.context import Actor
from aktuar.services import accounts
from aktuar.store.db import Database
from aktuar.store.models import AuditEvent

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
OFFICER_PW = "granite river lantern okapi"


class CountingHasher(PasswordHasher):
    """An argon2id hasher that records the parameters of every hash it verifies."""

    def __init__(self, **kw: int) -> None:
        super().__init__(type=Type.ID, **kw)
        self.verified: list[dict[str, int]] = []

    def verify(self, hash, password):  # type: ignore[no-untyped-def,override]
        h = hash.decode() if isinstance(hash, bytes) else hash
        self.verified.append(passwords.parameters(h))
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    """argon2id with small parameters (1 MiB, t=1) so that the tests stay fast; production parameters are
    tested explicitly in test_passwords_policy.py and test_login_attacks.py."""
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "HASHER", hasher)
    monkeypatch.setattr(mfa, "RECOVERY_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                                               type=Type.ID))
    monkeypatch.delenv("AKTUAR_SECRETS_KEY_FILE", raising=False)
    monkeypatch.delenv("AKTUAR_TOKEN", raising=False)
    monkeypatch.delenv("AKTUAR_SESSION_FILE", raising=False)
    return hasher


@dataclass
class Person:
    username: str
    password: str
    secret: str
    actor: Actor
    recovery_codes: list[str]
    token: str | None = None

    def code(self, at: datetime) -> str:
        return mfa.code_at(self.secret, at)


def enroll(db: Database, username: str, password: str, now: datetime) -> tuple[str, list[str]]:
    e = accounts.begin_mfa_enrollment(db, username, password, source="test", now=now)
    codes = accounts.confirm_mfa_enrollment(db, username, password, mfa.code_at(e.secret, now), source="test",
                                            now=now)
    return e.secret, codes


def login(db: Database, p: Person, at: datetime) -> accounts.LoginResult:
    return accounts.login(db, p.username, p.password, p.code(at), "test 127.0.0.1", at)


def officer(db: Database, now: datetime = T0, username: str = "a.officer") -> Person:
    """The bootstrapped information security officer, enrolled and logged in (a step after ``now``)."""
    accounts.bootstrap(db, username, "Aigul Officer", OFFICER_PW, now)
    secret, codes = enroll(db, username, OFFICER_PW, now)
    at = now + timedelta(seconds=30)
    res = accounts.login(db, username, OFFICER_PW, mfa.code_at(secret, at), "test 127.0.0.1", at)
    return Person(username, OFFICER_PW, secret, res.actor, codes, res.session_token)


def person(db: Database, by: Person, username: str, roles: list[str], now: datetime = T0,
           password: str | None = None, full_name: str | None = None) -> Person:
    """A person created by ``by`` (an officer), enrolled and logged in (a step after ``now``)."""
    pw = password or f"violet harbor sprocket {secrets.token_hex(4)}"
    accounts.create_user(db, by.actor, username, full_name or "Nurlan Sample", pw, roles, now=now)
    secret, codes = enroll(db, username, pw, now)
    at = now + timedelta(seconds=30)
    res = accounts.login(db, username, pw, mfa.code_at(secret, at), "test 127.0.0.1", at)
    return Person(username, pw, secret, res.actor, codes, res.session_token)


def events(db: Database, action: str | None = None, outcome: str | None = None) -> list[AuditEvent]:
    with db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            q = q.where(AuditEvent.action == action)
        if outcome:
            q = q.where(AuditEvent.outcome == outcome)
        return list(s.execute(q).scalars())


def chain_intact(db: Database) -> bool:
    with db.session() as s:
        rows = list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    prev = audit.GENESIS
    for r in rows:
        if r.prev_hash != prev or audit.chain_hash(r.prev_hash, audit.record_payload(r)) != r.hash:
            return False
        prev = r.hash
    return True


def cli_env(db: Database) -> dict[str, str]:
    """Environment for the command line to reach the test database (SQLite file or the PostgreSQL schema)."""
    env = {"AKTUAR_DATA_DIR": str(db.settings.data_dir)}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        base = os.environ["AKTUAR_TEST_DATABASE_URL"]
        sep = "&" if "?" in base else "?"
        env["AKTUAR_DATABASE_URL"] = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    else:
        env["AKTUAR_DATABASE_URL"] = db.settings.database_url
    return env
