"""The web application tested as an attacker would, in process (FastAPI TestClient over HTTPS): security
headers, cookie flags, CSRF, session fixation, idle and absolute timeouts, open redirect, errors without
internal details, identical login-failure messages, the login page's identity and hygiene text, i18n."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_of, prepared_run

from aktuar.security import audit
from aktuar.services import accounts
from aktuar.web import i18n
from aktuar.web.security import SESSION_COOKIE, safe_next

TRACE_MARKERS = ("Traceback", "File \"", "/srv/secret", "SELECT", ".py", "RuntimeError", "sqlalchemy")


def _set_cookie_headers(resp) -> list[str]:  # type: ignore[no-untyped-def]
    return resp.headers.get_list("set-cookie")


@pytest.mark.req("KZ164-67")
def test_security_headers_on_every_response(web) -> None:  # type: ignore[no-untyped-def]
    c = web.client()
    for path in ("/login", "/dashboard", "/nope", "/openapi.json", "/static/app.css", "/api/v1/runs"):
        r = c.get(path)
        h = r.headers
        assert h["strict-transport-security"].startswith("max-age=31536000"), path
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] in ("no-referrer", "strict-origin")
        assert re.fullmatch(r"[0-9a-f]{32}", h["x-correlation-id"])
        if not path.startswith("/static/"):
            assert h["cache-control"] == "no-store", path


@pytest.mark.req("KZ164-67")
def test_login_page_identity_hygiene_masked_fields(web) -> None:  # type: ignore[no-untyped-def]
    r = web.client().get("/login")
    html = r.text
    assert "АО «Страховая компания»" in html and 'src="/brand/logo"' in html
    assert i18n.t("ru", "hygiene.2") in html
    assert re.search(r'<form[^>]*action="/login"[^>]*autocomplete="off"', html)
    pw = re.search(r'<input id="password"[^>]*>', html).group(0)
    code = re.search(r'<input id="code"[^>]*>', html).group(0)
    for field in (pw, code):
        assert 'type="password"' in field and 'autocomplete="off"' in field
    assert "<script>" not in html and "onclick" not in html  # no inline script (CSP)
    theme = web.client().get("/theme.css").text
    assert "#0b4f8a" in theme


@pytest.mark.req("KZ164-67")
def test_identity_from_settings_table(web) -> None:  # type: ignore[no-untyped-def]
    import json
    from datetime import UTC, datetime

    from aktuar.store.models import Setting
    from aktuar.web import WebSettings, create_app

    with web.db.session() as s:
        s.add(Setting(key="web.insurer_name", value=json.dumps("АО «Номад Иншуранс»"), changed_by="test",
                      changed_at=datetime.now(UTC)))
        s.add(Setting(key="web.color_primary", value=json.dumps("#123456"), changed_by="test",
                      changed_at=datetime.now(UTC)))
    from fastapi.testclient import TestClient

    app = create_app(WebSettings(database=web.db, clock=web.clock))
    c = TestClient(app, base_url="https://testserver")
    assert "АО «Номад Иншуранс»" in c.get("/login").text
    assert "#123456" in c.get("/theme.css").text


@pytest.mark.req("KZ164-65")
@pytest.mark.req("KZ164-67")
def test_login_with_password_and_totp_sets_a_secure_cookie(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    r = web.login(c, p, "/runs")
    assert r.status_code == 303 and r.headers["location"] == "/runs"
    cookies = [h for h in _set_cookie_headers(r) if h.startswith(SESSION_COOKIE + "=")]
    assert len(cookies) == 1
    flags = [f.strip().lower() for f in cookies[0].split(";")]
    assert "secure" in flags and "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert not any(f.startswith("domain=") for f in flags)
    assert not any(f.startswith(("max-age", "expires")) for f in flags)  # ends with the browser
    assert c.get("/dashboard").status_code == 200
    events = [e for e in _audit(web.db) if e.action == "login" and e.outcome == "success"]
    assert events and events[-1].source.startswith("web ")


def _audit(db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from aktuar.store.models import AuditEvent

    with db.session() as s:
        return list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


@pytest.mark.req("KZ164-65")
def test_password_alone_is_not_enough(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    csrf = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": p.username, "password": p.password, "code": "", "csrf_token": csrf})
    assert r.status_code == 401 and SESSION_COOKIE not in r.headers.get("set-cookie", "")


@pytest.mark.req("KZ164-67")
@pytest.mark.req("KZ164-26")
def test_failure_message_identical_for_unknown_user_wrong_password_and_lockout(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()

    def attempt(username: str, password: str, code: str = "000000") -> str:
        web.clock.advance(seconds=1)
        csrf = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": username, "password": password, "code": code, "csrf_token": csrf})
        assert r.status_code == 401
        return re.search(r'id="login-error">([^<]*)<', r.text).group(1)

    unknown = attempt("no.such.person", "whatever password here")
    wrong = attempt(p.username, "wrong password entirely")
    bad_code = attempt(p.username, p.password, "123456")
    for _ in range(5):
        attempt(p.username, "wrong password entirely")
    locked = attempt(p.username, p.password, p.code(web.clock()))  # right credentials, but locked now
    assert unknown == wrong == bad_code == locked
    assert "5" in unknown and "15" in unknown  # the policy's threshold and minutes


@pytest.mark.req("KZ164-67")
def test_csrf_refused_without_or_with_foreign_token(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    chief = web.person("c.chief", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    assert c.post(f"/runs/{run_id}/approve", data={}).status_code == 403
    assert c.post(f"/runs/{run_id}/approve", data={"csrf_token": "0" * 64}).status_code == 403
    # another user's valid token does not work for this session
    other = web.person("d.chief", ["chief_actuary"])
    c2 = web.client()
    web.login(c2, other)
    foreign = csrf_of(c2.get("/runs").text)
    assert c.post(f"/runs/{run_id}/approve", data={"csrf_token": foreign}).status_code == 403
    # a cross-site Origin is refused even with the right token
    mine = csrf_of(c.get("/runs").text)
    r = c.post(f"/runs/{run_id}/approve", data={"csrf_token": mine}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    from aktuar.services import valuation

    assert valuation.get_run(web.db, chief.actor, run_id).status == "reviewed"  # nothing happened
    r = c.post(f"/runs/{run_id}/approve", data={"csrf_token": mine})
    assert r.status_code == 303
    assert valuation.get_run(web.db, chief.actor, run_id).status == "approved"
    # login form and logout need their tokens too
    assert web.client().post("/login", data={"username": "x", "password": "y", "code": "1"}).status_code == 403
    assert c.post("/logout", data={}).status_code == 403


@pytest.mark.req("KZ164-67")
def test_session_fixation_new_session_id_at_login(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    attacker = web.client()
    web.login(attacker, p)  # the attacker's own valid session (worst case: a real token)
    planted = attacker.cookies.get(SESSION_COOKIE)
    victim = web.client()
    csrf = csrf_of(victim.get("/login").text)
    victim.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    web.clock.advance(seconds=31)
    r = victim.post("/login", data={"username": p.username, "password": p.password, "code": p.code(web.clock()),
                                    "csrf_token": csrf})
    assert r.status_code == 303
    new = [h for h in _set_cookie_headers(r) if h.startswith(SESSION_COOKIE + "=")][0].split(";")[0].split("=", 1)[1]
    assert new != planted
    # the planted session was ended at login: the attacker's copy no longer works
    assert attacker.get("/dashboard").status_code == 303
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(web.db, planted, web.clock())


@pytest.mark.req("KZ164-67")
def test_idle_timeout_and_absolute_lifetime(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    web.clock.advance(minutes=29)
    assert c.get("/dashboard").status_code == 200
    web.clock.advance(minutes=31)  # idle 31 min > 30
    r = c.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fdashboard&m=ended")
    assert c.get("/api/v1/runs").status_code == 401
    # absolute: active every 20 minutes, still ended after 8 hours
    c2 = web.client()
    web.login(c2, p)
    for _ in range(23):
        web.clock.advance(minutes=20)
        assert c2.get("/dashboard").status_code == 200
    web.clock.advance(minutes=21)
    assert c2.get("/dashboard").status_code == 303


@pytest.mark.req("KZ164-67")
def test_logout_ends_the_session(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    token = c.cookies.get(SESSION_COOKIE)
    r = c.post("/logout", data={"csrf_token": csrf_of(c.get("/dashboard").text)})
    assert r.status_code == 303 and r.headers["location"] == "/login?m=logged_out"
    with pytest.raises(accounts.SessionInvalid):
        accounts.authenticate_session(web.db, token, web.clock())


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example", "/\\evil.example", "\\\\evil",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", "http:/evil", " /runs",
                                    "/\tevil", "/login"])
def test_safe_next_refuses_foreign_targets(target: str) -> None:
    assert safe_next(target) == "/dashboard" or safe_next(target).startswith("/%0d")


@pytest.mark.req("KZ164-69")
def test_open_redirect_after_login_refused(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    for target in ("https://evil.example/phish", "//evil.example/", "/\\evil.example"):
        c = web.client()
        r = web.login(c, p, target)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    c = web.client()
    assert web.login(c, p, "/runs?status=approved").headers["location"] == "/runs?status=approved"


@pytest.mark.req("KZ164-67")
@pytest.mark.req("KZ164-69")
def test_internal_error_shows_reference_only_and_audits_details(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    r = c.get("/__test__/boom")
    assert r.status_code == 500
    cid = r.headers["x-correlation-id"]
    assert cid in r.text
    for marker in TRACE_MARKERS:
        assert marker not in r.text, marker
    events = [e for e in _audit(web.db) if e.action == "web.error"]
    assert events and cid in events[-1].details and "RuntimeError" in events[-1].details
    assert events[-1].actor == p.username
    with web.db.session() as s:
        assert audit.verify(s).ok


@pytest.mark.req("KZ164-69")
def test_service_failure_in_api_has_no_trace(web, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from aktuar.services import valuation

    def broken(*a, **k):  # type: ignore[no-untyped-def]
        raise ValueError("psycopg.errors.UndefinedTable: relation \"runs\" at /opt/aktuar/src/store.py line 3")

    monkeypatch.setattr(valuation, "list_runs", broken)
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    r = c.get("/api/v1/runs")
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error", "correlation_id"} and body["correlation_id"] == r.headers["x-correlation-id"]
    for marker in ("psycopg", "/opt/aktuar", "UndefinedTable", "ValueError", "Traceback"):
        assert marker not in r.text


def test_refusal_message_has_no_paths(web) -> None:  # type: ignore[no-untyped-def]
    from aktuar.web.app import _clean

    assert "/var/lib" not in _clean("the stored file /var/lib/aktuar/datasets/ab.csv is missing")


@pytest.mark.req("KZ164-67")
def test_language_switch_and_locale_formats(web) -> None:  # type: ignore[no-untyped-def]
    p = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, p)
    page = c.get("/dashboard").text
    assert "Регуляторные сроки" in page and "01.01.2027" in page
    r = c.post("/lang", data={"lang": "en", "next": "/dashboard", "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    page = c.get("/dashboard").text
    assert "Regulatory deadlines" in page and "2027-01-01" in page and 'lang="en"' in page
    assert c.post("/lang", data={"lang": "en", "next": "/dashboard"}).status_code == 403  # CSRF here too
    # anonymous users switch the login page's language with the pre-session token
    anon = web.client()
    r = anon.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_of(anon.get("/login").text)})
    assert r.status_code == 303
    assert "Cyber-hygiene advice" in anon.get("/login").text


def test_catalog_complete_and_formats() -> None:
    assert i18n.missing() == []
    assert i18n.format_number(1234567.891, "ru") == "1\xa0234\xa0567,89"
    assert i18n.format_number(1234567.891, "en") == "1,234,567.89"
    from datetime import date

    assert i18n.format_date(date(2026, 4, 30), "ru") == "30.04.2026"
    assert i18n.format_date(date(2026, 4, 30), "en") == "2026-04-30"
    assert i18n.normalize_language("EN-gb") == "en" and i18n.normalize_language("xx") == "ru"


@pytest.mark.req("SECP-MON")
def test_pages_hide_what_a_role_may_not_do(web) -> None:  # type: ignore[no-untyped-def]
    prepared_run(web.db, web.tmp)
    mgmt = web.person("m.board", ["management"])
    c = web.client()
    web.login(c, mgmt)
    runs = c.get("/runs").text
    assert "/approve" not in runs and "/reject" not in runs and 'href="/audit"' not in runs
    assert c.get("/audit").status_code == 403
    auditor = web.person("e.auditor", ["internal_auditor"])
    c2 = web.client()
    web.login(c2, auditor)
    page = c2.get("/audit?verify=1").text
    assert 'id="chain-status"' in page and "login" in page
    assert "/approve" not in c2.get("/runs").text
