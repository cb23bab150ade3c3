"""The regulators' security reports: the annual ISMS report to the ARDFM (KZ164-50 … -52) and the SECP annual
cybersecurity framework assessment report (SECP-REP).

Content (generated from the registers of :mod:`aktuar.services.isms`)
- ISMS report, paragraph 51: (1) documents governing the ISMS; (2) software and hardware used to maintain
  information security with their numbers; (3) data-processing facilities (data centers with the technical safety
  systems of paragraph 36 and their access list); (4) measures taken in the year to improve the ISMS and the
  information assets (documents approved, updates installed, security tests, access reviews, corrective actions
  done) — or their absence, stated explicitly. Incidents of the year are summarised as well.
- SECP report: governance, risk and control assessment, monitoring and testing, response, recovery, information
  sharing and continuous learning, with evidence counts from the registers; signed by the CISO (``is_officer``)
  and countersigned by the CEO/COO (``management``), two different people; the signers are recorded.

Package (paragraph 52: "cryptographic safeguards that ensure confidentiality and non-correctability")
A package is one ZIP file:
- ``content.p7m``: the report (``report.json``, ``report-ru.pdf``, ``report-en.pdf`` in an inner ZIP) encrypted to
  the recipient's X.509 certificate as CMS/PKCS#7 enveloped data (RSA key transport, AES-256-CBC content
  encryption; cryptography's ``PKCS7EnvelopeBuilder``) — only the holder of the recipient's private key reads it;
- ``manifest.json``: kind, year, organization, recipient certificate (subject, SHA-256 fingerprint), the SHA-256 of
  the plaintext inner ZIP and of each report file, the SHA-256 of ``content.p7m``, the signers, the signing key id
  and public key;
- ``manifest.sig``: Ed25519 detached signature of ``manifest.json`` by the platform's signing key
  (``aktuar.security.keys``, the key that signs audit checkpoints).
``verify_package`` checks the signature with a trusted public key (the data directory's keys, or one given), the
hash of ``content.p7m``, and, with the recipient's key, decrypts and checks every inner hash: any changed byte is
reported. Each submission (package SHA-256, content SHA-256, recipient, signers) is recorded in
``isms_submissions`` (append-only) and in the audit trail.

Signers: each is recorded with the account name, the person's full name, the title and the time; the PDFs show
them in a signature block (title, name, date). The SECP report is prepared by the CISO (the PDFs show the CISO and
"awaiting the CEO/COO signature"); its content (``report.json``) and the recipient certificate are kept in the data
directory until the CEO/COO countersigns, which renders the PDFs again with both signers, encrypts them again to
the same recipient and signs a new manifest (``report.json`` unchanged, its hash checked against the CISO's
manifest; the prepared package's hashes kept under ``prepared``).

Web support: packages built from the web application are kept in ``<data dir>/isms/reports/`` under names aktuar
chooses (:func:`new_package_path`); they are found again only by those names (:func:`stored_package`) or by the
submission's id (:func:`submission_package`, which checks the recorded SHA-256). Recipient certificates uploaded
once are kept in ``<data dir>/isms/recipients/<fingerprint>.pem``. :func:`verify_uploaded_package` verifies a
package received back and names the submission it is.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from sqlalchemy import select
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.security import audit, keys, rbac
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.store.db import Database
from aktuar.store.models import (
    IsmsAccessReview,
    IsmsAsset,
    IsmsDocument,
    IsmsIncident,
    IsmsPrivilegedUser,
    IsmsSecurityTest,
    IsmsSoftware,
    IsmsSubmission,
    IsmsUpdate,
    User,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: countersigning is not locked against a concurrent one
    fcntl = None  # type: ignore[assignment]

PACKAGE_FORMAT = "aktuar-regulator-package/1"
KIND_ISMS = "kz164_annual"
KIND_SECP = "secp_assessment"
AWAITING = "awaiting CEO/COO signature"
REPORTS_DIR = Path("isms") / "reports"
DRAFTS_DIR = REPORTS_DIR / "drafts"
RECIPIENTS_DIR = Path("isms") / "recipients"
PACKAGE_NAME = re.compile(r"^(isms|secp)-\d{4}-\d{8}T\d{6}Z-[0-9a-f]{8}\.akp$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
MAX_CERTIFICATE_BYTES = 64 * 1024
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # a package member larger than this (uncompressed) is not read
MEMBER_LIMITS = {"manifest.json": 1024 * 1024, "manifest.sig": 4096}  # far above any real one; content.p7m: above
_PREFIX = {KIND_ISMS: "isms", KIND_SECP: "secp"}
DC_SYSTEMS = {  # NB Resolution 164 paragraph 36
    "access_control": ("система контроля и управления доступом", "access monitoring and control system"),
    "security_alarm": ("охранная сигнализация", "security alarm"),
    "fire_alarm": ("пожарная сигнализация", "fire alarm"),
    "fire_extinguishing": ("автоматическое пожаротушение", "automatic fire extinguishing system"),
    "microclimate": ("поддержание микроклимата", "microclimate system"),
    "cctv": ("видеонаблюдение", "video surveillance (CCTV)"),
    "ups": ("источник бесперебойного питания", "uninterruptible power supply"),
}


class PackageError(AktuarError):
    """A package cannot be built or does not verify."""


# ------------------------------------------------------------------------------------------ report content
def _in_year(d: date | datetime | None, year: int) -> bool:
    return d is not None and d.year == year


def isms_report_data(db: Database, actor: Actor, year: int, organization: str, *,
                     as_of: date | None = None) -> dict[str, Any]:
    """The four content items of paragraph 51 for ``year`` (and the year's incidents), from the registers."""
    rbac.require(actor, "isms.read")
    from aktuar.services.isms import _add_months

    as_of = as_of or date(year, 12, 31)
    with db.session() as s:
        docs = []
        for d in s.execute(select(IsmsDocument).where(IsmsDocument.status == "in_force")
                           .order_by(IsmsDocument.code)).scalars():
            nxt = _add_months(d.approved_on, d.revision_months)
            docs.append({"code": d.code, "title": d.title, "kind": d.kind, "approval_body": d.approval_body,
                         "approved_on": d.approved_on.isoformat(), "version": d.version,
                         "revision_months": d.revision_months, "next_revision": nxt.isoformat(),
                         "overdue": nxt < as_of})
        sw = [{"name": r.name, "version": r.version, "vendor": r.vendor, "count": r.installations,
               "purpose": r.purpose}
              for r in s.execute(select(IsmsSoftware).where(IsmsSoftware.status == "authorized",
                                                            IsmsSoftware.security_function.is_(True))
                                 .order_by(IsmsSoftware.name)).scalars()]
        assets = list(s.execute(select(IsmsAsset).where(IsmsAsset.status == "active")
                                .order_by(IsmsAsset.code)).scalars())
        hw = [{"code": a.code, "name": a.name, "kind": a.kind, "count": a.quantity}
              for a in assets if a.security_function and a.kind != "data_center"]
        dc_access = list(s.execute(select(IsmsPrivilegedUser).where(IsmsPrivilegedUser.kind == "dc_access",
                                                                    IsmsPrivilegedUser.status == "active")).scalars())
        facilities = []
        for a in assets:
            if a.kind != "data_center":
                continue
            det = json.loads(a.details or "{}")
            have = set(det.get("safety_systems", []))
            facilities.append({"code": a.code, "name": a.name, "location": a.location, "owner": a.owner,
                               "safety_systems": sorted(have & set(DC_SYSTEMS)),
                               "missing_safety_systems": sorted(set(DC_SYSTEMS) - have),
                               "rto_hours": a.rto_hours, "rpo_hours": a.rpo_hours,
                               "persons_with_access": sum(1 for p in dc_access if a.code in p.scope
                                                          or a.name in p.scope)})
        measures: list[dict[str, Any]] = []
        for d in s.execute(select(IsmsDocument)).scalars():
            if _in_year(d.approved_on, year):
                measures.append({"type": "document", "date": d.approved_on.isoformat(),
                                 "text": f"{d.title} v{d.version} approved ({d.approval_body})"})
        for u in s.execute(select(IsmsUpdate).where(IsmsUpdate.status == "installed")).scalars():
            if _in_year(audit.utc(u.installed_at) if u.installed_at else None, year):
                measures.append({"type": "update", "date": audit.utc(u.installed_at).date().isoformat(),  # type: ignore[arg-type]
                                 "text": f"{u.system}: {u.name} installed after a passed test"})
        for t in s.execute(select(IsmsSecurityTest)).scalars():
            if _in_year(t.performed_at, year):
                measures.append({"type": "security_test", "date": t.performed_at.isoformat(),
                                 "text": f"{t.kind.replace('_', ' ')} of {t.system} {t.release} by {t.performed_by}"})
        for r in s.execute(select(IsmsAccessReview).where(IsmsAccessReview.status == "closed")).scalars():
            if _in_year(audit.utc(r.closed_at) if r.closed_at else None, year):
                measures.append({"type": "access_review", "date": audit.utc(r.closed_at).date().isoformat(),  # type: ignore[arg-type]
                                 "text": f"access review '{r.name}' completed"})
        incidents = list(s.execute(select(IsmsIncident)).scalars())
        for i in incidents:
            for a in json.loads(i.corrective_actions or "[]"):
                done = [h for h in a.get("history", []) if h.get("to") == "done" and h.get("at", "")[:4] == str(year)]
                if done:
                    measures.append({"type": "corrective_action", "date": done[-1]["at"][:10],
                                     "text": f"{i.ref}: {a['action']}"})
        measures.sort(key=lambda m: (m["date"], m["type"]))
        year_inc = [i for i in incidents if audit.utc(i.detected_at).year == year]
    sev = Counter(i.severity for i in year_inc)
    return {
        "kind": KIND_ISMS, "year": year, "organization": organization, "as_of": as_of.isoformat(),
        "regulation": "NB Resolution No. 164, paragraphs 50-52",
        "item1_documents": docs,
        "item2_security_means": {"software": sw, "hardware": hw,
                                 "software_installations": sum(x["count"] for x in sw),
                                 "hardware_units": sum(x["count"] for x in hw)},
        "item3_data_processing_facilities": facilities,
        "item4_measures": measures,
        "item4_measures_absent": not measures,
        "incidents": {"total": len(year_inc), "by_severity": {k: sev.get(k, 0) for k in
                                                             ("low", "medium", "high", "critical")},
                      "closed": sum(1 for i in year_inc if i.status == "closed")},
    }


SECP_SECTIONS = ("governance", "risk_and_control_assessment", "monitoring_and_testing", "response", "recovery",
                 "information_sharing", "continuous_learning")


def secp_report_data(db: Database, actor: Actor, year: int, organization: str) -> dict[str, Any]:
    """The SECP annual assessment: each section with the evidence from the registers and the catalog's gaps."""
    rbac.require(actor, "isms.read")
    from aktuar.services import compliance

    base = isms_report_data(db, actor, year, organization)
    with db.session() as s:
        tests = [t for t in s.execute(select(IsmsSecurityTest)).scalars() if t.performed_at.year == year]
        kinds = Counter(t.kind for t in tests)
        assets = list(s.execute(select(IsmsAsset).where(IsmsAsset.status == "active")).scalars())
        reviews = [r for r in s.execute(select(IsmsAccessReview)).scalars() if audit.utc(r.started_at).year == year]
    state, gaps = compliance._register_state(db, date(year, 12, 31))
    ctl = [c for c in compliance.catalog() if c.regulation.startswith("SECP")]

    def gaps_of(prefix: str) -> list[str]:
        return [g for c in ctl if c.requirement and c.requirement.startswith(prefix) for g in c.gaps]

    sections = {
        "governance": {"evidence": {"policies_in_force": sum(1 for d in base["item1_documents"]),
                                    "overdue_documents": sum(1 for d in base["item1_documents"] if d["overdue"])},
                       "gaps": gaps_of("SECP-GOV")},
        "risk_and_control_assessment": {
            "evidence": {"assets": len(assets),
                         "critical_assets": sum(1 for a in assets if a.criticality == "critical"),
                         "assets_with_bia": sum(1 for a in assets if a.rto_hours is not None and a.rpo_hours is not None),
                         "external_interconnections": sum(
                             1 for a in assets for c in json.loads(a.interconnections or "[]") if c.get("external")),
                         "access_rights": state.get("access_rights", 0), "access_reviews": len(reviews)},
            "gaps": gaps_of("SECP-RISK")},
        "monitoring_and_testing": {"evidence": {"security_tests": len(tests), "by_kind": dict(kinds)},
                                   "gaps": gaps_of("SECP-TEST") + gaps_of("SECP-MON") + gaps.get("security_tests", [])},
        "response": {"evidence": base["incidents"], "gaps": gaps_of("SECP-RESP") + gaps.get("incidents", [])},
        "recovery": {"evidence": {"response_tests": kinds.get("response", 0) + kinds.get("integrated", 0),
                                  "facilities": len(base["item3_data_processing_facilities"])}, "gaps": []},
        "information_sharing": {"evidence": {"incidents_notified": base["incidents"]["total"]}, "gaps": []},
        "continuous_learning": {"evidence": {"measures": len(base["item4_measures"])}, "gaps": []},
    }
    return {"kind": KIND_SECP, "year": year, "organization": organization,
            "regulation": "SECP Guidelines on Cybersecurity Framework for the Insurance Sector, 2020",
            "due": date(year + 1, 4, 30).isoformat(), "sections": sections,
            "nist_csf_2": sorted(compliance.nist_coverage(ctl))}


# ----------------------------------------------------------------------------------------------- rendering
_LABELS = {
    "ru": {"title_isms": "Сведения о состоянии системы управления информационной безопасностью",
           "title_secp": "Отчёт об оценке системы кибербезопасности",
           "org": "Организация", "year": "Отчётный год", "item1": "1. Документы, регламентирующие СУИБ",
           "item2": "2. Программные и технические средства обеспечения ИБ (количество)",
           "item3": "3. Центры обработки данных", "item4": "4. Принятые меры по совершенствованию СУИБ",
           "none": "Меры не принимались.", "incidents": "Инциденты ИБ за год", "signers": "Подписи",
           "overdue": "пересмотр просрочен", "count": "кол-во", "missing": "отсутствуют системы (п. 36)",
           "software": "Программные средства", "hardware": "Технические средства", "total": "Итого",
           "sig_title": "Должность", "sig_name": "Ф. И. О.", "sig_date": "Дата подписания (UTC)",
           "draft": "ПРОЕКТ — не подписан, не для представления",
           "awaiting": "Ожидает подписи первого руководителя (CEO) или главного операционного директора (COO)",
           "role.head of information security": "Руководитель подразделения информационной безопасности",
           "role.CISO": "Руководитель службы информационной безопасности (CISO)",
           "role.CEO": "Первый руководитель (CEO)", "role.COO": "Главный операционный директор (COO)"},
    "en": {"title_isms": "Information on the state of the information security management system",
           "title_secp": "Cybersecurity framework assessment report",
           "org": "Organization", "year": "Reporting year", "item1": "1. Documents governing the ISMS",
           "item2": "2. Software and hardware used to maintain information security (numbers)",
           "item3": "3. Data processing facilities", "item4": "4. Measures taken to improve the ISMS",
           "none": "No measures were taken.", "incidents": "Information security incidents of the year",
           "signers": "Signatures", "overdue": "revision overdue", "count": "count",
           "missing": "missing systems (para 36)", "software": "Software", "hardware": "Hardware", "total": "Total",
           "sig_title": "Title", "sig_name": "Name", "sig_date": "Signed on (UTC)",
           "draft": "DRAFT — not signed, not for submission",
           "awaiting": "Awaiting the signature of the CEO or the COO",
           "role.head of information security": "Head of information security",
           "role.CISO": "Chief information security officer (CISO)", "role.CEO": "Chief executive officer (CEO)",
           "role.COO": "Chief operating officer (COO)"},
}

_TEMPLATE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 18mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; }
h1 { font-size: 14pt; } h2 { font-size: 11pt; margin-top: 14pt; }
table { border-collapse: collapse; width: 100%; } td, th { border: 0.5pt solid #888; padding: 2pt 4pt; }
th { background: #e8edf3; text-align: left; } .warn { color: #a00; }
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ L.org }}: <b>{{ d.organization }}</b><br>{{ L.year }}: <b>{{ d.year }}</b><br>{{ d.regulation }}</p>
{% if d.kind == "kz164_annual" %}
<h2>{{ L.item1 }}</h2><table><tr><th>#</th><th></th><th></th><th></th><th></th></tr>
{% for x in d.item1_documents %}<tr><td>{{ x.code }}</td><td>{{ x.title }}</td><td>{{ x.approval_body }}</td>
<td>{{ fmt(x.approved_on) }} v{{ x.version }}</td><td>{{ fmt(x.next_revision) }}{% if x.overdue %}
<span class="warn"> ({{ L.overdue }})</span>{% endif %}</td></tr>{% endfor %}</table>
<h2>{{ L.item2 }}</h2><p>{{ L.software }}</p><table>{% for x in d.item2_security_means.software %}
<tr><td>{{ x.name }} {{ x.version }}</td><td>{{ x.vendor }}</td><td>{{ x.count }}</td></tr>{% endfor %}
<tr><th colspan="2">{{ L.total }}</th><th>{{ d.item2_security_means.software_installations }}</th></tr></table>
<p>{{ L.hardware }}</p><table>{% for x in d.item2_security_means.hardware %}
<tr><td>{{ x.code }}</td><td>{{ x.name }}</td><td>{{ x.count }}</td></tr>{% endfor %}
<tr><th colspan="2">{{ L.total }}</th><th>{{ d.item2_security_means.hardware_units }}</th></tr></table>
<h2>{{ L.item3 }}</h2><table>{% for x in d.item3_data_processing_facilities %}
<tr><td>{{ x.code }}</td><td>{{ x.name }}, {{ x.location }}</td><td>{{ x.safety_systems|join(", ") }}
{% if x.missing_safety_systems %}<span class="warn"> — {{ L.missing }}: {{ x.missing_safety_systems|join(", ") }}
</span>{% endif %}</td><td>{{ x.persons_with_access }}</td></tr>{% endfor %}</table>
<h2>{{ L.item4 }}</h2>{% if d.item4_measures_absent %}<p>{{ L.none }}</p>{% else %}<table>
{% for x in d.item4_measures %}<tr><td>{{ fmt(x.date) }}</td><td>{{ x.type }}</td><td>{{ x.text }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>{{ L.incidents }}</h2><p>{{ d.incidents.total }}: {% for k, v in d.incidents.by_severity.items() %}{{ k }} {{ v }}
{% if not loop.last %}, {% endif %}{% endfor %}</p>
{% else %}
{% for name, sec in d.sections.items() %}<h2>{{ name.replace("_", " ").capitalize() }}</h2><table>
{% for k, v in sec.evidence.items() %}<tr><td>{{ k.replace("_", " ") }}</td><td>{{ v }}</td></tr>{% endfor %}
</table>{% for g in sec.gaps %}<p class="warn">{{ g }}</p>{% endfor %}{% endfor %}
<p>NIST CSF 2.0: {{ d.nist_csf_2|join(", ") }}</p>
{% endif %}
<h2>{{ L.signers }}</h2>{% if not signers %}<p class="warn">{{ L.draft }}</p>{% else %}<table class="signers">
<tr><th>{{ L.sig_title }}</th><th>{{ L.sig_name }}</th><th>{{ L.sig_date }}</th></tr>
{% for s in signers %}<tr><td>{{ L.get("role." ~ s.role, s.role) }}</td>
<td>{{ s.full_name or s.name }}{% if s.full_name and s.full_name != s.name %} ({{ s.name }}){% endif %}</td>
<td>{{ fmt_at(s.at) }}</td></tr>{% endfor %}</table>
{% if d.kind == "secp_assessment" and signers|length < 2 %}<p class="warn">{{ L.awaiting }}</p>{% endif %}{% endif %}
</body></html>"""


def _fmt_date(value: str) -> str:
    try:
        return date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return value


def _fmt_at(value: str) -> str:
    """A signing time as ``dd.mm.yyyy hh:mm`` (UTC)."""
    try:
        return audit.utc(datetime.fromisoformat(str(value))).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return str(value)


def render_html(data: dict[str, Any], lang: str, signers: list[dict[str, Any]]) -> str:
    import jinja2

    if lang not in _LABELS:
        raise InputError("language: ru or en")
    env = jinja2.Environment(autoescape=True)
    t = env.from_string(_TEMPLATE)
    labels = _LABELS[lang]
    title = labels["title_isms"] if data["kind"] == KIND_ISMS else labels["title_secp"]
    return t.render(d=data, L=labels, lang=lang, title=title, signers=signers, fmt=_fmt_date, fmt_at=_fmt_at)


def render_pdf(data: dict[str, Any], lang: str, signers: list[dict[str, Any]]) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=render_html(data, lang, signers)).write_pdf())


# ------------------------------------------------------------------------------------------------ packaging
def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _canonical_bytes(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def load_certificate(source: Path | str | bytes) -> x509.Certificate:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError:
        raise InputError("the recipient certificate is not an X.509 certificate (PEM or DER)") from None


def check_recipient_certificate(cert: x509.Certificate, at: datetime) -> None:
    """A recipient certificate must carry an RSA key (CMS key transport) and be valid at ``at``."""
    if not isinstance(cert.public_key(), RSAPublicKey):
        raise InputError("the recipient certificate must carry an RSA key (CMS key transport)")
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if at < start:
        raise InputError(f"the recipient certificate is valid only from {start:%d.%m.%Y}: ask the recipient for a "
                         "current certificate")
    if at > end:
        raise InputError(f"the recipient certificate expired on {end:%d.%m.%Y}: ask the recipient for a current "
                         "certificate")


def _inner_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    return buf.getvalue()


def encrypt_to(cert: x509.Certificate, data: bytes) -> bytes:
    """CMS/PKCS#7 enveloped data for the certificate's RSA key, AES-256 content encryption (DER)."""
    if not isinstance(cert.public_key(), RSAPublicKey):
        raise InputError("the recipient certificate must carry an RSA key (CMS key transport)")
    b = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(cert)
    b = b.set_content_encryption_algorithm(algorithms.AES256)
    return b.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def _package_bytes(manifest: dict[str, Any], envelope: bytes, signer: keys.Signer) -> bytes:
    mbytes = _canonical_bytes(manifest)
    sig = signer.sign(mbytes).encode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, content in (("manifest.json", mbytes), ("manifest.sig", sig), ("content.p7m", envelope)):
            z.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), content)
    return buf.getvalue()


def _atomic_write(path: Path, raw: bytes, mode: int | None = None) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(raw)
        if mode is not None:
            os.chmod(tmp, mode)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _undo_on_failure(p: Path) -> Iterator[None]:
    """``p`` is written inside a database transaction: if the transaction fails (even at its commit) ``p`` is put
    back as it was — removed when it did not exist — so no package lies there without its record."""
    before = p.read_bytes() if p.is_file() else None
    try:
        yield
    except BaseException:
        try:
            if before is None:
                p.unlink(missing_ok=True)
            elif not p.is_file() or p.read_bytes() != before:
                _atomic_write(p, before)
        except OSError:
            logging.getLogger("aktuar.isms").exception("could not restore %s after a failed transaction", p.name)
        raise


def _write_package(path: Path, manifest: dict[str, Any], envelope: bytes, signer: keys.Signer) -> bytes:
    raw = _package_bytes(manifest, envelope, signer)
    _atomic_write(path, raw)
    return raw


@dataclass(frozen=True)
class PackageResult:
    path: Path
    package_sha256: str
    content_sha256: str
    manifest: dict[str, Any]
    data: dict[str, Any]
    submission_id: int | None


def _signer_entry(db: Database, actor: Actor, role: str, at: datetime) -> dict[str, Any]:
    """Who signs: the account name, the person's full name from the user registry (the account name when the
    actor has no personal account, e.g. in a script) and the signing time."""
    with db.session() as s:
        full = s.execute(select(User.full_name).where(User.username == actor.username)).scalar_one_or_none()
    return {"role": role, "name": actor.username, "full_name": (full or actor.username)[:200], "at": at.isoformat()}


def _content(data_bytes: bytes, data: dict[str, Any], signers: list[dict[str, Any]]) -> dict[str, bytes]:
    """The files of the report: ``report.json`` (exactly ``data_bytes``) and the PDFs in Russian and English with
    the signature block of ``signers``."""
    files = {"report.json": data_bytes}
    for lang in ("ru", "en"):
        files[f"report-{lang}.pdf"] = render_pdf(data, lang, signers)
    return files


def _manifest(data: dict[str, Any], actor: Actor, at: datetime, cert: x509.Certificate, inner: bytes,
              files: dict[str, bytes], envelope: bytes, signer: keys.Signer, signers: list[dict[str, Any]]
              ) -> dict[str, Any]:
    return {
        "format": PACKAGE_FORMAT, "kind": data["kind"], "year": data["year"], "organization": data["organization"],
        "created_at": at.isoformat(), "created_by": actor.username,
        "recipient": {"subject": cert.subject.rfc4514_string(),
                      "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex()},
        "content_sha256": _sha(inner), "files": {k: _sha(v) for k, v in files.items()},
        "envelope": {"name": "content.p7m", "sha256": _sha(envelope),
                     "scheme": "CMS/PKCS#7 enveloped-data, RSA key transport, AES-256-CBC"},
        "signature": {"algorithm": "Ed25519", "key_id": signer.key_id,
                      "public_key": keys.public_pem(signer.public_key).decode("ascii")},
        "signers": signers,
    }


def _build(db: Database, actor: Actor, data: dict[str, Any], recipient_cert: Path | str | bytes,
           signers: list[dict[str, Any]], at: datetime
           ) -> tuple[dict[str, Any], bytes, bytes, x509.Certificate, keys.Signer]:
    cert = load_certificate(recipient_cert)
    check_recipient_certificate(cert, at)
    data_bytes = _canonical_bytes(data)
    files = _content(data_bytes, data, signers)
    inner = _inner_zip(files)
    envelope = encrypt_to(cert, inner)
    signer = keys.load_signer(Path(db.settings.data_dir))
    manifest = _manifest(data, actor, at, cert, inner, files, envelope, signer, signers)
    return manifest, envelope, data_bytes, cert, signer


def _record(s: Session, actor: Actor, manifest: dict[str, Any], name: str, raw: bytes, at: datetime) -> int:
    sub = IsmsSubmission(kind=manifest["kind"], year=manifest["year"], package_name=name, package_sha256=_sha(raw),
                         content_sha256=manifest["content_sha256"], recipient=manifest["recipient"]["subject"][:300],
                         signers=audit.canonical(manifest["signers"]), created_by=actor.username[:64], created_at=at)
    s.add(sub)
    s.flush()
    return sub.id


def _refuse(db: Database, actor: Actor, action: str, obj: str, exc: BaseException) -> None:
    details = ({"reason": "permission denied", "permission": exc.permission} if isinstance(exc, PermissionDenied)
               else {"reason": "refused", "message": str(exc)[:500]})
    with db.session() as s:
        audit.record(s, actor, "business", action, object=obj[:300], outcome="failure", details=details)


def _year(value: object) -> int:
    try:
        y = int(str(value).strip())
    except ValueError:
        raise InputError(f"the reporting year is a year such as 2026, not '{str(value)[:10]}'") from None
    if not 2000 <= y <= 2100:
        raise InputError("the reporting year: 2000 to 2100")
    return y


def _organization(value: object) -> str:
    v = " ".join(unicodedata.normalize("NFKC", str(value or "")).split())
    if not v:
        raise InputError("name the organization the report is about")
    if any(unicodedata.category(c) == "Cc" for c in v):
        raise InputError("organization: remove control characters")
    if len(v) > 300:
        raise InputError("organization: at most 300 characters")
    return v


def _now(now: datetime | None) -> datetime:
    return audit.utc(now) if now else datetime.now(UTC)


def build_isms_report(db: Database, actor: Actor, *, year: int, organization: str,
                      recipient_cert: Path | str | bytes, out: Path | str, now: datetime | None = None
                      ) -> PackageResult:
    """Build, sign, encrypt and record the annual ISMS report (``isms.report``; due 10 January of year + 1)."""
    at = _now(now)
    p = Path(out)
    try:
        rbac.require(actor, "isms.report")
        y, org = _year(year), _organization(organization)
        if not p.parent.is_dir():
            raise InputError(f"the folder {p.parent} does not exist")
        data = isms_report_data(db, actor, y, org)
        signers = [_signer_entry(db, actor, "head of information security", at)]
        manifest, envelope, _data, _cert, signer = _build(db, actor, data, recipient_cert, signers, at)
        raw = _package_bytes(manifest, envelope, signer)
        with _undo_on_failure(p), db.session() as s:
            sid = _record(s, actor, manifest, p.name, raw, at)
            audit.record(s, actor, "business", "isms.report.submit", object=f"{KIND_ISMS}:{y}",
                         details={"package": p.name, "package_sha256": _sha(raw),
                                  "content_sha256": manifest["content_sha256"],
                                  "recipient": manifest["recipient"]["subject"]}, at=at)
            s.flush()
            _atomic_write(p, raw)  # last: a failed write rolls the record back
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, data, sid)
    except AktuarError as exc:
        _refuse(db, actor, "isms.report.submit", f"{KIND_ISMS}:{year}", exc)
        raise


def prepare_secp_report(db: Database, ciso: Actor, *, year: int, organization: str,
                        recipient_cert: Path | str | bytes, out: Path | str, now: datetime | None = None
                        ) -> PackageResult:
    """The CISO (``is_officer``) prepares and signs the SECP assessment report; it is recorded as submitted only
    after the CEO/COO countersigns it (``countersign_secp_report``). The report's content (``report.json``) and
    the recipient certificate are kept in ``<data dir>/isms/reports/drafts/`` (mode 0600) until then: the
    countersignature re-renders the PDFs with both signers and encrypts them again, and the package itself can
    be read only by the recipient."""
    at = _now(now)
    p = Path(out)
    try:
        rbac.require(ciso, "isms.report")
        y, org = _year(year), _organization(organization)
        if not p.parent.is_dir():
            raise InputError(f"the folder {p.parent} does not exist")
        data = secp_report_data(db, ciso, y, org)
        signers = [_signer_entry(db, ciso, "CISO", at)]
        manifest, envelope, data_bytes, cert, signer = _build(db, ciso, data, recipient_cert, signers, at)
        manifest["status"] = AWAITING
        raw = _package_bytes(manifest, envelope, signer)
        with _undo_on_failure(p), db.session() as s:
            audit.record(s, ciso, "business", "secp.report.prepare", object=f"{KIND_SECP}:{y}",
                         details={"package": p.name, "package_sha256": _sha(raw),
                                  "content_sha256": manifest["content_sha256"]}, at=at)
            s.flush()
            _save_draft(db, manifest["envelope"]["sha256"], data_bytes, cert)
            _atomic_write(p, raw)
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, data, None)
    except AktuarError as exc:
        _refuse(db, ciso, "secp.report.prepare", f"{KIND_SECP}:{year}", exc)
        raise


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the package file while it is countersigned (two executives at once: the second finds
    it signed already)."""
    with open(path, "rb") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def countersign_secp_report(db: Database, executive: Actor, package: Path | str, *, title: str = "CEO",
                            now: datetime | None = None) -> PackageResult:
    """The CEO/COO (``management``) countersigns a prepared SECP package: it must verify unchanged, be signed by a
    CISO who is another person, and its content kept at preparation must match the signed manifest. The PDFs are
    rendered again with both signers (name, title, date), encrypted again to the same recipient, and the package
    re-signed with both signers; ``report.json`` is byte-for-byte the one the CISO signed. The submission is
    recorded."""
    at = _now(now)
    p = Path(package)
    try:
        rbac.require(executive, "isms.report.countersign")
        if title not in ("CEO", "COO"):
            raise InputError("the report is countersigned by the CEO or the COO")
        if p.is_symlink() or not p.is_file():
            raise InputError(f"{p.name}: no such package")
        with _locked(p):
            check = verify_package(p, data_dir=Path(db.settings.data_dir))
            if not check.ok:
                raise PackageError("the package does not verify: " + "; ".join(check.problems))
            old = dict(check.manifest)
            if old.get("kind") != KIND_SECP or old.get("status") != AWAITING:
                raise InputError("this is not a SECP report awaiting the CEO/COO signature")
            if any(sg.get("name") == executive.username for sg in old.get("signers", [])):
                raise PermissionDenied(executive, "countersign a report they signed as CISO (two different people)")
            data_bytes, cert = _load_draft(db, old)
            data = json.loads(data_bytes)
            signers = [*old["signers"], _signer_entry(db, executive, title, at)]
            files = _content(data_bytes, data, signers)
            inner = _inner_zip(files)
            envelope = encrypt_to(cert, inner)
            signer = keys.load_signer(Path(db.settings.data_dir))
            manifest = _manifest(data, executive, at, cert, inner, files, envelope, signer, signers)
            manifest.update(created_at=old["created_at"], created_by=old["created_by"], status="signed",
                            countersigned_at=at.isoformat(), countersigned_by=executive.username,
                            prepared={"content_sha256": old["content_sha256"],
                                      "envelope_sha256": old["envelope"]["sha256"]})
            assert manifest["files"]["report.json"] == old["files"]["report.json"]
            raw = _package_bytes(manifest, envelope, signer)
            with _undo_on_failure(p), db.session() as s:
                sid = _record(s, executive, manifest, p.name, raw, at)
                audit.record(s, executive, "business", "secp.report.submit", object=f"{KIND_SECP}:{manifest['year']}",
                             details={"package": p.name, "package_sha256": _sha(raw),
                                      "content_sha256": manifest["content_sha256"],
                                      "prepared_content_sha256": old["content_sha256"],
                                      "signers": manifest["signers"]}, at=at)
                s.flush()
                _atomic_write(p, raw)
            _drop_draft(db, old["envelope"]["sha256"])
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, data, sid)
    except AktuarError as exc:
        _refuse(db, executive, "secp.report.submit", p.name, exc)
        raise


# ------------------------------------------------------------------------------- storage in the data directory
def _private_dir(db: Database, rel: Path) -> Path:
    d = Path(db.settings.data_dir) / rel
    d.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(d, 0o700)
    return d


def reports_dir(db: Database) -> Path:
    """``<data dir>/isms/reports``: the packages built from the web application."""
    return _private_dir(db, REPORTS_DIR)


def new_package_path(db: Database, kind: str, year: int, at: datetime) -> Path:
    """A fresh package name in :func:`reports_dir` (``secp-2026-20270105T090000Z-1a2b3c4d.akp``): chosen by aktuar,
    never by the user."""
    if kind not in _PREFIX:
        raise InputError(f"report kind: {', '.join(_PREFIX)}")
    return reports_dir(db) / f"{_PREFIX[kind]}-{_year(year):04d}-{audit.utc(at):%Y%m%dT%H%M%SZ}-" \
                             f"{secrets.token_hex(4)}.akp"


def stored_package(db: Database, name: str) -> Path:
    """A package of :func:`reports_dir` by its name; anything but a name aktuar generates (a path, ``..``, another
    file) is refused."""
    n = str(name or "")
    if not PACKAGE_NAME.fullmatch(n):
        raise InputError("no such report package: packages are named like secp-2026-20270105T090000Z-1a2b3c4d.akp")
    p = reports_dir(db) / n
    if p.is_symlink() or not p.is_file():
        raise InputError(f"no report package {n} in the data directory")
    return p


def _draft_paths(db: Database, envelope_sha256: str) -> tuple[Path, Path]:
    if not FINGERPRINT.fullmatch(str(envelope_sha256)):
        raise PackageError("the manifest names no valid envelope hash")
    d = _private_dir(db, DRAFTS_DIR)
    return d / f"{envelope_sha256}.report.json", d / f"{envelope_sha256}.recipient.pem"


def _save_draft(db: Database, envelope_sha256: str, data_bytes: bytes, cert: x509.Certificate) -> None:
    rp, cp = _draft_paths(db, envelope_sha256)
    _atomic_write(rp, data_bytes, 0o600)
    _atomic_write(cp, cert.public_bytes(serialization.Encoding.PEM), 0o600)


def _load_draft(db: Database, manifest: dict[str, Any]) -> tuple[bytes, x509.Certificate]:
    rp, cp = _draft_paths(db, str(_dict(manifest.get("envelope")).get("sha256", "")))
    if not (rp.is_file() and cp.is_file()):
        raise PackageError("the content of this prepared report is not in the data directory (it is kept there when "
                           "the CISO prepares the report; the package is readable only by the recipient): prepare "
                           "the report again with this data directory")
    data_bytes = rp.read_bytes()
    if _sha(data_bytes) != _dict(manifest.get("files")).get("report.json"):
        raise PackageError("the prepared report's content kept in the data directory does not match the signed "
                           "manifest: prepare the report again")
    cert = load_certificate(cp.read_bytes())
    if cert.fingerprint(hashes.SHA256()).hex() != _dict(manifest.get("recipient")).get("sha256_fingerprint"):
        raise PackageError("the recipient certificate kept with the prepared report is not the package's recipient")
    return data_bytes, cert


def _drop_draft(db: Database, envelope_sha256: str) -> None:
    for f in _draft_paths(db, envelope_sha256):
        f.unlink(missing_ok=True)


@dataclass(frozen=True)
class RecipientCertificate:
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime
    valid: bool


def _cert_info(cert: x509.Certificate, at: datetime) -> RecipientCertificate:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return RecipientCertificate(cert.fingerprint(hashes.SHA256()).hex(), cert.subject.rfc4514_string(), start, end,
                                start <= at <= end and isinstance(cert.public_key(), RSAPublicKey))


def save_recipient_certificate(db: Database, actor: Actor, data: bytes, *, now: datetime | None = None
                               ) -> RecipientCertificate:
    """Keep a recipient's certificate (PEM or DER, RSA key, currently valid; ``isms.report``) in
    ``<data dir>/isms/recipients/<SHA-256 fingerprint>.pem`` so that it can be chosen for later reports; audited."""
    at = _now(now)
    try:
        rbac.require(actor, "isms.report")
        if len(data) > MAX_CERTIFICATE_BYTES:
            raise InputError(f"a certificate file is at most {MAX_CERTIFICATE_BYTES // 1024} KB: give the "
                             "recipient's certificate alone (PEM)")
        if not data.strip():
            raise InputError("the certificate file is empty")
        cert = load_certificate(bytes(data))
        check_recipient_certificate(cert, at)
        info = _cert_info(cert, at)
        with db.session() as s:
            audit.record(s, actor, "business", "isms.report.recipient", object=info.fingerprint[:16],
                         details={"subject": info.subject, "sha256_fingerprint": info.fingerprint,
                                  "not_after": info.not_after.isoformat()}, at=at)
            s.flush()
            _atomic_write(_private_dir(db, RECIPIENTS_DIR) / f"{info.fingerprint}.pem",
                          cert.public_bytes(serialization.Encoding.PEM), 0o600)
        return info
    except AktuarError as exc:
        _refuse(db, actor, "isms.report.recipient", "certificate", exc)
        raise


def recipient_certificates(db: Database, actor: Actor, *, now: datetime | None = None
                           ) -> list[RecipientCertificate]:
    """The kept recipient certificates (``isms.read``), the valid ones first."""
    rbac.require(actor, "isms.read")
    at = _now(now)
    out = []
    for f in sorted(_private_dir(db, RECIPIENTS_DIR).glob("*.pem")):
        if f.is_symlink() or not FINGERPRINT.fullmatch(f.stem):
            continue
        try:
            out.append(_cert_info(load_certificate(f.read_bytes()), at))
        except (InputError, OSError):
            continue
    return sorted(out, key=lambda c: (not c.valid, c.subject))


def recipient_certificate(db: Database, fingerprint: str) -> bytes:
    """A kept recipient certificate by its SHA-256 fingerprint (64 hex digits; nothing else is accepted)."""
    fp = str(fingerprint or "").strip().lower()
    if not FINGERPRINT.fullmatch(fp):
        raise InputError("choose the recipient certificate from the list or upload it")
    f = _private_dir(db, RECIPIENTS_DIR) / f"{fp}.pem"
    if f.is_symlink() or not f.is_file():
        raise InputError("no such recipient certificate: upload it")
    return f.read_bytes()


def _report_data(db: Database, actor: Actor, kind: str, year: int, organization: str) -> dict[str, Any]:
    if kind == KIND_ISMS:
        return isms_report_data(db, actor, year, organization)
    if kind == KIND_SECP:
        return secp_report_data(db, actor, year, organization)
    raise InputError(f"report kind: {KIND_ISMS} or {KIND_SECP}")


def preview_pdf(db: Database, actor: Actor, *, kind: str, year: int, organization: str, lang: str,
                now: datetime | None = None) -> bytes:
    """The report's PDF as it would be built now, marked as an unsigned draft (``isms.report``; audited)."""
    at = _now(now)
    try:
        rbac.require(actor, "isms.report")
        if lang not in _LABELS:
            raise InputError("language: ru or en")
        y, org = _year(year), _organization(organization)
        pdf = render_pdf(_report_data(db, actor, kind, y, org), lang, [])
        with db.session() as s:
            audit.record(s, actor, "business", "isms.report.preview", object=f"{kind}:{y}",
                         details={"lang": lang, "sha256": _sha(pdf)}, at=at)
        return pdf
    except AktuarError as exc:
        _refuse(db, actor, "isms.report.preview", f"{kind}:{year}", exc)
        raise


@dataclass(frozen=True)
class PendingReport:
    """A SECP package of :func:`reports_dir` awaiting the CEO/COO signature."""

    name: str
    year: int | None
    organization: str
    prepared_by: str
    prepared_at: str
    package_sha256: str
    ok: bool
    problems: list[str]
    content_kept: bool


def pending_secp_reports(db: Database, actor: Actor) -> list[PendingReport]:
    """The prepared SECP packages not countersigned yet (``isms.read``); a package that does not verify is listed
    with its problems."""
    rbac.require(actor, "isms.read")
    out = []
    for p in sorted(reports_dir(db).glob("secp-*.akp")):
        if p.is_symlink() or not PACKAGE_NAME.fullmatch(p.name):
            continue
        check = verify_package(p, data_dir=Path(db.settings.data_dir))
        m = check.manifest
        if check.ok and m.get("status") != AWAITING:
            continue
        try:
            kept = all(f.is_file() for f in _draft_paths(db, str(_dict(m.get("envelope")).get("sha256", ""))))
        except PackageError:
            kept = False
        year = m.get("year")
        out.append(PendingReport(p.name, year if isinstance(year, int) else None, str(m.get("organization", ""))[:300],
                                 str(m.get("created_by", ""))[:64], str(m.get("created_at", ""))[:40],
                                 _sha(p.read_bytes()), check.ok, check.problems, kept))
    return out


def pending_preview_pdf(db: Database, actor: Actor, name: str, lang: str, *, now: datetime | None = None) -> bytes:
    """The PDF of a prepared SECP report as the CISO signed it, for the CEO/COO to read before countersigning
    (``isms.report`` or ``isms.report.countersign``; audited). Rendered from the content kept at preparation,
    after the package and that content are checked against the signed manifest."""
    at = _now(now)
    try:
        if not (rbac.allowed(actor, "isms.report") or rbac.allowed(actor, "isms.report.countersign")):
            raise PermissionDenied(actor, "isms.report or isms.report.countersign")
        if lang not in _LABELS:
            raise InputError("language: ru or en")
        p = stored_package(db, name)
        check = verify_package(p, data_dir=Path(db.settings.data_dir))
        if not check.ok:
            raise PackageError("the package does not verify: " + "; ".join(check.problems))
        if check.manifest.get("status") != AWAITING:
            raise InputError("this package is not awaiting the CEO/COO signature")
        data_bytes, _cert = _load_draft(db, check.manifest)
        pdf = render_pdf(json.loads(data_bytes), lang, list(check.manifest.get("signers", [])))
        with db.session() as s:
            audit.record(s, actor, "business", "secp.report.preview", object=p.name,
                         details={"lang": lang, "content_sha256": check.manifest.get("content_sha256")}, at=at)
        return pdf
    except AktuarError as exc:
        _refuse(db, actor, "secp.report.preview", str(name)[:100], exc)
        raise


def submission_package(db: Database, actor: Actor, submission_id: int, *, now: datetime | None = None
                       ) -> tuple[str, bytes]:
    """The package of a recorded submission (``isms.read``; audited): found by the submission's id, read from
    :func:`reports_dir` under the name recorded, and only when its SHA-256 is still the recorded one."""
    at = _now(now)
    try:
        rbac.require(actor, "isms.read")
        with db.session() as s:
            sub = s.get(IsmsSubmission, int(submission_id))
            if sub is None:
                raise InputError(f"no submission {submission_id}")
            name, digest = sub.package_name, sub.package_sha256
        if not PACKAGE_NAME.fullmatch(name):
            raise InputError(f"the package {name[:80]} was written outside the data directory (from the command "
                             "line): aktuar does not keep it")
        p = reports_dir(db) / name
        if p.is_symlink() or not p.is_file():
            raise InputError(f"the package {name} is no longer in the data directory")
        raw = p.read_bytes()
        if _sha(raw) != digest:
            raise PackageError(f"the stored package {name} no longer matches the SHA-256 recorded at submission")
        with db.session() as s:
            audit.record(s, actor, "business", "isms.report.download", object=f"submission:{submission_id}",
                         details={"package": name, "package_sha256": digest}, at=at)
        return name, raw
    except AktuarError as exc:
        _refuse(db, actor, "isms.report.download", f"submission:{submission_id}", exc)
        raise


# ---------------------------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class PackageCheck:
    ok: bool
    problems: list[str]
    manifest: dict[str, Any]
    decrypted: bool = False
    files: dict[str, bytes] = field(default_factory=dict)


def _oversized(z: zipfile.ZipFile) -> list[str]:
    """Members larger (uncompressed) than a package ever holds: the manifest and its signature are small."""
    out = []
    for i in z.infolist():
        limit = MEMBER_LIMITS.get(i.filename, MAX_ENTRY_BYTES)
        if i.file_size > limit:
            size = f"{limit // (1 << 20)} MB" if limit >= 1 << 20 else f"{limit} bytes"
            out.append(f"{i.filename[:80]} is larger than {size} uncompressed")
    return out


def verify_package(path: Path | str, *, data_dir: Path | None = None,
                   public_key: Path | str | bytes | Ed25519PublicKey | None = None,
                   recipient_key: Path | str | bytes | None = None,
                   recipient_cert: Path | str | bytes | None = None) -> PackageCheck:
    """Check a package: the Ed25519 signature of the manifest by a trusted key (``public_key``, else the data
    directory's keys), the SHA-256 of ``content.p7m``; with the recipient's private key (and certificate) it is
    decrypted and every inner hash checked. Every problem is listed. Members larger than ``MAX_ENTRY_BYTES``
    uncompressed are not read."""
    problems: list[str] = []
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            missing = {"manifest.json", "manifest.sig", "content.p7m"} - names
            if missing:
                return PackageCheck(False, [f"the package lacks {', '.join(sorted(missing))}"], {})
            big = _oversized(z)
            if big:
                return PackageCheck(False, big, {})
            extra = names - {"manifest.json", "manifest.sig", "content.p7m"}
            if extra:
                problems.append(f"unexpected file(s) in the package: {', '.join(sorted(extra))[:300]}")
            mbytes, sig, envelope = z.read("manifest.json"), z.read("manifest.sig"), z.read("content.p7m")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError, RuntimeError) as exc:
        return PackageCheck(False, [f"not a readable package ({type(exc).__name__})"], {})
    try:
        manifest = json.loads(mbytes)
    except ValueError:
        return PackageCheck(False, ["manifest.json is not JSON"], {})
    if not isinstance(manifest, dict):
        return PackageCheck(False, ["manifest.json is not a package manifest"], {})
    if public_key is not None:
        trusted = keys.as_key_map([public_key])
    else:
        trusted = keys.trusted_public_keys(data_dir)
    if not trusted:
        problems.append("no trusted public key to check the signature: give the sender's public key")
    else:
        kid = str(_dict(manifest.get("signature")).get("key_id", ""))
        why = keys.verify_signature(trusted, kid, mbytes, sig.decode("ascii", "replace").strip())
        if why is not None:
            problems.append(f"manifest signature: {why}")
    if _sha(envelope) != _dict(manifest.get("envelope")).get("sha256"):
        problems.append("content.p7m was changed: its SHA-256 does not match the signed manifest")
    files: dict[str, bytes] = {}
    decrypted = False
    if recipient_key is not None:
        if recipient_cert is None:
            problems.append("give the recipient certificate with its private key to decrypt")
        else:
            kdata = recipient_key if isinstance(recipient_key, bytes) else Path(recipient_key).read_bytes()
            key = serialization.load_pem_private_key(kdata, password=None)
            if not isinstance(key, RSAPrivateKey):
                problems.append("the recipient key is not an RSA private key")
            else:
                try:
                    inner = pkcs7.pkcs7_decrypt_der(envelope, load_certificate(recipient_cert), key, [])
                except ValueError as exc:
                    problems.append(f"cannot decrypt content.p7m with this key: {exc}")
                else:
                    decrypted = True
                    if _sha(inner) != manifest.get("content_sha256"):
                        problems.append("the decrypted content does not match the signed content SHA-256")
                    try:
                        with zipfile.ZipFile(io.BytesIO(inner)) as z:
                            big = _oversized(z)
                            problems += big
                            for name in ([] if big else z.namelist()):
                                files[name] = z.read(name)
                    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                        problems.append("the decrypted content is not the report archive")
                    for name, h in (_dict(manifest.get("files")) if files else {}).items():
                        if name not in files:
                            problems.append(f"{name} is missing from the content")
                        elif _sha(files[name]) != h:
                            problems.append(f"{name} was changed")
    return PackageCheck(not problems, problems, manifest, decrypted, files)


@dataclass(frozen=True)
class UploadedCheck:
    """The verification of an uploaded package and the submission it is (same SHA-256), if any."""

    filename: str
    package_sha256: str
    check: PackageCheck
    submission: dict[str, Any] | None
    summary: dict[str, str]


def _summary(manifest: dict[str, Any]) -> dict[str, str]:
    """What a manifest says, as short texts (the manifest of an uploaded file may hold anything)."""
    def short(v: Any) -> str:
        return str(v)[:200] if isinstance(v, (str, int)) and not isinstance(v, bool) else ""

    signers = manifest.get("signers")
    names = [f"{short(x.get('role'))} {short(x.get('full_name')) or short(x.get('name'))}".strip()
             for x in (signers if isinstance(signers, list) else [])[:10] if isinstance(x, dict)]
    return {"kind": short(manifest.get("kind")), "year": short(manifest.get("year")),
            "organization": short(manifest.get("organization")), "signers": "; ".join(names),
            "recipient": short(_dict(manifest.get("recipient")).get("subject")),
            "status": short(manifest.get("status"))}


def verify_uploaded_package(db: Database, actor: Actor, path: Path | str, *, filename: str = "",
                            now: datetime | None = None) -> UploadedCheck:
    """Verify a package received back (``isms.read``): the signature by this data directory's trusted keys and the
    envelope hash (the content stays encrypted: the recipient's private key never comes to aktuar), and which
    recorded submission it is. Audited with its outcome and problems."""
    at = _now(now)
    p = Path(path)
    shown = (filename or p.name)[:120]
    try:
        rbac.require(actor, "isms.read")
    except PermissionDenied as exc:
        _refuse(db, actor, "isms.report.verify", shown, exc)
        raise
    digest = _sha(p.read_bytes())
    check = verify_package(p, data_dir=Path(db.settings.data_dir))
    sub = next((x for x in submissions(db, actor) if x["package_sha256"] == digest), None)
    with db.session() as s:
        audit.record(s, actor, "business", "isms.report.verify", object=shown,
                     outcome="success" if check.ok else "failure",
                     details={"package_sha256": digest, "problems": check.problems[:20],
                              "submission": sub["id"] if sub else None}, at=at)
    return UploadedCheck(shown, digest, check, sub, _summary(check.manifest))


def submissions(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The recorded submissions; ``stored`` when the package is kept in :func:`reports_dir` (built from the web)."""
    rbac.require(actor, "isms.read")
    folder = Path(db.settings.data_dir) / REPORTS_DIR
    with db.session() as s:
        return [{"id": r.id, "kind": r.kind, "year": r.year, "package": r.package_name,
                 "package_sha256": r.package_sha256, "content_sha256": r.content_sha256, "recipient": r.recipient,
                 "signers": json.loads(r.signers), "created_by": r.created_by,
                 "created_at": audit.utc(r.created_at).isoformat(),
                 "stored": bool(PACKAGE_NAME.fullmatch(r.package_name)) and (folder / r.package_name).is_file()}
                for r in s.execute(select(IsmsSubmission).order_by(IsmsSubmission.id)).scalars()]
