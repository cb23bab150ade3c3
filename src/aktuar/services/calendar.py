"""Regulatory calendar: every deadline the regulations set for a calendar year, with owner and status, reminders
and an iCalendar (RFC 5545) export.

Deadlines of year Y
- 10 January: annual ISMS report for Y-1 to the authorized body (NB 164 paragraph 50).
- 30 April: mandatory actuarial opinion as of 1 January Y (NB 191 App. 3 paragraph 1); independent actuary's
  opinion on the mandatory verification (App. 5 paragraph 11: within 10 days after the verification, no later
  than 30 April); SECP cybersecurity framework assessment report (SECP guidelines).
- End of February: confirmation of an actuary's qualification when a 3-year period ended on 31 December Y-1
  (App. 4 paragraph 1; per actuary from the registry, periods counted from their license).
- Register dates falling in Y: revisions of internal documents (NB 164 paragraph 11), due dates of access reviews,
  end of the retention of incident records (5 years, paragraph 40) and security-test results (3 years, paragraph
  61) — from then on the records may be archived.
- The authorized body's check, at least once in 3 years (paragraph 53): 3 years after the last check, when the
  setting ``calendar.last_authority_check`` (a date) is recorded.
Status (``open``/``done``/``waived``) and owner per deadline are stored in ``calendar_status`` (audited).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.store.db import Database
from aktuar.store.models import (
    Actuary,
    CalendarStatus,
    IsmsAccessReview,
    IsmsDocument,
    IsmsIncident,
    IsmsSecurityTest,
    Setting,
)

STATUSES = ("open", "done", "waived")


@dataclass(frozen=True)
class Deadline:
    key: str
    due: date
    title: str
    title_ru: str
    source: str
    requirement: str
    owner: str
    status: str = "open"
    note: str | None = None

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due < today


def _base(year: int) -> list[Deadline]:
    y = year
    return [
        Deadline(f"kz164-isms-report:{y - 1}", date(y, 1, 10), f"Annual ISMS report for {y - 1} to the ARDFM",
                 f"Сведения о состоянии СУИБ за {y - 1} год в уполномоченный орган",
                 "NB Resolution 164 para 50-52", "KZ164-50", "is_officer"),
        Deadline(f"kz191-opinion:{y}", date(y, 4, 30), f"Mandatory actuarial opinion as of 01.01.{y}",
                 f"Обязательное актуарное заключение на 01.01.{y}", "NB Resolution 191 App. 3 para 1", "KZ191-OP",
                 "chief_actuary"),
        Deadline(f"kz191-independent:{y}", date(y, 4, 30),
                 f"Independent actuary's opinion as of 01.01.{y} (within 10 days after the verification)",
                 f"Заключение независимого актуария на 01.01.{y} (в течение 10 дней после проверки)",
                 "NB Resolution 191 App. 5 para 10-11", "KZ191-IND", "chief_actuary"),
        Deadline(f"secp-report:{y - 1}", date(y, 4, 30),
                 f"SECP cybersecurity framework assessment report for {y - 1} (CISO and CEO/COO)",
                 f"Отчёт SECP об оценке кибербезопасности за {y - 1} (CISO и CEO/COO)",
                 "SECP guidelines 2020, cyber risk assessment", "SECP-REP", "is_officer"),
    ]


def _last_feb(y: int) -> date:
    return date(y, 3, 1) - timedelta(days=1)


def deadlines(db: Database, actor: Actor, year: int) -> list[Deadline]:
    """Every deadline of ``year`` with its stored status and owner (``calendar.read``)."""
    try:
        rbac.require(actor, "calendar.read")
    except PermissionDenied as exc:
        with db.session() as s:
            audit.record(s, actor, "business", "calendar.read", outcome="failure",
                         details={"reason": "permission denied", "permission": exc.permission})
        raise
    from aktuar.services.actuaries import reporting_period
    from aktuar.services.isms import _add_months

    out = _base(year)
    with db.session() as s:
        for a in s.execute(select(Actuary).where(Actuary.license_number.is_not(None))).scalars():
            try:
                _, end = reporting_period(a.license_date, date(year - 1, 12, 31))
            except InputError:
                continue
            if end == date(year - 1, 12, 31):
                out.append(Deadline(f"kz191-qualification:{a.id}:{year - 1}", _last_feb(year),
                                    f"Qualification confirmation of {a.full_name} (1,200 points, period to {end:%d.%m.%Y})",
                                    f"Подтверждение квалификации: {a.full_name}", "NB Resolution 191 App. 4 para 1, 4",
                                    "KZ191-QUAL", "chief_actuary"))
        for doc in s.execute(select(IsmsDocument).where(IsmsDocument.status == "in_force")).scalars():
            nxt = _add_months(doc.approved_on, doc.revision_months)
            if nxt.year == year:
                out.append(Deadline(f"document-revision:{doc.code}:{nxt.isoformat()}", nxt,
                                    f"Revision of {doc.code} {doc.title}", f"Пересмотр документа {doc.code}",
                                    "NB Resolution 164 para 11", "KZ164-08", doc.owner))
        for r in s.execute(select(IsmsAccessReview).where(IsmsAccessReview.status == "open")).scalars():
            if r.due.year == year:
                out.append(Deadline(f"access-review:{r.id}", r.due, f"Access review '{r.name}' due",
                                    f"Пересмотр прав доступа «{r.name}»", "NB Resolution 164 para 22; SECP",
                                    "KZ164-22", "is_officer"))
        for i in s.execute(select(IsmsIncident).where(IsmsIncident.retain_until.is_not(None))).scalars():
            if i.retain_until is not None and i.retain_until.year == year:
                out.append(Deadline(f"incident-retention:{i.ref}", i.retain_until,
                                    f"Retention of incident {i.ref} ends (may be archived)",
                                    f"Окончание срока хранения инцидента {i.ref}", "NB Resolution 164 para 40",
                                    "KZ164-40", "is_officer"))
        for t in s.execute(select(IsmsSecurityTest)).scalars():
            if t.retain_until.year == year:
                out.append(Deadline(f"test-retention:{t.id}", t.retain_until,
                                    f"Retention of the {t.kind} test of {t.system} {t.release} ends",
                                    f"Окончание хранения результатов тестирования {t.system} {t.release}",
                                    "NB Resolution 164 para 61", "KZ164-57", "is_officer"))
        last = s.get(Setting, "calendar.last_authority_check")
        if last is not None:
            try:
                d0 = date.fromisoformat(json.loads(last.value))
                due = date(d0.year + 3, d0.month, min(d0.day, 28))
                if due.year == year:
                    out.append(Deadline(f"authority-check:{due.isoformat()}", due,
                                        "The authorized body's IS compliance check is due (at least once in 3 years)",
                                        "Плановая проверка уполномоченного органа (не реже 1 раза в 3 года)",
                                        "NB Resolution 164 para 53", "KZ164-50", "is_officer"))
            except (ValueError, TypeError):
                pass
        stored = {r.key: r for r in s.execute(select(CalendarStatus)).scalars()}
    res = []
    for d in out:
        st = stored.get(d.key)
        res.append(d if st is None else replace(d, status=st.status, owner=st.owner or d.owner, note=st.note))
    return sorted(res, key=lambda d: (d.due, d.key))


def set_status(db: Database, actor: Actor, key: str, status: str, *, owner: str | None = None, note: str = "",
               now: datetime | None = None) -> None:
    """Mark a deadline ``done``/``waived``/``open`` and set its owner (``calendar.manage``, audited)."""
    at = datetime.now(UTC) if now is None else audit.utc(now)
    try:
        rbac.require(actor, "calendar.manage")
        if status not in STATUSES:
            raise InputError(f"status is one of {', '.join(STATUSES)}")
        if status == "waived" and not note.strip():
            raise InputError("say why the deadline is waived")
        with db.session() as s:
            row = s.get(CalendarStatus, key[:100])
            old = None if row is None else row.status
            if row is None:
                row = CalendarStatus(key=key[:100])
                s.add(row)
            row.status, row.owner, row.note = status, owner or (row.owner if old else None), note.strip() or None
            row.changed_by, row.changed_at = actor.username[:64], at
            audit.record(s, actor, "business", "calendar.status", object=key[:300],
                         details={"from": old, "to": status, "owner": row.owner}, at=at)
    except (InputError, PermissionDenied) as exc:
        with db.session() as s:
            audit.record(s, actor, "business", "calendar.status", object=key[:300], outcome="failure",
                         details={"reason": str(exc)[:300]})
        raise


def reminders(db: Database, actor: Actor, today: date, within_days: int = 30) -> list[Deadline]:
    """Open deadlines that are overdue or due within ``within_days`` (for the dashboard and e-mail)."""
    ds = deadlines(db, actor, today.year) + deadlines(db, actor, today.year + 1)
    seen: set[str] = set()
    out = []
    for d in ds:
        if d.key in seen or d.status != "open":
            continue
        seen.add(d.key)
        if d.due <= today + timedelta(days=within_days):
            out.append(d)
    return out


def send_reminders(db: Database, actor: Actor, today: date, recipients: list[str], within_days: int = 30
                   ) -> int:
    """E-mail the reminders through ``AKTUAR_SMTP_HOST`` (``AKTUAR_SMTP_PORT``, default 587 with STARTTLS;
    ``AKTUAR_SMTP_FROM``); returns the number of reminders sent (0 when nothing is due)."""
    import smtplib
    from email.message import EmailMessage

    host = os.environ.get("AKTUAR_SMTP_HOST")
    if not host:
        raise InputError("set AKTUAR_SMTP_HOST (and AKTUAR_SMTP_PORT, AKTUAR_SMTP_FROM) to send reminders by e-mail")
    due = reminders(db, actor, today, within_days)
    if not due:
        return 0
    msg = EmailMessage()
    msg["Subject"] = f"aktuar: {len(due)} regulatory deadline(s) due"
    msg["From"] = os.environ.get("AKTUAR_SMTP_FROM", "aktuar@localhost")
    msg["To"] = ", ".join(recipients)
    msg.set_content("\n".join(f"{d.due:%d.%m.%Y}  {d.title}  ({d.source}; owner {d.owner})"
                              + ("  OVERDUE" if d.overdue(today) else "") for d in due))
    with smtplib.SMTP(host, int(os.environ.get("AKTUAR_SMTP_PORT", "587")), timeout=30) as smtp:
        smtp.starttls()
        smtp.send_message(msg)
    return len(due)


def _ics_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets are folded."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    cur = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > (75 if not parts else 74):
            parts.append(cur.decode("utf-8"))
            cur = b""
        cur += b
    parts.append(cur.decode("utf-8"))
    return "\r\n ".join(parts)


def to_ical(items: list[Deadline], *, stamp: datetime | None = None, remind_days: int = 14) -> str:
    """The deadlines as an iCalendar file (all-day events with a reminder ``remind_days`` before)."""
    ts = (stamp or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//aktuar//regulatory calendar//EN", "CALSCALE:GREGORIAN"]
    for d in items:
        lines += [
            "BEGIN:VEVENT", f"UID:{_ics_escape(d.key)}@aktuar", f"DTSTAMP:{ts}",
            f"DTSTART;VALUE=DATE:{d.due:%Y%m%d}", f"DTEND;VALUE=DATE:{d.due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_escape(d.title)}",
            f"DESCRIPTION:{_ics_escape(f'{d.title_ru}. {d.source} ({d.requirement}). Owner: {d.owner}. Status: {d.status}.')}",
            f"CATEGORIES:{_ics_escape(d.requirement)}", f"STATUS:{'COMPLETED' if d.status == 'done' else 'CONFIRMED'}",
            "BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_ics_escape(d.title)}",
            f"TRIGGER:-P{remind_days}D", "END:VALARM", "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(x) for x in lines) + "\r\n"


def as_dict(d: Deadline, today: date) -> dict[str, Any]:
    return {"key": d.key, "due": d.due.isoformat(), "title": d.title, "title_ru": d.title_ru, "source": d.source,
            "requirement": d.requirement, "owner": d.owner, "status": d.status, "overdue": d.overdue(today)}
