"""Pages of the information-security registers and the compliance dashboard (issues 7 and 5).

- ``/isms``: the compliance dashboard — the NB 164 / SECP controls with their gaps (catalog and live), overdue
  items (document revisions, incidents without conclusion, open critical findings, pending approvals, untested
  updates, overdue deadlines), the regulatory deadlines due within 60 days (``calendar.reminders``), the year's
  calendar with status, and the recorded submissions of the security reports.
- ``/isms/incidents`` (list, report form) and ``/isms/incidents/{ref}``: the timeline, notifications pending per
  the procedure, evidence files with their SHA-256 and an on-demand re-hash (``?verify=1``, audited), analysis,
  conclusion, corrective actions and closing; evidence upload.
- ``/isms/access`` (access register with aktuar's own accounts, review campaigns with a decision per item);
  ``/isms/tests`` (security tests, findings and their status, releases flagged); ``/isms/documents`` (with overdue
  revisions flagged and a form to register a document or its revision).
- The other registers (assets with import, authorized software, installers and data-centre access, updates,
  actuaries) are in :mod:`aktuar.web.routers.isms_registers`; the regulators' reports in
  :mod:`aktuar.web.routers.isms_reports`.

Routes are thin: every read and change is the service's (``aktuar.services.isms``, ``compliance``, ``calendar``,
``isms_reports``), which checks the permission (``isms.manage`` for the information security officer, ``isms.read``
for auditors, management, IT and risk) and audits changes and refusals. The pages show forms only to who may use
them; every form posts the session's CSRF token (``page_post_who``).
"""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import UTC, date, datetime
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from aktuar.errors import InputError
from aktuar.services import calendar, compliance, isms, isms_reports, web_support
from aktuar.web.deps import allowed, db_of, now_of, page_post_who, page_who, render
from aktuar.web.routers.work import limit_body, upload_limit
from aktuar.web.security import Who

router = APIRouter(include_in_schema=False)
PageWho = Annotated[Who, Depends(page_who)]
PostWho = Annotated[Who, Depends(page_post_who)]
Ref = Annotated[str, Path(pattern=r"^INC-\d{4}-\d{4}$", max_length=13)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
DateField = Annotated[str, Form(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10)]
DONE = ("reported", "timeline", "evidence", "analysis", "conclusion", "closed", "action", "review_started",
        "decided", "review_closed", "finding", "document", "calendar",
        # isms_registers / isms_reports routers
        "software", "withdrawn", "privilege_requested", "privilege_approved", "privilege_monitored",
        "privilege_revoked", "update_recorded", "update_tested", "update_installed", "asset_saved", "asset_retired",
        "assets_imported", "actuary_saved", "pdp", "engagement", "built", "prepared", "countersigned")
REMIND_DAYS = 60
_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _done(value: str) -> str:
    return value if value in DONE else ""


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: write the date as yyyy-mm-dd") from None


def _datetime(value: str, what: str) -> datetime:
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: write it as yyyy-mm-ddThh:mm") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------------- dashboard
def _year_calendar(request: Request, who: Who, today: date) -> list[calendar.Deadline]:
    assert who.actor is not None
    if not allowed(who, "calendar.read"):
        return []
    seen: set[str] = set()
    out = []
    for y in (today.year, today.year + 1):
        for d in calendar.deadlines(db_of(request), who.actor, y):
            if d.key not in seen and (d.due >= date(today.year, 1, 1)):
                seen.add(d.key)
                out.append(d)
    return out


@router.get("/isms")
def dashboard_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """The compliance dashboard: gaps, overdue items and deadlines."""
    assert who.actor is not None
    db = db_of(request)
    today = now_of(request).date()
    controls = compliance.controls(db, who.actor, today=today)  # compliance.read (PermissionDenied otherwise)
    reminders = calendar.reminders(db, who.actor, today, REMIND_DAYS) if allowed(who, "calendar.read") else []
    overdue: list[tuple[str, str]] = []  # (kind, text)
    documents: list[isms.DocumentView] = []
    incidents: list[isms.IncidentView] = []
    tests: list[isms.SecurityTestView] = []
    submissions: list[dict[str, Any]] = []
    if allowed(who, "isms.read"):
        documents = isms.list_documents(db, who.actor, today=today)
        incidents = isms.list_incidents(db, who.actor)
        tests = isms.list_security_tests(db, who.actor)
        submissions = isms_reports.submissions(db, who.actor)
        overdue += [("document", f"{d.code} {d.title} — {d.next_revision.isoformat()}") for d in documents
                    if d.overdue]
        overdue += [("incident", f"{i.ref} {i.title}") for i in incidents if i.status != "closed"]
        overdue += [("finding", f"{t.system} {t.release}: {f.title}") for t in tests for f in t.open_critical]
    overdue += [("deadline", f"{d.due.isoformat()} {d.title}") for d in reminders if d.overdue(today)]
    gaps = [c for c in controls if c.gaps or c.live_gaps]
    by_status: dict[str, int] = {}
    for c in controls:
        by_status[c.status] = by_status.get(c.status, 0) + 1
    return render(request, "isms_dashboard.html", who.lang, done=_done(done), controls=controls, gaps=gaps,
                  by_status=by_status, live_gap_count=sum(len(c.live_gaps) for c in controls),
                  reminders=reminders, overdue=overdue, today=today, submissions=submissions,
                  year_calendar=_year_calendar(request, who, today), statuses=calendar.STATUSES,
                  may_calendar=allowed(who, "calendar.manage"), section="dashboard")


@router.post("/isms/calendar/status")
def calendar_status(request: Request, who: PostWho, key: Annotated[str, Form(min_length=1, max_length=100)],
                    status: Annotated[str, Form(pattern="^(open|done|waived)$")],
                    note: Annotated[str, Form(max_length=500)] = "") -> Response:
    assert who.actor is not None
    calendar.set_status(db_of(request), who.actor, key, status, note=note, now=now_of(request))
    return RedirectResponse("/isms?done=calendar", status_code=303)


# ------------------------------------------------------------------------------------------- incidents
@router.get("/isms/incidents")
def incidents_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    assert who.actor is not None
    rows = isms.list_incidents(db_of(request), who.actor)
    return render(request, "isms_incidents.html", who.lang, rows=list(reversed(rows)), done=_done(done),
                  may_manage=allowed(who, "isms.manage"), classes=list(isms.INCIDENT_CLASSES),
                  severities=isms.SEVERITIES, now=now_of(request), section="incidents")


@router.post("/isms/incidents")
def report_incident(request: Request, who: PostWho, title: Annotated[str, Form(min_length=1, max_length=300)],
                    classification: Annotated[str, Form(max_length=40)],
                    severity: Annotated[str, Form(max_length=20)],
                    detected_by: Annotated[str, Form(min_length=1, max_length=200)],
                    detected_at: Annotated[str, Form(max_length=25)],
                    description: Annotated[str, Form(max_length=20_000)] = "",
                    assets: Annotated[str, Form(max_length=2000)] = "") -> Response:
    assert who.actor is not None
    v = isms.report_incident(db_of(request), who.actor, title, detected_at=_datetime(detected_at, "detected at"),
                             detected_by=detected_by, classification=classification, severity=severity,
                             description=description, assets=[a for a in re.split(r"[;,\s]+", assets) if a],
                             now=now_of(request))
    return RedirectResponse(f"/isms/incidents/{v.ref}?done=reported", status_code=303)


@router.get("/isms/incidents/{ref}")
def incident_page(request: Request, ref: Ref, who: PageWho, verify: Annotated[int, Query(ge=0, le=1)] = 0,
                  done: Annotated[str, Query(max_length=20)] = "") -> Response:
    assert who.actor is not None
    db = db_of(request)
    v = isms.get_incident(db, who.actor, ref)
    checks = {c.evidence_id: c for c in isms.verify_evidence(db, who.actor, ref, now=now_of(request))} \
        if verify else {}
    return render(request, "isms_incident.html", who.lang, inc=v, checks=checks, verified=bool(verify),
                  done=_done(done), may_manage=allowed(who, "isms.manage"), kinds=isms.TIMELINE_KINDS,
                  action_statuses=("in_progress", "done", "dropped"), limit_mb=upload_limit(request) // (1 << 20),
                  section="incidents")


def _to(ref: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/isms/incidents/{ref}?done={done}", status_code=303)


@router.post("/isms/incidents/{ref}/timeline")
def incident_timeline(request: Request, ref: Ref, who: PostWho, kind: Annotated[str, Form(max_length=20)],
                      text: Annotated[str, Form(max_length=5000)] = "",
                      recipient: Annotated[str, Form(max_length=200)] = "",
                      channel: Annotated[str, Form(max_length=100)] = "") -> Response:
    assert who.actor is not None
    isms.add_timeline(db_of(request), who.actor, ref, kind, text, recipient=recipient or None,
                      channel=channel or None, now=now_of(request))
    return _to(ref, "timeline")


@router.post("/isms/incidents/{ref}/evidence", dependencies=[Depends(limit_body)])
def incident_evidence(request: Request, ref: Ref, who: PostWho, file: Annotated[UploadFile, File()],
                      source: Annotated[str, Form(max_length=300)] = "",
                      description: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """Store an uploaded evidence file: copied to a private temporary folder under its safe base name, stored
    content-addressed by the service (SHA-256 recorded), then the temporary copy is removed."""
    assert who.actor is not None
    db = db_of(request)
    name = _SAFE.sub("_", str(file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:120]
    if not name:
        raise InputError("the uploaded file has no usable name")
    tmp = FsPath(db.settings.data_dir) / "uploads" / f".evidence-{secrets.token_hex(8)}"
    tmp.mkdir(parents=True, mode=0o700)
    try:
        target = tmp / name
        web_support.receive(file.file, target, upload_limit(request), empty=f"{name} is empty", head_bytes=0)
        isms.add_evidence(db, who.actor, ref, target, source=source, description=description, now=now_of(request))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _to(ref, "evidence")


@router.post("/isms/incidents/{ref}/analysis")
def incident_analysis(request: Request, ref: Ref, who: PostWho, causes: Annotated[str, Form(max_length=20_000)],
                      mechanism: Annotated[str, Form(max_length=20_000)],
                      consequences: Annotated[str, Form(max_length=20_000)]) -> Response:
    assert who.actor is not None
    isms.record_analysis(db_of(request), who.actor, ref, causes=causes, mechanism=mechanism,
                         consequences=consequences, now=now_of(request))
    return _to(ref, "analysis")


@router.post("/isms/incidents/{ref}/conclusion")
def incident_conclusion(request: Request, ref: Ref, who: PostWho, conclusion: Annotated[str, Form(max_length=20_000)],
                        actions: Annotated[str, Form(max_length=20_000)]) -> Response:
    """Corrective actions one per line, optionally ``action | owner | yyyy-mm-dd``."""
    assert who.actor is not None
    items: list[dict[str, Any]] = []
    for line in actions.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        item: dict[str, Any] = {"action": parts[0], "owner": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2 and parts[2]:
            item["due"] = _date(parts[2], "due date").isoformat()
        items.append(item)
    isms.record_conclusion(db_of(request), who.actor, ref, conclusion, items, now=now_of(request))
    return _to(ref, "conclusion")


@router.post("/isms/incidents/{ref}/close")
def incident_close(request: Request, ref: Ref, who: PostWho) -> Response:
    assert who.actor is not None
    isms.close_incident(db_of(request), who.actor, ref, now=now_of(request))
    return _to(ref, "closed")


@router.post("/isms/incidents/{ref}/actions/{index}")
def incident_action(request: Request, ref: Ref, index: Annotated[int, Path(ge=1, le=1000)], who: PostWho,
                    status: Annotated[str, Form(pattern="^(open|in_progress|done|dropped)$")],
                    note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    assert who.actor is not None
    isms.follow_up_action(db_of(request), who.actor, ref, index, status, note, now=now_of(request))
    return _to(ref, "action")


# ---------------------------------------------------------------------------------------------- access
@router.get("/isms/access")
def access_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    assert who.actor is not None
    db = db_of(request)
    entries = isms.access_register(db, who.actor)
    reviews = list(reversed(isms.list_reviews(db, who.actor)))
    return render(request, "isms_access.html", who.lang, entries=entries, reviews=reviews, done=_done(done),
                  may_manage=allowed(who, "isms.manage"), decisions=isms.REVIEW_DECISIONS,
                  today=now_of(request).date(), section="access")


@router.post("/isms/reviews")
def start_review(request: Request, who: PostWho, name: Annotated[str, Form(min_length=1, max_length=200)],
                 due: DateField) -> Response:
    assert who.actor is not None
    isms.start_review(db_of(request), who.actor, name, _date(due, "due date"), now=now_of(request))
    return RedirectResponse("/isms/access?done=review_started", status_code=303)


@router.post("/isms/reviews/items/{item_id}")
def decide_item(request: Request, item_id: Id, who: PostWho,
                decision: Annotated[str, Form(pattern="^(keep|revoke|change)$")],
                comment: Annotated[str, Form(max_length=1000)] = "") -> Response:
    assert who.actor is not None
    isms.decide_review_item(db_of(request), who.actor, item_id, decision, comment, now=now_of(request))
    return RedirectResponse("/isms/access?done=decided", status_code=303)


@router.post("/isms/reviews/{review_id}/close")
def close_review(request: Request, review_id: Id, who: PostWho) -> Response:
    assert who.actor is not None
    isms.close_review(db_of(request), who.actor, review_id, now=now_of(request))
    return RedirectResponse("/isms/access?done=review_closed", status_code=303)


# ------------------------------------------------------------------------------------- security tests
@router.get("/isms/tests")
def tests_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    assert who.actor is not None
    db = db_of(request)
    tests = list(reversed(isms.list_security_tests(db, who.actor)))
    releases = sorted({(t.system, t.release) for t in tests})
    flagged = [c for c in (isms.release_check(db, who.actor, s, r) for s, r in releases) if c.flagged]
    return render(request, "isms_tests.html", who.lang, tests=tests, flagged=flagged, done=_done(done),
                  may_manage=allowed(who, "isms.manage"), kinds=isms.TEST_KINDS, section="tests")


@router.post("/isms/findings/{finding_id}")
def finding_status(request: Request, finding_id: Id, who: PostWho,
                   status: Annotated[str, Form(pattern="^(open|fixed|accepted)$")],
                   note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    assert who.actor is not None
    isms.set_finding_status(db_of(request), who.actor, finding_id, status, note, now=now_of(request))
    return RedirectResponse("/isms/tests?done=finding", status_code=303)


# ------------------------------------------------------------------------------------------- documents
@router.get("/isms/documents")
def documents_page(request: Request, who: PageWho, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    assert who.actor is not None
    rows = isms.list_documents(db_of(request), who.actor, today=now_of(request).date())
    return render(request, "isms_documents.html", who.lang, rows=rows, done=_done(done),
                  may_manage=allowed(who, "isms.manage"), kinds=isms.DOCUMENT_KINDS, bodies=isms.APPROVAL_BODIES,
                  section="documents")


@router.post("/isms/documents")
def register_document(request: Request, who: PostWho, code: Annotated[str, Form(min_length=1, max_length=64)],
                      title: Annotated[str, Form(min_length=1, max_length=300)],
                      kind: Annotated[str, Form(max_length=40)], approval_body: Annotated[str, Form(max_length=40)],
                      approved_on: DateField, version: Annotated[str, Form(min_length=1, max_length=32)],
                      revision_months: Annotated[int, Form(ge=1, le=120)],
                      owner: Annotated[str, Form(min_length=1, max_length=200)]) -> Response:
    assert who.actor is not None
    isms.register_document(db_of(request), who.actor, code=code, title=title, kind=kind, approval_body=approval_body,
                           approved_on=_date(approved_on, "approval date"), version=version,
                           revision_months=revision_months, owner=owner, now=now_of(request))
    return RedirectResponse("/isms/documents?done=document", status_code=303)
