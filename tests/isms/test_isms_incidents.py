"""Incident register (NB Resolution 164 paragraphs 40-46; SECP response): lifecycle, timeline, evidence kept
unaltered, retention of at least five years enforced by aktuar and by the database, every change audited."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from isms_support import AUDITOR, D0, IT, OFFICER, T0, audit_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aktuar.errors import InputError
from aktuar.security import audit
from aktuar.security.rbac import PermissionDenied
from aktuar.services import isms


def _incident(db, severity: str = "high") -> isms.IncidentView:  # type: ignore[no-untyped-def]
    isms.save_asset(db, OFFICER, code="AKT-DB", name="aktuar database", kind="database", owner="Head of actuarial",
                    criticality="critical", classification="insurance_secret", rto_hours=4, rpo_hours=1, now=T0)
    return isms.report_incident(
        db, OFFICER, "Phishing e-mail with credential harvesting link", detected_at=T0 - timedelta(hours=2),
        detected_by="SOC monitoring", classification="phishing", severity=severity,
        description="three employees clicked", assets=["AKT-DB"], risks=["R-07"], now=T0)


def _full_lifecycle(db, tmp_path):  # type: ignore[no-untyped-def]
    inc = _incident(db)
    for who in inc.notifications_required:
        isms.add_timeline(db, OFFICER, inc.ref, "notified", "", recipient=who, channel="e-mail", now=T0)
    isms.add_timeline(db, OFFICER, inc.ref, "measure", "passwords of the three accounts reset", now=T0)
    ev = tmp_path / "mail-headers.eml"
    ev.write_bytes(b"Received: from evil.example\r\nSubject: urgent\r\n")
    isms.add_evidence(db, OFFICER, inc.ref, ev, source="mail gateway", description="headers", now=T0)
    isms.record_analysis(db, OFFICER, inc.ref, causes="no link rewriting", mechanism="credential phishing",
                         consequences="no data accessed", now=T0)
    isms.record_conclusion(db, OFFICER, inc.ref, "contained within 2 hours",
                           [{"action": "enable link rewriting", "owner": "IT", "due": "2026-04-01"}], now=T0)
    return isms.close_incident(db, OFFICER, inc.ref, now=T0 + timedelta(days=1))


@pytest.mark.req("KZ164-43")
@pytest.mark.req("KZ164-41")
@pytest.mark.req("SECP-RESP")
def test_incident_lifecycle_with_timeline_and_audit(database, tmp_path) -> None:
    """KZ164 paragraphs 41-46: notification per procedure, urgent measures, analysis, conclusion, closed."""
    inc = _full_lifecycle(database, tmp_path)
    assert inc.ref == "INC-2026-0001"
    assert inc.status == "closed" and inc.assets == ["AKT-DB"] and inc.risks == ["R-07"]
    kinds = [e.kind for e in inc.timeline]
    assert kinds[0] == "detected" and kinds[-1] == "closed"
    assert {"notified", "measure", "evidence", "analysed", "concluded"} <= set(kinds)
    assert inc.notifications_pending == []
    assert inc.corrective_actions[0]["status"] == "open"
    # follow-up of corrective actions after closing is allowed and recorded
    inc = isms.follow_up_action(database, OFFICER, inc.ref, 1, "done", "rewriting on", now=T0 + timedelta(days=9))
    assert inc.corrective_actions[0]["status"] == "done"
    for action in ("isms.incident.report", "isms.incident.evidence", "isms.incident.analysis",
                   "isms.incident.conclusion", "isms.incident.close", "isms.incident.action"):
        assert [r.outcome for r in audit_rows(database, action)] == ["success"], action
    with database.session() as s:
        assert audit.verify(s).ok


@pytest.mark.req("KZ164-41")
def test_close_refused_until_procedure_notifications_and_analysis(database) -> None:
    inc = _incident(database, "critical")
    assert "management_body" in inc.notifications_pending
    with pytest.raises(InputError, match="analysis"):
        isms.close_incident(database, OFFICER, inc.ref, now=T0)
    isms.record_analysis(database, OFFICER, inc.ref, causes="c", mechanism="m", consequences="q", now=T0)
    isms.record_conclusion(database, OFFICER, inc.ref, "x", ["patch"], now=T0)
    with pytest.raises(InputError, match="notification procedure"):
        isms.close_incident(database, OFFICER, inc.ref, now=T0)
    assert audit_rows(database, "isms.incident.close")[-1].outcome == "failure"


@pytest.mark.req("KZ164-41")
def test_notification_procedure_is_configurable(database) -> None:
    isms.set_notification_procedure(database, OFFICER, {"low": ["information_security_unit", "duty_officer"]},
                                    now=T0)
    assert isms.notification_procedure(database)["low"] == ["information_security_unit", "duty_officer"]
    with pytest.raises(InputError, match="notified to someone"):
        isms.set_notification_procedure(database, OFFICER, {"high": []}, now=T0)
    assert audit_rows(database, "isms.settings")[0].category == "system_config"


@pytest.mark.req("KZ164-43")
def test_evidence_tampering_is_detected(database, tmp_path) -> None:
    """KZ164 paragraph 44: technical data kept safe and unaltered; a changed stored file is named."""
    inc = _full_lifecycle(database, tmp_path)
    checks = isms.verify_evidence(database, AUDITOR, inc.ref)
    assert [c.ok for c in checks] == [True]
    stored = database.settings.data_dir / "isms" / "evidence" / checks[0].sha256
    assert stored.stat().st_mode & 0o777 == 0o400
    os.chmod(stored, 0o600)
    stored.write_bytes(b"Received: from friendly.example\r\n")  # the attacker rewrites the evidence
    bad = isms.verify_evidence(database, AUDITOR)
    assert not bad[0].ok and "changed" in (bad[0].problem or "")
    assert audit_rows(database, "isms.evidence.verify")[-1].outcome == "failure"
    stored.unlink()
    assert "missing" in (isms.verify_evidence(database, AUDITOR)[0].problem or "")


@pytest.mark.req("KZ164-43")
def test_evidence_rows_and_timeline_cannot_be_changed_in_the_database(database, tmp_path) -> None:
    inc = _full_lifecycle(database, tmp_path)
    for sql in ("UPDATE isms_evidence SET sha256 = 'x'", "UPDATE isms_incident_events SET text = 'x'",
                "DELETE FROM isms_evidence", "DELETE FROM isms_incident_events",
                f"DELETE FROM isms_incidents WHERE ref = '{inc.ref}'"):
        with pytest.raises(DBAPIError), database.session() as s:
            s.execute(text(sql))


@pytest.mark.req("KZ164-40")
def test_retention_below_five_years_refused(database) -> None:
    """KZ164 paragraph 40: incident data stored at least five years; a shorter setting is refused and audited."""
    with pytest.raises(InputError, match="minimum of 5"):
        isms.set_retention(database, OFFICER, "isms.incident_retention_years", 4, now=T0)
    assert audit_rows(database, "isms.settings")[-1].outcome == "failure"
    assert isms.set_retention(database, OFFICER, "isms.incident_retention_years", 7, now=T0) == 7
    with pytest.raises(InputError, match="minimum of 3"):
        isms.set_retention(database, OFFICER, "isms.security_test_retention_years", 2, now=T0)


@pytest.mark.req("KZ164-40")
def test_retention_date_and_database_refuses_shortening(database, tmp_path) -> None:
    inc = _full_lifecycle(database, tmp_path)
    assert inc.retain_until == D0.replace(year=2031, day=3)
    with pytest.raises(DBAPIError), database.session() as s:  # an attacker with SQL access
        s.execute(text("UPDATE isms_incidents SET retain_until = '2020-01-01'"))
    with pytest.raises(DBAPIError), database.session() as s:
        s.execute(text("UPDATE isms_incidents SET retain_until = NULL"))
    # a setting edited in the table below the minimum still yields five years
    with database.session() as s:
        s.execute(text("INSERT INTO settings (key, value, changed_by, changed_at) "
                       "VALUES ('isms.incident_retention_years', '1', 'x', :t)"), {"t": T0})
        assert isms.retention_years(s, "isms.incident_retention_years") == 5


@pytest.mark.req("KZ164-12")
def test_roles_are_enforced_and_refusals_audited(database) -> None:
    """Role escalation refused: IT cannot register incidents, auditors only read (KZ164-06, -22)."""
    with pytest.raises(PermissionDenied):
        isms.report_incident(database, IT, "x", detected_at=T0, detected_by="me", classification="other",
                             severity="low", now=T0)
    assert audit_rows(database, "isms.incident.report")[-1].outcome == "failure"
    inc = _incident(database)
    with pytest.raises(PermissionDenied):
        isms.close_incident(database, AUDITOR, inc.ref, now=T0)
    assert isms.get_incident(database, AUDITOR, inc.ref).ref == inc.ref
    with pytest.raises(InputError, match="classification"):
        isms.report_incident(database, OFFICER, "x", detected_at=T0, detected_by="me", classification="aliens",
                             severity="low", now=T0)
    with pytest.raises(InputError, match="future"):
        isms.report_incident(database, OFFICER, "x", detected_at=T0 + timedelta(days=1), detected_by="me",
                             classification="other", severity="low", now=T0)
