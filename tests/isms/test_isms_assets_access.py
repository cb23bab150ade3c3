"""Information assets (SECP risk and control assessment; NB 164 paragraph 9) and access rights (paragraphs 22,
25; SECP "record of individual and system access rights") with review campaigns."""

from __future__ import annotations

from datetime import date

import pytest
import xlsxwriter
from isms_support import AUDITOR, IT, OFFICER, T0, audit_rows, fast_hashing  # noqa: F401

from aktuar.errors import InputError
from aktuar.security.context import SYSTEM
from aktuar.security.rbac import PermissionDenied
from aktuar.services import accounts, isms

HEADER = "code,name,kind,owner,criticality,classification,interconnections,third_parties,rto_hours,rpo_hours\n"


@pytest.mark.req("SECP-RISK")
@pytest.mark.req("KZ164-09")
def test_asset_inventory_fields(database) -> None:
    a = isms.save_asset(database, OFFICER, code="AKT", name="aktuar", kind="information_system",
                        owner="Chief actuary", criticality="critical", classification="insurance_secret",
                        configuration="2 app servers, PostgreSQL 15", interconnections="1C accounting;ext:ARDFM portal",
                        third_parties=["Cloud backup LLP"], business_functions="reserving; IFRS 17 close",
                        rto_hours=8, rpo_hours="0,5", now=T0)
    assert a.interconnections == [{"system": "1C accounting", "external": False},
                                  {"system": "ARDFM portal", "external": True}]
    assert a.rpo_hours == 0.5 and a.third_parties == ["Cloud backup LLP"]
    with pytest.raises(InputError, match="classification"):
        isms.save_asset(database, OFFICER, code="X", name="x", kind="data", owner="o", criticality="low",
                        classification="top_secret", now=T0)
    with pytest.raises(PermissionDenied):
        isms.save_asset(database, AUDITOR, code="X", name="x", kind="data", owner="o", criticality="low",
                        classification="public", now=T0)
    assert [r.outcome for r in audit_rows(database, "isms.asset.save")] == ["success", "failure", "failure"]


@pytest.mark.req("SECP-RISK")
def test_asset_import_csv_lists_row_and_column_errors(database, tmp_path) -> None:
    bad = tmp_path / "assets.csv"
    bad.write_text(HEADER + "A1,Core,information_system,IT,high,commercial_secret,,,4,1\n"
                   "A2,Mail,service,IT,extreme,public,,,x,1\n"
                   "A1,Dup,data,IT,low,public,,,,\n", encoding="utf-8")
    with pytest.raises(isms.ImportFailed) as ei:
        isms.import_assets(database, OFFICER, bad, now=T0)
    errs = ei.value.errors
    assert [(e.row, e.column) for e in errs] == [(3, "criticality"), (4, "code")]
    assert isms.list_assets(database, OFFICER) == []  # all or nothing
    good = tmp_path / "good.csv"
    good.write_text(HEADER.replace(",", ";") + "A1;Core;information_system;IT;high;commercial_secret;ext:bank;"
                    "Vendor A;4;1\n", encoding="utf-8")
    got = isms.import_assets(database, OFFICER, good, now=T0)
    assert got[0].interconnections == [{"system": "bank", "external": True}] and got[0].rto_hours == 4


@pytest.mark.req("SECP-RISK")
def test_asset_import_xlsx(database, tmp_path) -> None:
    p = tmp_path / "assets.xlsx"
    wb = xlsxwriter.Workbook(p)
    ws = wb.add_worksheet()
    for c, h in enumerate(HEADER.strip().split(",")):
        ws.write(0, c, h)
    ws.write_row(1, 0, ["S1", "Firewall", "security_tool", "IS", "high", "official_secret", "", "", 1, 0])
    ws.write_row(2, 0, ["S2", "", "hardware", "IS", "low", "public", "", "", 1, 0])
    wb.close()
    with pytest.raises(isms.ImportFailed) as ei:
        isms.import_assets(database, OFFICER, p, now=T0)
    assert [(e.row, e.column) for e in ei.value.errors] == [(3, "name")]
    with pytest.raises(InputError, match="missing column"):
        q = tmp_path / "q.csv"
        q.write_text("code,name\nA,B\n")
        isms.import_assets(database, OFFICER, q, now=T0)


@pytest.mark.req("KZ164-22")
@pytest.mark.req("KZ164-25")
@pytest.mark.req("SECP-RISK")
def test_access_register_lists_aktuar_accounts_automatically(database, fast_hashing) -> None:  # noqa: F811
    accounts.bootstrap(database, "a.officer", "Aigul Officer", "granite river lantern okapi", T0)
    accounts.create_user(database, SYSTEM, "b.actuary", "Bolat Actuary", "maple ocean violin quartz", ["actuary"],
                         now=T0)
    reg = isms.access_register(database, AUDITOR)
    mine = {(e.subject, e.rights, e.source) for e in reg}
    assert ("a.officer", "is_officer", "aktuar") in mine and ("b.actuary", "actuary", "aktuar") in mine
    with pytest.raises(InputError, match="responsible"):
        isms.grant_access(database, OFFICER, system="1C", subject="svc_1c", subject_kind="system",
                          rights="read GL", justification="posting IFRS 17 journal", now=T0)
    e = isms.grant_access(database, OFFICER, system="1C", subject="b.actuary", subject_kind="individual",
                          rights="read GL", justification="reconciliation of premiums", now=T0)
    assert e.source == "register"
    assert audit_rows(database, "isms.access.grant")[-1].category == "account"
    with pytest.raises(InputError, match="automatically"):
        isms.grant_access(database, OFFICER, system="aktuar", subject="x", subject_kind="individual", rights="all",
                          justification="y", now=T0)


@pytest.mark.req("SECP-RISK")
@pytest.mark.req("KZ164-22")
def test_review_campaign(database, fast_hashing) -> None:  # noqa: F811
    accounts.bootstrap(database, "a.officer", "Aigul Officer", "granite river lantern okapi", T0)
    e = isms.grant_access(database, OFFICER, system="1C", subject="x.leaver", subject_kind="individual",
                          rights="admin", justification="was needed", now=T0)
    r = isms.start_review(database, OFFICER, "Q1 2026 review", date(2026, 3, 31), now=T0)
    assert len(r.items) == 2
    with pytest.raises(InputError, match="undecided"):
        isms.close_review(database, OFFICER, r.id, now=T0)
    for item in r.items:
        if item.subject == "x.leaver":
            with pytest.raises(InputError, match="why"):
                isms.decide_review_item(database, OFFICER, item.id, "revoke", now=T0)
            isms.decide_review_item(database, OFFICER, item.id, "revoke", "left the company", now=T0)
        else:
            isms.decide_review_item(database, OFFICER, item.id, "keep", now=T0)
    closed = isms.close_review(database, OFFICER, r.id, now=T0)
    assert closed.status == "closed" and closed.outcome == {"pending": 0, "keep": 1, "revoke": 1, "change": 0}
    assert all(x.id != e.id for x in isms.access_register(database, OFFICER))
    with pytest.raises(PermissionDenied):
        isms.start_review(database, IT, "self review", date(2026, 3, 31), now=T0)
