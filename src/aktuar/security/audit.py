"""The tamper-evident audit trail (KZ164-30, KZ164-31).

Every record is chained: ``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``. Records are appended
inside the caller's transaction, so an operation and its audit record are committed together or not at all
("logging never breaks": if the record cannot be written, the operation fails). Appends are serialised (an
advisory transaction lock on PostgreSQL; SQLite serialises writers itself) so that the chain has no forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aktuar.security.context import Actor
from aktuar.store.models import AuditEvent

GENESIS = "0" * 64
CATEGORIES = {
    "auth": "connection, identification, authentication (KZ164-30(1))",
    "account": "changes of accounts and their powers (KZ164-30(2))",
    "change": "installation of updates or changes of the system (KZ164-30(3))",
    "audit_config": "changes of audit parameters (KZ164-30(4))",
    "system_config": "changes of system parameters (KZ164-30(5))",
    "business": "imports, runs, approvals, reports, methodology",
}
_LOCK_KEY = 0x616B7475  # "aktu"


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc(at: datetime) -> datetime:
    """The same instant as an aware UTC datetime (SQLite returns naive values, read as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def record_payload(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": int(e.seq), "at": utc(e.at).isoformat(timespec="microseconds"), "actor": e.actor,
        "actor_id": e.actor_id, "source": e.source, "category": e.category, "action": e.action,
        "object": e.object, "outcome": e.outcome, "details": e.details,
    }


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(payload)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tip:
    seq: int
    hash: str


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def tip(session: Session) -> Tip:
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return Tip(0, GENESIS) if row is None else Tip(int(row[0]), str(row[1]))


def record(
    session: Session,
    actor: Actor,
    category: str,
    action: str,
    *,
    object: str = "",  # noqa: A002 - the audited object's name
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit record in the caller's transaction and return it."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category}")
    if outcome not in ("success", "failure"):
        raise ValueError("outcome is success or failure")
    _lock(session)
    session.flush()
    last = tip(session)
    e = AuditEvent(
        seq=last.seq + 1,
        at=utc(at or datetime.now(UTC)),
        actor=actor.username[:64], actor_id=actor.user_id, source=actor.source[:200], category=category,
        action=action[:64], object=object[:300], outcome=outcome, details=canonical(details or {}),
        prev_hash=last.hash, hash="",
    )
    e.hash = chain_hash(last.hash, record_payload(e))
    session.add(e)
    session.flush()
    return e
