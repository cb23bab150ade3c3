"""Actuary registry (NB Resolution 191 App. 4-7) and the regulatory calendar."""

from __future__ import annotations

from datetime import date

import pytest
from isms_support import ACTUARY, CHIEF, IT, OFFICER, T0

from aktuar.errors import InputError
from aktuar.security.rbac import PermissionDenied
from aktuar.services import actuaries, calendar, isms


@pytest.mark.req("KZ191-QUAL")
def test_points_table_and_iaa_bonus() -> None:
    """App. 4 App. 1: 15 activity types; +100 for IAA-member events on items 4, 5, 6, 7, 10, 11, 12, 15."""
    assert len(actuaries.PDP_ITEMS) == 15
    assert actuaries.event_points(3) == 1000 and actuaries.event_points(13) == 1200
    assert actuaries.event_points(4, True) == 900 and actuaries.event_points(11, True) == 250
    assert actuaries.event_points(1, True) == 600  # item 1 gets no bonus
    with pytest.raises(InputError):
        actuaries.event_points(16)


@pytest.mark.req("KZ191-QUAL")
def test_reporting_periods() -> None:
    assert actuaries.reporting_period(date(2015, 5, 1), date(2026, 6, 1)) == (date(2025, 1, 1), date(2027, 12, 31))
    assert actuaries.reporting_period(date(2020, 7, 1), date(2023, 6, 1)) == (date(2021, 1, 1), date(2023, 12, 31))
    assert actuaries.confirmation_due(date(2024, 12, 31)) == date(2025, 2, 28)
    assert actuaries.confirmation_due(date(2027, 12, 31)) == date(2028, 2, 29)
    with pytest.raises(InputError):
        actuaries.reporting_period(date(2020, 7, 1), date(2020, 9, 1))


@pytest.mark.req("KZ191-QUAL")
@pytest.mark.req("KZ191-LIC")
def test_qualification_of_an_actuary(database) -> None:
    with pytest.raises(InputError, match="all three"):
        actuaries.save_actuary(database, CHIEF, full_name="Aset Nurlanov", license_number="A-1", now=T0)
    a = actuaries.save_actuary(database, CHIEF, full_name="Aset Nurlanov", license_number="A-1",
                               license_date=date(2016, 3, 1), license_issuer="ARDFM", now=T0)
    actuaries.record_pdp_event(database, CHIEF, a.id, item=4, on_date=date(2025, 9, 10), title="ASTIN colloquium",
                               organizer="IAA", organizer_iaa_member=True, now=T0)
    q = actuaries.qualification(database, ACTUARY, a.id, date(2026, 1, 1))
    assert (q.points, q.met, q.shortfall, q.due) == (900, False, 300, date(2028, 2, 29))
    actuaries.record_pdp_event(database, CHIEF, a.id, item=10, on_date=date(2026, 2, 1), title="IFRS 17 webinar",
                               now=T0)
    actuaries.record_pdp_event(database, CHIEF, a.id, item=10, on_date=date(2026, 2, 2), title="Reserving webinar",
                               now=T0)
    q = actuaries.qualification(database, ACTUARY, a.id, date(2026, 3, 1))
    assert q.points == 1300 and q.met and len(q.form_rows()) == 3
    with pytest.raises(PermissionDenied):
        actuaries.record_pdp_event(database, ACTUARY, a.id, item=1, on_date=date(2026, 1, 1), title="x", now=T0)


@pytest.mark.req("KZ191-IND")
def test_independent_actuary_engagement_rules(database) -> None:
    inh = actuaries.save_actuary(database, CHIEF, full_name="Inhouse Actuary", license_number="L-1",
                                 license_date=date(2015, 1, 1), license_issuer="ARDFM", now=T0)
    ind = actuaries.save_actuary(database, CHIEF, full_name="Indep Actuary", license_number="L-2",
                                 license_date=date(2015, 1, 1), license_issuer="ARDFM", is_independent=True,
                                 employment=[{"organization": "Demo Insurance JSC", "from": "2010-01-01",
                                              "to": "2024-06-30"}], now=T0)
    chk = actuaries.check_engagement(database, CHIEF, organization="Demo Insurance JSC", independent_id=ind.id,
                                     inhouse_id=inh.id, year=2025)
    assert [r for r, _ in chk.refusals] == ["App. 5 para 6(3)"]
    assert actuaries.check_engagement(database, CHIEF, organization="Demo Insurance JSC", independent_id=ind.id,
                                      inhouse_id=inh.id, year=2026).allowed
    for y in range(2021, 2026):
        actuaries.record_engagement(database, CHIEF, organization="Other Insurance", independent_id=ind.id,
                                    inhouse_id=inh.id, year=y, now=T0)
    five = actuaries.check_engagement(database, CHIEF, organization="Other Insurance", independent_id=ind.id,
                                      inhouse_id=inh.id, year=2026)
    assert [r for r, _ in five.refusals] == ["App. 5 para 5"]
    cross = actuaries.check_engagement(database, CHIEF, organization="Third JSC", independent_id=inh.id,
                                       inhouse_id=ind.id, year=2026)
    assert [r for r, _ in cross.refusals] == ["App. 5 para 6(2)"]
    rel = actuaries.save_actuary(database, CHIEF, full_name="Relative Actuary", license_number="L-3",
                                 license_date=date(2015, 1, 1), license_issuer="ARDFM",
                                 affiliations=[{"name": "Inhouse Actuary", "grounds": "spouse"}], now=T0)
    r = actuaries.check_engagement(database, CHIEF, organization="Third JSC", independent_id=rel.id,
                                   inhouse_id=inh.id, year=2026)
    assert [x for x, _ in r.refusals] == ["App. 5 para 6(1)"]
    with pytest.raises(InputError, match="6\\(1\\)"):
        actuaries.record_engagement(database, CHIEF, organization="Third JSC", independent_id=rel.id,
                                    inhouse_id=inh.id, year=2026, now=T0)


@pytest.mark.req("KZ164-50")
@pytest.mark.req("SECP-REP")
@pytest.mark.req("KZ191-OP")
def test_calendar_deadlines_status_and_ical(database) -> None:
    actuaries.save_actuary(database, CHIEF, full_name="Aset Nurlanov", license_number="A-1",
                           license_date=date(2016, 3, 1), license_issuer="ARDFM", now=T0)
    isms.register_document(database, OFFICER, code="POL-IS", title="IS policy", kind="policy",
                           approval_body="management_body", approved_on=date(2024, 6, 1), version="1",
                           revision_months=12, owner="CISO", now=T0)
    ds = {d.key: d for d in calendar.deadlines(database, IT, 2025)}
    assert ds["kz164-isms-report:2024"].due == date(2025, 1, 10)
    assert ds["kz191-opinion:2025"].due == date(2025, 4, 30) and ds["secp-report:2024"].due == date(2025, 4, 30)
    assert ds["kz191-qualification:1:2024"].due == date(2025, 2, 28)
    assert ds["document-revision:POL-IS:2025-06-01"].overdue(date(2026, 1, 1))
    calendar.set_status(database, OFFICER, "kz164-isms-report:2024", "done", owner="a.officer", now=T0)
    assert {d.key: d for d in calendar.deadlines(database, IT, 2025)}["kz164-isms-report:2024"].status == "done"
    with pytest.raises(PermissionDenied):
        calendar.set_status(database, IT, "kz191-opinion:2025", "done", now=T0)
    ics = calendar.to_ical(calendar.deadlines(database, IT, 2025))
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART;VALUE=DATE:20250110" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    rem = calendar.reminders(database, IT, date(2025, 4, 15), 30)
    assert "kz191-opinion:2025" in {d.key for d in rem} and "kz164-isms-report:2024" not in {d.key for d in rem}
