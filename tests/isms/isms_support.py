"""Shared helpers of the ISMS tests: actors with roles, a fixed clock, cheap password hashing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select

from aktuar.security import passwords
from aktuar.security.context import Actor
from aktuar.store.models import AuditEvent

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
D0 = date(2026, 3, 2)

OFFICER = Actor(username="a.officer", roles=frozenset({"is_officer"}), user_id=None, source="test")
OFFICER2 = Actor(username="b.officer", roles=frozenset({"is_officer"}), user_id=None, source="test")
IT = Actor(username="i.admin", roles=frozenset({"it_admin"}), user_id=None, source="test")
AUDITOR = Actor(username="r.auditor", roles=frozenset({"internal_auditor"}), user_id=None, source="test")
ACTUARY = Actor(username="n.actuary", roles=frozenset({"actuary"}), user_id=None, source="test")
CHIEF = Actor(username="c.chief", roles=frozenset({"chief_actuary"}), user_id=None, source="test")
CEO = Actor(username="m.ceo", roles=frozenset({"management"}), user_id=None, source="test")


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                                            type=Type.ID))


def audit_rows(db, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
                    .scalars())
