"""Pages of issue 5 part 2, in process (FastAPI TestClient over HTTPS): data upload with the validation report
(row/column), size and type limits, dataset history; reserving analysis (triangle heat-map, factor chart,
exclusions with reasons, method comparison, bootstrap distribution); run creation in the background with
progress, review/approval by other people, XLSX download (audited) and comparison; IFRS 17 close; administration
(unlock, roles, MFA reset with re-authentication, settings, technological accounts) and setting up an
authenticator in the browser. Every page is checked for CSP-safety (no inline script or style)."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from conftest import OFFICER_PW, T0, csrf_of, prepared_run, write_triangle
from sqlalchemy import select

from aktuar.security import mfa
from aktuar.services import accounts, valuation
from aktuar.store.models import AuditEvent
from aktuar.web import i18n

BAD_CSV = b"origin,12,24,36\n2001,100,150,160\n2002,110,abc,\n2003,120,,\n"


def _audit(db, action: str, outcome: str | None = None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action)
        if outcome:
            q = q.where(AuditEvent.outcome == outcome)
        return list(s.execute(q).scalars())


def _csp_safe(html: str) -> None:
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def _upload(web, c, name: str, content: bytes, kind: str = "triangle"):  # type: ignore[no-untyped-def]
    csrf = csrf_of(c.get("/data").text)
    return c.post("/data/upload", data={"csrf_token": csrf, "kind": kind},
                  files={"file": (name, io.BytesIO(content), "text/csv")})


def _actuary(web, name: str = "n.actuary"):  # type: ignore[no-untyped-def]
    p = web.person(name, ["actuary"])
    c = web.client()
    assert web.login(c, p).status_code == 303
    return p, c


def _methodology(web) -> int:  # type: ignore[no-untyped-def]
    prepared_run(web.db, web.tmp, reviewed=False)  # registers and coordinates a chain-ladder methodology
    from conftest import PREPARER

    from aktuar.services import methodology as meth

    return meth.list_methodologies(web.db, PREPARER)[0].id


@pytest.mark.req("KZ164-69")
def test_upload_with_an_error_shows_row_and_column_and_stores_nothing(web) -> None:  # type: ignore[no-untyped-def]
    _, c = _actuary(web)
    r = _upload(web, c, "claims 2025.csv", BAD_CSV)
    assert r.status_code == 422
    html = r.text
    assert 'id="validation-report"' in html
    assert re.search(r'id="problem-row"[^>]*>3<', html) and re.search(r'id="problem-column">24<', html)
    assert "is not a number" in html and "claims 2025.csv" in html
    assert "/tmp" not in html and "uploads" not in html  # no server path
    _csp_safe(html)
    with web.db.session() as s:
        from aktuar.store.models import Dataset

        assert s.execute(select(Dataset)).first() is None
    assert not list((web.db.settings.data_dir / "uploads").iterdir())  # the temporary copy is gone
    assert _audit(web.db, "dataset.import", "failure")


@pytest.mark.req("KZ164-69")
def test_upload_limits_type_signature_size_csrf_and_role(web) -> None:  # type: ignore[no-untyped-def]
    p, c = _actuary(web)
    r = _upload(web, c, "evil.exe", b"MZ\x90\x00")
    assert r.status_code == 422 and "is not accepted" in r.text
    r = _upload(web, c, "fake.xlsx", b"origin,12\n2001,1\n")
    assert r.status_code == 422 and "not an Excel workbook" in r.text
    r = _upload(web, c, "bin.csv", b"origin,12\n\x00\x01\x02")
    assert r.status_code == 422 and "is not text" in r.text
    r = _upload(web, c, "../../etc/passwd.csv", b"")
    assert r.status_code == 422 and "empty" in r.text and "passwd.csv" in r.text
    # no CSRF token, a foreign origin
    r = c.post("/data/upload", data={"kind": "triangle"}, files={"file": ("t.csv", io.BytesIO(b"a"), "text/csv")})
    assert r.status_code == 403
    csrf = csrf_of(c.get("/data").text)
    r = c.post("/data/upload", data={"kind": "triangle", "csrf_token": csrf}, headers={"Origin": "https://evil.example"},
               files={"file": ("t.csv", io.BytesIO(b"a"), "text/csv")})
    assert r.status_code == 403
    # a role without data.import
    rm = web.person("r.risk", ["risk_manager"])
    c2 = web.client()
    web.login(c2, rm)
    assert 'id="upload-form"' not in c2.get("/data").text
    r = _upload(web, c2, "t.csv", b"origin,12\n2001,1\n")
    assert r.status_code == 403
    # size: a small limit refuses larger bodies before parsing (413) and while copying
    from aktuar.web import WebSettings, create_app

    web.app = create_app(WebSettings(database=web.db, clock=web.clock, max_upload_bytes=1024))
    c3 = web.client()
    web.login(c3, p)
    r = _upload(web, c3, "big.csv", b"origin,12\n" + b"2001,1\n" * 20_000)
    assert r.status_code == 413


def test_upload_valid_file_and_history(web) -> None:  # type: ignore[no-untyped-def]
    _, c = _actuary(web)
    tri = write_triangle(web.tmp / "taylor-ashe.csv").read_bytes()
    r = _upload(web, c, "taylor-ashe.csv", tri)
    assert r.status_code == 303 and r.headers["location"].startswith("/data?imported=")
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    page = c.get(r.headers["location"]).text
    assert f'id="dataset-{ds_id}"' in page and "taylor-ashe.csv" in page and 'id="imported"' in page
    _csp_safe(page)
    again = _upload(web, c, "copy.csv", tri)  # the same content: the existing dataset
    assert again.headers["location"].endswith(f"={ds_id}")
    assert _audit(web.db, "dataset.import", "success")


def test_reserving_analysis_heatmap_factors_exclusions_methods_bootstrap(web) -> None:  # type: ignore[no-untyped-def]
    _, c = _actuary(web)
    r = _upload(web, c, "taylor-ashe.csv", write_triangle(web.tmp / "t.csv").read_bytes())
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    page = c.get(f"/reserving/{ds_id}?sims=200")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    _csp_safe(html)
    assert 'id="triangle"' in html and re.search(r'class="num heat-[0-6]"', html)
    assert re.search(r'class="num dev-(lo|hi)[123]', html)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html and 'id="factor-chart"' in html
    assert 'id="method-chainladder"' in html and 'id="method-mack"' in html and 'id="method-bootstrap"' in html
    assert 'id="distribution-chart"' in html
    # Mack (1993) Taylor/Ashe: chain-ladder reserve 18,680,856 (ru formatting: "18 680 856")
    assert re.search(r'id="method-chainladder">.*?18\s680\s856', html, re.S)
    csrf = csrf_of(html)
    # exclude the 1st origin's first link ratio with a reason
    form = {"csrf_token": csrf, "sims": "200", "average": "volume", "new_origin": "1", "new_age": "1",
            "new_reason": "large loss, one-off"}
    origin0 = re.search(r'<select name="new_origin" id="new-origin"><option value="">—</option><option value="([^"]+)"',
                        html).group(1)
    age0 = re.search(r'<select name="new_age" id="new-age"><option value="">—</option><option value="([^"]+)"',
                     html).group(1)
    form.update(new_origin=origin0, new_age=age0)
    r = c.post(f"/reserving/{ds_id}", data=form)
    assert r.status_code == 200, r.text[:500]
    assert 'class="exclusion"' in r.text and "large loss, one-off" in r.text and "excluded" in r.text
    assert not re.search(r'id="method-chainladder">.*?18\s680\s856', r.text, re.S)  # the factor changed
    # an exclusion without a reason is refused with a reason
    form.update(new_reason="")
    r = c.post(f"/reserving/{ds_id}", data=form)
    assert r.status_code == 400 and "needs a reason" in r.text
    # without CSRF
    assert c.post(f"/reserving/{ds_id}", data={"sims": "10"}).status_code == 403
    assert c.get(f"/reserving/{ds_id}?sims=999999").status_code == 400
    assert _audit(web.db, "dataset.analyse", "success")


def _wait_job(c, location: str) -> str:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = c.get(location)
        if r.status_code == 303:
            return str(r.headers["location"])
        assert r.status_code == 200 and 'data-status="running"' in r.text, r.text[:800]
        assert '<meta http-equiv="refresh"' in r.text
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


@pytest.mark.req("KZ164-22")
def test_create_review_approve_download_and_compare_runs(web) -> None:  # type: ignore[no-untyped-def]
    m_id = _methodology(web)
    act, c = _actuary(web)
    r = _upload(web, c, "taylor-ashe.csv", write_triangle(web.tmp / "t2.csv").read_bytes())
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    page = c.get("/reserving").text
    assert 'id="run-form"' in page
    csrf = csrf_of(page)
    r = c.post("/reserving/runs/new", data={"csrf_token": csrf, "dataset": str(ds_id), "methodology": str(m_id),
                                            "reporting_date": "2025-12-31", "exposure": "0"})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    run_loc = _wait_job(c, r.headers["location"])
    assert run_loc.startswith("/runs/")
    run_id = int(run_loc.split("/")[2].split("?")[0])
    run_page = c.get(run_loc).text
    _csp_safe(run_page)
    assert 'id="run-created"' in run_page and 'data-status="prepared"' in run_page
    assert 'id="run-totals"' in run_page
    # a method override without "test run" is refused; with it, a test run
    r = c.post("/reserving/runs/new", data={"csrf_token": csrf, "dataset": str(ds_id), "methodology": str(m_id),
                                            "reporting_date": "2025-12-31", "method": "mack"})
    assert r.status_code == 400 and "test run" in r.text
    r = c.post("/reserving/runs/new", data={"csrf_token": csrf, "dataset": str(ds_id), "methodology": str(m_id),
                                            "reporting_date": "2025-12-31", "method": "mack", "is_test": "1",
                                            "ex_origin": "1", "ex_age": "1", "ex_reason": "one-off",
                                            "ex_keep": "0"})
    assert r.status_code == 303
    test_loc = _wait_job(c, r.headers["location"])
    test_id = int(test_loc.split("/")[2].split("?")[0])
    assert valuation.get_run(web.db, act.actor, test_id).is_test
    # the preparer cannot review their own run (no button, and the service refuses)
    assert 'class="review"' not in c.get(f"/runs/{run_id}").text
    rev = web.person("b.reviewer", ["actuary"])
    cr = web.client()
    web.login(cr, rev)
    p = cr.get(f"/runs/{run_id}").text
    assert 'class="review"' in p
    assert cr.post(f"/runs/{run_id}/review", data={"csrf_token": csrf_of(p)}).status_code == 303
    chief = web.person("c.chief", ["chief_actuary"])
    cc = web.client()
    web.login(cc, chief)
    p = cc.get(f"/runs/{run_id}").text
    assert 'class="approve"' in p
    assert cc.post(f"/runs/{run_id}/approve", data={"csrf_token": csrf_of(p)}).status_code == 303
    assert valuation.get_run(web.db, chief.actor, run_id).approved_by == "c.chief"
    # download the workbook: its numbers are the stored results; the export is audited with its hash
    d = cc.get(f"/runs/{run_id}/download.xlsx")
    assert d.status_code == 200 and d.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in d.headers["content-disposition"]
    import hashlib

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(d.content), read_only=True)  # the user's language: Russian
    ident = {row[0]: row[1] for row in wb["Расчёт"].iter_rows(values_only=True)}
    assert ident["Статус"] == "утверждён" and ident["Утвердил"] == "c.chief"
    res = list(wb["Результаты"].iter_rows(values_only=True))
    total = next(v for (seg, _m, origin, q, v) in res[1:] if origin == "Total" and q == "ibnr")
    assert total == pytest.approx(18_680_856, rel=1e-6)
    ev = _audit(web.db, "report.export", "success")[-1]
    assert json.loads(ev.details)["sha256"] == hashlib.sha256(d.content).hexdigest()
    # a management user without report.read? (management has report.read) -> an IS officer has none
    co = web.client()
    web.login(co, web.officer)
    assert co.get(f"/runs/{run_id}/download.xlsx").status_code == 403
    # compare the approved run with the test run
    cmp = cc.get(f"/runs/compare?a={run_id}&b={test_id}&quantity=ibnr")
    assert cmp.status_code == 200 and 'id="compare-rows"' in cmp.text and 'id="compare-chart"' in cmp.text
    _csp_safe(cmp.text)
    assert cc.get(f"/runs/compare?a={run_id}&b={test_id}&quantity=x%27or").status_code == 422
    assert cc.get("/runs/99999").status_code == 404


def test_jobs_belong_to_their_owner_and_api_creates_runs(web) -> None:  # type: ignore[no-untyped-def]
    from aktuar.web.security import CSRF_HEADER

    m_id = _methodology(web)
    act, c = _actuary(web)
    r = _upload(web, c, "t.csv", write_triangle(web.tmp / "t3.csv").read_bytes())
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    csrf = csrf_of(c.get("/dashboard").text)
    body = {"reporting_date": "2025-12-31", "methodology_id": m_id, "triangle": ds_id}
    assert c.post("/api/v1/runs", json=body).status_code == 403  # no CSRF header
    r = c.post("/api/v1/runs", json=body, headers={CSRF_HEADER: csrf})
    assert r.status_code == 202, r.text
    job = r.json()
    for _ in range(400):
        j = c.get(f"/api/v1/jobs/{job['id']}").json()
        if j["status"] != "running":
            break
        time.sleep(0.05)
    assert j["status"] == "done" and j["run_id"] and j["done"] == j["total"] == 1
    other = web.person("o.other", ["actuary"])
    co = web.client()
    web.login(co, other)
    assert co.get(f"/api/v1/jobs/{job['id']}").status_code == 404  # nobody else learns it exists
    assert co.get(f"/jobs/{job['id']}").status_code == 404
    assert c.post("/api/v1/runs", json={**body, "claims": ds_id}, headers={CSRF_HEADER: csrf}).status_code == 400
    assert c.post("/api/v1/runs", json={**body, "created_by": "x"}, headers={CSRF_HEADER: csrf}).status_code == 422
    x = c.get(f"/api/v1/runs/{j['run_id']}/results.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    ds = c.get("/api/v1/datasets").json()
    assert [d["id"] for d in ds] == [1, ds_id] or ds_id in [d["id"] for d in ds]


def test_ifrs17_page_shows_roll_forwards_and_charts(web) -> None:  # type: ignore[no-untyped-def]
    rm = web.person("r.risk", ["risk_manager"])
    c = web.client()
    web.login(c, rm)
    r = c.get("/ifrs17")
    assert r.status_code == 200, r.text[:300]
    html = r.text
    _csp_safe(html)
    assert 'id="ifrs17-balances"' in html and 'id="balances-chart"' in html and 'id="runoff-chart"' in html
    assert "ifrs17-table" in html and "Closing balance" in html
    assert _audit(web.db, "ifrs17.view", "success")
    co = web.client()
    web.login(co, web.officer)  # no report.read
    assert co.get("/ifrs17").status_code == 403


@pytest.mark.req("KZ164-22")
def test_administration_unlock_roles_mfa_reset_settings_service_accounts(web) -> None:  # type: ignore[no-untyped-def]
    victim = web.person("v.locked", ["actuary"])
    for _ in range(5):  # lock the account
        web.clock.advance(seconds=1)
        with pytest.raises(accounts.AuthenticationFailed):
            accounts.login(web.db, victim.username, "wrong password!!", "000000", "test", web.clock())
    c = web.client()
    web.login(c, web.officer)
    page = c.get("/admin")
    assert page.status_code == 200
    html = page.text
    _csp_safe(html)
    assert 'id="user-v.locked"' in html and 'class="locked"' in html
    csrf = csrf_of(html)
    assert c.post("/admin/users/v.locked/unlock", data={"csrf_token": csrf}).headers["location"] == "/admin?done=unlock"
    assert accounts.get_user(web.db, web.officer.actor, "v.locked").locked_until is None
    assert _audit(web.db, "user.unlock", "success")
    # roles: grant, incompatible role refused with its reason
    r = c.post("/admin/users/v.locked/roles", data={"csrf_token": csrf, "role": "risk_manager", "action": "grant"})
    assert r.status_code == 303
    r = c.post("/admin/users/v.locked/roles", data={"csrf_token": csrf, "role": "internal_auditor",
                                                    "action": "grant"})
    assert r.status_code == 400 and "cannot be combined" in r.text
    assert c.post("/admin/users/v.locked/roles", data={"csrf_token": csrf, "role": "god",
                                                       "action": "grant"}).status_code == 400
    # MFA reset needs the officer's password and current code; a wrong one is refused and audited
    r = c.post("/admin/users/v.locked/mfa-reset", data={"csrf_token": csrf, "password": "nope", "code": "000000"})
    assert r.status_code == 400
    assert accounts.get_user(web.db, web.officer.actor, "v.locked").mfa_enabled
    web.clock.advance(seconds=31)
    r = c.post("/admin/users/v.locked/mfa-reset", data={"csrf_token": csrf, "password": OFFICER_PW,
                                                        "code": web.officer.code(web.clock())})
    assert r.status_code == 303, r.text[:300]
    assert not accounts.get_user(web.db, web.officer.actor, "v.locked").mfa_enabled
    assert _audit(web.db, "mfa.reset", "success")
    # settings (audited as a system-parameter change), bounds enforced
    r = c.post("/admin/settings", data={"csrf_token": csrf, "key": "accounts.lockout_threshold", "value": "7"})
    assert r.status_code == 303 and accounts.get_policy(web.db).lockout_threshold == 7
    assert c.post("/admin/settings", data={"csrf_token": csrf, "key": "accounts.lockout_threshold",
                                           "value": "1000"}).status_code == 400
    assert _audit(web.db, "setting.change", "success")
    # technological account: registered by the IS officer, listed
    r = c.post("/admin/service-accounts", data={"csrf_token": csrf, "system": "reporting", "name": "loader",
                                                "purpose": "nightly export", "responsible": "a.officer",
                                                "role": "risk_manager"})
    assert r.status_code == 303
    assert 'id="service-accounts"' in c.get("/admin").text
    # the officer cannot act on their own account; an actuary sees no admin page
    r = c.post(f"/admin/users/{web.officer.username}/unlock", data={"csrf_token": csrf})
    assert r.status_code == 403  # nobody administers their own account
    _, ca = _actuary(web, "x.actuary")
    assert ca.get("/admin").status_code == 403
    assert ca.post("/admin/users/v.locked/unlock", data={"csrf_token": csrf_of(ca.get("/dashboard").text)}
                   ).status_code == 403
    assert c.post("/admin/users/v.locked/unlock", data={}).status_code == 403  # no CSRF


@pytest.mark.req("KZ164-65")
def test_authenticator_set_up_in_the_browser_then_login(web) -> None:  # type: ignore[no-untyped-def]
    pw = "quartz meadow falcon 2026"
    accounts.create_user(web.db, web.officer.actor, "n.new", "Nurlan New", pw, ["actuary"], now=T0)
    c = web.client()
    web.clock.advance(seconds=31)
    r = c.post("/login", data={"username": "n.new", "password": pw, "code": "123456",
                               "csrf_token": csrf_of(c.get("/login").text)})
    assert r.status_code == 401 and 'href="/mfa/enroll"' in r.text
    page = c.get("/mfa/enroll")
    _csp_safe(page.text)
    csrf = csrf_of(page.text)
    assert c.post("/mfa/enroll", data={"username": "n.new", "password": pw}).status_code == 403  # no CSRF
    r = c.post("/mfa/enroll", data={"csrf_token": csrf, "username": "n.new", "password": "wrong"})
    assert r.status_code == 401 and 'id="mfa-secret"' not in r.text
    r = c.post("/mfa/enroll", data={"csrf_token": csrf, "username": "n.new", "password": pw})
    assert r.status_code == 200
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', r.text).group(1)
    assert "otpauth://totp/" in r.text
    assert 'id="mfa-qr"' in r.text or 'id="mfa-no-qr"' in r.text
    assert 'type="password"' in re.search(r'<input id="code"[^>]*>', r.text).group(0)
    r = c.post("/mfa/enroll/confirm", data={"csrf_token": csrf, "username": "n.new", "password": pw,
                                            "code": "000000"})
    assert r.status_code == 401
    r = c.post("/mfa/enroll", data={"csrf_token": csrf, "username": "n.new", "password": pw})
    secret = re.search(r'id="mfa-secret">([A-Z2-7]+)<', r.text).group(1)
    r = c.post("/mfa/enroll/confirm", data={"csrf_token": csrf, "username": "n.new", "password": pw,
                                            "code": mfa.code_at(secret, web.clock())})
    assert r.status_code == 200 and 'id="recovery-codes"' in r.text
    assert len(re.findall(r"<li><code>", r.text)) == 10
    assert _audit(web.db, "mfa.enroll", "success")
    web.clock.advance(seconds=31)
    r = c.post("/login", data={"username": "n.new", "password": pw, "code": mfa.code_at(secret, web.clock()),
                               "csrf_token": csrf_of(c.get("/login").text)})
    assert r.status_code == 303


def test_every_page_text_is_in_both_languages() -> None:
    import glob
    from pathlib import Path

    import aktuar.web

    root = Path(aktuar.web.__file__).parent
    keys: set[str] = set()
    for f in glob.glob(str(root / "templates" / "*.html")) + glob.glob(str(root / "routers" / "*.py")):
        text = Path(f).read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bt\('([a-z0-9_]+\.[a-z0-9_.]*[a-z0-9_])'", text))
        keys |= set(re.findall(r'i18n\.t\([a-z.]+, "([a-z0-9_.]*[a-z0-9_])"', text))
    assert keys, "no message ids found"
    assert sorted(k for k in keys if k not in i18n.CATALOG) == []
    assert i18n.missing() == []
    for prefix in ("kind.", "method.", "average.", "admin.done.", "status."):
        assert any(k.startswith(prefix) for k in i18n.CATALOG)


def test_charts_escape_text_and_survive_degenerate_input() -> None:
    from aktuar.web import charts

    fmt = str
    svg = charts.bar_chart("<b>x</b>", ["<script>"], [1.0], fmt)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    for s in (charts.line_chart("t", [], [], fmt), charts.histogram("t", [], fmt),
              charts.histogram("t", [5.0, 5.0], fmt), charts.grouped_bars("t", ["a"], [("s", [float("nan")])], fmt),
              charts.bar_chart("t", ["a", "b"], [0.0, 0.0], fmt)):
        assert s.startswith("<svg") and "NaN" not in s and "inf" not in s
