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
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
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
)

PACKAGE_FORMAT = "aktuar-regulator-package/1"
KIND_ISMS = "kz164_annual"
KIND_SECP = "secp_assessment"
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
           "software": "Программные средства", "hardware": "Технические средства", "total": "Итого"},
    "en": {"title_isms": "Information on the state of the information security management system",
           "title_secp": "Cybersecurity framework assessment report",
           "org": "Organization", "year": "Reporting year", "item1": "1. Documents governing the ISMS",
           "item2": "2. Software and hardware used to maintain information security (numbers)",
           "item3": "3. Data processing facilities", "item4": "4. Measures taken to improve the ISMS",
           "none": "No measures were taken.", "incidents": "Information security incidents of the year",
           "signers": "Signatures", "overdue": "revision overdue", "count": "count",
           "missing": "missing systems (para 36)", "software": "Software", "hardware": "Hardware", "total": "Total"},
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
<h2>{{ L.signers }}</h2><table>{% for s in signers %}<tr><td>{{ s.role }}</td><td>{{ s.name }}</td>
<td>{{ s.at }}</td></tr>{% endfor %}</table>
</body></html>"""


def _fmt_date(value: str) -> str:
    try:
        return date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return value


def render_html(data: dict[str, Any], lang: str, signers: list[dict[str, Any]]) -> str:
    import jinja2

    if lang not in _LABELS:
        raise InputError("language: ru or en")
    env = jinja2.Environment(autoescape=True)
    t = env.from_string(_TEMPLATE)
    labels = _LABELS[lang]
    title = labels["title_isms"] if data["kind"] == KIND_ISMS else labels["title_secp"]
    return t.render(d=data, L=labels, lang=lang, title=title, signers=signers, fmt=_fmt_date)


def render_pdf(data: dict[str, Any], lang: str, signers: list[dict[str, Any]]) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=render_html(data, lang, signers)).write_pdf())


# ------------------------------------------------------------------------------------------------ packaging
def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _canonical_bytes(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


def load_certificate(source: Path | str | bytes) -> x509.Certificate:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError:
        raise InputError("the recipient certificate is not an X.509 certificate (PEM or DER)") from None


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


def _write_package(path: Path, manifest: dict[str, Any], envelope: bytes, signer: keys.Signer) -> bytes:
    mbytes = _canonical_bytes(manifest)
    sig = signer.sign(mbytes).encode("ascii")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, content in (("manifest.json", mbytes), ("manifest.sig", sig), ("content.p7m", envelope)):
            z.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), content)
    raw = buf.getvalue()
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(raw)
    tmp.replace(path)
    return raw


@dataclass(frozen=True)
class PackageResult:
    path: Path
    package_sha256: str
    content_sha256: str
    manifest: dict[str, Any]
    data: dict[str, Any]
    submission_id: int | None


def _build(db: Database, actor: Actor, data: dict[str, Any], recipient_cert: Path | str | bytes, out: Path,
           signers: list[dict[str, Any]], at: datetime) -> tuple[dict[str, Any], bytes, bytes, keys.Signer]:
    cert = load_certificate(recipient_cert)
    files = {"report.json": _canonical_bytes(data)}
    for lang in ("ru", "en"):
        files[f"report-{lang}.pdf"] = render_pdf(data, lang, signers)
    inner = _inner_zip(files)
    envelope = encrypt_to(cert, inner)
    signer = keys.load_signer(Path(db.settings.data_dir))
    manifest = {
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
    return manifest, envelope, inner, signer


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
        audit.record(s, actor, "business", action, object=obj, outcome="failure", details=details)


def build_isms_report(db: Database, actor: Actor, *, year: int, organization: str,
                      recipient_cert: Path | str | bytes, out: Path | str, now: datetime | None = None
                      ) -> PackageResult:
    """Build, sign, encrypt and record the annual ISMS report (``isms.report``; due 10 January of year + 1)."""
    at = audit.utc(now) if now else datetime.now(UTC)
    p = Path(out)
    try:
        rbac.require(actor, "isms.report")
        if not p.parent.is_dir():
            raise InputError(f"the folder {p.parent} does not exist")
        data = isms_report_data(db, actor, year, organization)
        signers = [{"role": "head of information security", "name": actor.username, "at": at.isoformat()}]
        manifest, envelope, _inner, signer = _build(db, actor, data, recipient_cert, p, signers, at)
        with db.session() as s:
            raw = _write_package(p, manifest, envelope, signer)
            sid = _record(s, actor, manifest, p.name, raw, at)
            audit.record(s, actor, "business", "isms.report.submit", object=f"{KIND_ISMS}:{year}",
                         details={"package": p.name, "package_sha256": _sha(raw),
                                  "content_sha256": manifest["content_sha256"],
                                  "recipient": manifest["recipient"]["subject"]}, at=at)
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, data, sid)
    except AktuarError as exc:
        _refuse(db, actor, "isms.report.submit", f"{KIND_ISMS}:{year}", exc)
        raise


def prepare_secp_report(db: Database, ciso: Actor, *, year: int, organization: str,
                        recipient_cert: Path | str | bytes, out: Path | str, now: datetime | None = None
                        ) -> PackageResult:
    """The CISO (``is_officer``) prepares and signs the SECP assessment report; it is recorded as submitted only
    after the CEO/COO countersigns it (``countersign_secp_report``)."""
    at = audit.utc(now) if now else datetime.now(UTC)
    p = Path(out)
    try:
        rbac.require(ciso, "isms.report")
        data = secp_report_data(db, ciso, year, organization)
        signers = [{"role": "CISO", "name": ciso.username, "at": at.isoformat()}]
        manifest, envelope, _inner, signer = _build(db, ciso, data, recipient_cert, p, signers, at)
        manifest["status"] = "awaiting CEO/COO signature"
        with db.session() as s:
            raw = _write_package(p, manifest, envelope, signer)
            audit.record(s, ciso, "business", "secp.report.prepare", object=f"{KIND_SECP}:{year}",
                         details={"package": p.name, "package_sha256": _sha(raw)}, at=at)
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, data, None)
    except AktuarError as exc:
        _refuse(db, ciso, "secp.report.prepare", f"{KIND_SECP}:{year}", exc)
        raise


def countersign_secp_report(db: Database, executive: Actor, package: Path | str, *, title: str = "CEO",
                            now: datetime | None = None) -> PackageResult:
    """The CEO/COO (``management``) countersigns a prepared SECP package: it must verify unchanged and be signed
    by a CISO who is another person; the package is re-signed with both signers and the submission recorded."""
    at = audit.utc(now) if now else datetime.now(UTC)
    p = Path(package)
    try:
        rbac.require(executive, "isms.report.countersign")
        if title not in ("CEO", "COO"):
            raise InputError("the report is countersigned by the CEO or the COO")
        check = verify_package(p, data_dir=Path(db.settings.data_dir))
        if not check.ok:
            raise PackageError("the package does not verify: " + "; ".join(check.problems))
        manifest = dict(check.manifest)
        if manifest.get("kind") != KIND_SECP or manifest.get("status") != "awaiting CEO/COO signature":
            raise InputError("this is not a SECP report awaiting the CEO/COO signature")
        if any(sg["name"] == executive.username for sg in manifest["signers"]):
            raise PermissionDenied(executive, "countersign a report they signed as CISO (two different people)")
        with zipfile.ZipFile(p) as z:
            envelope = z.read("content.p7m")
        manifest["signers"] = [*manifest["signers"], {"role": title, "name": executive.username,
                                                      "at": at.isoformat()}]
        manifest["status"] = "signed"
        signer = keys.load_signer(Path(db.settings.data_dir))
        with db.session() as s:
            raw = _write_package(p, manifest, envelope, signer)
            sid = _record(s, executive, manifest, p.name, raw, at)
            audit.record(s, executive, "business", "secp.report.submit", object=f"{KIND_SECP}:{manifest['year']}",
                         details={"package": p.name, "package_sha256": _sha(raw), "signers": manifest["signers"]},
                         at=at)
        return PackageResult(p, _sha(raw), manifest["content_sha256"], manifest, {}, sid)
    except AktuarError as exc:
        _refuse(db, executive, "secp.report.submit", p.name, exc)
        raise


# ---------------------------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class PackageCheck:
    ok: bool
    problems: list[str]
    manifest: dict[str, Any]
    decrypted: bool = False
    files: dict[str, bytes] = field(default_factory=dict)


def verify_package(path: Path | str, *, data_dir: Path | None = None,
                   public_key: Path | str | bytes | Ed25519PublicKey | None = None,
                   recipient_key: Path | str | bytes | None = None,
                   recipient_cert: Path | str | bytes | None = None) -> PackageCheck:
    """Check a package: the Ed25519 signature of the manifest by a trusted key (``public_key``, else the data
    directory's keys), the SHA-256 of ``content.p7m``; with the recipient's private key (and certificate) it is
    decrypted and every inner hash checked. Every problem is listed."""
    problems: list[str] = []
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            missing = {"manifest.json", "manifest.sig", "content.p7m"} - names
            if missing:
                return PackageCheck(False, [f"the package lacks {', '.join(sorted(missing))}"], {})
            extra = names - {"manifest.json", "manifest.sig", "content.p7m"}
            if extra:
                problems.append(f"unexpected file(s) in the package: {', '.join(sorted(extra))}")
            mbytes, sig, envelope = z.read("manifest.json"), z.read("manifest.sig"), z.read("content.p7m")
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        return PackageCheck(False, [f"not a readable package ({type(exc).__name__})"], {})
    try:
        manifest = json.loads(mbytes)
    except ValueError:
        return PackageCheck(False, ["manifest.json is not JSON"], {})
    if public_key is not None:
        trusted = keys.as_key_map([public_key])
    else:
        trusted = keys.trusted_public_keys(data_dir)
    if not trusted:
        problems.append("no trusted public key to check the signature: give the sender's public key")
    else:
        kid = str(manifest.get("signature", {}).get("key_id", ""))
        why = keys.verify_signature(trusted, kid, mbytes, sig.decode("ascii", "replace").strip())
        if why is not None:
            problems.append(f"manifest signature: {why}")
    if _sha(envelope) != manifest.get("envelope", {}).get("sha256"):
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
                            for name in z.namelist():
                                files[name] = z.read(name)
                    except (zipfile.BadZipFile, OSError):
                        problems.append("the decrypted content is not the report archive")
                    for name, h in (manifest.get("files", {}) if files else {}).items():
                        if name not in files:
                            problems.append(f"{name} is missing from the content")
                        elif _sha(files[name]) != h:
                            problems.append(f"{name} was changed")
    return PackageCheck(not problems, problems, manifest, decrypted, files)


def submissions(db: Database, actor: Actor) -> list[dict[str, Any]]:
    rbac.require(actor, "isms.read")
    with db.session() as s:
        return [{"id": r.id, "kind": r.kind, "year": r.year, "package": r.package_name,
                 "package_sha256": r.package_sha256, "content_sha256": r.content_sha256, "recipient": r.recipient,
                 "signers": json.loads(r.signers), "created_by": r.created_by,
                 "created_at": audit.utc(r.created_at).isoformat()}
                for r in s.execute(select(IsmsSubmission).order_by(IsmsSubmission.id)).scalars()]
