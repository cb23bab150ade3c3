"""The ISMS register and report pages in a real browser: Debian's Chromium (``/usr/bin/chromium``, headless, no
browser download) driven by Playwright against a real uvicorn server over HTTPS. The information security officer
logs in, authorizes software and sees it listed, builds the annual ISMS report with an uploaded recipient
certificate and downloads the package — the downloaded bytes are the recorded submission. No CSP violation;
screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from conftest import make_officer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from test_web_isms import CHIEF, IT
from web_server import running_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)),
                                reason="Debian's chromium is not installed (make venv installs it)")


def _certificate(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ARDFM"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "ARDFM reports")])
    start = datetime.now(dt.UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=365)).sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.req("KZ164-35")
@pytest.mark.req("KZ164-50")
def test_officer_authorizes_software_and_builds_the_isms_report_in_chromium(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import expect, sync_playwright

    from aktuar.demo import isms_demo
    from aktuar.services import isms, isms_reports
    from aktuar.web import WebSettings, create_app
    from aktuar.web.tls import dev_certificate, server_context

    enrolled = datetime.now(UTC) - timedelta(minutes=2)
    officer = make_officer(database, enrolled)
    isms_demo.fill_registers(database, officer=officer.actor, it=IT, chief=CHIEF, now=enrolled,
                             year=enrolled.year, evidence_dir=tmp_path / "ev")
    cert = _certificate(tmp_path / "ardfm.pem")
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
            page.goto(f"{base}/login")
            page.fill("#username", officer.username)
            page.fill("#password", officer.password)
            page.fill("#code", pyotp.TOTP(officer.secret).now())
            page.click("#login-submit")
            expect(page.locator("#username")).to_have_text(officer.username)

            page.click("nav >> text=Информационная безопасность")
            page.click(".subnav >> text=ПО")
            expect(page.locator("#page-title")).to_have_text("Разрешённое к использованию ПО")
            page.fill("#sw-name", "7-Zip")
            page.fill("#sw-version", "24.08")
            page.fill("#sw-vendor", "Igor Pavlov")
            page.fill("#sw-inst", "40")
            page.click("#software-submit")
            expect(page.locator("#done")).to_be_visible()
            row = page.locator("#software tr", has_text="7-Zip")
            expect(row.locator(".sw-version")).to_have_text("24.08")
            page.screenshot(path=str(ARTIFACTS / "web-isms-software.png"), full_page=True)

            page.click(".subnav >> text=Отчёты регуляторам")
            page.select_option("#rp-kind", "kz164_annual")
            page.fill("#rp-year", str(enrolled.year))
            page.set_input_files("#rp-cert", str(cert))
            page.click("#build-submit")
            expect(page.locator("#done")).to_contain_text("зарегистрирован как представленный")
            sub = isms_reports.submissions(database, officer.actor)[-1]
            expect(page.locator(f"#submission-{sub['id']}")).to_contain_text(sub["package_sha256"])
            page.screenshot(path=str(ARTIFACTS / "web-isms-reports.png"), full_page=True)
            with page.expect_download() as dl:
                page.locator(f"#submission-{sub['id']} .download-package").click()
            target = tmp_path / dl.value.suggested_filename
            dl.value.save_as(target)
            assert target.name == sub["package"]
            assert hashlib.sha256(target.read_bytes()).hexdigest() == sub["package_sha256"]
            assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
            context.close()
        finally:
            browser.close()

    assert csp_violations == []
    assert any(s.name == "7-Zip" and s.approved_by == officer.username
               for s in isms.list_software(database, officer.actor))
    assert isms_reports.verify_package(target, data_dir=database.settings.data_dir).ok
