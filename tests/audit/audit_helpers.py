"""Shared helpers of the audit-trail tests: actors, filling the trail, and a database administrator who drops
the append-only triggers and edits the table directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from aktuar.security import audit
from aktuar.security.context import Actor
from aktuar.store.models import AuditEvent

ISO = Actor("saule.is", frozenset({"is_officer"}), user_id=10, source="test 10.0.0.10")
IT = Actor("marat.it", frozenset({"it_admin"}), user_id=11, source="test 10.0.0.11")
AUDITOR = Actor("aigul.audit", frozenset({"internal_auditor"}), user_id=12, source="test 10.0.0.12")
ACTUARY = Actor("ivanov", frozenset({"actuary"}), user_id=13, source="test 10.0.0.13")
ATTACKER = Actor("=HYPERLINK(\"http://evil\")", frozenset(), source="web 203.0.113.9")


def fill(db: Any, n: int, *, start: datetime | None = None, step: timedelta = timedelta(minutes=1),
         category: str = "business", actor: Actor = ACTUARY) -> list[int]:
    """Append ``n`` records (one transaction) with times from ``start``; returns their seqs."""
    seqs = []
    with db.session() as s:
        for i in range(n):
            at = (start + i * step) if start is not None else None
            e = audit.record(s, actor, category, "import", object=f"claims-{i}.csv", details={"rows": i}, at=at)
            seqs.append(e.seq)
    return seqs


def sqlite(db: Any) -> bool:
    return db.engine.dialect.name == "sqlite"


SQLITE_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete", "audit_checkpoints_no_update",
                   "audit_checkpoints_no_delete")
PG_TRIGGERS = (("audit_events_append_only", "audit_events"), ("audit_events_no_truncate", "audit_events"),
               ("audit_checkpoints_append_only", "audit_checkpoints"),
               ("audit_checkpoints_no_truncate", "audit_checkpoints"))


def drop_triggers(db: Any) -> None:
    """What a database administrator can do: remove the append-only protection."""
    with db.engine.begin() as c:
        if sqlite(db):
            for t in SQLITE_TRIGGERS:
                c.execute(text(f"DROP TRIGGER {t}"))
        else:
            for t, table in PG_TRIGGERS:
                c.execute(text(f"DROP TRIGGER {t} ON {table}"))


def sql(db: Any, statement: str, **params: Any) -> None:
    with db.engine.begin() as c:
        c.execute(text(statement), params)


def row(db: Any, seq: int) -> AuditEvent:
    with db.session() as s:
        e = s.get(AuditEvent, seq)
        assert e is not None
        s.expunge(e)
        return e


def rehash(db: Any, seq: int, *, prev_hash: str | None = None) -> str:
    """Recompute the stored hash of record ``seq`` from its (edited) content, as a careful attacker would."""
    e = row(db, seq)
    prev = prev_hash if prev_hash is not None else e.prev_hash
    h = audit.chain_hash(prev, audit.record_payload(e))
    sql(db, "UPDATE audit_events SET hash = :h, prev_hash = :p WHERE seq = :s", h=h, p=prev, s=seq)
    return h


def rehash_from(db: Any, seq: int) -> None:
    """Recompute every hash from ``seq`` to the end, so the chain alone looks intact again."""
    with db.session() as s:
        last = int(s.query(AuditEvent.seq).order_by(AuditEvent.seq.desc()).first()[0])
    prev = row(db, seq - 1).hash if seq > 1 else audit.GENESIS
    for k in range(seq, last + 1):
        prev = rehash(db, k, prev_hash=prev)


def shift(db: Any, from_seq: int, by: int) -> None:
    """Renumber records ``seq >= from_seq`` by ``by`` (two steps, so the primary key never collides)."""
    sql(db, "UPDATE audit_events SET seq = -(seq + :by) WHERE seq >= :f", by=by, f=from_seq)
    sql(db, "UPDATE audit_events SET seq = -seq WHERE seq < 0")


def insert_row(db: Any, **fields: Any) -> None:
    cols = ", ".join(fields)
    vals = ", ".join(f":{k}" for k in fields)
    sql(db, f"INSERT INTO audit_events ({cols}) VALUES ({vals})", **fields)


def kinds(report: audit.VerifyReport) -> set[tuple[int | None, str]]:
    return {(p.seq, p.kind) for p in report.problems}


def old(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)
