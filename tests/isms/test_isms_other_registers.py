"""Authorized software (KZ164-35), installers (47-49), data-center access (37), updates (32-33), security testing
(57-59, SECP-TEST) and internal documents (8, 11)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from isms_support import AUDITOR, D0, IT, OFFICER, T0, audit_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aktuar.errors import InputError
from aktuar.security.rbac import PermissionDenied
from aktuar.services import isms


@pytest.mark.req("KZ164-35")
def test_authorized_software_list(database) -> None:
    sw = isms.authorize_software(database, IT, name="PostgreSQL", version="15.20", vendor="PGDG",
                                 purpose="database", now=T0)
    isms.authorize_software(database, OFFICER, name="Wazuh agent", version="4.9", security_function=True,
                            installations=120, now=T0)
    with pytest.raises(InputError, match="already"):
        isms.authorize_software(database, IT, name="PostgreSQL", version="15.20", now=T0)
    with pytest.raises(PermissionDenied):
        isms.authorize_software(database, AUDITOR, name="Game", version="1", now=T0)
    isms.withdraw_software(database, IT, sw.id, "end of support", now=T0)
    assert [s.name for s in isms.list_software(database, AUDITOR)] == ["Wazuh agent"]


@pytest.mark.req("KZ164-47")
@pytest.mark.req("KZ164-37")
def test_installers_and_dc_access_need_it_and_is_two_people(database) -> None:
    for kind in ("installer", "dc_access"):
        p = isms.request_privilege(database, IT, kind=kind, person="Daniyar Engineer", scope="DC-1",
                                   reason="server maintenance", valid_until=date(2026, 12, 31), now=T0)
        assert p.status == "pending"
        assert isms.approve_privilege(database, IT, p.id, now=T0).status == "pending"
        with pytest.raises(InputError, match="already"):
            isms.approve_privilege(database, IT, p.id, now=T0)
        assert isms.approve_privilege(database, OFFICER, p.id, now=T0).status == "active"
    with pytest.raises(PermissionDenied):
        isms.monitor_privilege(database, IT, 1, "checked", now=T0)
    m = isms.monitor_privilege(database, OFFICER, 1, "installed 7-zip 24.08 only (authorized)", now=T0)
    assert m.last_monitored_at is not None
    assert isms.list_privileges(database, AUDITOR, "installer", today=date(2027, 1, 1))[0].status == "expired"
    dual = isms.Actor(username="x.both", roles=frozenset({"is_officer"}))  # type: ignore[attr-defined]
    p = isms.request_privilege(database, OFFICER, kind="installer", person="X", scope="PC-1", reason="r", now=T0)
    isms.approve_privilege(database, dual, p.id, now=T0)
    with pytest.raises(InputError, match="already"):
        isms.approve_privilege(database, dual, p.id, now=T0)


@pytest.mark.req("KZ164-32")
def test_updates_tested_before_production(database) -> None:
    u = isms.record_update(database, IT, system="aktuar", name="0.9.1", description="security fixes", now=T0)
    with pytest.raises(InputError, match="test environment"):
        isms.install_update(database, IT, u.id, now=T0)
    isms.record_update_test(database, IT, u.id, "failed", "migration error", now=T0)
    with pytest.raises(InputError, match="paragraph 33"):
        isms.install_update(database, IT, u.id, now=T0)
    isms.record_update_test(database, IT, u.id, "passed", now=T0 + timedelta(hours=1))
    done = isms.install_update(database, IT, u.id, now=T0 + timedelta(hours=2))
    assert done.status == "installed"
    rows = audit_rows(database, "isms.update.install")
    assert [r.outcome for r in rows] == ["failure", "failure", "success"] and rows[-1].category == "change"
    with pytest.raises(PermissionDenied):
        isms.record_update(database, OFFICER, system="aktuar", name="x", now=T0)


@pytest.mark.req("KZ164-58")
@pytest.mark.req("KZ164-57")
@pytest.mark.req("SECP-TEST")
def test_security_tests_flag_release_with_open_critical(database) -> None:
    assert isms.release_check(database, AUDITOR, "aktuar web", "1.0").flagged  # never tested
    t = isms.record_security_test(database, OFFICER, kind="penetration", system="aktuar web", release="1.0",
                                  performed_at=D0, performed_by="PenTest LLP",
                                  findings=[("SQL injection in search", "critical"), ("verbose banner", "low")],
                                  now=T0)
    assert t.retain_until == date(2029, 3, 2)
    chk = isms.release_check(database, AUDITOR, "aktuar web", "1.0")
    assert chk.flagged and "SQL injection" in chk.reasons[0] + "".join(chk.reasons)
    crit = t.open_critical[0]
    with pytest.raises(InputError, match="paragraph 59"):
        isms.set_finding_status(database, OFFICER, crit.id, "accepted", "risk accepted", now=T0)
    isms.set_finding_status(database, OFFICER, crit.id, "fixed", "parametrised query", now=T0)
    assert not isms.release_check(database, AUDITOR, "aktuar web", "1.0").flagged
    for sql in ("DELETE FROM isms_security_tests", "DELETE FROM isms_findings",
                "UPDATE isms_security_tests SET retain_until = '2026-01-01'"):
        with pytest.raises(DBAPIError), database.session() as s:
            s.execute(text(sql))
    for kind in ("vulnerability_assessment", "scenario", "red_team", "response", "integrated"):
        isms.record_security_test(database, OFFICER, kind=kind, system="aktuar", release="1.0", performed_at=D0,
                                  performed_by="IS unit", now=T0)
    assert len(isms.list_security_tests(database, AUDITOR)) == 6


@pytest.mark.req("KZ164-08")
def test_documents_with_revision_frequency_and_overdue_flag(database) -> None:
    with pytest.raises(InputError, match="management body"):
        isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                               approval_body="executive_body", approved_on=date(2024, 1, 15), version="1",
                               revision_months=24, owner="CISO", now=T0)
    isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                           approval_body="management_body", approved_on=date(2024, 1, 15), version="1",
                           revision_months=24, owner="CISO", now=T0)
    isms.register_document(database, OFFICER, code="PRC-INC", title="Incident response procedure", kind="procedure",
                           approval_body="executive_body", approved_on=date(2025, 6, 1), version="2",
                           revision_months=12, owner="CISO", now=T0)
    docs = {d.code: d for d in isms.list_documents(database, AUDITOR, today=D0)}
    assert docs["POL-IS"].overdue and docs["POL-IS"].next_revision == date(2026, 1, 15)
    assert not docs["PRC-INC"].overdue
    with pytest.raises(InputError, match="later date"):
        isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                               approval_body="management_body", approved_on=date(2023, 1, 1), version="0",
                               revision_months=24, owner="CISO", now=T0)
    isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                           approval_body="management_body", approved_on=date(2026, 2, 20), version="2",
                           revision_months=24, owner="CISO", now=T0)
    assert not {d.code: d for d in isms.list_documents(database, AUDITOR, today=D0)}["POL-IS"].overdue
