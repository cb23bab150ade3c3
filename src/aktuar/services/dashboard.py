"""What the web dashboard and the audit-trail viewer show (the routes only format it).

- :func:`deadlines`: the next regulatory dates after ``today`` — 1 January (the annual valuation's reporting
  date), 10 January (the monthly regulatory reporting for December) and 30 April (the actuarial opinion and the
  annual reporting) — with the days left.
- :func:`summary`: run counts by status, the reporting dates of recent runs and warnings (failed runs, runs
  awaiting review or approval) for an actor with ``run.read``; an actor without it sees only the deadlines.
- :func:`audit_events` / :func:`verify_audit`: the audit trail for ``audit.read`` (internal auditor, information
  security officer), with filters; reading it and verifying it are themselves audited, and a refusal is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.services.methodology import audit_refusal, database_errors
from aktuar.store.db import Database
from aktuar.store.models import AuditEvent, Run

# (month, day, message id) of the yearly regulatory dates
REGULATORY_DATES: tuple[tuple[int, int, str], ...] = ((1, 1, "deadline.jan1"), (1, 10, "deadline.jan10"),
                                                      (4, 30, "deadline.apr30"))
MAX_AUDIT_ROWS = 500


@dataclass(frozen=True)
class Deadline:
    key: str  # message id of what is due
    due: date
    days_left: int


@dataclass(frozen=True)
class Dashboard:
    deadlines: list[Deadline]
    can_read_runs: bool
    status_counts: dict[str, int] = field(default_factory=dict)
    reporting_dates: list[date] = field(default_factory=list)
    warnings: list[tuple[str, int]] = field(default_factory=list)  # (message id, count)


def deadlines(today: date) -> list[Deadline]:
    """The next occurrence (today or later) of each regulatory date, soonest first."""
    out = []
    for month, day, key in REGULATORY_DATES:
        due = date(today.year, month, day)
        if due < today:
            due = date(today.year + 1, month, day)
        out.append(Deadline(key, due, (due - today).days))
    return sorted(out, key=lambda d: d.due)


def summary(db: Database, actor: Actor, today: date | None = None) -> Dashboard:
    today = today or datetime.now(UTC).date()
    dl = deadlines(today)
    if not rbac.allowed(actor, "run.read"):
        return Dashboard(dl, False)
    with database_errors(), db.session() as s:
        counts = {str(k): int(v) for k, v in s.execute(select(Run.status, func.count()).group_by(Run.status))}
        dates = [r for (r,) in s.execute(select(Run.reporting_date).distinct().order_by(Run.reporting_date.desc())
                                         .limit(6))]
    warnings = [(key, counts.get(status, 0)) for key, status in (("warning.failed_runs", "failed"),
                                                                  ("warning.awaiting_review", "prepared"),
                                                                  ("warning.awaiting_approval", "reviewed"))
                if counts.get(status, 0)]
    return Dashboard(dl, True, counts, dates, warnings)


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    source: str
    category: str
    action: str
    object: str
    outcome: str
    details: str


def _require_audit_read(db: Database, actor: Actor, action: str) -> None:
    try:
        rbac.require(actor, "audit.read")
    except rbac.PermissionDenied as exc:
        audit_refusal(db, actor, action, "audit_trail", exc)
        raise


def audit_events(db: Database, actor: Actor, *, category: str | None = None, actor_name: str | None = None,
                 outcome: str | None = None, limit: int = 200) -> list[AuditRow]:
    """The newest audit records (newest first, at most ``limit`` ≤ 500) matching the filters (``audit.read``;
    the reading is audited with its filters)."""
    _require_audit_read(db, actor, "audit.view")
    filters: dict[str, Any] = {"category": category, "actor": actor_name, "outcome": outcome}
    limit = max(1, min(int(limit), MAX_AUDIT_ROWS))
    with database_errors(), db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
        if category:
            q = q.where(AuditEvent.category == category)
        if actor_name:
            q = q.where(AuditEvent.actor == actor_name)
        if outcome:
            q = q.where(AuditEvent.outcome == outcome)
        rows = [AuditRow(int(e.seq), audit.utc(e.at), e.actor, e.source, e.category, e.action, e.object, e.outcome,
                         e.details) for e in s.execute(q).scalars()]
        audit.record(s, actor, "business", "audit.view", object="audit_trail",
                     details={k: v for k, v in filters.items() if v} | {"rows": len(rows)})
    return rows


@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    records: int
    checkpoints: int
    problems: list[str]


def verify_audit(db: Database, actor: Actor) -> ChainStatus:
    """Verify the audit chain and its signed checkpoints (``audit.read``); the verification is audited."""
    _require_audit_read(db, actor, "audit.verify")
    with database_errors():
        rep = audit.verify_db(db)
        with db.session() as s:
            audit.record(s, actor, "business", "audit.verify", object="audit_trail",
                         outcome="success", details={"ok": rep.ok, "records": rep.records,
                                                     "problems": len(rep.problems)})
    return ChainStatus(rep.ok, rep.records, rep.checkpoints, [str(p) for p in rep.problems[:50]])
