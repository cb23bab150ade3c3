"""Pages of the ISMS registers and the compliance dashboard (issues 7 and 5), in process over HTTPS: the IS officer
manages (incident timeline, evidence upload and verification, analysis, conclusion, closing; review decisions;
finding status; documents; calendar status), the auditor reads, an actuary is refused; CSRF on every form; pages
CSP-safe and in Russian and English."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from conftest import T0, csrf_of
from sqlalchemy import select

from aktuar.demo import isms_demo
from aktuar.security.context import Actor
from aktuar.services import isms
from aktuar.store.models import AuditEvent

IT = Actor("i.admin", frozenset({"it_admin"}), user_id=None, source="test")
CHIEF = Actor("c.chief", frozenset({"chief_actuary"}), user_id=None, source="test")
PAGES = ("/isms", "/isms/incidents", "/isms/incidents/INC-2026-0001", "/isms/assets", "/isms/access", "/isms/tests",
         "/isms/documents")


def _csp_safe(html: str) -> None:
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def _forms_have_csrf(html: str) -> None:
    for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
        assert 'name="csrf_token"' in form, form[:200]


def _fill(web) -> None:  # type: ignore[no-untyped-def]
    isms_demo.fill_registers(web.db, officer=web.officer.actor, it=IT, chief=CHIEF, now=web.clock(), year=2026,
                             evidence_dir=web.tmp / "ev")


def _failures(db, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.outcome == "failure")).scalars())


@pytest.mark.req("KZ164-40")
@pytest.mark.req("KZ164-43")
def test_officer_pages_incident_workflow_and_evidence(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    c = web.client()
    assert web.login(c, web.officer).status_code == 303
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200, path
        _csp_safe(r.text)
        _forms_have_csrf(r.text)
    dash = c.get("/isms").text
    assert "Соответствие требованиям ИБ" in dash and 'id="gaps"' in dash
    assert "PLN-BCP" in dash  # the overdue revision is among the overdue items
    assert "30.04.2026" in dash  # deadlines within 60 days (ru dates)
    docs = c.get("/isms/documents").text
    assert re.search(r'id="doc-PLN-BCP".*?overdue-flag', docs, flags=re.S)
    assert not re.search(r'id="doc-POL-IS"[^\n]*overdue-flag', docs)

    # report an incident, add a timeline entry, upload and verify evidence
    page = c.get("/isms/incidents").text
    r = c.post("/isms/incidents", data={"csrf_token": csrf_of(page), "title": "Lost laptop", "classification":
                                        "physical", "severity": "low", "detected_by": "employee",
                                        "detected_at": "2026-03-01T08:00", "assets": "AKTUAR"})
    assert r.status_code == 303 and r.headers["location"] == "/isms/incidents/INC-2026-0003?done=reported"
    detail = c.get("/isms/incidents/INC-2026-0003").text
    assert "information_security_unit" in detail and 'id="pending"' in detail
    r = c.post("/isms/incidents/INC-2026-0003/timeline", data={"csrf_token": csrf_of(detail), "kind": "notified",
                                                               "recipient": "information_security_unit"})
    assert r.status_code == 303
    assert 'id="pending"' not in c.get("/isms/incidents/INC-2026-0003").text
    r = c.post("/isms/incidents/INC-2026-0003/evidence", data={"csrf_token": csrf_of(detail), "source": "MDM"},
               files={"file": ("../../mdm report.json", io.BytesIO(b'{"device": "NB-5"}'), "application/json")})
    assert r.status_code == 303, r.text
    v = isms.get_incident(web.db, web.officer.actor, "INC-2026-0003")
    assert [e.filename for e in v.evidence] == ["mdm report.json"]
    assert not list((web.db.settings.data_dir / "uploads").glob(".evidence-*"))  # temporary copy removed
    ok = c.get("/isms/incidents/INC-2026-0003?verify=1").text
    assert 'id="evidence-status"' in ok and "все без изменений" in ok
    stored = web.db.settings.data_dir / "isms" / "evidence" / v.evidence[0].sha256
    stored.chmod(0o600)
    stored.write_bytes(b"tampered")
    bad = c.get("/isms/incidents/INC-2026-0003?verify=1").text
    assert "Обнаружено изменение" in bad and "the stored file was changed" in bad

    # analysis, conclusion, close (refused first: closing needs the analysis)
    r = c.post("/isms/incidents/INC-2026-0003/close", data={"csrf_token": csrf_of(detail)})
    assert r.status_code == 400 and "analysis" in r.text and "/tmp" not in r.text
    for path, data in (("analysis", {"causes": "left in a taxi", "mechanism": "loss", "consequences": "none, "
                                     "disk encrypted"}),
                       ("conclusion", {"conclusion": "no data exposed", "actions": "remind staff | CISO | 2026-04-01"
                                       "\nenforce disk encryption"}),
                       ("close", {})):
        r = c.post(f"/isms/incidents/INC-2026-0003/{path}", data={"csrf_token": csrf_of(detail), **data})
        assert r.status_code == 303, (path, r.text)
    v = isms.get_incident(web.db, web.officer.actor, "INC-2026-0003")
    assert v.status == "closed" and v.retain_until == date(2031, 3, 2)
    assert [a["due"] for a in v.corrective_actions] == ["2026-04-01", None]
    r = c.post("/isms/incidents/INC-2026-0003/actions/1", data={"csrf_token": csrf_of(detail), "status": "done",
                                                                "note": "done at the staff meeting"})
    assert r.status_code == 303
    # no CSRF token / a foreign origin: refused
    assert c.post("/isms/incidents/INC-2026-0003/timeline", data={"kind": "note", "text": "x"}).status_code == 403
    r = c.post("/isms/incidents", data={"csrf_token": csrf_of(detail), "title": "x", "classification": "other",
                                        "severity": "low", "detected_by": "x", "detected_at": "2026-03-01T08:00"},
               headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert c.get("/isms/incidents/not-a-ref").status_code in (404, 422)


def test_officer_reviews_findings_documents_calendar(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    c = web.client()
    web.login(c, web.officer)
    page = c.get("/isms/access").text
    csrf = csrf_of(page)
    assert "a.officer" in page  # aktuar's own accounts appear automatically
    r = c.post("/isms/reviews", data={"csrf_token": csrf, "name": "Q2 review", "due": "2026-04-30"})
    assert r.status_code == 303
    review = isms.list_reviews(web.db, web.officer.actor)[-1]
    assert review.status == "open"
    r = c.post(f"/isms/reviews/{review.id}/close", data={"csrf_token": csrf})
    assert r.status_code == 400 and "undecided" in r.text
    for item in review.items:
        data = {"csrf_token": csrf, "decision": "keep"}
        if item.subject == "svc_backup":
            data = {"csrf_token": csrf, "decision": "revoke", "comment": "backup moved to the new system"}
        assert c.post(f"/isms/reviews/items/{item.id}", data=data).status_code == 303
    assert c.post(f"/isms/reviews/{review.id}/close", data={"csrf_token": csrf}).status_code == 303
    assert "svc_backup" not in {e.subject for e in isms.access_register(web.db, web.officer.actor)}

    tests = isms.list_security_tests(web.db, web.officer.actor)
    medium = next(f for t in tests for f in t.findings if f.status == "open")
    r = c.post(f"/isms/findings/{medium.id}", data={"csrf_token": csrf, "status": "fixed", "note": "TLS 1.2 only"})
    assert r.status_code == 303
    rec = isms.record_security_test(web.db, web.officer.actor, kind="penetration", system="aktuar web",
                                    release="1.1", performed_at=T0.date(), performed_by="x",
                                    findings=[("SQL injection", "critical")], now=web.clock())
    t_page = c.get("/isms/tests").text
    assert 'id="flagged"' in t_page and "aktuar web 1.1" in t_page
    r = c.post(f"/isms/findings/{rec.findings[0].id}", data={"csrf_token": csrf, "status": "accepted",
                                                             "note": "risk accepted"})
    assert r.status_code == 400 and "cannot be accepted" in r.text

    r = c.post("/isms/documents", data={"csrf_token": csrf, "code": "PLN-BCP", "title": "Business continuity plan",
                                        "kind": "plan", "approval_body": "executive_body", "approved_on": "2026-03-01",
                                        "version": "2", "revision_months": "12", "owner": "COO"})
    assert r.status_code == 303
    assert not re.search(r'id="doc-PLN-BCP".*?overdue-flag', c.get("/isms/documents").text.split("</tr>")[1])
    r = c.post("/isms/documents", data={"csrf_token": csrf, "code": "POL-2", "title": "Policy", "kind": "policy",
                                        "approval_body": "head_of_it", "approved_on": "2026-03-01", "version": "1",
                                        "revision_months": "12", "owner": "CISO"})
    assert r.status_code == 400 and "management body" in r.text
    r = c.post("/isms/calendar/status", data={"csrf_token": csrf, "key": "kz191-opinion:2026", "status": "done"})
    assert r.status_code == 303
    assert "выполнен" in c.get("/isms").text


@pytest.mark.req("KZ164-22")
def test_auditor_reads_actuary_refused_and_english(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    auditor = web.person("e.auditor", ["internal_auditor"])
    c = web.client()
    web.login(c, auditor)
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200, path
        for form_id in ("report-incident", "timeline-form", "evidence-form", "start-review", "document-form"):
            assert f'id="{form_id}"' not in r.text
        assert 'action="/isms/findings/' not in r.text and 'action="/isms/calendar/status"' not in r.text
    page = c.get("/isms/incidents/INC-2026-0002").text
    assert 'id="verify-evidence"' in page  # reading includes verifying the evidence
    assert c.get("/isms/incidents/INC-2026-0002?verify=1").status_code == 200
    r = c.post("/isms/incidents/INC-2026-0002/timeline", data={"csrf_token": csrf_of(page), "kind": "note",
                                                               "text": "auditor was here"})
    assert r.status_code == 403
    assert _failures(web.db, "isms.incident.timeline")  # the refusal is audited
    r = c.post("/isms/documents", data={"csrf_token": csrf_of(page), "code": "X", "title": "X", "kind": "other",
                                        "approval_body": "head_of_is", "approved_on": "2026-03-01", "version": "1",
                                        "revision_months": "12", "owner": "x"})
    assert r.status_code == 403
    # English
    r = c.post("/lang", data={"lang": "en", "next": "/isms", "csrf_token": csrf_of(page)})
    en = c.get("/isms").text
    assert "Information security compliance" in en and "2026-04-30" in en

    actuary = web.person("n.actuary", ["actuary"])
    c2 = web.client()
    web.login(c2, actuary)
    for path in ("/isms", "/isms/incidents", "/isms/access", "/isms/documents"):
        assert c2.get(path).status_code == 403, path
    assert _failures(web.db, "isms.incident.list")
