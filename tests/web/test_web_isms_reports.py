"""The regulators' security reports built from the browser (issue 7), in process over HTTPS: the IS officer builds
the annual ISMS report (KZ164-50…52) with an uploaded or a kept recipient certificate, previews the PDF, downloads
the package by the submission's id and verifies an uploaded package; the SECP report (SECP-REP) is prepared by the
CISO and countersigned by the CEO as another user, and its PDFs then show both. Attackers: no permission → 403, no
CSRF → 403, crafted package names and paths → refused, oversized or wrong-type uploads refused with a message."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from conftest import csrf_of
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from test_web_isms import _csp_safe, _fill, _forms_have_csrf

from aktuar.services import isms_reports
from aktuar.store.models import AuditEvent


@pytest.fixture
def recipient(tmp_path):  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ARDFM"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "ARDFM reports")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    kpem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    return pem, kpem, cert.fingerprint(hashes.SHA256()).hex()


def _audits(db, action: str, outcome: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.outcome == outcome)).scalars())


def _pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def _build(c, csrf: str, *, kind: str = "kz164_annual", year: int = 2026, cert: bytes | None = None,  # type: ignore[no-untyped-def]
           recipient: str = "", name: str = "ardfm.pem"):
    files = {"certificate": (name, io.BytesIO(cert), "application/x-pem-file")} if cert is not None else \
        {"certificate": ("", io.BytesIO(b""), "application/octet-stream")}
    return c.post("/isms/reports/build", data={"csrf_token": csrf, "kind": kind, "year": str(year),
                                               "organization": "АО «Демо Страхование»", "recipient": recipient},
                  files=files)


@pytest.mark.req("KZ164-50")
def test_officer_builds_downloads_and_verifies_the_isms_report(web, recipient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pem, kpem, fingerprint = recipient
    _fill(web)
    c = web.client()
    web.login(c, web.officer)
    page = c.get("/isms/reports").text
    _csp_safe(page)
    _forms_have_csrf(page)
    csrf = csrf_of(page)
    assert 'id="build-form"' in page and 'id="verify-form"' in page and "/isms/reports" in c.get("/isms").text
    # a draft PDF first
    r = c.get("/isms/reports/preview", params={"kind": "kz164_annual", "year": "2026", "lang": "ru",
                                                "organization": "АО «Демо Страхование»"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"] == 'attachment; filename="isms-2026-draft-ru.pdf"'
    # no certificate chosen nor uploaded; a non-certificate; then the real one
    r = _build(c, csrf)
    assert r.status_code == 400 and "choose the recipient certificate" in r.text
    r = _build(c, csrf, cert=b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    assert r.status_code == 400 and "not an X.509 certificate" in r.text
    r = _build(c, csrf, cert=b"x" * 70_000)
    assert r.status_code == 400 and "at most 64 KB" in r.text
    r = _build(c, csrf, cert=pem)
    assert r.status_code == 303 and r.headers["location"] == "/isms/reports?done=built#submissions"
    page = c.get("/isms/reports").text
    sub = isms_reports.submissions(web.db, web.officer.actor)[-1]
    assert sub["kind"] == "kz164_annual" and sub["stored"]
    assert f'id="submission-{sub["id"]}"' in page and sub["package_sha256"] in page and sub["content_sha256"] in page
    assert f'<option value="{fingerprint}"' in page  # the certificate is kept for the next report
    # again with the kept certificate
    assert _build(c, csrf, recipient=fingerprint).status_code == 303
    # download by the submission's id: the recorded package, decryptable by the recipient only
    r = c.get(f"/isms/reports/submissions/{sub['id']}/package")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert hashlib.sha256(r.content).hexdigest() == sub["package_sha256"]
    assert f'filename="{sub["package"]}"' in r.headers["content-disposition"]
    pkg, cert_f, key_f = tmp_path / "dl.akp", tmp_path / "r.pem", tmp_path / "r.key"
    pkg.write_bytes(r.content)
    cert_f.write_bytes(pem)
    key_f.write_bytes(kpem)
    check = isms_reports.verify_package(pkg, data_dir=web.db.settings.data_dir, recipient_key=key_f,
                                        recipient_cert=cert_f)
    assert check.ok and check.decrypted and b"Kaspersky" not in r.content
    assert _audits(web.db, "isms.report.download", "success")
    # verify the downloaded package by upload: good, and the submission it is
    up = c.post("/isms/reports/verify", data={"csrf_token": csrf},
                files={"file": ("received.akp", io.BytesIO(r.content), "application/zip")})
    assert up.status_code == 200 and 'id="verify-result"' in up.text
    assert "Подпись верна" in up.text and f"№{sub['id']}" in up.text
    _csp_safe(up.text)
    # a changed package: every problem listed
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(r.content)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for n in zin.namelist():
            data = zin.read(n)
            zout.writestr(n, data.replace(b"kz164_annual", b"kz164_annuaL") if n == "manifest.json" else data)
    bad = c.post("/isms/reports/verify", data={"csrf_token": csrf},
                 files={"file": ("changed.akp", io.BytesIO(buf.getvalue()), "application/zip")})
    assert bad.status_code == 200 and "не прошёл проверку" in bad.text and "manifest signature" in bad.text
    assert "не совпадает ни с одним" in bad.text
    assert _audits(web.db, "isms.report.verify", "failure")
    # wrong type and empty uploads refused with a message
    r = c.post("/isms/reports/verify", data={"csrf_token": csrf},
               files={"file": ("x.akp", io.BytesIO(b"%PDF-1.7 not a zip"), "application/zip")})
    assert r.status_code == 400 and "not a report package" in r.text
    r = c.post("/isms/reports/verify", data={"csrf_token": csrf},
               files={"file": ("x.akp", io.BytesIO(b""), "application/zip")})
    assert r.status_code == 400 and "empty" in r.text
    assert not list((web.db.settings.data_dir / "uploads").glob("package-*"))  # temporary copies removed
    # a submission recorded from the command line (package outside the data directory) is listed, not served
    isms_reports.build_isms_report(web.db, web.officer.actor, year=2025, organization="X", recipient_cert=pem,
                                   out=tmp_path / "cli.akp", now=web.clock())
    cli = isms_reports.submissions(web.db, web.officer.actor)[-1]
    assert not cli["stored"]
    r = c.get(f"/isms/reports/submissions/{cli['id']}/package")
    assert r.status_code == 400 and "outside the data directory" in r.text
    # a kept package changed on disk is not served
    stored = isms_reports.reports_dir(web.db) / sub["package"]
    stored.write_bytes(stored.read_bytes() + b"\0")
    r = c.get(f"/isms/reports/submissions/{sub['id']}/package")
    assert r.status_code == 409 and "no longer matches the SHA-256" in r.text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.req("SECP-REP")
def test_secp_prepared_by_ciso_countersigned_by_ceo_from_the_web(web, recipient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pem, kpem, _ = recipient
    _fill(web)
    ceo = web.person("m.ceo", ["management"])
    c = web.client()
    web.login(c, web.officer)
    csrf = csrf_of(c.get("/isms/reports").text)
    r = _build(c, csrf, kind="secp_assessment", cert=pem)
    assert r.status_code == 303 and r.headers["location"] == "/isms/reports?done=prepared#pending"
    page = c.get("/isms/reports").text
    pending = isms_reports.pending_secp_reports(web.db, web.officer.actor)
    assert len(pending) == 1 and pending[0].ok and pending[0].content_kept
    name = pending[0].name
    assert name in page and "countersign-form" not in page  # the CISO cannot countersign
    assert isms_reports.submissions(web.db, web.officer.actor) == []
    r = c.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf, "title": "CEO"})
    assert r.status_code == 403
    # the CEO reads the PDF as the CISO signed it, then countersigns
    c2 = web.client()
    web.login(c2, ceo)
    page = c2.get("/isms/reports").text
    _csp_safe(page)
    assert 'id="build-form"' not in page and "countersign-form" in page
    r = c2.get(f"/isms/reports/pending/{name}/preview?lang=en")
    assert r.status_code == 200
    text = _pdf_text(r.content)
    assert "a.officer" in text and "Awaiting the signature" in text and "m.ceo" not in text
    csrf2 = csrf_of(page)
    assert c2.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf2,
                                                                       "title": "CFO"}).status_code == 422
    r = c2.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf2, "title": "CEO"})
    assert r.status_code == 303 and r.headers["location"] == "/isms/reports?done=countersigned#submissions"
    sub = isms_reports.submissions(web.db, ceo.actor)[-1]
    assert [(s["role"], s["name"]) for s in sub["signers"]] == [("CISO", "a.officer"), ("CEO", "m.ceo")]
    assert isms_reports.pending_secp_reports(web.db, ceo.actor) == []
    page = c2.get("/isms/reports").text
    assert "CISO: Aigul Officer; CEO: Nurlan Sample" in page
    # the countersigned package: both signers in both PDFs
    pkg = c2.get(f"/isms/reports/submissions/{sub['id']}/package").content
    (tmp_path / "p.akp").write_bytes(pkg)
    (tmp_path / "r.pem").write_bytes(pem)
    (tmp_path / "r.key").write_bytes(kpem)
    check = isms_reports.verify_package(tmp_path / "p.akp", data_dir=web.db.settings.data_dir,
                                        recipient_key=tmp_path / "r.key", recipient_cert=tmp_path / "r.pem")
    assert check.ok and check.decrypted, check.problems
    for lang in ("ru", "en"):
        text = _pdf_text(check.files[f"report-{lang}.pdf"])
        assert "Aigul Officer (a.officer)" in text and "Nurlan Sample (m.ceo)" in text and "CEO" in text
    # a second countersignature: the package is no longer pending
    r = c2.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf2, "title": "COO"})
    assert r.status_code == 400


@pytest.mark.req("KZ164-50")
def test_crafted_names_paths_and_permissions(web, recipient) -> None:  # type: ignore[no-untyped-def]
    pem, _, fingerprint = recipient
    _fill(web)
    officer = web.client()
    web.login(officer, web.officer)
    csrf = csrf_of(officer.get("/isms/reports").text)
    assert _build(officer, csrf, kind="secp_assessment", cert=pem).status_code == 303
    assert _build(officer, csrf, cert=pem).status_code == 303
    name = isms_reports.pending_secp_reports(web.db, web.officer.actor)[0].name
    sub_id = isms_reports.submissions(web.db, web.officer.actor)[-1]["id"]
    ceo = web.person("m.ceo", ["management"])
    c = web.client()
    web.login(c, ceo)
    csrf_c = csrf_of(c.get("/isms/reports").text)
    # crafted names: never a path
    for crafted in ("..%2F..%2Faktuar.sqlite3", "..%2Fkeys%2Faudit_ed25519.pem", "%2E%2E", "secp-2026.akp",
                    name.replace(".akp", ".zip"), "..", name + "%00"):
        assert c.get(f"/isms/reports/pending/{crafted}/preview").status_code in (404, 422), crafted
        r = c.post(f"/isms/reports/pending/{crafted}/countersign", data={"csrf_token": csrf_c, "title": "CEO"})
        assert r.status_code in (404, 422), crafted
    for crafted in ("../1", "..%2F1", "1%2F..%2F..", "0", "-1", "abc", "99999999999"):
        assert c.get(f"/isms/reports/submissions/{crafted}/package").status_code in (404, 422), crafted
    assert c.get("/isms/reports/submissions/424242/package").status_code == 400
    # a well-formed name that is not there, and a symlink planted under a well-formed name
    ghost = name[:-12] + "00000000.akp"
    r = c.post(f"/isms/reports/pending/{ghost}/countersign", data={"csrf_token": csrf_c, "title": "CEO"})
    assert r.status_code == 400 and "no report package" in r.text
    link = isms_reports.reports_dir(web.db) / ghost
    link.symlink_to(web.db.settings.data_dir / "keys" / "audit_ed25519.pem")
    assert c.get(f"/isms/reports/pending/{ghost}/preview").status_code == 400
    assert c.post(f"/isms/reports/pending/{ghost}/countersign", data={"csrf_token": csrf_c,
                                                                      "title": "CEO"}).status_code == 400
    assert ghost not in c.get("/isms/reports").text  # not listed either
    link.unlink()
    assert _audits(web.db, "secp.report.submit", "failure")
    # the recipient certificate is chosen by fingerprint only
    r = officer.post("/isms/reports/build", data={"csrf_token": csrf, "kind": "kz164_annual", "year": "2026",
                                                  "organization": "X", "recipient": "../../keys/audit_ed25519"})
    assert r.status_code == 422
    # no CSRF token / foreign origin
    assert c.post(f"/isms/reports/pending/{name}/countersign", data={"title": "CEO"}).status_code == 403
    assert c.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf_c, "title": "CEO"},
                  headers={"Origin": "https://evil.example"}).status_code == 403
    for path, files in (("/isms/reports/build", {"certificate": ("a.pem", io.BytesIO(pem), "text/plain")}),
                        ("/isms/reports/verify", {"file": ("a.akp", io.BytesIO(b"PK\x03\x04"), "application/zip")})):
        assert officer.post(path, data={"kind": "kz164_annual", "year": "2026", "organization": "X"},
                            files=files).status_code == 403
    # roles: management cannot build or preview; the CISO cannot countersign
    r = _build(c, csrf_c, recipient=fingerprint)
    assert r.status_code == 403 and _audits(web.db, "isms.report.submit", "failure")
    assert _build(c, csrf_c, kind="secp_assessment", cert=pem).status_code == 403
    assert c.get("/isms/reports/preview", params={"kind": "kz164_annual", "year": "2026",
                                                  "organization": "X"}).status_code == 403
    assert officer.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf,
                                                                           "title": "CEO"}).status_code == 403
    # no ISMS permission at all: every page, download and post refused
    actuary = web.person("n.actuary", ["actuary"])
    a = web.client()
    web.login(a, actuary)
    csrf_a = csrf_of(a.get("/dashboard").text)
    for path in ("/isms/reports", f"/isms/reports/pending/{name}/preview", f"/isms/reports/submissions/{sub_id}/package",
                 "/isms/reports/preview?kind=kz164_annual&year=2026&organization=X"):
        assert a.get(path).status_code == 403, path
    assert _build(a, csrf_a, cert=pem).status_code == 403
    assert _build(a, csrf_a, recipient=fingerprint).status_code == 403
    assert a.post(f"/isms/reports/pending/{name}/countersign", data={"csrf_token": csrf_a,
                                                                     "title": "CEO"}).status_code == 403
    assert a.post("/isms/reports/verify", data={"csrf_token": csrf_a},
                  files={"file": ("a.akp", io.BytesIO(b"PK\x03\x04"), "application/zip")}).status_code == 403
    assert _audits(web.db, "isms.report.verify", "failure") and _audits(web.db, "isms.report.download", "failure")
    # nothing was countersigned by any of this
    assert len(isms_reports.pending_secp_reports(web.db, web.officer.actor)) == 1


def test_oversized_package_upload_refused(web) -> None:  # type: ignore[no-untyped-def]
    from aktuar.web import WebSettings, create_app

    web.app = create_app(WebSettings(database=web.db, clock=web.clock, max_upload_bytes=4096))
    c = web.client()
    web.login(c, web.officer)
    csrf = csrf_of(c.get("/isms/reports").text)
    r = c.post("/isms/reports/verify", data={"csrf_token": csrf},
               files={"file": ("big.akp", io.BytesIO(b"PK\x03\x04" + b"\0" * 200_000), "application/zip")})
    assert r.status_code == 413 and "upload limit" in r.text
    r = c.post("/isms/reports/verify", data={"csrf_token": csrf},
               files={"file": ("big.akp", io.BytesIO(b"PK\x03\x04" + b"\0" * 20_000), "application/zip")})
    assert r.status_code == 400 and "larger than the upload limit" in r.text
    assert re.search(r"upload limit", r.text)
