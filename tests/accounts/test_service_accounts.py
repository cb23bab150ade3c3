"""Technological accounts (KZ164-25) and their API tokens: approvals by the heads of IT and IS, scope, expiry,
revocation, stored hashed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_fixtures import (
    T0,
    events,
    fast_hashing,  # noqa: F401 - autouse fixture
    officer,
    person,
)
from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.security.rbac import PermissionDenied
from aktuar.services import accounts
from aktuar.services.accounts import TokenInvalid
from aktuar.store.models import ApiToken

LATER = T0 + timedelta(minutes=5)


def _setup(database):
    boss = officer(database)
    it = person(database, boss, "i.admin", ["it_admin"])
    owner = person(database, boss, "o.owner", ["actuary"])
    sa = accounts.request_service_account(database, it.actor, "Reporting portal", "report-reader",
                                          "reads approved runs for the management dashboard", "o.owner",
                                          ["risk_manager"], now=T0)
    return boss, it, owner, sa


@pytest.mark.req("KZ164-25")
def test_register_needs_both_heads_then_tokens(database) -> None:
    boss, it, owner, sa = _setup(database)
    assert sa.status == "pending" and sa.responsible == "o.owner" and sa.requested_by == "i.admin"
    with pytest.raises(InputError, match="approvals"):
        accounts.issue_token(database, it.actor, sa.id, ["run.read"], 30, now=T0)
    after_it = accounts.approve_service_account(database, it.actor, sa.id, now=T0)
    assert after_it.status == "pending" and after_it.approved_by_it == "i.admin"
    with pytest.raises(InputError, match="already"):
        accounts.approve_service_account(database, it.actor, sa.id, now=T0)
    done = accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
    assert done.status == "active" and done.approved_by_is == "a.officer"
    assert [e.outcome for e in events(database, "service_account.approve")] == ["success", "failure", "success"]
    # an actuary can neither request nor approve
    eve = person(database, boss, "e.actuary", ["actuary"])
    with pytest.raises(PermissionDenied):
        accounts.approve_service_account(database, eve.actor, sa.id, now=T0)
    assert [x.name for x in accounts.list_service_accounts(database, it.actor)] == ["report-reader"]


@pytest.mark.req("KZ164-25")
def test_one_person_cannot_give_both_approvals(database) -> None:
    boss, it, owner, sa = _setup(database)
    accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
    # the officer tries again, and an officer who later gained it_admin is impossible (roles conflict)
    with pytest.raises(InputError, match="already"):
        accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
    with pytest.raises(InputError, match="cannot be combined"):
        accounts.grant_role(database, boss.actor, "i.admin", "is_officer")
    assert accounts.list_service_accounts(database, boss.actor)[0].status == "pending"
    # the head of IT approves, then moves to the IS unit: they cannot give the IS approval as well
    sa2 = accounts.request_service_account(database, it.actor, "ERP", "erp-sync", "sync", "o.owner", ["actuary"])
    accounts.approve_service_account(database, it.actor, sa2.id, now=T0)
    accounts.revoke_role(database, boss.actor, "i.admin", "it_admin", now=T0)
    accounts.grant_role(database, boss.actor, "i.admin", "is_officer", now=T0)
    moved = accounts.authenticate_session(database, it.token or "", T0 + timedelta(minutes=1))
    assert moved.roles == frozenset({"is_officer"})
    with pytest.raises(PermissionDenied, match="two different people"):
        accounts.approve_service_account(database, moved, sa2.id, now=T0)
    assert accounts.list_service_accounts(database, boss.actor)[0].status == "pending"


@pytest.mark.req("KZ164-25")
def test_service_account_rules(database) -> None:
    boss, it, owner, _ = _setup(database)
    with pytest.raises(InputError, match="cannot hold is_officer"):
        accounts.request_service_account(database, it.actor, "ERP", "admin-bot", "x", "o.owner", ["is_officer"])
    with pytest.raises(InputError, match="at least one role"):
        accounts.request_service_account(database, it.actor, "ERP", "nothing-bot", "x", "o.owner", [])
    with pytest.raises(InputError, match="no account"):
        accounts.request_service_account(database, it.actor, "ERP", "orphan-bot", "x", "nobody.here", ["actuary"])
    with pytest.raises(InputError, match="registered already"):
        accounts.request_service_account(database, it.actor, "Reporting portal", "REPORT-READER", "x", "o.owner",
                                         ["actuary"])


@pytest.mark.req("KZ164-25")
@pytest.mark.req("KZ164-22")
def test_token_scoped_expiring_revocable_and_hashed(database) -> None:
    boss, it, owner, sa = _setup(database)
    accounts.approve_service_account(database, it.actor, sa.id, now=T0)
    accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
    with pytest.raises(InputError, match="do not grant"):
        accounts.issue_token(database, it.actor, sa.id, ["run.approve"], 30, now=T0)  # beyond its roles
    with pytest.raises(InputError, match="cannot carry"):
        accounts.issue_token(database, it.actor, sa.id, ["account.manage"], 30, now=T0)
    with pytest.raises(InputError, match="1 to 365 days"):
        accounts.issue_token(database, it.actor, sa.id, ["run.read"], 1000, now=T0)
    with pytest.raises(PermissionDenied):
        accounts.issue_token(database, boss.actor, sa.id, ["run.read"], 30, now=T0)  # IS does not issue
    tok = accounts.issue_token(database, it.actor, sa.id, ["run.read"], 30, now=T0)
    with database.session() as s:
        stored = s.execute(select(ApiToken)).scalar_one()
        assert tok.token not in (stored.token_hash, stored.token_prefix) and len(stored.token_hash) == 64

    actor = accounts.authenticate_token(database, tok.token, LATER, source="api 10.1.2.3")
    assert actor.via == "api" and actor.username == "svc:Reporting portal/report-reader"
    rbac.require(actor, "run.read")
    with pytest.raises(PermissionDenied):
        rbac.require(actor, "report.read")  # its role allows it, its token's scope does not
    with pytest.raises(PermissionDenied):
        accounts.list_users(database, actor)
    # tampered, expired
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, tok.token[:-2] + ("AA" if not tok.token.endswith("AA") else "BB"),
                                    LATER)
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, tok.token, T0 + timedelta(days=31))
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, "akt_' OR 1=1 --_x", LATER)
    # revoked
    accounts.revoke_token(database, boss.actor, tok.prefix, now=LATER)
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, tok.token, LATER)
    reasons = [e.details for e in events(database, "token.auth", "failure")]
    assert any('"revoked"' in r for r in reasons) and any('"expired"' in r for r in reasons)
    assert any('"unknown"' in r for r in reasons)
    assert events(database, "token.auth", "success")[0].source.startswith("api 10.1.2.3")


@pytest.mark.req("KZ164-25")
def test_disabled_service_account_or_responsible_person_stops_tokens(database) -> None:
    boss, it, owner, sa = _setup(database)
    accounts.approve_service_account(database, it.actor, sa.id, now=T0)
    accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
    tok = accounts.issue_token(database, it.actor, sa.id, ["run.read"], 30, now=T0)
    accounts.disable_user(database, boss.actor, "o.owner", "left the company", now=LATER)
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, tok.token, LATER)
    accounts.enable_user(database, boss.actor, "o.owner", now=LATER)
    assert accounts.authenticate_token(database, tok.token, LATER).via == "api"
    accounts.disable_service_account(database, it.actor, sa.id, "system decommissioned", now=LATER)
    with pytest.raises(TokenInvalid):
        accounts.authenticate_token(database, tok.token, LATER)
    assert accounts.list_tokens(database, boss.actor)[0].revoked_at is not None


@pytest.mark.req("KZ164-25")
def test_two_accounts_with_long_system_names_never_share_an_identity(database) -> None:
    """The acting name of a token's account is cut to 64 characters keeping the account's number: two accounts
    of one long system name stay two identities (jobs and audit records belong to one of them)."""
    boss, it, owner, _ = _setup(database)
    system = "Core insurance platform of the head office, nightly loaders and reconciliation jobs"
    names = []
    for loader in ("loader-a", "loader-b"):
        sa = accounts.request_service_account(database, it.actor, system, loader, "nightly data load", "o.owner",
                                              ["risk_manager"], now=T0)
        accounts.approve_service_account(database, it.actor, sa.id, now=T0)
        accounts.approve_service_account(database, boss.actor, sa.id, now=T0)
        tok = accounts.issue_token(database, it.actor, sa.id, ["run.read"], 30, now=T0)
        names.append(accounts.authenticate_token(database, tok.token, LATER).username)
    assert names[0] != names[1] and all(len(n) <= 64 and n.startswith("svc:Core insurance") for n in names)
