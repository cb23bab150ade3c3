"""The SECP assessment report's PDFs show both signers (SECP-REP: "signed by the CISO and the COO/CEO"): the CISO's
package says it awaits the CEO/COO; the countersignature renders the PDFs again with the CISO and the CEO (name,
title, date), encrypts them again to the same recipient and re-signs the manifest — the content the CISO signed
(``report.json``) is unchanged and any later change is still detected. The ISMS report's PDF names its signer."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from isms_support import CEO, OFFICER, T0, audit_rows

from aktuar.errors import InputError
from aktuar.security.rbac import PermissionDenied
from aktuar.services import isms_reports
from aktuar.store.models import User

T_REPORT = T0.replace(year=2027, month=1, day=5)
T_SIGN = T_REPORT + timedelta(days=2, hours=3)
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _cert(tmp_path, *, days: int = 3650, start: dt.datetime | None = None, ec_key: bool = False):  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(public_exponent=65537,
                                                                                         key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SECP"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "SECP cyber reports")])
    begin = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(begin)
            .not_valid_after(begin + timedelta(days=days)).sign(key, hashes.SHA256()))
    tag = "ec" if ec_key else f"rsa{days}"
    cp, kp = tmp_path / f"secp-{tag}.pem", tmp_path / f"secp-{tag}.key"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def _people(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        s.add(User(username=OFFICER.username, full_name="Айгуль Серикова", created_at=T0))
        s.add(User(username=CEO.username, full_name="Marat Seitkali", created_at=T0))


def _text(pdf: bytes) -> str:
    """The PDF's text in reading order, whitespace collapsed (a long title wraps in its table cell)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def _open(db, path, cert, key) -> isms_reports.PackageCheck:  # type: ignore[no-untyped-def]
    r = isms_reports.verify_package(path, data_dir=db.settings.data_dir, recipient_key=key, recipient_cert=cert)
    assert r.ok and r.decrypted, r.problems
    return r


@needs_pdftotext
@pytest.mark.req("SECP-REP")
def test_countersigned_pdfs_show_both_signers(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert, key = _cert(tmp_path)
    _people(database)
    out = tmp_path / "secp-2026.akp"
    isms_reports.prepare_secp_report(database, OFFICER, year=2026, organization="Demo Takaful Ltd",
                                     recipient_cert=cert, out=out, now=T_REPORT)
    prepared = _open(database, out, cert, key)
    for lang, waiting in (("ru", "Ожидает подписи"), ("en", "Awaiting the signature")):
        text = _text(prepared.files[f"report-{lang}.pdf"])
        assert "Айгуль Серикова" in text and "a.officer" in text and "05.01.2027" in text
        assert "Marat Seitkali" not in text and waiting in text
    drafts = database.settings.data_dir / "isms" / "reports" / "drafts"
    assert sorted(p.suffix for p in drafts.iterdir()) == [".json", ".pem"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in drafts.iterdir())

    done = isms_reports.countersign_secp_report(database, CEO, out, title="CEO", now=T_SIGN)
    signed = _open(database, out, cert, key)
    for lang, ceo_title, ciso_title in (("ru", "Первый руководитель (CEO)", "(CISO)"),
                                        ("en", "Chief executive officer (CEO)", "(CISO)")):
        text = _text(signed.files[f"report-{lang}.pdf"])
        assert "Айгуль Серикова" in text and "Marat Seitkali" in text, text[-800:]
        assert ceo_title in text and ciso_title in text
        assert "05.01.2027 09:00" in text and "07.01.2027 12:00" in text  # each signer's date
        assert "Ожидает подписи" not in text and "Awaiting the signature" not in text
    # the content the CISO signed is unchanged; the PDFs are new; the manifest keeps the prepared hashes
    assert signed.files["report.json"] == prepared.files["report.json"]
    assert signed.files["report-en.pdf"] != prepared.files["report-en.pdf"]
    m = done.manifest
    assert m["status"] == "signed" and m["countersigned_by"] == "m.ceo"
    assert m["prepared"]["content_sha256"] == prepared.manifest["content_sha256"] != m["content_sha256"]
    assert [(s["role"], s["name"], s["full_name"]) for s in m["signers"]] == [
        ("CISO", "a.officer", "Айгуль Серикова"), ("CEO", "m.ceo", "Marat Seitkali")]
    sub = isms_reports.submissions(database, OFFICER)[-1]
    assert sub["content_sha256"] == m["content_sha256"] and sub["package_sha256"] == done.package_sha256
    assert not list(drafts.iterdir())  # the kept content is removed once it is in the signed package
    # a second countersignature is refused, and audited
    with pytest.raises(InputError, match="not a SECP report awaiting"):
        isms_reports.countersign_secp_report(database, CEO, out, title="COO", now=T_SIGN)
    assert audit_rows(database, "secp.report.submit")[-1].outcome == "failure"

    # aktuar report verify still detects any change of the countersigned package
    def changed(name: str, change) -> isms_reports.PackageCheck:  # type: ignore[no-untyped-def]
        bad = tmp_path / f"bad-{name}.akp"
        with zipfile.ZipFile(out) as zin, zipfile.ZipFile(bad, "w") as zout:
            for n in zin.namelist():
                zout.writestr(n, change(zin.read(n)) if n == name else zin.read(n))
        return isms_reports.verify_package(bad, data_dir=database.settings.data_dir, recipient_key=key,
                                           recipient_cert=cert)

    assert not changed("content.p7m", lambda b: b[:-50] + bytes([b[-50] ^ 1]) + b[-49:]).ok
    r = changed("manifest.json", lambda b: b.replace(b"Marat Seitkali", b"Marat Seitkalf"))
    assert not r.ok and any("signature" in p for p in r.problems)


@needs_pdftotext
@pytest.mark.req("KZ164-50")
def test_isms_report_pdf_names_its_signer(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert, key = _cert(tmp_path)
    _people(database)
    out = tmp_path / "isms-2026.akp"
    isms_reports.build_isms_report(database, OFFICER, year=2026, organization="Demo Insurance JSC",
                                   recipient_cert=cert, out=out, now=T_REPORT)
    r = _open(database, out, cert, key)
    ru, en = _text(r.files["report-ru.pdf"]), _text(r.files["report-en.pdf"])
    assert "Айгуль Серикова" in ru and "Руководитель подразделения информационной безопасности" in ru
    assert "Head of information security" in en and "05.01.2027" in en
    # the preview is the same report, marked as an unsigned draft
    pdf = isms_reports.preview_pdf(database, OFFICER, kind="kz164_annual", year=2026, organization="Demo Insurance JSC",
                                   lang="en", now=T_REPORT)
    assert "DRAFT" in _text(pdf) and audit_rows(database, "isms.report.preview")[-1].outcome == "success"
    with pytest.raises(PermissionDenied):
        isms_reports.preview_pdf(database, CEO, kind="kz164_annual", year=2026, organization="X", lang="en")


@pytest.mark.req("SECP-REP")
def test_countersign_refused_without_or_with_changed_kept_content(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert, _ = _cert(tmp_path)
    drafts = database.settings.data_dir / "isms" / "reports" / "drafts"
    out = tmp_path / "secp.akp"
    isms_reports.prepare_secp_report(database, OFFICER, year=2026, organization="Demo Takaful Ltd",
                                     recipient_cert=cert, out=out, now=T_REPORT)
    kept = next(drafts.glob("*.report.json"))
    data = json.loads(kept.read_bytes())
    data["organization"] = "Someone Else Ltd"
    kept.write_bytes(json.dumps(data).encode())
    with pytest.raises(isms_reports.PackageError, match="does not match the signed manifest"):
        isms_reports.countersign_secp_report(database, CEO, out, now=T_SIGN)
    kept.unlink()
    with pytest.raises(isms_reports.PackageError, match="not in the data directory"):
        isms_reports.countersign_secp_report(database, CEO, out, now=T_SIGN)
    assert [e.outcome for e in audit_rows(database, "secp.report.submit")] == ["failure", "failure"]
    assert isms_reports.submissions(database, OFFICER) == []
    # the package was left as the CISO signed it
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["status"] == "awaiting CEO/COO signature"


def test_recipient_certificate_checks_and_store(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good, _ = _cert(tmp_path)
    expired, _ = _cert(tmp_path, days=30)
    ec_cert, _ = _cert(tmp_path, ec_key=True)
    for path, why in ((expired, "expired on 31.01.2026"), (ec_cert, "RSA key")):
        with pytest.raises(InputError, match=why):
            isms_reports.build_isms_report(database, OFFICER, year=2026, organization="X", recipient_cert=path,
                                           out=tmp_path / "x.akp", now=T_REPORT)
        with pytest.raises(InputError, match=why):
            isms_reports.save_recipient_certificate(database, OFFICER, path.read_bytes(), now=T_REPORT)
    with pytest.raises(InputError, match="not an X.509"):
        isms_reports.save_recipient_certificate(database, OFFICER, b"-----BEGIN CERTIFICATE-----\nxx", now=T_REPORT)
    with pytest.raises(InputError, match="at most 64 KB"):
        isms_reports.save_recipient_certificate(database, OFFICER, b"A" * (65 * 1024), now=T_REPORT)
    with pytest.raises(PermissionDenied):
        isms_reports.save_recipient_certificate(database, CEO, good.read_bytes(), now=T_REPORT)
    info = isms_reports.save_recipient_certificate(database, OFFICER, good.read_bytes(), now=T_REPORT)
    assert [c.fingerprint for c in isms_reports.recipient_certificates(database, CEO, now=T_REPORT)] == [
        info.fingerprint]
    assert b"BEGIN CERTIFICATE" in isms_reports.recipient_certificate(database, info.fingerprint)
    for bad in ("../../keys/audit_ed25519", info.fingerprint[:-1], ""):
        with pytest.raises(InputError):
            isms_reports.recipient_certificate(database, bad)
    outcomes = [e.outcome for e in audit_rows(database, "isms.report.recipient")]
    assert outcomes[-1] == "success" and outcomes.count("failure") == 5


def test_stored_package_names_and_oversized_members(database, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    p = isms_reports.new_package_path(database, "secp_assessment", 2026, T_REPORT)
    assert isms_reports.PACKAGE_NAME.fullmatch(p.name) and p.parent == isms_reports.reports_dir(database)
    for bad in ("../aktuar.sqlite3", "..", "secp-2026.akp", p.name + "/x", "/etc/passwd", p.name.replace(".akp", "")):
        with pytest.raises(InputError):
            isms_reports.stored_package(database, bad)
    with pytest.raises(InputError, match="no report package"):
        isms_reports.stored_package(database, p.name)  # the right shape but not there
    # a package member that inflates beyond the limit is not read (the limit lowered to keep the test small)
    monkeypatch.setattr(isms_reports, "MAX_ENTRY_BYTES", 2 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", b"{}")
        z.writestr("manifest.sig", b"x")
        z.writestr("content.p7m", b"\0" * (3 << 20))
    bomb = tmp_path / "bomb.akp"
    bomb.write_bytes(buf.getvalue())
    r = isms_reports.verify_package(bomb, data_dir=database.settings.data_dir)
    assert not r.ok and "larger than 2 MB" in r.problems[0]
    junk = tmp_path / "list.akp"
    with zipfile.ZipFile(junk, "w") as z:
        for n in ("manifest.json", "manifest.sig", "content.p7m"):
            z.writestr(n, b"[1, 2]" if n == "manifest.json" else b"x")
    r = isms_reports.verify_package(junk, data_dir=database.settings.data_dir)
    assert not r.ok and r.problems == ["manifest.json is not a package manifest"]


@pytest.mark.req("KZ164-50")
def test_verify_reads_no_oversized_manifest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A small ZIP whose manifest inflates to megabytes is refused without reading it (any reader of the
    reports page may upload a package to verify)."""
    pkg = tmp_path / "bomb.akp"
    with zipfile.ZipFile(pkg, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", b" " * (3 * 1024 * 1024))
        z.writestr("manifest.sig", b"x" * 10_000)
        z.writestr("content.p7m", b"y")
    assert pkg.stat().st_size < 64 * 1024
    check = isms_reports.verify_package(pkg, data_dir=tmp_path)
    assert not check.ok
    assert any("manifest.json is larger than 1 MB" in p for p in check.problems)
    assert any("manifest.sig is larger than 4096 bytes" in p for p in check.problems)


@pytest.mark.req("KZ164-50")
def test_a_failed_commit_leaves_no_package_without_its_record(database, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The package is written inside the transaction of its submission record: when the commit fails, the file is
    removed (or put back as it was), so no package lies in the folder without its record."""
    from sqlalchemy.orm import Session

    cert, _key = _cert(tmp_path)
    out = tmp_path / "isms-2026.akp"
    monkeypatch.setattr(Session, "commit", lambda self: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError, match="disk full"):
        isms_reports.build_isms_report(database, OFFICER, year=2026, organization="Demo JSC", recipient_cert=cert,
                                       out=out, now=T0)
    assert not out.exists()
