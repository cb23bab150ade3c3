"""Fixtures of the web tests: fast argon2, a movable clock, people with an enrolled authenticator, a prepared
and reviewed run, and an in-process HTTPS client (FastAPI TestClient) over the ``database`` fixture."""

from __future__ import annotations

import csv
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from aktuar.security import mfa, passwords
from aktuar.security.context import Actor
from aktuar.services import accounts
from aktuar.store.db import Database

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
OFFICER_PW = "granite river lantern okapi"
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "data" / "mack1993_taylor_ashe.json"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')
PREPARER = Actor("alice", frozenset({"actuary"}), user_id=9001, source="test")
REVIEWER = Actor("bob", frozenset({"actuary"}), user_id=9002, source="test")
COORDINATOR = Actor("carol", frozenset({"chief_actuary"}), user_id=9003, source="test")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters so the tests stay fast (production parameters are tested in
    tests/accounts)."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                                            type=Type.ID))
    monkeypatch.setattr(mfa, "RECOVERY_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                                               type=Type.ID))
    for name in ("AKTUAR_SECRETS_KEY_FILE", "AKTUAR_TOKEN", "AKTUAR_SESSION_FILE", "AKTUAR_ENV",
                 "AKTUAR_INSURER_NAME", "AKTUAR_INSURER_LOGO", "AKTUAR_INSURER_COLOR", "AKTUAR_INSURER_ACCENT"):
        monkeypatch.delenv(name, raising=False)


class Clock:
    """A settable "now" for the app (login codes and session timeouts follow it)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> datetime:
        self.at = self.at + timedelta(**kw)
        return self.at


@dataclass
class Person:
    username: str
    password: str
    secret: str
    actor: Actor
    recovery_codes: list[str] = field(default_factory=list)

    def code(self, at: datetime) -> str:
        return mfa.code_at(self.secret, at)


def enroll(db: Database, username: str, password: str, now: datetime) -> tuple[str, list[str]]:
    e = accounts.begin_mfa_enrollment(db, username, password, source="test", now=now)
    codes = accounts.confirm_mfa_enrollment(db, username, password, mfa.code_at(e.secret, now), source="test",
                                            now=now)
    return e.secret, codes


def make_officer(db: Database, now: datetime, username: str = "a.officer") -> Person:
    accounts.bootstrap(db, username, "Aigul Officer", OFFICER_PW, now)
    secret, codes = enroll(db, username, OFFICER_PW, now)
    res = accounts.login(db, username, OFFICER_PW, mfa.code_at(secret, now + timedelta(seconds=30)), "test",
                         now + timedelta(seconds=30))
    return Person(username, OFFICER_PW, secret, res.actor, codes)


def make_person(db: Database, officer: Person, username: str, roles: list[str], now: datetime) -> Person:
    pw = f"violet harbor sprocket {secrets.token_hex(4)}"
    accounts.create_user(db, officer.actor, username, "Nurlan Sample", pw, roles, now=now)
    secret, codes = enroll(db, username, pw, now)
    info = accounts.get_user(db, officer.actor, username)
    actor = Actor(username, frozenset(info.roles), user_id=info.id, source="test", via="web")
    return Person(username, pw, secret, actor, codes)


def write_triangle(path: Path) -> Path:
    d = json.loads(REFERENCE.read_text())["triangle"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *d["development"]])
        for o, row in zip(d["origin"], d["values"], strict=True):
            w.writerow([o, *["" if v is None else repr(float(v)) for v in row]])
    return path


def prepared_run(db: Database, tmp: Path, *, reviewed: bool = True) -> int:
    """A run of Taylor/Ashe with a coordinated Mack methodology, prepared by 'alice' (and reviewed by 'bob')."""
    from aktuar.services import methodology as meth
    from aktuar.services import valuation

    views = meth.list_methodologies(db, PREPARER)
    if views:
        m_id = views[0].id
    else:
        m = meth.create(db, PREPARER, "IBNR methodology", "1.0", parameters={"default": {"method": "chainladder"}},
                        description="chain ladder")
        meth.submit(db, COORDINATOR, m.id, date(2026, 1, 10))
        m_id = meth.coordinate(db, COORDINATOR, m.id, date(2026, 2, 1), "ARDFM 12-3/456").id
    tri = write_triangle(tmp / f"tri-{secrets.token_hex(3)}.csv")
    ds = valuation.import_dataset(db, PREPARER, tri, "triangle")
    run = valuation.prepare_run(db, PREPARER, date(2025, 12, 31), None, m_id, {"triangle": ds.id})
    if reviewed:
        valuation.review(db, REVIEWER, run.id)
    return run.id


@dataclass
class WebEnv:
    db: Database
    clock: Clock
    officer: Person
    tmp: Path
    app: object = None

    def person(self, username: str, roles: list[str]) -> Person:
        return make_person(self.db, self.officer, username, roles, T0)

    def client(self):  # type: ignore[no-untyped-def]
        from fastapi.testclient import TestClient

        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)

    def login(self, client, p: Person, next_path: str = ""):  # type: ignore[no-untyped-def]
        """Log in through the login form (a new time step for each login: TOTP codes are single-use)."""
        self.clock.advance(seconds=31)
        page = client.get("/login")
        csrf = CSRF_RE.search(page.text).group(1)
        return client.post("/login", data={"username": p.username, "password": p.password,
                                           "code": p.code(self.clock()), "next": next_path, "csrf_token": csrf})


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf token in the page"
    return m.group(1)


@pytest.fixture
def web(database: Database, tmp_path: Path) -> Iterator[WebEnv]:
    from aktuar.web import WebSettings, create_app

    clock = Clock(T0 + timedelta(minutes=1))
    officer = make_officer(database, T0)
    env = WebEnv(database, clock, officer, tmp_path)
    env.app = create_app(WebSettings(database=database, clock=clock, enable_test_routes=True))
    yield env
