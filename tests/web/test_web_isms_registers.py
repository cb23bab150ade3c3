"""The remaining ISMS register pages and the actuary registry in the browser (issue 7), in process over HTTPS:
authorized software (KZ164-35), installers and data-centre access (KZ164-37, -47…-49, two different approvers),
updates (KZ164-32/33, installation refused unless tested), assets with add/edit/retire and the CSV/XLSX import with
its row/column report (KZ164-09, SECP-RISK), actuaries (KZ191-LIC, -QUAL, -IND). Every change goes through the
service (role-checked, audited); attackers: no permission → 403 on every page and post, no CSRF token → 403,
foreign origin → 403, oversized and wrong-type uploads refused with a message."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import polars as pl
import pytest
from conftest import T0, csrf_of
from sqlalchemy import select
from test_web_isms import CHIEF, IT, _csp_safe, _fill, _forms_have_csrf

from aktuar.services import actuaries, isms
from aktuar.store.models import AuditEvent
from aktuar.web import i18n

NEW_PAGES = ("/isms/software", "/isms/privileges", "/isms/updates", "/isms/assets", "/isms/actuaries")
ASSET_HEADER = "code,name,kind,owner,criticality,classification,rto_hours,interconnections\n"


def _audits(db, action: str, outcome: str | None = None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action)
        if outcome:
            q = q.where(AuditEvent.outcome == outcome)
        return list(s.execute(q.order_by(AuditEvent.seq)).scalars())


def _page(c, path: str) -> str:  # type: ignore[no-untyped-def]
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    _csp_safe(r.text)
    _forms_have_csrf(r.text)
    return r.text


def test_catalog_covers_every_register_value() -> None:
    """Every value a new page translates has its Russian and English text."""
    groups = {"isms.akind.": isms.ASSET_KINDS, "isms.pclass.": isms.PROTECTED_CLASSES,
              "isms.priv.": isms.PRIVILEGE_KINDS, "isms.pst.": ("pending", "active", "revoked", "expired"),
              "isms.ust.": ("recorded", "tested", "failed", "installed"), "isms.ures.": ("passed", "failed"),
              "isms.asset_status.": ("active", "retired"), "isms.pdp.": [str(n) for n in actuaries.PDP_ITEMS]}
    for prefix, values in groups.items():
        for v in values:
            for lang in i18n.LANGUAGES:
                assert i18n.t(lang, prefix + v)
    assert i18n.missing() == []


@pytest.mark.req("KZ164-35")
@pytest.mark.req("KZ164-32")
def test_software_and_updates_by_it(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    it = web.person("i.it", ["it_admin"])
    c = web.client()
    web.login(c, it)
    for path in NEW_PAGES[:4]:
        _page(c, path)
    page = _page(c, "/isms/software")
    assert "Kaspersky Endpoint Security" in page and 'id="software-form"' in page
    csrf = csrf_of(page)
    r = c.post("/isms/software", data={"csrf_token": csrf, "name": "7-Zip", "version": "24.08", "vendor": "Igor Pavlov",
                                       "purpose": "archives", "installations": "40"})
    assert r.status_code == 303 and r.headers["location"] == "/isms/software?done=software"
    page = c.get(r.headers["location"]).text
    sw = next(s for s in isms.list_software(web.db, it.actor) if s.name == "7-Zip")
    assert re.search(rf'id="sw-{sw.id}".*?24\.08', page, flags=re.S) and 'id="done"' in page
    # the same name and version again is refused with the service's reason
    r = c.post("/isms/software", data={"csrf_token": csrf, "name": "7-Zip", "version": "24.08"})
    assert r.status_code == 400 and "in the list already" in r.text
    assert c.post(f"/isms/software/{sw.id}/withdraw", data={"csrf_token": csrf, "reason": ""}).status_code == 422
    r = c.post(f"/isms/software/{sw.id}/withdraw", data={"csrf_token": csrf, "reason": "replaced by the OS tool"})
    assert r.status_code == 303
    page = c.get("/isms/software").text
    assert re.search(rf'id="sw-{sw.id}" class="retired"', page)
    assert json.loads(_audits(web.db, "isms.software.withdraw", "success")[-1].details)["reason"] == \
        "replaced by the OS tool"

    # updates: installation refused until a passed test in the test environment (KZ164-33)
    r = c.post("/isms/updates", data={"csrf_token": csrf, "system": "AKTUAR", "name": "aktuar 1.1",
                                      "description": "release 1.1"})
    assert r.status_code == 303
    upd = isms.list_updates(web.db, it.actor)[-1]
    r = c.post(f"/isms/updates/{upd.id}/install", data={"csrf_token": csrf})
    assert r.status_code == 409
    assert 'id="refusal"' in r.text and "has not passed a test in the test environment" in r.text
    _csp_safe(r.text)
    r = c.post(f"/isms/updates/{upd.id}/test", data={"csrf_token": csrf, "result": "failed", "note": "login broken"})
    assert r.status_code == 303
    assert c.post(f"/isms/updates/{upd.id}/install", data={"csrf_token": csrf}).status_code == 409
    assert c.post(f"/isms/updates/{upd.id}/test", data={"csrf_token": csrf, "result": "maybe"}).status_code == 422
    c.post(f"/isms/updates/{upd.id}/test", data={"csrf_token": csrf, "result": "passed", "note": "fixed"})
    r = c.post(f"/isms/updates/{upd.id}/install", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert isms.list_updates(web.db, it.actor)[-1].status == "installed"
    assert [e.outcome for e in _audits(web.db, "isms.update.install")][-3:] == ["failure", "failure", "success"]
    page = c.get("/isms/updates").text
    assert re.search(rf'id="update-{upd.id}".*?data-status="installed"', page, flags=re.S)

    # the IS officer reads the updates (IT records them) and may authorize software
    c2 = web.client()
    web.login(c2, web.officer)
    page = _page(c2, "/isms/updates")
    assert 'id="update-form"' not in page and "/install" not in page
    r = c2.post(f"/isms/updates/{upd.id}/test", data={"csrf_token": csrf_of(page), "result": "passed"})
    assert r.status_code == 403
    assert 'id="software-form"' in c2.get("/isms/software").text


@pytest.mark.req("KZ164-37")
@pytest.mark.req("KZ164-47")
def test_installers_and_dc_access_two_approvers(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    it = web.person("i.it", ["it_admin"])
    c_it, c_is = web.client(), web.client()
    web.login(c_it, it)
    web.login(c_is, web.officer)
    page = _page(c_it, "/isms/privileges")
    assert "Тимур Абенов" in page and 'id="installer"' in page and 'id="dc_access"' in page
    csrf_it = csrf_of(page)
    until = (web.clock().date() + timedelta(days=20)).isoformat()
    for kind, person in (("installer", "Berik Nurlanov"), ("dc_access", "Saule Amanova")):
        r = c_it.post("/isms/privileges", data={"csrf_token": csrf_it, "kind": kind, "person": person,
                                                "scope": "DC-ALA", "reason": "maintenance contract",
                                                "valid_until": until})
        assert r.status_code == 303
    r = c_it.post("/isms/privileges", data={"csrf_token": csrf_it, "kind": "root", "person": "x", "scope": "x",
                                            "reason": "x"})
    assert r.status_code == 422
    r = c_it.post("/isms/privileges", data={"csrf_token": csrf_it, "kind": "installer", "person": "x", "scope": "x",
                                            "reason": "x", "valid_until": "2020-01-01"})
    assert r.status_code == 400 and "in the past" in r.text
    inst = next(v for v in isms.list_privileges(web.db, it.actor, "installer") if v.person == "Berik Nurlanov")
    dc = next(v for v in isms.list_privileges(web.db, it.actor, "dc_access") if v.person == "Saule Amanova")
    page = c_it.get("/isms/privileges").text
    assert f'action="/isms/privileges/{inst.id}/approve"' in page
    assert c_it.post(f"/isms/privileges/{inst.id}/approve", data={"csrf_token": csrf_it}).status_code == 303
    page = c_it.get("/isms/privileges").text
    assert f'action="/isms/privileges/{inst.id}/approve"' not in page  # IT has signed; IS must agree
    assert re.search(rf'id="priv-{inst.id}".*?data-status="pending"', page, flags=re.S)
    r = c_it.post(f"/isms/privileges/{inst.id}/approve", data={"csrf_token": csrf_it})
    assert r.status_code == 400 and "approved it already" in r.text
    # the IS officer agrees: active (two different people)
    page = c_is.get("/isms/privileges").text
    csrf_is = csrf_of(page)
    assert c_is.post(f"/isms/privileges/{inst.id}/approve", data={"csrf_token": csrf_is}).status_code == 303
    assert c_is.post(f"/isms/privileges/{dc.id}/approve", data={"csrf_token": csrf_is}).status_code == 303
    assert c_it.post(f"/isms/privileges/{dc.id}/approve", data={"csrf_token": csrf_it}).status_code == 303
    page = c_is.get("/isms/privileges").text
    assert re.search(rf'id="priv-{inst.id}".*?data-status="active"', page, flags=re.S)
    assert re.search(rf'id="priv-{inst.id}".*?class="status status-reviewed expiring"', page, flags=re.S)
    # IS monitors the installer (KZ164-49); IT may not
    r = c_is.post(f"/isms/privileges/{inst.id}/monitor", data={"csrf_token": csrf_is,
                                                               "note": "log reviewed: 7-Zip only"})
    assert r.status_code == 303 and "log reviewed: 7-Zip only" in c_is.get("/isms/privileges").text
    assert c_it.post(f"/isms/privileges/{inst.id}/monitor", data={"csrf_token": csrf_it,
                                                                  "note": "x"}).status_code == 403
    # past its validity the entry shows expired (the clock moves 3 weeks; log in again)
    web.clock.advance(days=21)
    c3 = web.client()
    web.login(c3, web.officer)
    page = c3.get("/isms/privileges").text
    assert re.search(rf'id="priv-{dc.id}".*?data-status="expired"', page, flags=re.S)
    r = c3.post(f"/isms/privileges/{dc.id}/revoke", data={"csrf_token": csrf_of(page), "reason": "contract ended"})
    assert r.status_code == 303
    assert next(v for v in isms.list_privileges(web.db, it.actor, "dc_access") if v.id == dc.id).status == "revoked"
    assert _audits(web.db, "isms.privilege.revoke", "success")


@pytest.mark.req("KZ164-09")
def test_assets_form_edit_retire_and_import(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    c = web.client()
    web.login(c, web.officer)
    page = _page(c, "/isms/assets")
    csrf = csrf_of(page)
    assert 'id="save-asset"' in page and 'id="import-assets"' in page
    data = {"csrf_token": csrf, "code": "DC-AST", "name": "Astana backup data center", "kind": "data_center",
            "owner": "Head of IT", "criticality": "critical", "classification": "insurance_secret",
            "location": "Astana", "interconnections": "DC-ALA; ext:KazTransCom link", "rto_hours": "8",
            "rpo_hours": "2", "quantity": "1", "safety_systems": ["ups", "fire_alarm", "cctv"]}
    r = c.post("/isms/assets", data=data)
    assert r.status_code == 303
    a = next(x for x in isms.list_assets(web.db, web.officer.actor) if x.code == "DC-AST")
    assert a.details == {"safety_systems": ["cctv", "fire_alarm", "ups"]}
    assert a.interconnections == [{"system": "DC-ALA", "external": False},
                                  {"system": "KazTransCom link", "external": True}]
    edit = _page(c, "/isms/assets?edit=DC-AST")
    assert 'value="Astana backup data center"' in edit and "ext:KazTransCom link" in edit
    assert re.search(r'value="ups" checked', edit)
    assert c.post("/isms/assets", data={**data, "safety_systems": ["moat"]}).status_code == 400
    # a change from the form keeps the details the form does not show
    isms.save_asset(web.db, web.officer.actor, code="DC-AST", name="Astana backup data center", kind="data_center",
                    owner="Head of IT", criticality="critical", classification="insurance_secret",
                    details={"safety_systems": ["ups"], "tier": "III"}, now=web.clock())
    assert c.post("/isms/assets", data={**data, "safety_systems": ["ups", "cctv"]}).status_code == 303
    a = next(x for x in isms.list_assets(web.db, web.officer.actor) if x.code == "DC-AST")
    assert a.details == {"safety_systems": ["cctv", "ups"], "tier": "III"}
    r = c.post("/isms/assets", data={**data, "rto_hours": "soon"})
    assert r.status_code == 400 and "number of hours" in r.text
    r = c.post("/isms/assets/retire", data={"csrf_token": csrf, "code": "DC-AST"})
    assert r.status_code == 303
    assert 'id="asset-DC-AST"' not in c.get("/isms/assets").text
    assert 'id="asset-DC-AST" class="retired"' in c.get("/isms/assets?retired=1").text

    def upload(name: str, content: bytes, client=c):  # type: ignore[no-untyped-def]
        return client.post("/isms/assets/import", data={"csrf_token": csrf},
                           files={"file": (name, io.BytesIO(content), "application/octet-stream")})

    # every error with its row and column; nothing imported
    bad = (ASSET_HEADER + "SRV-1,Mail server,hardware,IT,high,official_secret,4,\n"
           "SRV-2,File server,fridge,IT,high,official_secret,4,\n"
           "SRV-3,Again,hardware,IT,high,official_secret,x,\n"
           "SRV-1,Again,hardware,IT,high,official_secret,4,\n").encode()
    r = upload("assets.csv", bad)
    assert r.status_code == 422 and 'id="import-report"' in r.text
    rows = re.findall(r'class="num problem-row">(\d*)</td><td class="problem-column">([^<]*)</td>', r.text)
    assert rows == [("3", "kind"), ("4", "rto_hours"), ("5", "code")]
    assert "fridge" in r.text and "/tmp" not in r.text and str(web.db.settings.data_dir) not in r.text
    assert not any(x.code == "SRV-1" for x in isms.list_assets(web.db, web.officer.actor))
    r = upload("assets.csv", b"code,name\nX,Y\n")
    assert r.status_code == 422 and "missing column(s) kind" in r.text
    # good CSV and XLSX
    good = (ASSET_HEADER + "SRV-1,Mail server,hardware,IT,high,official_secret,4,AKTUAR;ext:Microsoft 365\n").encode()
    r = upload("../../assets ok.csv", good)
    assert r.status_code == 303 and r.headers["location"].startswith("/isms/assets?done=assets_imported")
    buf = io.BytesIO()
    pl.DataFrame({"code": ["SRV-2"], "name": ["File server"], "kind": ["hardware"], "owner": ["IT"],
                  "criticality": ["medium"], "classification": ["commercial_secret"]}).write_excel(buf)
    assert upload("assets.xlsx", buf.getvalue()).status_code == 303
    codes = {x.code for x in isms.list_assets(web.db, web.officer.actor)}
    assert {"SRV-1", "SRV-2"} <= codes
    assert not list((web.db.settings.data_dir / "uploads").glob("assets-*"))  # temporary copies removed
    # wrong type, wrong content, empty: refused with a message and audited
    for name, content, why in (("assets.exe", b"MZ\x90\x00", "from a .csv or .xlsx file"),
                               ("assets.parquet", b"PAR1xxxx", "from a .csv or .xlsx file"),
                               ("assets.xlsx", b"code,name\n", "not an Excel workbook"),
                               ("assets.csv", b"PK\x03\x04binary", "is not text"),
                               ("assets.csv", b"", "empty")):
        r = upload(name, content)
        assert r.status_code == 422 and why in r.text, (name, r.text[-800:])
    assert len(_audits(web.db, "isms.asset.import", "failure")) >= 7
    # oversized: refused before the body is parsed (413) and while copying
    from aktuar.web import WebSettings, create_app

    web.app = create_app(WebSettings(database=web.db, clock=web.clock, max_upload_bytes=2048))
    c2 = web.client()
    web.login(c2, web.officer)
    csrf = csrf_of(c2.get("/isms/assets").text)
    r = upload("big.csv", (ASSET_HEADER + "X,Y,hardware,IT,low,public,1,\n" * 4000).encode(), client=c2)
    assert r.status_code == 413 and "upload limit" in r.text
    r = upload("big.csv", (ASSET_HEADER + "X,Y,hardware,IT,low,public,1,\n" * 300).encode(), client=c2)
    assert r.status_code == 422 and "larger than the upload limit" in r.text


@pytest.mark.req("KZ191-QUAL")
@pytest.mark.req("KZ191-IND")
@pytest.mark.req("KZ191-LIC")
def test_actuaries_registry_points_and_engagement_check(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)  # the demo's in-house and independent actuaries, points and a 2026 engagement
    chief = web.person("c.chief2", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    page = _page(c, "/isms/actuaries")
    csrf = csrf_of(page)
    assert "Ерлан Жумабаев" in page and "AKT-0042" in page and 'id="actuary-save"' in page
    inhouse = next(a for a in actuaries.list_actuaries(web.db, CHIEF) if a.license_number == "AKT-0042")
    # qualification of the period: 900 + 600 points of the demo, of 1,200; due end of February after the period
    assert re.search(rf'id="q-{inhouse.id}".*?q-points">1\s*500 / 1\s*200', page, flags=re.S)
    # a new independent actuary, with employment at the insurer and an affiliation
    org = "АО «Демо Страхование»"
    form = {"csrf_token": csrf, "full_name": "Dana Ospanova", "license_number": "AKT-0200",
            "license_date": "2021-05-04", "license_issuer": "ARDFM", "employer": "Actuarial Audit LLP",
            "is_independent": "1", "employment": f"{org} | 2018-01-01 | 2025-06-30\nActuarial Audit LLP | 2025-07-01",
            "affiliations": "Ерлан Жумабаев | relative | brother-in-law | 2015-01-01 |",
            "activities": "2025 | reserve verification | Other Insurance JSC | contract 7 | 2024 reserves"}
    r = c.post("/isms/actuaries", data={**form, "employment": "x | 2018-13-01"})
    assert r.status_code == 400 and "employment, line 1" in r.text
    r = c.post("/isms/actuaries", data={**form, "activities": "last year | verification"})
    assert r.status_code == 400 and "activities, line 1" in r.text
    r = c.post("/isms/actuaries", data={**form, "license_date": ""})
    assert r.status_code == 400 and "give all three" in r.text
    r = c.post("/isms/actuaries", data=form)
    assert r.status_code == 303
    dana = next(a for a in actuaries.list_actuaries(web.db, CHIEF) if a.full_name == "Dana Ospanova")
    assert dana.employment[0] == {"organization": org, "from": "2018-01-01", "to": "2025-06-30"}
    assert dana.activities[0]["year"] == 2025
    edit = _page(c, f"/isms/actuaries?edit={dana.id}")
    assert f'name="actuary_id" value="{dana.id}"' in edit and "Ерлан Жумабаев | relative" in edit
    # a PDP event: item 10 by an IAA member = 200 + 100 points (period 2022-2024 for a 2021 license... as of today)
    r = c.post("/isms/actuaries/pdp", data={"csrf_token": csrf, "actuary_id": str(dana.id), "item": "10",
                                            "on_date": "2026-02-10", "title": "IFRS 17 webinar",
                                            "organizer": "SAK", "organizer_iaa_member": "1"})
    assert r.status_code == 303
    q = actuaries.qualification(web.db, CHIEF, dana.id, T0.date())
    assert q.points == 300 and q.period_start == date(2025, 1, 1) and q.due == date(2028, 2, 29)
    page = c.get("/isms/actuaries").text
    assert re.search(rf'id="q-{dana.id}".*?q-points">300 / 1\s*200.*?29\.02\.2028', page, flags=re.S)
    r = c.post("/isms/actuaries/pdp", data={"csrf_token": csrf, "actuary_id": str(dana.id), "item": "16",
                                            "on_date": "2026-02-10", "title": "x"})
    assert r.status_code == 422
    # the engagement check names each rule that forbids it
    params = {"organization": org, "independent": dana.id, "inhouse": inhouse.id, "year": 2026}
    page = _page(c, "/isms/actuaries?" + "&".join(f"{k}={v}" for k, v in params.items()))
    rules = re.findall(r'<strong class="rule">([^<]+)</strong>', page)
    assert rules == ["App. 5 para 6(1)", "App. 5 para 6(3)"], rules
    assert 'id="engagement-record"' not in page
    r = c.post("/isms/actuaries/engagements", data={"csrf_token": csrf, "organization": org,
                                                    "independent_id": str(dana.id), "inhouse_id": str(inhouse.id),
                                                    "year": "2026"})
    assert r.status_code == 400 and "App. 5 para 6(1)" in r.text
    # without the affiliation and employment: allowed, and recorded
    c.post("/isms/actuaries", data={**form, "actuary_id": str(dana.id), "affiliations": "",
                                    "employment": "Actuarial Audit LLP | 2025-07-01"})
    page = c.get("/isms/actuaries?" + "&".join(f"{k}={v}" for k, v in params.items())).text
    assert 'id="engagement-result"' in page and 'id="engagement-record"' in page
    r = c.post("/isms/actuaries/engagements", data={"csrf_token": csrf, "organization": org,
                                                    "independent_id": str(dana.id), "inhouse_id": str(inhouse.id),
                                                    "year": "2026"})
    assert r.status_code == 303
    assert _audits(web.db, "actuary.engagement", "success")

    # an actuary reads the registry without forms; the IS officer has no access to it
    reader = web.person("n.reader", ["actuary"])
    c2 = web.client()
    web.login(c2, reader)
    page = _page(c2, "/isms/actuaries")
    assert "Dana Ospanova" in page and 'id="actuary-save"' not in page and 'id="pdp-form"' not in page
    assert 'href="/isms/incidents"' not in page  # the ISMS links are hidden without isms.read
    assert c2.post("/isms/actuaries/pdp", data={"csrf_token": csrf_of(page), "actuary_id": str(dana.id),
                                                "item": "1", "on_date": "2026-01-10", "title": "x"}).status_code == 403
    c3 = web.client()
    web.login(c3, web.officer)
    assert c3.get("/isms/actuaries").status_code == 403
    assert 'href="/isms/actuaries"' not in c3.get("/isms/software").text


def _posts(ids: dict[str, int]) -> list[tuple[str, dict[str, object]]]:
    sw, pv, up = ids["software"], ids["privilege"], ids["update"]
    return [
        ("/isms/software", {"name": "x", "version": "1"}),
        (f"/isms/software/{sw}/withdraw", {"reason": "x"}),
        ("/isms/privileges", {"kind": "installer", "person": "x", "scope": "x", "reason": "x"}),
        (f"/isms/privileges/{pv}/approve", {}),
        (f"/isms/privileges/{pv}/monitor", {"note": "x"}),
        (f"/isms/privileges/{pv}/revoke", {"reason": "x"}),
        ("/isms/updates", {"system": "x", "name": "x"}),
        (f"/isms/updates/{up}/test", {"result": "passed"}),
        (f"/isms/updates/{up}/install", {}),
        ("/isms/assets", {"code": "X", "name": "x", "kind": "other", "owner": "x", "criticality": "low",
                          "classification": "public"}),
        ("/isms/assets/retire", {"code": "AKTUAR"}),
        ("/isms/actuaries", {"full_name": "Eve Mallory"}),
        ("/isms/actuaries/pdp", {"actuary_id": "1", "item": "1", "on_date": "2026-01-10", "title": "x"}),
        ("/isms/actuaries/engagements", {"organization": "x", "independent_id": "1", "inhouse_id": "2",
                                         "year": "2026"}),
    ]


@pytest.mark.req("KZ164-22")
def test_attackers_refused_on_every_new_page_and_post(web) -> None:  # type: ignore[no-untyped-def]
    _fill(web)
    ids = {"software": isms.list_software(web.db, IT)[0].id,
           "privilege": isms.list_privileges(web.db, IT, "installer")[0].id,
           "update": isms.list_updates(web.db, IT)[-1].id}
    before = {"software": len(isms.list_software(web.db, IT, include_withdrawn=True)),
              "updates": len(isms.list_updates(web.db, IT)), "actuaries": len(actuaries.list_actuaries(web.db, CHIEF))}
    # a user with none of the ISMS or actuary permissions: every page and every post is refused
    outsider = web.person("r.risk", ["risk_manager"])  # reads the ISMS, manages nothing, no actuary.read
    nobody = web.person("x.nobody", ["it_admin"])
    c = web.client()
    web.login(c, web.person("a.act", ["independent_actuary"]))
    csrf = csrf_of(c.get("/dashboard").text)
    for path in NEW_PAGES[:4]:
        assert c.get(path).status_code == 403, path
    for path, data in _posts(ids):
        if path.startswith("/isms/actuaries"):
            continue  # an independent actuary reads the registry
        assert c.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    r = c.post("/isms/assets/import", data={"csrf_token": csrf},
               files={"file": ("a.csv", io.BytesIO(b"code\n"), "text/csv")})
    assert r.status_code == 403
    # read-only roles: pages yes, changes no
    c2 = web.client()
    web.login(c2, outsider)
    csrf2 = csrf_of(c2.get("/dashboard").text)
    assert c2.get("/isms/actuaries").status_code == 403
    for path in NEW_PAGES[:4]:
        text = _page(c2, path)
        assert not re.search(r'<form method="post" action="/isms/(software|privileges|updates|assets)', text), path
    for path, data in _posts(ids):
        assert c2.post(path, data={"csrf_token": csrf2, **data}).status_code == 403, path
    r = c2.post("/isms/assets/import", data={"csrf_token": csrf2},
                files={"file": ("a.csv", io.BytesIO(b"code\n"), "text/csv")})
    assert r.status_code == 403 and _audits(web.db, "isms.asset.import", "failure")
    # IT may not manage assets or monitor, nor anything of the actuaries
    c3 = web.client()
    web.login(c3, nobody)
    csrf3 = csrf_of(c3.get("/dashboard").text)
    for path, data in _posts(ids):
        if path.startswith(("/isms/assets", "/isms/actuaries")) or path.endswith("/monitor"):
            assert c3.post(path, data={"csrf_token": csrf3, **data}).status_code == 403, path
    # the officer without a CSRF token, or from another origin: refused
    c4 = web.client()
    web.login(c4, web.officer)
    csrf4 = csrf_of(c4.get("/dashboard").text)
    for path, data in _posts(ids):
        assert c4.post(path, data=data).status_code == 403, path
        assert c4.post(path, data={"csrf_token": "forged", **data}).status_code == 403, path
        assert c4.post(path, data={"csrf_token": csrf4, **data},
                       headers={"Origin": "https://evil.example"}).status_code == 403, path
    r = c4.post("/isms/assets/import", files={"file": ("a.csv", io.BytesIO(ASSET_HEADER.encode()), "text/csv")})
    assert r.status_code == 403
    # nothing changed
    assert len(isms.list_software(web.db, IT, include_withdrawn=True)) == before["software"]
    assert len(isms.list_updates(web.db, IT)) == before["updates"]
    assert len(actuaries.list_actuaries(web.db, CHIEF)) == before["actuaries"]
    assert isms.list_privileges(web.db, IT, "installer")[0].status == "active"
    # the refusals are audited by the services
    for action in ("isms.software.authorize", "isms.privilege.approve", "isms.update.install", "isms.asset.save",
                   "actuary.save"):
        assert _audits(web.db, action, "failure"), action
