"""Regulators' security reports: the annual ISMS report (NB Resolution 164 paragraphs 50-52) signed, encrypted
to the recipient's certificate and verifiable; the SECP assessment report signed by the CISO and the CEO."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from datetime import date, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from isms_support import CEO, IT, OFFICER, T0, audit_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aktuar.security.rbac import PermissionDenied
from aktuar.services import isms, isms_reports

T_REPORT = T0.replace(year=2027, month=1, day=5)


@pytest.fixture
def recipient(tmp_path):  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ARDFM"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "ARDFM reports")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    cp, kp = tmp_path / "ardfm.pem", tmp_path / "ardfm.key"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def fill_registers(db) -> None:  # type: ignore[no-untyped-def]
    isms.register_document(db, OFFICER, code="POL-IS", title="Information security policy", kind="policy",
                           approval_body="management_body", approved_on=date(2026, 2, 10), version="3",
                           revision_months=24, owner="CISO", now=T0)
    isms.authorize_software(db, OFFICER, name="Kaspersky Endpoint Security", version="12.5",
                            security_function=True, installations=240, now=T0)
    isms.save_asset(db, OFFICER, code="FW-1", name="Perimeter firewall", kind="security_tool", owner="IT",
                    criticality="critical", classification="official_secret", quantity=2, security_function=True,
                    now=T0)
    isms.save_asset(db, OFFICER, code="DC-ALA", name="Almaty data center", kind="data_center", owner="IT",
                    criticality="critical", classification="insurance_secret", location="Almaty, Dostyk 1",
                    details={"safety_systems": ["access_control", "fire_alarm", "cctv", "ups"]}, rto_hours=4,
                    now=T0)
    isms.record_security_test(db, OFFICER, kind="penetration", system="aktuar web", release="1.0",
                              performed_at=date(2026, 2, 20), performed_by="PenTest LLP", now=T0)


@pytest.mark.req("KZ164-50")
def test_isms_report_content_items_of_paragraph_51(database) -> None:
    fill_registers(database)
    d = isms_reports.isms_report_data(database, OFFICER, 2026, "Demo Insurance JSC")
    assert [x["code"] for x in d["item1_documents"]] == ["POL-IS"]
    assert d["item2_security_means"]["software_installations"] == 240
    assert d["item2_security_means"]["hardware_units"] == 2
    dc = d["item3_data_processing_facilities"][0]
    assert dc["missing_safety_systems"] == ["fire_extinguishing", "microclimate", "security_alarm"]
    assert {m["type"] for m in d["item4_measures"]} == {"document", "security_test"}
    assert not d["item4_measures_absent"]
    empty = isms_reports.isms_report_data(database, OFFICER, 2024, "Demo Insurance JSC")
    assert empty["item4_measures_absent"]  # the absence of measures is stated (para 51(4))
    html = isms_reports.render_html(d, "ru", [])
    assert "Документы, регламентирующие СУИБ" in html and "10.02.2026" in html


@pytest.mark.req("KZ164-50")
def test_signed_encrypted_package_verifies_and_tampering_is_detected(database, tmp_path, recipient) -> None:
    cert, key = recipient
    fill_registers(database)
    out = tmp_path / "isms-2026.akp"
    res = isms_reports.build_isms_report(database, OFFICER, year=2026, organization="Demo Insurance JSC",
                                         recipient_cert=cert, out=out, now=T_REPORT)
    ok = isms_reports.verify_package(out, data_dir=database.settings.data_dir, recipient_key=key,
                                     recipient_cert=cert)
    assert ok.ok, ok.problems
    assert ok.decrypted and ok.files["report-ru.pdf"].startswith(b"%PDF")
    assert json.loads(ok.files["report.json"])["year"] == 2026
    # confidentiality: the plaintext is not in the package
    assert b"Kaspersky" not in out.read_bytes()
    # the submission and its hash are recorded (append-only)
    subs = isms_reports.submissions(database, OFFICER)
    assert subs[0]["package_sha256"] == res.package_sha256
    assert audit_rows(database, "isms.report.submit")[-1].outcome == "success"
    with pytest.raises(DBAPIError), database.session() as s:
        s.execute(text("UPDATE isms_submissions SET package_sha256 = 'x'"))

    def tampered(name: str, change) -> isms_reports.PackageCheck:  # type: ignore[no-untyped-def]
        bad = tmp_path / f"bad-{name}.akp"
        with zipfile.ZipFile(out) as zin, zipfile.ZipFile(bad, "w") as zout:
            for n in zin.namelist():
                data = zin.read(n)
                zout.writestr(n, change(data) if n == name else data)
        return isms_reports.verify_package(bad, data_dir=database.settings.data_dir, recipient_key=key,
                                           recipient_cert=cert)

    flip = lambda b: b[:-40] + bytes([b[-40] ^ 1]) + b[-39:]  # noqa: E731
    assert not tampered("content.p7m", flip).ok
    r = tampered("manifest.json", lambda b: b.replace(b"Demo Insurance", b"Demo Insurancf"))
    assert not r.ok and any("signature" in p for p in r.problems)
    assert not tampered("manifest.sig", lambda b: b[:10] + (b"A" if b[10:11] != b"A" else b"B") + b[11:]).ok
    # a package re-signed with another key is not trusted
    other = tmp_path / "other-data"
    forged = isms_reports.verify_package(out, data_dir=other)
    assert not forged.ok


@pytest.mark.req("KZ164-50")
def test_report_roles(database, tmp_path, recipient) -> None:
    cert, _ = recipient
    with pytest.raises(PermissionDenied):
        isms_reports.build_isms_report(database, IT, year=2026, organization="X", recipient_cert=cert,
                                       out=tmp_path / "x.akp", now=T_REPORT)
    assert audit_rows(database, "isms.report.submit")[-1].outcome == "failure"


@pytest.mark.req("SECP-REP")
def test_secp_report_signed_by_ciso_and_ceo(database, tmp_path, recipient) -> None:
    cert, key = recipient
    fill_registers(database)
    out = tmp_path / "secp-2026.akp"
    prep = isms_reports.prepare_secp_report(database, OFFICER, year=2026, organization="Demo Takaful Ltd",
                                            recipient_cert=cert, out=out, now=T_REPORT)
    assert set(prep.data["sections"]) == set(isms_reports.SECP_SECTIONS)
    assert isms_reports.submissions(database, OFFICER) == []  # not submitted before the CEO signs
    with pytest.raises(PermissionDenied):
        isms_reports.countersign_secp_report(database, OFFICER, out, now=T_REPORT)
    done = isms_reports.countersign_secp_report(database, CEO, out, title="CEO", now=T_REPORT)
    assert [s["role"] for s in done.manifest["signers"]] == ["CISO", "CEO"]
    sub = isms_reports.submissions(database, OFFICER)[0]
    assert sub["kind"] == "secp_assessment" and [s["name"] for s in sub["signers"]] == ["a.officer", "m.ceo"]
    assert isms_reports.verify_package(out, data_dir=database.settings.data_dir, recipient_key=key,
                                       recipient_cert=cert).ok
