"""The login and approval workflow in a real browser: Debian's Chromium (``/usr/bin/chromium``, headless, no
browser download) driven by Playwright against a real uvicorn server over HTTPS with the development certificate.

Checks KZ164-65 (password + TOTP), KZ164-67 (identity and hygiene text on the login page, masked secrets,
nothing in localStorage/sessionStorage, session cookie Secure/HttpOnly/SameSite=Strict and invisible to
scripts, no CSP violations) and approving a prepared and reviewed run as a user who neither prepared nor reviewed
it. Screenshots of the pages go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from conftest import make_officer, make_person, prepared_run
from web_server import running_server

from aktuar.web.security import SESSION_COOKIE

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)),
                                reason="Debian's chromium is not installed (make venv installs it)")


@pytest.mark.req("KZ164-65")
@pytest.mark.req("KZ164-67")
@pytest.mark.req("KZ164-62")
def test_login_totp_and_approve_in_chromium(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import expect, sync_playwright

    from aktuar.services import valuation
    from aktuar.web import WebSettings, create_app
    from aktuar.web.tls import dev_certificate, server_context

    # people enrolled two minutes ago (the TOTP step used at enrolment is then not reused at login)
    enrolled = datetime.now(UTC) - timedelta(minutes=2)
    officer = make_officer(database, enrolled)
    chief = make_person(database, officer, "c.chief", ["chief_actuary"], enrolled)
    run_id = prepared_run(database, tmp_path)  # prepared by alice, reviewed by bob
    app = create_app(WebSettings(database=database))
    ARTIFACTS.mkdir(exist_ok=True)
    csp_violations: list[str] = []

    with running_server(app, server_context(*dev_certificate(tmp_path / "data", "127.0.0.1"))) as port, \
            sync_playwright() as pw:
        base = f"https://127.0.0.1:{port}"
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(ignore_https_errors=True, locale="ru-RU")
            page = context.new_page()
            page.on("console", lambda m: csp_violations.append(m.text)
                    if "Content Security Policy" in m.text else None)
            page.on("dialog", lambda d: d.accept())

            page.goto(f"{base}/dashboard")
            expect(page).to_have_url(f"{base}/login?next=%2Fdashboard")
            assert page.locator("#password").get_attribute("type") == "password"
            assert page.locator("#code").get_attribute("type") == "password"
            assert page.locator("#login-form").get_attribute("autocomplete") == "off"
            expect(page.locator("#hygiene")).to_contain_text("кибергигиене")
            expect(page.locator(".insurer")).to_have_text("АО «Страховая компания»")
            page.screenshot(path=str(ARTIFACTS / "web-login.png"), full_page=True)

            page.fill("#username", chief.username)
            page.fill("#password", chief.password)
            page.fill("#code", pyotp.TOTP(chief.secret).now())
            page.click("#login-submit")
            expect(page).to_have_url(f"{base}/dashboard")
            expect(page.locator("#page-title")).to_have_text("Обзор")
            expect(page.locator("#username")).to_have_text("c.chief")
            page.screenshot(path=str(ARTIFACTS / "web-dashboard.png"), full_page=True)

            storage = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
            assert storage[0] == 0 and storage[1] == 0
            assert SESSION_COOKIE not in storage[2]  # HttpOnly: scripts cannot read it
            cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
            assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            assert cookie["path"] == "/" and cookie["expires"] == -1  # a session cookie

            page.click("nav >> text=Расчёты")
            row = page.locator(f"#run-{run_id}")
            expect(row.locator("[data-status]")).to_have_attribute("data-status", "reviewed")
            page.screenshot(path=str(ARTIFACTS / "web-runs.png"), full_page=True)
            row.locator("button.approve").click()
            expect(page.locator("#done")).to_contain_text(f"№{run_id}")
            expect(page.locator(f"#run-{run_id} [data-status]")).to_have_attribute("data-status", "approved")
            page.screenshot(path=str(ARTIFACTS / "web-runs-approved.png"), full_page=True)

            page.select_option("#lang-select", "en")  # app.js submits the form on change
            expect(page.locator("#page-title")).to_have_text("Runs")
            assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]

            page.click("#logout")
            expect(page).to_have_url(f"{base}/login?m=logged_out")
            assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
            context.close()
        finally:
            browser.close()

    assert csp_violations == []
    assert valuation.get_run(database, chief.actor, run_id).approved_by == "c.chief"


def _login(page, base: str, person) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.fill("#code", pyotp.TOTP(person.secret).now())
    page.click("#login-submit")
    expect(page.locator("#username")).to_have_text(person.username)


@pytest.mark.req("KZ164-69")
@pytest.mark.req("KZ164-22")
def test_upload_reserving_run_approve_and_download_in_chromium(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An actuary uploads a file with an error (row/column shown), then a good triangle, analyses it, excludes a
    link ratio with a reason and starts a run; a colleague reviews it; the chief actuary approves it in the
    browser and downloads the workbook. Screenshots of every main page."""
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from conftest import write_triangle
    from playwright.sync_api import expect, sync_playwright

    from aktuar.services import valuation
    from aktuar.web import WebSettings, create_app
    from aktuar.web.tls import dev_certificate, server_context

    enrolled = datetime.now(UTC) - timedelta(minutes=2)
    officer = make_officer(database, enrolled)
    actuary = make_person(database, officer, "n.actuary", ["actuary"], enrolled)
    chief = make_person(database, officer, "c.chief", ["chief_actuary"], enrolled)
    prepared_run(database, tmp_path, reviewed=False)  # registers and coordinates the methodology
    bad = tmp_path / "claims-bad.csv"
    bad.write_bytes(b"origin,12,24,36\n2001,100,150,160\n2002,110,abc,\n2003,120,,\n")
    good = write_triangle(tmp_path / "taylor-ashe.csv")
    app = create_app(WebSettings(database=database))
    ARTIFACTS.mkdir(exist_ok=True)
    csp_violations: list[str] = []

    with running_server(app, server_context(*dev_certificate(tmp_path / "data", "127.0.0.1"))) as port, \
            sync_playwright() as pw:
        base = f"https://127.0.0.1:{port}"
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context(ignore_https_errors=True, locale="ru-RU", accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: csp_violations.append(m.text)
                    if "Content Security Policy" in m.text else None)
            page.on("dialog", lambda d: d.accept())
            _login(page, base, actuary)
            page.click("nav >> text=Данные")
            page.select_option("#kind", "triangle")
            page.set_input_files("#file", str(bad))
            page.click("#upload-submit")
            expect(page.locator("#validation-report")).to_be_visible()
            expect(page.locator("#problem-row")).to_have_text("3")
            expect(page.locator("#problem-column")).to_have_text("24")
            expect(page.locator("#problem-message")).to_contain_text("abc")
            page.screenshot(path=str(ARTIFACTS / "web-data-error.png"), full_page=True)
            page.set_input_files("#file", str(good))
            page.click("#upload-submit")
            expect(page.locator("#imported")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "web-data.png"), full_page=True)

            page.click("nav >> text=Резервирование")
            page.locator("#analysable a").last.click()
            expect(page.locator("#triangle")).to_be_visible()
            expect(page.locator("#factor-chart svg")).to_be_visible()
            expect(page.locator("#distribution-chart svg")).to_be_visible()
            page.select_option("#new-origin", "1")
            page.select_option("#new-age", "1")
            page.fill("#new-reason", "крупный убыток, разовый")
            page.click("#exclude")
            expect(page.locator("tr.exclusion")).to_contain_text("крупный убыток")
            page.screenshot(path=str(ARTIFACTS / "web-reserving.png"), full_page=True)
            # exclusions would make it a test run (which cannot be approved): start the run from the reserving page
            # with the methodology's own options
            page.click("nav >> text=Резервирование")
            page.click("#run-submit")
            expect(page.locator("#run-created")).to_be_visible(timeout=30_000)
            run_id = int(page.url.split("/runs/")[1].split("?")[0])
            expect(page.locator("#run-status")).to_have_attribute("data-status", "prepared")
            page.screenshot(path=str(ARTIFACTS / "web-run.png"), full_page=True)
            assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
            page.click("#logout")
            valuation.review(database, actuary.actor.__class__("bob", frozenset({"actuary"}), user_id=9002,
                                                                 source="test"), run_id)

            _login(page, base, chief)
            page.goto(f"{base}/runs/{run_id}")
            page.locator("button.approve").click()
            expect(page.locator("#done")).to_contain_text(f"№{run_id}")
            page.goto(f"{base}/runs/{run_id}")
            expect(page.locator("#run-status")).to_have_attribute("data-status", "approved")
            with page.expect_download() as dl:
                page.click("#download-xlsx")
            target = tmp_path / dl.value.suggested_filename
            dl.value.save_as(target)
            assert target.name == f"aktuar-run-{run_id}.xlsx" and target.read_bytes()[:2] == b"PK"
            page.goto(f"{base}/ifrs17")
            expect(page.locator("#balances-chart svg")).to_be_visible(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "web-ifrs17.png"))  # the page is long: the top
            page.click("#logout")
            _login(page, base, officer)
            page.goto(f"{base}/admin")
            expect(page.locator("#users")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "web-admin.png"), full_page=True)
            context.close()
        finally:
            browser.close()

    assert csp_violations == []
    run = valuation.get_run(database, chief.actor, run_id)
    assert run.approved_by == "c.chief" and run.created_by == "n.actuary"
