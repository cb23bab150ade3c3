"""The information-security part of ``aktuar demo``: the ISMS registers of the demo insurer filled through the
production services, and the regulators' security outputs produced from them.

What is filled (every change by the person whose role allows it, permission-checked and audited like any other):
- documents (KZ164-08, -11): the IS policy and the protected-information list approved by the management body, an
  incident-response procedure, and a business-continuity plan whose revision is overdue (so the dashboard shows a
  gap);
- information assets (SECP-RISK, KZ164-09) with business impact (RTO/RPO), interconnections and a data center with
  its paragraph-36 safety systems;
- access rights (KZ164-22, -25): two other systems' rights (one technological account with its responsible person)
  beside aktuar's own accounts, and a review campaign decided item by item and closed (one right revoked);
- authorized software (KZ164-35), an installer and a data-center access entry approved by IT and agreed by IS
  (KZ164-37, -47 … -49), with IS monitoring;
- updates (KZ164-32, -33): one tried in the test environment and installed in production, one only recorded;
- security tests (KZ164-57 … -59): a penetration test of the aktuar web release (its critical finding fixed) and a
  vulnerability assessment with a medium finding still open;
- incidents (KZ164-40 … -46): a phishing incident taken through notification, urgent measures, evidence (stored
  with SHA-256), analysis, conclusion, closing and a corrective action done; a malware incident contained, with
  evidence, still under analysis;
- actuaries (KZ191): the chief actuary with license, development points and an independent actuary engaged for
  the mandatory verification after the engagement checks.

Outputs (into ``out``): the annual ISMS report package (KZ164-50 … -52) signed and encrypted to a demo recipient
certificate generated in the data directory, the SECP assessment package signed by the CISO and countersigned by
the CEO, the compliance matrix (Markdown and XLSX) and the regulatory calendar (iCalendar).

Dates: the reporting ``year`` is the current year (the previous one before March, so that the year has
activity); the registers' dates fall in that year before ``now``. The audit records carry the real time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aktuar.security.context import Actor
from aktuar.store.db import Database

ORGANIZATION = "Demo Insurance JSC"
RECIPIENT_DIR = Path("isms") / "demo-recipient"


@dataclass(frozen=True)
class IsmsDemo:
    """What the ISMS part of the demo produced."""

    year: int
    files: dict[str, Path]
    recipient_cert: Path
    recipient_key: Path
    incidents: int
    evidence_files: int
    evidence_ok: bool
    isms_report_ok: bool
    secp_report_ok: bool
    secp_signers: list[str]
    live_gaps: int
    reminders: int
    counts: dict[str, int] = field(default_factory=dict)


def demo_year(now: datetime) -> int:
    """The reporting year of the demo's registers: the current year, the previous one in January/February."""
    return now.year if now.month >= 3 else now.year - 1


def _anchor(now: datetime, year: int) -> date:
    """The latest day the demo's register dates use: yesterday, or 20 December of a past reporting year."""
    return min(now.date() - timedelta(days=1), date(year, 12, 20))


def recipient_certificate(data_dir: Path, now: datetime) -> tuple[Path, Path]:
    """A demo recipient ("ARDFM (demo)") RSA certificate and key in ``<data dir>/isms/demo-recipient`` (key 0600);
    reused while it is valid at ``now``, made anew otherwise."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = Path(data_dir) / RECIPIENT_DIR
    cert_path, key_path = folder / "ardfm-demo.pem", folder / "ardfm-demo.key"
    if cert_path.is_file() and key_path.is_file():
        old = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if old.not_valid_before_utc <= now.astimezone(UTC) < old.not_valid_after_utc:
            return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ARDFM (demo recipient, not the real agency)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "ARDFM reports (demo)")])
    start = now.astimezone(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=3 * 365))
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def fill_registers(db: Database, *, officer: Actor, it: Actor, chief: Actor, now: datetime, year: int,
                   evidence_dir: Path) -> dict[str, int]:
    """Fill every ISMS register (and the actuary registry) for the demo insurer; returns counts per register."""
    from aktuar.services import actuaries, isms

    day = _anchor(now, year)

    def d(days_before: int) -> date:
        return max(day - timedelta(days=days_before), date(year, 1, 2))

    def ts(days_before: int, hour: int = 9) -> datetime:
        return datetime.combine(d(days_before), dt.time(hour, 0), tzinfo=UTC)

    # documents (KZ164-08, -11)
    isms.register_document(db, officer, code="POL-IS", title="Политика информационной безопасности / "
                           "Information security policy", kind="policy", approval_body="management_body",
                           approved_on=d(120), version="4", revision_months=24, owner="CISO", now=now)
    isms.register_document(db, officer, code="LST-PROT", title="Перечень защищаемой информации / List of protected "
                           "information", kind="protected_information_list", approval_body="management_body",
                           approved_on=d(120), version="2", revision_months=12, owner="CISO", now=now)
    isms.register_document(db, officer, code="PRC-INC", title="Порядок реагирования на инциденты ИБ / Incident "
                           "response procedure", kind="procedure", approval_body="executive_body",
                           approved_on=d(90), version="3", revision_months=12, owner="CISO", now=now)
    isms.register_document(db, officer, code="PLN-BCP", title="План обеспечения непрерывности / Business "
                           "continuity plan", kind="plan", approval_body="executive_body",
                           approved_on=date(year - 2, 3, 15), version="1", revision_months=12, owner="COO", now=now)

    # information assets (SECP-RISK, KZ164-09)
    isms.save_asset(db, officer, code="AKTUAR", name="aktuar actuarial platform", kind="information_system",
                    owner="Chief actuary", criticality="high", classification="insurance_secret",
                    location="DC-ALA", configuration="FastAPI + PostgreSQL, TLS 1.2+, MFA",
                    interconnections="DB-PG;1C-ACC;ext:ARDFM reporting portal", business_functions="reserving, "
                    "IFRS 17, statutory opinion", rto_hours=24, rpo_hours=4, now=now)
    isms.save_asset(db, officer, code="DB-PG", name="PostgreSQL cluster", kind="database", owner="Head of IT",
                    criticality="critical", classification="personal_data", location="DC-ALA", rto_hours=4,
                    rpo_hours=1, interconnections="AKTUAR;1C-ACC", now=now)
    isms.save_asset(db, officer, code="1C-ACC", name="1C:Accounting", kind="information_system", owner="CFO",
                    criticality="high", classification="commercial_secret", location="DC-ALA",
                    third_parties="1C-Rarus LLP (support)", rto_hours=8, rpo_hours=4, now=now)
    isms.save_asset(db, officer, code="FW-1", name="Perimeter firewall (cluster)", kind="security_tool",
                    owner="Head of IT", criticality="critical", classification="official_secret", quantity=2,
                    security_function=True, location="DC-ALA", now=now)
    isms.save_asset(db, officer, code="DC-ALA", name="Almaty data center", kind="data_center", owner="Head of IT",
                    criticality="critical", classification="insurance_secret", location="Almaty, Dostyk ave. 1",
                    details={"safety_systems": ["access_control", "security_alarm", "fire_alarm", "fire_extinguishing",
                                                "microclimate", "cctv", "ups"]}, rto_hours=4, rpo_hours=1, now=now)

    # authorized software (KZ164-35), installers and data-center access (KZ164-37, -47 … -49)
    isms.authorize_software(db, it, name="Kaspersky Endpoint Security", version="12.5", vendor="Kaspersky",
                            purpose="anti-malware on workstations and servers", security_function=True,
                            installations=180, now=now)
    isms.authorize_software(db, it, name="Wazuh agent", version="4.8", vendor="Wazuh", purpose="SIEM collection",
                            security_function=True, installations=60, now=now)
    isms.authorize_software(db, it, name="LibreOffice", version="24.2", vendor="The Document Foundation",
                            purpose="office suite", installations=180, now=now)
    inst = isms.request_privilege(db, it, kind="installer", person="Тимур Абенов", scope="workstations, servers",
                                  reason="installs authorized software and updates", now=now)
    dc = isms.request_privilege(db, it, kind="dc_access", person="Тимур Абенов", scope="DC-ALA",
                                reason="server maintenance", now=now)
    for p in (inst, dc):
        isms.approve_privilege(db, it, p.id, now=now)
        isms.approve_privilege(db, officer, p.id, now=now)
    isms.monitor_privilege(db, officer, inst.id, "installation log reviewed: only authorized software", now=now)

    # updates (KZ164-32, -33)
    u1 = isms.record_update(db, it, system="DB-PG", name="PostgreSQL 16.4", description="minor release, security "
                            "fixes", now=now)
    isms.record_update_test(db, it, u1.id, "passed", "regression suite on the test cluster", now=now)
    isms.install_update(db, it, u1.id, now=now)
    isms.record_update(db, it, system="1C-ACC", name="platform 8.3.25", description="awaiting the test window",
                       now=now)

    # security tests (KZ164-57 … -59)
    pen = isms.record_security_test(db, officer, kind="penetration", system="aktuar web", release="1.0",
                                    performed_at=d(60), performed_by="Demo PenTest LLP",
                                    summary="external and authenticated test of the web application",
                                    findings=[("session cookie without __Host- prefix", "critical"),
                                              ("verbose error page", "medium")], now=now)
    isms.set_finding_status(db, officer, pen.findings[0].id, "fixed", "__Host- prefix, Secure, SameSite=Strict",
                            now=now)
    isms.set_finding_status(db, officer, pen.findings[1].id, "fixed", "short message with correlation id", now=now)
    isms.record_security_test(db, officer, kind="vulnerability_assessment", system="1C-ACC", release="8.3.24",
                              performed_at=d(30), performed_by="IS unit",
                              findings=[("outdated TLS configuration on the 1C web client", "medium")], now=now)
    isms.record_security_test(db, officer, kind="response", system="aktuar web", release="1.0", performed_at=d(20),
                              performed_by="IS unit", summary="restore from backup exercise: RTO met", now=now)

    # access rights and a review campaign (KZ164-22, -25)
    isms.grant_access(db, officer, system="1C-ACC", subject="a.kassymova", subject_kind="individual",
                      rights="accountant", justification="posts insurance premiums", now=now)
    isms.grant_access(db, officer, system="1C-ACC", subject="former.contractor", subject_kind="individual",
                      rights="administrator", justification="migration project (finished)", now=now)
    isms.grant_access(db, officer, system="DB-PG", subject="svc_backup", subject_kind="system", rights="read, "
                      "pg_dump", responsible="Тимур Абенов", justification="nightly backup", now=now)
    review = isms.start_review(db, officer, f"Access review {year}", now.date() + timedelta(days=14), now=now)
    for item in review.items:
        if item.subject == "former.contractor":
            isms.decide_review_item(db, officer, item.id, "revoke", "the migration project ended", now=now)
        else:
            isms.decide_review_item(db, officer, item.id, "keep", now=now)
    isms.close_review(db, officer, review.id, now=now)

    # incidents (KZ164-40 … -46) with evidence
    evidence_dir.mkdir(parents=True, exist_ok=True)
    mail = evidence_dir / "phishing-mail-headers.txt"
    mail.write_text("Received: from mail.example-phish.kz (203.0.113.17)\nFrom: \"HR\" <hr@example-phish.kz>\n"
                    "Subject: Salary review {year}\nX-Spam-Score: 7.9\n".replace("{year}", str(year)),
                    encoding="utf-8")
    proxy = evidence_dir / "proxy-log-excerpt.csv"
    proxy.write_text("time,user,url,action\n"
                     f"{d(45).isoformat()}T09:12:03Z,s.bekova,http://example-phish.kz/login,blocked\n",
                     encoding="utf-8")
    edr = evidence_dir / "edr-alert.json"
    edr.write_text(json.dumps({"host": "PC-017", "detection": "Trojan.Win32.Demo", "sha256": "0" * 64,
                               "action": "quarantined"}, indent=2), encoding="utf-8")
    inc = isms.report_incident(db, officer, "Phishing e-mail with a credential form", detected_at=ts(45),
                               detected_by="mail gateway", classification="phishing", severity="medium",
                               description="12 employees received a message imitating HR; one clicked the link",
                               assets=["AKTUAR"], risks=["R-07 credential theft"], now=now)
    for who in inc.notifications_required:
        isms.add_timeline(db, officer, inc.ref, "notified", "", recipient=who, channel="e-mail",
                          at=ts(45, 10), now=now)
    isms.add_timeline(db, officer, inc.ref, "measure", "sender domain blocked, the user's password reset",
                      at=ts(45, 11), now=now)
    isms.add_timeline(db, officer, inc.ref, "contained", "no further clicks; the link is blocked at the proxy",
                      at=ts(45, 12), now=now)
    isms.add_evidence(db, officer, inc.ref, mail, source="mail gateway quarantine", description="message headers",
                      now=now)
    isms.add_evidence(db, officer, inc.ref, proxy, source="web proxy", description="blocked request", now=now)
    isms.record_analysis(db, officer, inc.ref, causes="a look-alike sender domain passed the reputation filter",
                         mechanism="credential form on an external site", consequences="one password exposed and "
                         "reset within an hour; no access from outside recorded", now=now)
    isms.record_conclusion(db, officer, inc.ref, "contained without loss; filters and training to be improved",
                           [{"action": "add look-alike domain detection to the mail gateway", "owner": "Head of IT",
                             "due": (now.date() + timedelta(days=30)).isoformat()},
                            {"action": "phishing awareness session for all staff", "owner": "CISO"}], now=now)
    isms.close_incident(db, officer, inc.ref, now=now)
    isms.follow_up_action(db, officer, inc.ref, 2, "done", "session held, 96 % attendance", now=now)
    inc2 = isms.report_incident(db, officer, "Malware detected on a workstation", detected_at=ts(10),
                                detected_by="EDR", classification="malware", severity="high",
                                description="a trojan quarantined on PC-017 after opening an archive",
                                assets=["AKTUAR"], now=now)
    isms.add_timeline(db, officer, inc2.ref, "measure", "PC-017 isolated from the network", at=ts(10, 10), now=now)
    isms.add_evidence(db, officer, inc2.ref, edr, source="EDR console", description="alert export", now=now)
    isms.add_timeline(db, officer, inc2.ref, "contained", "no spread found on other hosts", at=ts(10, 15), now=now)

    # actuaries (KZ191): the chief actuary, an independent actuary, points and the engagement
    lic_date = date(2020, 6, 1)
    inhouse = actuaries.save_actuary(db, chief, full_name="Ерлан Жумабаев", license_number="AKT-0042",
                                     license_date=lic_date, license_issuer="ARDFM", employer=ORGANIZATION,
                                     position="Chief actuary",
                                     employment=[{"organization": ORGANIZATION, "from": "2019-02-01"}], now=now)
    indep = actuaries.save_actuary(db, chief, full_name="Алия Бекова", license_number="AKT-0107",
                                   license_date=date(2018, 4, 10), license_issuer="ARDFM",
                                   employer="Independent Actuaries LLP", is_independent=True,
                                   iaa_member_body="Society of Actuaries of Kazakhstan",
                                   employment=[{"organization": "Independent Actuaries LLP", "from": "2017-01-01"}],
                                   now=now)
    actuaries.record_pdp_event(db, chief, inhouse.id, item=4, on_date=d(100), title="IFRS 17 seminar",
                               organizer="Society of Actuaries of Kazakhstan", organizer_iaa_member=True, now=now)
    actuaries.record_pdp_event(db, chief, inhouse.id, item=1, on_date=d(50), title="ASTIN colloquium",
                               organizer="IAA ASTIN", now=now)
    actuaries.record_engagement(db, chief, organization=ORGANIZATION, independent_id=indep.id,
                                inhouse_id=inhouse.id, year=year, now=now)

    return {"documents": 4, "assets": 5, "software": 3, "privileges": 2, "updates": 2, "security_tests": 3,
            "access_rights": 3, "access_reviews": 1, "incidents": 2, "evidence": 3, "actuaries": 2}


def produce_outputs(db: Database, *, officer: Actor, ceo: Actor, out: Path, year: int, now: datetime
                    ) -> tuple[dict[str, Path], dict[str, object]]:
    """The ISMS and SECP report packages, the compliance matrix (MD + XLSX) and the regulatory calendar (.ics)."""
    from aktuar.services import calendar, compliance, isms_reports

    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(db.settings.data_dir)
    cert, key = recipient_certificate(data_dir, now)
    files: dict[str, Path] = {}
    isms_pkg = isms_reports.build_isms_report(db, officer, year=year, organization=ORGANIZATION,
                                              recipient_cert=cert, out=out / f"isms-report-{year}.akp", now=now)
    files["ISMS report (KZ164-50, signed + encrypted)"] = isms_pkg.path
    secp = out / f"secp-report-{year}.akp"
    isms_reports.prepare_secp_report(db, officer, year=year, organization=ORGANIZATION, recipient_cert=cert,
                                     out=secp, now=now)
    signed = isms_reports.countersign_secp_report(db, ceo, secp, title="CEO", now=now)
    files["SECP report (CISO + CEO)"] = secp
    ok_isms = isms_reports.verify_package(isms_pkg.path, data_dir=data_dir, recipient_key=key, recipient_cert=cert)
    ok_secp = isms_reports.verify_package(secp, data_dir=data_dir, recipient_key=key, recipient_cert=cert)
    for k in (f"kz164-isms-report:{year}", f"secp-report:{year}"):
        calendar.set_status(db, officer, k, "done", note="submitted by the demo", now=now)

    rows = compliance.matrix()
    files["compliance matrix (Markdown)"] = compliance.write_matrix(rows, out / "compliance-matrix.md")
    files["compliance matrix (XLSX)"] = compliance.write_matrix(rows, out / "compliance-matrix.xlsx")
    today = now.date()
    seen: set[str] = set()
    items = []
    for y in (today.year, today.year + 1):
        for dl in calendar.deadlines(db, officer, y):
            if dl.key not in seen:
                seen.add(dl.key)
                items.append(dl)
    ics = out / f"regulatory-calendar-{today.year}-{today.year + 1}.ics"
    ics.write_text(calendar.to_ical(items, stamp=now), encoding="utf-8", newline="")
    files["regulatory calendar (iCalendar)"] = ics
    files["recipient certificate (demo)"] = cert
    info: dict[str, object] = {"isms_ok": ok_isms.ok and ok_isms.decrypted,
                               "secp_ok": ok_secp.ok and ok_secp.decrypted,
                               "secp_signers": [f"{s['role']} {s['name']}" for s in signed.manifest["signers"]],
                               "cert": cert, "key": key}
    return files, info


def run_isms_demo(db: Database, *, officer: Actor, it: Actor, chief: Actor, ceo: Actor, out: Path,
                  now: datetime | None = None) -> IsmsDemo:
    """Fill the registers and produce the security outputs into ``out``; evidence source files go to
    ``out/evidence-sources`` (the stored copies are in the data directory)."""
    from aktuar.services import calendar, compliance, isms

    t = now or datetime.now(UTC)
    year = demo_year(t)
    counts = fill_registers(db, officer=officer, it=it, chief=chief, now=t, year=year,
                            evidence_dir=Path(out) / "evidence-sources")
    files, info = produce_outputs(db, officer=officer, ceo=ceo, out=Path(out), year=year, now=t)
    checks = isms.verify_evidence(db, officer, now=t)
    gaps = sum(len(c.live_gaps) for c in compliance.controls(db, officer, today=t.date()))
    due = calendar.reminders(db, officer, t.date(), 60)
    return IsmsDemo(year=year, files=files, recipient_cert=Path(str(info["cert"])),
                    recipient_key=Path(str(info["key"])), incidents=counts["incidents"], evidence_files=len(checks),
                    evidence_ok=all(c.ok for c in checks), isms_report_ok=bool(info["isms_ok"]),
                    secp_report_ok=bool(info["secp_ok"]), secp_signers=list(info["secp_signers"]),  # type: ignore[call-overload]
                    live_gaps=gaps, reminders=len(due), counts=counts)
