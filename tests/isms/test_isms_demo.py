"""``aktuar demo`` fills the ISMS registers of the demo insurer and produces both security reports, the compliance
matrix and the regulatory calendar (issue 7, "Tests": the demo part)."""

from __future__ import annotations

import os
import zipfile
from datetime import UTC, date, datetime

import pytest
from argon2 import PasswordHasher, Type
from isms_support import AUDITOR, CEO, CHIEF, IT, OFFICER, fast_hashing  # noqa: F401
from openpyxl import load_workbook

from aktuar.demo import isms_demo
from aktuar.services import actuaries, compliance, isms, isms_reports

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def demo(database, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "isms"
    r = isms_demo.run_isms_demo(database, officer=OFFICER, it=IT, chief=CHIEF, ceo=CEO, out=out, now=NOW)
    return database, r, out


def test_demo_year_has_activity() -> None:
    assert isms_demo.demo_year(NOW) == 2026
    assert isms_demo.demo_year(datetime(2027, 1, 5, tzinfo=UTC)) == 2026  # January: the year just ended


@pytest.mark.req("KZ164-40")
@pytest.mark.req("KZ164-43")
def test_demo_fills_every_register_and_evidence_tampering_is_detected(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = database
    counts = isms_demo.fill_registers(db, officer=OFFICER, it=IT, chief=CHIEF, now=NOW, year=2026,
                                      evidence_dir=tmp_path / "ev")
    assert counts["incidents"] == 2
    incs = isms.list_incidents(db, AUDITOR)
    assert [i.status for i in incs] == ["closed", "contained"]
    closed = incs[0]
    assert closed.retain_until == date(2031, 11, 20)  # closing date + 5 years (KZ164-40)
    assert not closed.notifications_pending and closed.conclusion
    assert {e.kind for e in closed.timeline} >= {"detected", "notified", "measure", "contained", "evidence",
                                                  "analysed", "concluded", "closed", "action"}
    assert len(isms.verify_evidence(db, AUDITOR)) == 3 and all(c.ok for c in isms.verify_evidence(db, AUDITOR))
    assert len(isms.list_assets(db, AUDITOR)) == 5
    assert {s.name for s in isms.list_software(db, AUDITOR)} >= {"Kaspersky Endpoint Security"}
    assert [p.status for p in isms.list_privileges(db, AUDITOR, "installer")] == ["active"]
    assert [p.status for p in isms.list_privileges(db, AUDITOR, "dc_access")] == ["active"]
    assert sorted(u.status for u in isms.list_updates(db, AUDITOR)) == ["installed", "recorded"]
    tests = isms.list_security_tests(db, AUDITOR)
    assert len(tests) == 3 and not any(t.open_critical for t in tests)
    assert not isms.release_check(db, AUDITOR, "aktuar web", "1.0").flagged
    reviews = isms.list_reviews(db, AUDITOR)
    assert reviews[0].status == "closed" and reviews[0].outcome["revoke"] == 1
    subjects = {e.subject for e in isms.access_register(db, AUDITOR)}
    assert "svc_backup" in subjects and "former.contractor" not in subjects  # revoked by the review
    docs = {d.code: d for d in isms.list_documents(db, AUDITOR, today=NOW.date())}
    assert docs["PLN-BCP"].overdue and not docs["POL-IS"].overdue
    acts = actuaries.list_actuaries(db, CHIEF)
    assert {a.license_number for a in acts} == {"AKT-0042", "AKT-0107"}
    # tampering with a stored evidence file is detected
    ev = incs[1].evidence[0]
    stored = db.settings.data_dir / "isms" / "evidence" / ev.sha256
    stored.chmod(0o600)
    stored.write_bytes(stored.read_bytes() + b"x")
    bad = [c for c in isms.verify_evidence(db, AUDITOR) if not c.ok]
    assert [c.evidence_id for c in bad] == [ev.id] and "changed" in (bad[0].problem or "")


@pytest.mark.req("KZ164-50")
@pytest.mark.req("SECP-REP")
def test_demo_produces_reports_matrix_and_calendar(demo) -> None:  # type: ignore[no-untyped-def]
    db, r, out = demo
    assert r.isms_report_ok and r.secp_report_ok
    assert r.secp_signers == ["CISO a.officer", "CEO m.ceo"]
    pkg = out / "isms-report-2026.akp"
    check = isms_reports.verify_package(pkg, data_dir=db.settings.data_dir, recipient_key=r.recipient_key,
                                        recipient_cert=r.recipient_cert)
    assert check.ok and check.files["report-en.pdf"].startswith(b"%PDF")
    assert b"Kaspersky" not in pkg.read_bytes()  # encrypted
    assert oct(os.stat(r.recipient_key).st_mode & 0o777) == "0o600"
    assert r.recipient_cert.parent.is_relative_to(db.settings.data_dir)
    kinds = [s["kind"] for s in isms_reports.submissions(db, AUDITOR)]
    assert kinds == ["kz164_annual", "secp_assessment"]
    # a changed byte in the package is detected
    bad = out / "bad.akp"
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(bad, "w") as zout:
        for n in zin.namelist():
            b = zin.read(n)
            zout.writestr(n, b.replace(b"Demo Insurance", b"Demo Insurancf") if n == "manifest.json" else b)
    assert not isms_reports.verify_package(bad, data_dir=db.settings.data_dir).ok
    # the compliance matrix, the calendar and the live gaps
    md = (out / "compliance-matrix.md").read_text(encoding="utf-8")
    assert md.startswith("# Compliance matrix") and "KZ164-50" in md
    wb = load_workbook(out / "compliance-matrix.xlsx", read_only=True)
    assert "matrix" in wb.sheetnames
    ics = (out / "regulatory-calendar-2026-2027.ics").read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") >= 8 and "DTSTART;VALUE=DATE:20270110" in ics
    assert "kz164-isms-report:2026@aktuar" in ics and "STATUS:COMPLETED" in ics  # the submitted report is done
    gaps = [g for c in compliance.controls(db, OFFICER, today=NOW.date()) for g in c.live_gaps]
    assert any("PLN-BCP" in g for g in gaps) and any("1C-ACC" in g for g in gaps)
    assert r.live_gaps == len(gaps)


def test_governed_demo_runs_the_isms_part(tmp_path, fast_hashing, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The whole governed demo (SQLite data directory of its own) ends with the ISMS outputs and an audit trail
    that verifies with the ISMS records in it."""
    from aktuar.demo import VALUATION, generate_insurer
    from aktuar.security import mfa
    from aktuar.services.demo_platform import run_governed_demo

    monkeypatch.setattr(mfa, "RECOVERY_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1,
                                                               type=Type.ID))
    ins = generate_insurer(3, valuation=VALUATION, scale=0.02)
    claims = tmp_path / "claims.csv"
    ins.transactions.write_csv(claims)
    g = run_governed_demo(tmp_path / "demo", claims, VALUATION)
    assert g.audit_ok and g.isms is not None
    i = g.isms
    assert i.isms_report_ok and i.secp_report_ok and i.evidence_ok
    assert i.secp_signers == ["CISO aigerim.security", "CEO asel.ceo"]
    for p in i.files.values():
        assert p.is_file() and p.stat().st_size > 0, p
    assert (tmp_path / "demo" / "isms" / f"isms-report-{i.year}.akp").is_file()


def test_demo_command_prints_the_isms_outputs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The lines ``aktuar demo`` prints for the ISMS part (the demo itself is stubbed: only the printing is
    checked here; the governed demo above runs the real thing)."""
    from typer.testing import CliRunner

    from aktuar.cli import app
    from aktuar.services import demo as demo_service
    from aktuar.services.demo_platform import GovernedDemo

    i = isms_demo.IsmsDemo(year=2026, files={"ISMS report (KZ164-50, signed + encrypted)": tmp_path / "i.akp",
                                             "SECP report (CISO + CEO)": tmp_path / "s.akp"},
                           recipient_cert=tmp_path / "r.pem", recipient_key=tmp_path / "r.key", incidents=2,
                           evidence_files=3, evidence_ok=True, isms_report_ok=True, secp_report_ok=True,
                           secp_signers=["CISO a", "CEO b"], live_gaps=4, reminders=2)
    g = GovernedDemo(data_dir=tmp_path / "data", run_id=1, status="approved", prepared_by="p", reviewed_by="r",
                     approved_by="c", results_sha256="0", reproduced=True, audit_records=10, audit_ok=True,
                     credentials_file=tmp_path / "creds", isms=i)

    class Result:
        summary: list[object] = []
        warnings: list[str] = []
        files: dict[str, object] = {}
        governed = g

        def __getattr__(self, name: str) -> None:
            return None

    monkeypatch.setattr(demo_service, "run_demo", lambda *a, **k: Result())
    monkeypatch.setenv("COLUMNS", "250")
    from rich.console import Console

    import aktuar.cli as cli_module

    monkeypatch.setattr(cli_module, "out", Console(width=250))  # the module's console read COLUMNS at import
    r = CliRunner().invoke(app, ["demo", "--folder", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "Information security 2026: registers filled (2 incidents, 3 evidence files intact)" in r.output
    assert "SECP report signed by CISO a, CEO b" in r.output
    flat = "".join(r.output.split())  # long paths may wrap
    assert f"aktuarreportverify{tmp_path / 'i.akp'}--key{tmp_path / 'r.key'}" in flat
