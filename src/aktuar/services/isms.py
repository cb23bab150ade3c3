"""Information-security registers of the ISMS (NB Resolution 164, SECP cybersecurity guidelines).

Every change checks its permission here (``rbac.require``; KZ164-22) and writes its audit record in the same
transaction (``security.audit.record``): either both are committed or neither; a refused change is audited in a
transaction of its own. Register changes are ``business`` events, access-right changes ``account`` events,
installation of updates ``change`` events and retention/notification parameters ``system_config`` events
(the five groups of KZ164-30).

Registers
- Incidents (KZ164-40 … -46, SECP-RESP): detection, classification and severity, notifications required by a
  configurable procedure (``isms.notification_procedure``: recipients per severity), urgent measures, technical
  evidence files stored content-addressed under ``<data dir>/isms/evidence/<sha256>`` with their SHA-256 and
  re-hashed by ``verify_evidence`` (a changed or missing file is named), analysis of causes, mechanism and
  consequences, conclusion with corrective actions and their follow-up, a timeline per incident (append-only),
  links to assets and risks. Closing sets ``retain_until`` = closing date + ``isms.incident_retention_years``
  (≥ 5, a shorter setting is refused); the database refuses deleting incident records before then and refuses
  moving that date earlier (migration 0004).
- Information assets (SECP-RISK, KZ164-09): owner, criticality, protected-information class, configuration,
  interconnections with internal and external systems, third parties, business impact (RTO/RPO in hours);
  import from CSV/XLSX, all-or-nothing, with every row/column error listed.
- Access rights (SECP-RISK, KZ164-22/-25): rights kept by hand per information system, plus aktuar's own
  accounts and technological accounts, read live from the account tables (they appear without data entry);
  review campaigns snapshot the register and record a decision per entry.
- Authorized software with versions (KZ164-35); users allowed to install software (KZ164-47 … -49) and the
  data-center access list (KZ164-37): requested, approved by the head of IT (``it_admin``) and agreed by
  information security (``is_officer``), two different people; installers monitored by information security.
- Updates (KZ164-32/33): recorded, tried in a test environment, installed in production only after a passed test.
- Security tests (KZ164-57 … -59, SECP-TEST): vulnerability assessment, penetration, scenario, red-team, response,
  integrated and functional tests with findings, severity and fix status; ``release_check`` flags a release with
  an open critical finding; kept ``isms.security_test_retention_years`` (≥ 3) years.
- Internal documents (KZ164-08, -11): approving body, approval date, version, revision frequency; overdue
  revisions flagged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.store.db import Database
from aktuar.store.models import (
    IsmsAccessReview,
    IsmsAccessReviewItem,
    IsmsAccessRight,
    IsmsAsset,
    IsmsDocument,
    IsmsEvidence,
    IsmsFinding,
    IsmsIncident,
    IsmsIncidentEvent,
    IsmsPrivilegedUser,
    IsmsSecurityTest,
    IsmsSoftware,
    IsmsUpdate,
    ServiceAccount,
    Setting,
    User,
)

T = TypeVar("T")

SEVERITIES = ("low", "medium", "high", "critical")
INCIDENT_CLASSES: dict[str, str] = {
    "unauthorized_access": "unauthorized access to information or systems",
    "malware": "malicious software",
    "data_leakage": "leakage, unlawful copying or distribution of information",
    "modification": "unlawful modification or destruction of information",
    "denial_of_service": "blocking of information resources, denial of service",
    "phishing": "phishing, social engineering",
    "malfunction": "malfunction of the information infrastructure",
    "physical": "physical security (premises, data center)",
    "policy_violation": "violation of the information security policy",
    "other": "other",
}
INCIDENT_STATUSES = ("open", "contained", "analysed", "closed")
TIMELINE_KINDS = ("note", "measure", "contained", "notified")
# The default notification procedure (KZ164-41): who is told of an incident of each severity. The insurer sets
# its own (``set_notification_procedure``).
DEFAULT_NOTIFICATION: dict[str, list[str]] = {
    "low": ["information_security_unit"],
    "medium": ["information_security_unit", "it_unit", "head_of_affected_unit"],
    "high": ["information_security_unit", "it_unit", "head_of_affected_unit", "executive_body"],
    "critical": ["information_security_unit", "it_unit", "head_of_affected_unit", "executive_body",
                 "management_body", "risk_management", "compliance"],
}
ASSET_KINDS = ("information_system", "database", "data", "hardware", "software", "network", "service",
               "data_center", "security_tool", "other")
CRITICALITIES = SEVERITIES
# The list of protected information (KZ164-09, -17): the classes an asset can carry.
PROTECTED_CLASSES: dict[str, str] = {
    "insurance_secret": "insurance secret (Law on Insurance Activities, art. 46)",
    "commercial_secret": "commercial secret",
    "official_secret": "official information with restricted distribution",
    "personal_data": "personal data",
    "public": "public information",
}
TEST_KINDS: dict[str, str] = {
    "vulnerability_assessment": "vulnerability assessment",
    "penetration": "penetration test",
    "scenario": "scenario-based test",
    "red_team": "red-team test",
    "response": "response and recovery test",
    "integrated": "integrated (dynamic) test",
    "functional": "test of main functions and security (KZ164-58)",
}
FINDING_STATUSES = ("open", "fixed", "accepted")
PRIVILEGE_KINDS = {"installer": "user allowed to install software (KZ164-47 … -49)",
                   "dc_access": "person allowed into the data center (KZ164-37)"}
APPROVAL_BODIES = ("management_body", "executive_body", "head_of_it", "head_of_is")
DOCUMENT_KINDS = ("policy", "protected_information_list", "procedure", "regulation", "plan", "instruction",
                  "other")
REVIEW_DECISIONS = ("keep", "revoke", "change")


@dataclass(frozen=True)
class RetentionRule:
    default: int
    minimum: int
    meaning: str
    why: str


RETENTION: dict[str, RetentionRule] = {
    "isms.incident_retention_years": RetentionRule(
        5, 5, "years incident records are kept after the incident is closed",
        "data on information security incidents are stored at least five years, NB Resolution 164 paragraph 40"),
    "isms.security_test_retention_years": RetentionRule(
        3, 3, "years security-test results are kept",
        "security-test results of versions put into operation are available for 3 years, NB Resolution 164 "
        "paragraph 61"),
}
NOTIFICATION_KEY = "isms.notification_procedure"
EVIDENCE_DIR = Path("isms") / "evidence"


class IntegrityFailure(AktuarError):
    """A stored record does not match its hash."""


class ImportFailed(InputError):
    """An import found errors; ``errors`` lists each with its row and column. Nothing was imported."""

    def __init__(self, file: str, errors: list[InputError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s), nothing imported: {shown}{more}", file=file)


# ------------------------------------------------------------------------------------------------- helpers
def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else audit.utc(now)


def _u(at: datetime | None) -> datetime | None:
    return None if at is None else audit.utc(at)


def _text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    v = " ".join(unicodedata.normalize("NFKC", str(value if value is not None else "")).split())
    if any(unicodedata.category(c) == "Cc" for c in v):
        raise InputError(f"{what}: remove control characters")
    if required and not v:
        raise InputError(f"{what} is required")
    if len(v) > limit:
        raise InputError(f"{what}: at most {limit} characters (got {len(v)})")
    return v


def _long_text(value: object, what: str, limit: int = 20_000) -> str:
    v = unicodedata.normalize("NFKC", str(value or "")).strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in v):
        raise InputError(f"{what}: remove control characters")
    if len(v) > limit:
        raise InputError(f"{what}: at most {limit} characters")
    return v


def _choice(value: object, allowed: Iterable[str], what: str) -> str:
    v = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    options = list(allowed)
    if v not in options:
        raise InputError(f"{what} '{str(value)[:40]}' is not one of: {', '.join(options)}")
    return v


def _refusal(db: Database, actor: Actor, category: str, action: str, obj: str, exc: BaseException) -> None:
    if isinstance(exc, PermissionDenied):
        details: dict[str, Any] = {"reason": "permission denied", "permission": exc.permission}
    else:
        details = {"reason": "refused", "error": type(exc).__name__, "message": str(exc)[:500]}
    with db.session() as s:
        audit.record(s, actor, category, action, object=obj[:300], outcome="failure", details=details)


def _op(db: Database, actor: Actor, permission: str | Sequence[str], action: str, obj: str,
        work: Callable[[Session], tuple[T, dict[str, Any]]], *, category: str = "business",
        at: datetime | None = None) -> T:
    """Check the permission (one of several), run ``work`` and audit it in one transaction; audit a refusal."""
    perms = (permission,) if isinstance(permission, str) else tuple(permission)
    try:
        if not any(rbac.allowed(actor, p) for p in perms):
            raise PermissionDenied(actor, " or ".join(perms))
        with db.session() as s:
            result, details = work(s)
            audit.record(s, actor, category, action, object=obj[:300], details=details, at=at)
        return result
    except AktuarError as exc:
        _refusal(db, actor, category, action, obj, exc)
        raise


def _read(db: Database, actor: Actor, action: str, permission: str = "isms.read") -> None:
    try:
        rbac.require(actor, permission)
    except PermissionDenied as exc:
        _refusal(db, actor, "business", action, "", exc)
        raise


def _jl(value: str | None) -> Any:
    return json.loads(value) if value else []


def _dump(value: Any) -> str:
    return audit.canonical(value)


def _str_list(values: Iterable[object] | str | None, what: str) -> list[str]:
    if values is None:
        return []
    items = re.split(r"[;\n]", values) if isinstance(values, str) else list(values)
    return [_text(v, what, 200) for v in items if str(v).strip()]


def _setting(s: Session, key: str) -> Any:
    row = s.get(Setting, key)
    return None if row is None else json.loads(row.value)


def _put_setting(s: Session, key: str, value: Any, actor: Actor, at: datetime) -> Any:
    old = _setting(s, key)
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=_dump(value), changed_by=actor.username[:64], changed_at=at))
    else:
        row.value, row.changed_by, row.changed_at = _dump(value), actor.username[:64], at
    s.flush()
    return old


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# ----------------------------------------------------------------------------------------------- settings
def retention_years(s: Session, key: str) -> int:
    """The retention setting (never below the legal minimum, even if the table was edited outside aktuar)."""
    rule = RETENTION[key]
    v = _setting(s, key)
    try:
        n = int(v) if v is not None else rule.default
    except (TypeError, ValueError):
        n = rule.default
    return max(n, rule.minimum)


def set_retention(db: Database, actor: Actor, key: str, years: object, *, now: datetime | None = None) -> int:
    """Change a retention period (``isms.manage``, audited ``system_config``); below the legal minimum it is
    refused and the refusal audited."""
    at = _now(now)

    def work(s: Session) -> tuple[int, dict[str, Any]]:
        if key not in RETENTION:
            raise InputError(f"unknown retention setting '{key[:60]}': the settings are {', '.join(RETENTION)}")
        rule = RETENTION[key]
        try:
            n = int(str(years).strip())
        except ValueError:
            raise InputError(f"{key} must be a whole number of years ({rule.meaning})") from None
        if n < rule.minimum:
            raise InputError(f"{key} = {n} is below the minimum of {rule.minimum} years: {rule.why}; choose "
                             f"{rule.minimum} or more")
        if n > 100:
            raise InputError(f"{key} = {n}: choose 100 years or less")
        old = _put_setting(s, key, n, actor, at)
        return n, {"from": old if old is not None else rule.default, "to": n}

    return _op(db, actor, "isms.manage", "isms.settings", key, work, category="system_config", at=at)


def notification_procedure(db: Database) -> dict[str, list[str]]:
    with db.session() as s:
        return _procedure(s)


def _procedure(s: Session) -> dict[str, list[str]]:
    v = _setting(s, NOTIFICATION_KEY)
    if not isinstance(v, dict):
        return {k: list(r) for k, r in DEFAULT_NOTIFICATION.items()}
    return {sev: [str(x) for x in v.get(sev, DEFAULT_NOTIFICATION[sev])] for sev in SEVERITIES}


def set_notification_procedure(db: Database, actor: Actor, procedure: Mapping[str, Iterable[str]], *,
                               now: datetime | None = None) -> dict[str, list[str]]:
    """Who is notified of an incident of each severity (KZ164-41); ``isms.manage``, audited ``system_config``."""
    at = _now(now)

    def work(s: Session) -> tuple[dict[str, list[str]], dict[str, Any]]:
        unknown = sorted(set(procedure) - set(SEVERITIES))
        if unknown:
            raise InputError(f"unknown severity {', '.join(unknown)}: the severities are {', '.join(SEVERITIES)}")
        new = _procedure(s)
        for sev, who in procedure.items():
            people = _str_list(list(who), f"recipients of {sev} incidents")
            if not people:
                raise InputError(f"{sev} incidents must be notified to someone (KZ164-41)")
            new[sev] = people
        old = _put_setting(s, NOTIFICATION_KEY, new, actor, at)
        return new, {"from": old, "to": new}

    return _op(db, actor, "isms.manage", "isms.settings", NOTIFICATION_KEY, work, category="system_config", at=at)


# ---------------------------------------------------------------------------------------------- incidents
@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    text: str
    details: dict[str, Any]


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    filename: str
    sha256: str
    size_bytes: int
    source: str
    description: str
    collected_by: str
    collected_at: datetime


@dataclass(frozen=True)
class IncidentView:
    id: int
    ref: str
    title: str
    detected_at: datetime
    detected_by: str
    classification: str
    severity: str
    status: str
    description: str
    causes: str | None
    mechanism: str | None
    consequences: str | None
    conclusion: str | None
    corrective_actions: list[dict[str, Any]]
    assets: list[str]
    risks: list[str]
    created_by: str
    closed_at: datetime | None
    retain_until: date | None
    notifications_required: list[str]
    notifications_done: list[str]
    timeline: list[TimelineEntry] = field(default_factory=list)
    evidence: list[EvidenceInfo] = field(default_factory=list)

    @property
    def notifications_pending(self) -> list[str]:
        return [r for r in self.notifications_required if r not in self.notifications_done]


def _incident(s: Session, ref: str) -> IsmsIncident:
    inc = s.execute(select(IsmsIncident).where(IsmsIncident.ref == str(ref).strip().upper())).scalar_one_or_none()
    if inc is None:
        raise InputError(f"no incident '{str(ref)[:40]}': list them with 'aktuar isms incident list'")
    return inc


def _event(s: Session, inc: IsmsIncident, kind: str, actor: Actor, at: datetime, text: str = "",
           details: dict[str, Any] | None = None) -> None:
    s.add(IsmsIncidentEvent(incident_id=inc.id, at=at, kind=kind, actor=actor.username[:64], text=text,
                            details=_dump(details or {})))


def _incident_view(s: Session, inc: IsmsIncident) -> IncidentView:
    events = s.execute(select(IsmsIncidentEvent).where(IsmsIncidentEvent.incident_id == inc.id)
                       .order_by(IsmsIncidentEvent.at, IsmsIncidentEvent.id)).scalars().all()
    ev = s.execute(select(IsmsEvidence).where(IsmsEvidence.incident_id == inc.id)
                   .order_by(IsmsEvidence.id)).scalars().all()
    required = _procedure(s)[inc.severity]
    done = sorted({json.loads(e.details).get("recipient", "") for e in events if e.kind == "notified"} - {""})
    return IncidentView(
        id=inc.id, ref=inc.ref, title=inc.title, detected_at=audit.utc(inc.detected_at), detected_by=inc.detected_by,
        classification=inc.classification, severity=inc.severity, status=inc.status, description=inc.description,
        causes=inc.causes, mechanism=inc.mechanism, consequences=inc.consequences, conclusion=inc.conclusion,
        corrective_actions=_jl(inc.corrective_actions), assets=_jl(inc.assets), risks=_jl(inc.risks),
        created_by=inc.created_by, closed_at=_u(inc.closed_at), retain_until=inc.retain_until,
        notifications_required=list(required), notifications_done=done,
        timeline=[TimelineEntry(audit.utc(e.at), e.kind, e.actor, e.text, json.loads(e.details)) for e in events],
        evidence=[EvidenceInfo(e.id, e.filename, e.sha256, e.size_bytes, e.source, e.description, e.collected_by,
                               audit.utc(e.collected_at)) for e in ev],
    )


def _known_assets(s: Session, codes: list[str]) -> list[str]:
    if not codes:
        return []
    have = set(s.execute(select(IsmsAsset.code).where(IsmsAsset.code.in_(codes))).scalars())
    missing = [c for c in codes if c not in have]
    if missing:
        raise InputError(f"unknown asset(s) {', '.join(missing)}: register them first ('aktuar isms asset add')")
    return codes


def report_incident(db: Database, actor: Actor, title: str, *, detected_at: datetime, detected_by: str,
                    classification: str, severity: str, description: str = "", assets: Iterable[str] = (),
                    risks: Iterable[str] = (), now: datetime | None = None) -> IncidentView:
    """Register a detected incident (``isms.manage``); the timeline starts with its detection and the
    notifications its severity requires (KZ164-41) are listed as pending."""
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        det = audit.utc(detected_at)
        if det > at:
            raise InputError("the detection time is in the future: give when the incident was detected")
        cls = _choice(classification, INCIDENT_CLASSES, "classification")
        sev = _choice(severity, SEVERITIES, "severity")
        codes = _known_assets(s, _str_list(list(assets), "asset"))
        year = det.year
        n = int(s.execute(select(func.count()).select_from(IsmsIncident)
                          .where(IsmsIncident.ref.like(f"INC-{year}-%"))).scalar_one())
        ref = f"INC-{year}-{n + 1:04d}"
        inc = IsmsIncident(ref=ref, title=_text(title, "title", 300), detected_at=det,
                           detected_by=_text(detected_by, "detected by", 200), classification=cls, severity=sev,
                           status="open", description=_long_text(description, "description"),
                           corrective_actions="[]", assets=_dump(codes),
                           risks=_dump(_str_list(list(risks), "risk")), created_by=actor.username[:64],
                           created_at=at)
        s.add(inc)
        s.flush()
        _event(s, inc, "detected", actor, det, f"detected by {inc.detected_by}",
               {"classification": cls, "severity": sev})
        _event(s, inc, "registered", actor, at, "", {"notify": _procedure(s)[sev]})
        s.flush()
        return _incident_view(s, inc), {"ref": ref, "severity": sev, "classification": cls, "assets": codes}

    return _op(db, actor, "isms.manage", "isms.incident.report", title[:100], work, at=at)


def classify_incident(db: Database, actor: Actor, ref: str, *, classification: str | None = None,
                      severity: str | None = None, now: datetime | None = None) -> IncidentView:
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        _open(inc)
        old = {"classification": inc.classification, "severity": inc.severity}
        if classification is not None:
            inc.classification = _choice(classification, INCIDENT_CLASSES, "classification")
        if severity is not None:
            inc.severity = _choice(severity, SEVERITIES, "severity")
        new = {"classification": inc.classification, "severity": inc.severity}
        _event(s, inc, "classified", actor, at, "", {"from": old, "to": new})
        s.flush()
        return _incident_view(s, inc), {"from": old, "to": new}

    return _op(db, actor, "isms.manage", "isms.incident.classify", ref, work, at=at)


def _open(inc: IsmsIncident) -> None:
    if inc.status == "closed":
        raise InputError(f"incident {inc.ref} is closed: its record is kept unchanged (KZ164-43); follow up "
                         "corrective actions with 'aktuar isms incident action'")


def add_timeline(db: Database, actor: Actor, ref: str, kind: str, text: str, *, recipient: str | None = None,
                 channel: str | None = None, at: datetime | None = None, now: datetime | None = None
                 ) -> IncidentView:
    """Add to an incident's timeline: ``measure`` (urgent measure, KZ164-42), ``notified`` (a recipient of the
    notification procedure was told; give ``recipient``), ``contained`` or ``note``."""
    when = _now(now)
    happened = audit.utc(at) if at is not None else when

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        _open(inc)
        k = _choice(kind, TIMELINE_KINDS, "timeline entry")
        if happened > when:
            raise InputError("the time of the entry is in the future")
        details: dict[str, Any] = {}
        if k == "notified":
            details = {"recipient": _text(recipient, "recipient", 200),
                       "channel": _text(channel or "", "channel", 100, required=False)}
        body = _long_text(text, "text", 5000)
        if k != "notified" and not body:
            raise InputError(f"describe the {k}")
        _event(s, inc, k, actor, happened, body, details)
        if k == "contained" and inc.status == "open":
            inc.status = "contained"
        s.flush()
        return _incident_view(s, inc), {"kind": k, **details}

    return _op(db, actor, "isms.manage", "isms.incident.timeline", ref, work, at=when)


def _evidence_root(db: Database) -> Path:
    return Path(db.settings.data_dir) / EVIDENCE_DIR


def add_evidence(db: Database, actor: Actor, ref: str, path: Path | str, *, source: str = "",
                 description: str = "", now: datetime | None = None) -> EvidenceInfo:
    """Store a technical evidence file of an incident (KZ164-44): copied content-addressed and read-only, its
    SHA-256 recorded with who collected it and from where; the stored copy is never changed."""
    at = _now(now)
    p = Path(path)

    def work(s: Session) -> tuple[EvidenceInfo, dict[str, Any]]:
        inc = _incident(s, ref)
        if not p.is_file():
            raise InputError(f"{p}: no such file: give the evidence file to store")
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        root = _evidence_root(db)
        root.mkdir(parents=True, exist_ok=True)
        target = root / digest
        if not target.exists():
            tmp = root / f".{digest}.{secrets.token_hex(4)}.tmp"
            shutil.copyfile(p, tmp)
            if _sha256_file(tmp) != digest:
                tmp.unlink(missing_ok=True)
                raise IntegrityFailure(f"{p} changed while it was being stored: collect it again")
            os.chmod(tmp, 0o400)
            os.replace(tmp, target)
        ev = IsmsEvidence(incident_id=inc.id, filename=_text(p.name, "file name", 300),
                          stored_path=str(EVIDENCE_DIR / digest), sha256=digest, size_bytes=p.stat().st_size,
                          source=_text(source, "source", 300, required=False),
                          description=_long_text(description, "description", 5000), collected_by=actor.username[:64],
                          collected_at=at)
        s.add(ev)
        s.flush()
        _event(s, inc, "evidence", actor, at, ev.filename, {"evidence_id": ev.id, "sha256": digest})
        info = EvidenceInfo(ev.id, ev.filename, digest, ev.size_bytes, ev.source, ev.description, ev.collected_by, at)
        return info, {"evidence_id": ev.id, "file": ev.filename, "sha256": digest, "size": ev.size_bytes}

    return _op(db, actor, "isms.manage", "isms.incident.evidence", ref, work, at=at)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class EvidenceCheck:
    evidence_id: int
    incident: str
    filename: str
    sha256: str
    ok: bool
    problem: str | None


def verify_evidence(db: Database, actor: Actor, ref: str | None = None, *, now: datetime | None = None
                    ) -> list[EvidenceCheck]:
    """Re-hash every stored evidence file (of one incident, or all) against its recorded SHA-256; a changed,
    replaced or missing file is reported. The verification and its outcome are audited."""
    _read(db, actor, "isms.evidence.verify")
    at = _now(now)
    with db.session() as s:
        q = select(IsmsEvidence, IsmsIncident.ref).join(IsmsIncident, IsmsIncident.id == IsmsEvidence.incident_id)
        if ref is not None:
            q = q.where(IsmsIncident.id == _incident(s, ref).id)
        rows = s.execute(q.order_by(IsmsEvidence.id)).all()
        out: list[EvidenceCheck] = []
        root = Path(db.settings.data_dir)
        for ev, iref in rows:
            path = root / ev.stored_path
            problem: str | None = None
            if not path.is_file():
                problem = f"the stored file {ev.stored_path} is missing"
            else:
                got = _sha256_file(path)
                if got != ev.sha256:
                    problem = f"the stored file was changed: SHA-256 {got[:16]}… instead of {ev.sha256[:16]}…"
            out.append(EvidenceCheck(ev.id, iref, ev.filename, ev.sha256, problem is None, problem))
        bad = [c.evidence_id for c in out if not c.ok]
        audit.record(s, actor, "business", "isms.evidence.verify", object=ref or "all",
                     outcome="failure" if bad else "success",
                     details={"checked": len(out), "changed_or_missing": bad}, at=at)
    return out


def record_analysis(db: Database, actor: Actor, ref: str, *, causes: str, mechanism: str, consequences: str,
                    now: datetime | None = None) -> IncidentView:
    """The analysis of the incident's causes, mechanism and consequences (KZ164-45)."""
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        _open(inc)
        inc.causes = _long_text(causes, "causes") or None
        inc.mechanism = _long_text(mechanism, "mechanism") or None
        inc.consequences = _long_text(consequences, "consequences") or None
        if not (inc.causes and inc.mechanism and inc.consequences):
            raise InputError("the analysis states the causes, the mechanism and the consequences (KZ164-45)")
        inc.status = "analysed"
        _event(s, inc, "analysed", actor, at, "")
        s.flush()
        return _incident_view(s, inc), {}

    return _op(db, actor, "isms.manage", "isms.incident.analysis", ref, work, at=at)


def record_conclusion(db: Database, actor: Actor, ref: str, conclusion: str,
                      corrective_actions: Iterable[Mapping[str, Any] | str], *, now: datetime | None = None
                      ) -> IncidentView:
    """The conclusion with corrective actions (KZ164-46); each action ``{action, owner, due}`` starts ``open``."""
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        _open(inc)
        if not inc.causes:
            raise InputError(f"record the analysis of {inc.ref} first (causes, mechanism, consequences, KZ164-45)")
        actions: list[dict[str, Any]] = []
        for a in corrective_actions:
            d = {"action": a} if isinstance(a, str) else dict(a)
            due = d.get("due")
            actions.append({"action": _text(d.get("action"), "corrective action", 1000),
                            "owner": _text(d.get("owner", ""), "owner", 200, required=False),
                            "due": str(due) if due else None, "status": "open", "history": []})
        if not actions:
            raise InputError("the conclusion proposes corrective actions (KZ164-46)")
        inc.conclusion = _long_text(conclusion, "conclusion") or None
        if not inc.conclusion:
            raise InputError("write the conclusion")
        inc.corrective_actions = _dump(actions)
        _event(s, inc, "concluded", actor, at, "", {"actions": len(actions)})
        s.flush()
        return _incident_view(s, inc), {"actions": [a["action"] for a in actions]}

    return _op(db, actor, "isms.manage", "isms.incident.conclusion", ref, work, at=at)


def follow_up_action(db: Database, actor: Actor, ref: str, index: int, status: str, note: str = "", *,
                     now: datetime | None = None) -> IncidentView:
    """Follow up corrective action ``index`` (1-based): ``in_progress``, ``done`` or ``dropped`` with a note;
    allowed after closing (the follow-up is part of the record)."""
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        actions = _jl(inc.corrective_actions)
        if not 1 <= int(index) <= len(actions):
            raise InputError(f"incident {inc.ref} has {len(actions)} corrective action(s): choose 1 to "
                             f"{len(actions)}")
        st = _choice(status, ("open", "in_progress", "done", "dropped"), "status")
        a = actions[int(index) - 1]
        a["history"].append({"at": at.isoformat(), "by": actor.username, "from": a["status"], "to": st,
                             "note": _text(note, "note", 1000, required=False)})
        a["status"] = st
        inc.corrective_actions = _dump(actions)
        _event(s, inc, "action", actor, at, a["action"], {"index": int(index), "status": st})
        s.flush()
        return _incident_view(s, inc), {"index": int(index), "status": st}

    return _op(db, actor, "isms.manage", "isms.incident.action", ref, work, at=at)


def close_incident(db: Database, actor: Actor, ref: str, *, now: datetime | None = None) -> IncidentView:
    """Close an analysed and concluded incident; its records are kept ``isms.incident_retention_years`` (≥ 5)
    from today (``retain_until``, which the database never lets move earlier)."""
    at = _now(now)

    def work(s: Session) -> tuple[IncidentView, dict[str, Any]]:
        inc = _incident(s, ref)
        _open(inc)
        if not (inc.causes and inc.conclusion):
            raise InputError(f"incident {inc.ref} cannot be closed before its analysis (KZ164-45) and conclusion "
                             "with corrective actions (KZ164-46) are recorded")
        pending = [r for r in _incident_view(s, inc).notifications_pending]
        if pending:
            raise InputError(f"incident {inc.ref}: the notification procedure (KZ164-41) requires notifying "
                             f"{', '.join(pending)}: record it with 'aktuar isms incident timeline --kind notified'")
        years = retention_years(s, "isms.incident_retention_years")
        inc.status = "closed"
        inc.closed_at = at
        inc.retain_until = _add_years(at.date(), years)
        _event(s, inc, "closed", actor, at, "", {"retain_until": inc.retain_until.isoformat()})
        s.flush()
        return _incident_view(s, inc), {"retain_until": inc.retain_until.isoformat(), "years": years}

    return _op(db, actor, "isms.manage", "isms.incident.close", ref, work, at=at)


def get_incident(db: Database, actor: Actor, ref: str) -> IncidentView:
    _read(db, actor, "isms.incident.read")
    with db.session() as s:
        return _incident_view(s, _incident(s, ref))


def list_incidents(db: Database, actor: Actor, *, year: int | None = None, status: str | None = None
                   ) -> list[IncidentView]:
    _read(db, actor, "isms.incident.list")
    with db.session() as s:
        q = select(IsmsIncident).order_by(IsmsIncident.detected_at, IsmsIncident.id)
        if status is not None:
            q = q.where(IsmsIncident.status == _choice(status, INCIDENT_STATUSES, "status"))
        out = [_incident_view(s, i) for i in s.execute(q).scalars()]
    if year is not None:
        out = [i for i in out if i.detected_at.year == year]
    return out


# ------------------------------------------------------------------------------------------------- assets
ASSET_COLUMNS = ("code", "name", "kind", "owner", "criticality", "classification", "location", "configuration",
                 "interconnections", "third_parties", "business_functions", "rto_hours", "rpo_hours", "quantity",
                 "security_function")
REQUIRED_ASSET_COLUMNS = ("code", "name", "kind", "owner", "criticality", "classification")


@dataclass(frozen=True)
class AssetView:
    code: str
    name: str
    kind: str
    owner: str
    criticality: str
    classification: str
    location: str
    configuration: str
    interconnections: list[dict[str, Any]]
    third_parties: list[str]
    business_functions: str
    rto_hours: float | None
    rpo_hours: float | None
    quantity: int
    security_function: bool
    details: dict[str, Any]
    status: str
    updated_by: str
    updated_at: datetime


def _asset_view(a: IsmsAsset) -> AssetView:
    return AssetView(a.code, a.name, a.kind, a.owner, a.criticality, a.classification, a.location, a.configuration,
                     _jl(a.interconnections), _jl(a.third_parties), a.business_functions, a.rto_hours, a.rpo_hours,
                     a.quantity, bool(a.security_function), json.loads(a.details or "{}"), a.status, a.updated_by,
                     audit.utc(a.updated_at))


def _hours(value: object, what: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        v = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{what} is a number of hours, not '{str(value)[:20]}'") from None
    if not v >= 0 or v == float("inf"):
        raise InputError(f"{what} must be zero or a positive number of hours")
    return v


def _bool(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    v = str(value or "").strip().lower()
    if v in ("", "0", "no", "false", "n", "нет"):
        return False
    if v in ("1", "yes", "true", "y", "да"):
        return True
    raise InputError(f"{what}: write yes or no")


def _interconnections(value: object) -> list[dict[str, Any]]:
    """``system`` entries; an external system is written ``ext:name`` (or given as a dict with ``external``)."""
    if value is None or value == "":
        return []
    items: list[Any] = re.split(r"[;\n]", value) if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    out = []
    for it in items:
        if isinstance(it, Mapping):
            out.append({"system": _text(it.get("system"), "interconnection", 200),
                        "external": bool(it.get("external", False))})
            continue
        t = str(it).strip()
        if not t:
            continue
        ext = t.lower().startswith("ext:")
        out.append({"system": _text(t[4:] if ext else t, "interconnection", 200), "external": ext})
    return out


def _asset_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate one asset; an ``InputError`` names the column."""
    def col(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except InputError as exc:
            raise InputError(exc.message, column=name) from None

    code = col("code", lambda: _text(raw.get("code"), "code", 64))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", code):
        raise InputError(f"code '{code}': use letters, digits, '.', '_', '/' or '-'", column="code")
    return {
        "code": code,
        "name": col("name", lambda: _text(raw.get("name"), "name", 300)),
        "kind": col("kind", lambda: _choice(raw.get("kind"), ASSET_KINDS, "kind")),
        "owner": col("owner", lambda: _text(raw.get("owner"), "owner", 200)),
        "criticality": col("criticality", lambda: _choice(raw.get("criticality"), CRITICALITIES, "criticality")),
        "classification": col("classification",
                              lambda: _choice(raw.get("classification"), PROTECTED_CLASSES, "classification")),
        "location": col("location", lambda: _text(raw.get("location"), "location", 300, required=False)),
        "configuration": col("configuration", lambda: _long_text(raw.get("configuration"), "configuration")),
        "interconnections": col("interconnections", lambda: _interconnections(raw.get("interconnections"))),
        "third_parties": col("third_parties", lambda: _str_list(raw.get("third_parties"), "third party")),
        "business_functions": col("business_functions",
                                  lambda: _long_text(raw.get("business_functions"), "business functions", 2000)),
        "rto_hours": col("rto_hours", lambda: _hours(raw.get("rto_hours"), "RTO")),
        "rpo_hours": col("rpo_hours", lambda: _hours(raw.get("rpo_hours"), "RPO")),
        "quantity": col("quantity", lambda: _quantity(raw.get("quantity"))),
        "security_function": col("security_function",
                                 lambda: _bool(raw.get("security_function"), "security function")),
        "details": raw.get("details") or {},
    }


def _quantity(value: object) -> int:
    if value is None or str(value).strip() == "":
        return 1
    try:
        f = float(str(value).strip())
    except ValueError:
        raise InputError(f"quantity is a whole number, not '{str(value)[:20]}'") from None
    if f != int(f) or f < 0:
        raise InputError("quantity is a whole number ≥ 0")
    return int(f)


def _store_asset(s: Session, f: dict[str, Any], actor: Actor, at: datetime) -> tuple[IsmsAsset, bool]:
    a = s.execute(select(IsmsAsset).where(IsmsAsset.code == f["code"])).scalar_one_or_none()
    created = a is None
    if a is None:
        a = IsmsAsset(code=f["code"])
        s.add(a)
    for k in ("name", "kind", "owner", "criticality", "classification", "location", "configuration",
              "business_functions", "rto_hours", "rpo_hours", "quantity", "security_function"):
        setattr(a, k, f[k])
    a.interconnections = _dump(f["interconnections"])
    a.third_parties = _dump(f["third_parties"])
    a.details = _dump(f["details"])
    a.status = "active"
    a.updated_by, a.updated_at = actor.username[:64], at
    return a, created


def save_asset(db: Database, actor: Actor, *, now: datetime | None = None, **fields: Any) -> AssetView:
    """Add or change an information asset (``isms.manage``)."""
    at = _now(now)

    def work(s: Session) -> tuple[AssetView, dict[str, Any]]:
        f = _asset_fields(fields)
        a, created = _store_asset(s, f, actor, at)
        s.flush()
        return _asset_view(a), {"created": created, "criticality": f["criticality"],
                                "classification": f["classification"], "rto_hours": f["rto_hours"],
                                "rpo_hours": f["rpo_hours"]}

    return _op(db, actor, "isms.manage", "isms.asset.save", str(fields.get("code", ""))[:64], work, at=at)


def retire_asset(db: Database, actor: Actor, code: str, *, now: datetime | None = None) -> AssetView:
    at = _now(now)

    def work(s: Session) -> tuple[AssetView, dict[str, Any]]:
        a = s.execute(select(IsmsAsset).where(IsmsAsset.code == code)).scalar_one_or_none()
        if a is None:
            raise InputError(f"no asset '{code[:64]}'")
        a.status, a.updated_by, a.updated_at = "retired", actor.username[:64], at
        return _asset_view(a), {}

    return _op(db, actor, "isms.manage", "isms.asset.retire", code, work, at=at)


def list_assets(db: Database, actor: Actor, *, include_retired: bool = False) -> list[AssetView]:
    _read(db, actor, "isms.asset.list")
    with db.session() as s:
        q = select(IsmsAsset).order_by(IsmsAsset.code)
        if not include_retired:
            q = q.where(IsmsAsset.status == "active")
        return [_asset_view(a) for a in s.execute(q).scalars()]


def _read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, ',' or ';') or XLSX file as text, keyed by lower-case header."""
    ext = path.suffix.lower()
    if ext == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
        rows = list(csv.reader(io.StringIO(text), dialect))
    elif ext in (".xlsx", ".xlsm"):
        import polars as pl

        try:
            frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0)
        except Exception as exc:  # noqa: BLE001 - fastexcel raises its own types
            raise InputError(f"cannot read the file as a spreadsheet ({type(exc).__name__}): save it as .xlsx",
                             file=path.name) from None
        rows = [["" if v is None else str(v) for v in r] for r in frame.rows()]
    else:
        raise InputError(f"import assets from a .csv or .xlsx file, not '{path.name}'", file=path.name)
    if not rows:
        raise InputError("the file is empty: the first row names the columns", file=path.name)
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    missing = [c for c in REQUIRED_ASSET_COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; the columns are {', '.join(ASSET_COLUMNS)}",
                         file=path.name, row=1)
    unknown = [h for h in header if h and h not in ASSET_COLUMNS]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(ASSET_COLUMNS)}",
                         file=path.name, row=1)
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=False)) for r in rows[1:]]


def import_assets(db: Database, actor: Actor, path: Path | str, *, now: datetime | None = None) -> list[AssetView]:
    """Import the asset inventory from CSV/XLSX (columns :data:`ASSET_COLUMNS`; interconnections and third
    parties separated by ';', an external system written ``ext:name``). All rows or none: every error is listed
    with its row (as a spreadsheet shows it) and column."""
    at = _now(now)
    p = Path(path)

    def work(s: Session) -> tuple[list[AssetView], dict[str, Any]]:
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        rows = _read_table(p)
        errors: list[InputError] = []
        parsed: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(rows, start=2):
            if not any(str(v).strip() for v in raw.values()):
                continue
            try:
                f = _asset_fields(raw)
            except InputError as exc:
                errors.append(InputError(exc.message, file=p.name, row=i, column=exc.column))
                continue
            if f["code"] in seen:
                errors.append(InputError(f"code '{f['code']}' repeats row {seen[f['code']]}", file=p.name, row=i,
                                         column="code"))
                continue
            seen[f["code"]] = i
            parsed.append(f)
        if errors:
            raise ImportFailed(p.name, errors)
        if not parsed:
            raise InputError("no asset rows below the header", file=p.name)
        out = []
        for f in parsed:
            a, _ = _store_asset(s, f, actor, at)
            out.append(a)
        s.flush()
        return [_asset_view(a) for a in out], {"file": p.name, "sha256": _sha256_file(p), "assets": len(out)}

    return _op(db, actor, "isms.manage", "isms.asset.import", p.name, work, at=at)


# ------------------------------------------------------------------------------------------- access rights
@dataclass(frozen=True)
class AccessEntry:
    system: str
    subject: str
    subject_kind: str  # individual | system
    rights: str
    status: str
    responsible: str | None
    source: str  # aktuar (read live from the account tables) | register
    id: int | None = None
    granted_by: str | None = None
    granted_at: datetime | None = None


AKTUAR_SYSTEM = "aktuar"


def _live_entries(s: Session) -> list[AccessEntry]:
    out: list[AccessEntry] = []
    for u in s.execute(select(User).order_by(User.username)).scalars():
        roles = ", ".join(sorted(r.role for r in u.roles)) or "(no role)"
        out.append(AccessEntry(AKTUAR_SYSTEM, u.username, "individual", roles, u.status, u.full_name, "aktuar",
                               granted_at=_u(u.created_at)))
    users = {u.id: u.username for u in s.execute(select(User)).scalars()}
    for sa in s.execute(select(ServiceAccount).order_by(ServiceAccount.system, ServiceAccount.name)).scalars():
        roles = ", ".join(sorted(json.loads(sa.roles or "[]"))) or "(no role)"
        out.append(AccessEntry(AKTUAR_SYSTEM, f"{sa.system}/{sa.name}", "system", roles, sa.status,
                               users.get(sa.responsible_user_id), "aktuar", granted_at=_u(sa.approved_at)))
    return out


def _stored_entry(r: IsmsAccessRight) -> AccessEntry:
    return AccessEntry(r.system, r.subject, r.subject_kind, r.rights, r.status, r.responsible, "register", r.id,
                       r.granted_by, _u(r.granted_at))


def access_register(db: Database, actor: Actor, *, include_revoked: bool = False) -> list[AccessEntry]:
    """Every individual and system access right: aktuar's own accounts and technological accounts (live) and the
    rights to other systems kept in the register (SECP-RISK "record of individual and system access rights")."""
    _read(db, actor, "isms.access.list")
    with db.session() as s:
        return _register(s, include_revoked)


def _register(s: Session, include_revoked: bool = False) -> list[AccessEntry]:
    out = _live_entries(s)
    q = select(IsmsAccessRight).order_by(IsmsAccessRight.system, IsmsAccessRight.subject)
    if not include_revoked:
        q = q.where(IsmsAccessRight.status == "active")
    out += [_stored_entry(r) for r in s.execute(q).scalars()]
    return out


def grant_access(db: Database, actor: Actor, *, system: str, subject: str, subject_kind: str, rights: str,
                 justification: str, responsible: str | None = None, now: datetime | None = None) -> AccessEntry:
    """Record an access right to an information system (``isms.manage``, audited ``account``); a system account
    names the person responsible for it (KZ164-25)."""
    at = _now(now)

    def work(s: Session) -> tuple[AccessEntry, dict[str, Any]]:
        sysname = _text(system, "system", 100)
        if sysname.lower() == AKTUAR_SYSTEM:
            raise InputError("aktuar's own accounts are listed automatically: manage them with 'aktuar users'")
        kind = _choice(subject_kind, ("individual", "system"), "subject kind")
        resp = _text(responsible or "", "responsible person", 200, required=False) or None
        if kind == "system" and not resp:
            raise InputError("a system (technological) account names the person responsible for it (KZ164-25)")
        r = IsmsAccessRight(system=sysname, subject=_text(subject, "subject", 200), subject_kind=kind,
                            rights=_text(rights, "rights", 2000), responsible=resp,
                            justification=_text(justification, "justification (the duty that needs it, KZ164-22)",
                                                2000),
                            granted_by=actor.username[:64], granted_at=at, status="active")
        s.add(r)
        s.flush()
        return _stored_entry(r), {"system": r.system, "subject": r.subject, "kind": kind, "rights": r.rights}

    return _op(db, actor, "isms.manage", "isms.access.grant", f"{system}:{subject}"[:300], work,
               category="account", at=at)


def revoke_access(db: Database, actor: Actor, right_id: int, reason: str, *, now: datetime | None = None
                  ) -> AccessEntry:
    at = _now(now)

    def work(s: Session) -> tuple[AccessEntry, dict[str, Any]]:
        r = s.get(IsmsAccessRight, int(right_id))
        if r is None or r.status != "active":
            raise InputError(f"no active access right {right_id}")
        r.status, r.revoked_at = "revoked", at
        return _stored_entry(r), {"reason": _text(reason, "reason", 500)}

    return _op(db, actor, "isms.manage", "isms.access.revoke", f"access:{right_id}", work, category="account", at=at)


@dataclass(frozen=True)
class ReviewItem:
    id: int
    system: str
    subject: str
    subject_kind: str
    rights: str
    decision: str
    comment: str | None
    decided_by: str | None


@dataclass(frozen=True)
class ReviewView:
    id: int
    name: str
    started_by: str
    started_at: datetime
    due: date
    status: str
    items: list[ReviewItem]
    closed_at: datetime | None

    @property
    def outcome(self) -> dict[str, int]:
        out = {d: 0 for d in ("pending", *REVIEW_DECISIONS)}
        for i in self.items:
            out[i.decision] += 1
        return out


def _review_view(s: Session, r: IsmsAccessReview) -> ReviewView:
    items = s.execute(select(IsmsAccessReviewItem).where(IsmsAccessReviewItem.review_id == r.id)
                      .order_by(IsmsAccessReviewItem.id)).scalars()
    return ReviewView(r.id, r.name, r.started_by, audit.utc(r.started_at), r.due, r.status,
                      [ReviewItem(i.id, i.system, i.subject, i.subject_kind, i.rights, i.decision, i.comment,
                                  i.decided_by) for i in items], _u(r.closed_at))


def start_review(db: Database, actor: Actor, name: str, due: date, *, now: datetime | None = None) -> ReviewView:
    """Start a review campaign: every active entry of the access register becomes an item to decide."""
    at = _now(now)

    def work(s: Session) -> tuple[ReviewView, dict[str, Any]]:
        if due < at.date():
            raise InputError("the review's due date is in the past")
        r = IsmsAccessReview(name=_text(name, "name", 200), started_by=actor.username[:64], started_at=at, due=due,
                             status="open")
        s.add(r)
        s.flush()
        entries = [e for e in _register(s) if e.status in ("active", "pending")]
        for e in entries:
            s.add(IsmsAccessReviewItem(review_id=r.id, system=e.system, subject=e.subject,
                                       subject_kind=e.subject_kind, rights=e.rights, decision="pending"))
        s.flush()
        return _review_view(s, r), {"review": r.id, "items": len(entries), "due": due.isoformat()}

    return _op(db, actor, "isms.manage", "isms.review.start", name[:100], work, category="account", at=at)


def decide_review_item(db: Database, actor: Actor, item_id: int, decision: str, comment: str = "", *,
                       now: datetime | None = None) -> ReviewView:
    at = _now(now)

    def work(s: Session) -> tuple[ReviewView, dict[str, Any]]:
        item = s.get(IsmsAccessReviewItem, int(item_id))
        if item is None:
            raise InputError(f"no review item {item_id}")
        r = s.get(IsmsAccessReview, item.review_id)
        assert r is not None
        if r.status != "open":
            raise InputError(f"review {r.id} is closed")
        d = _choice(decision, REVIEW_DECISIONS, "decision")
        c = _text(comment, "comment", 1000, required=False)
        if d != "keep" and not c:
            raise InputError(f"say why the access is to be {'revoked' if d == 'revoke' else 'changed'}")
        item.decision, item.comment, item.decided_by, item.decided_at = d, c or None, actor.username[:64], at
        s.flush()
        return _review_view(s, r), {"review": r.id, "system": item.system, "subject": item.subject, "decision": d}

    return _op(db, actor, "isms.manage", "isms.review.decide", f"review-item:{item_id}", work, category="account",
               at=at)


def close_review(db: Database, actor: Actor, review_id: int, *, now: datetime | None = None) -> ReviewView:
    """Close a review once every item is decided; rights of the register decided ``revoke`` are revoked, and
    the outcome (counts per decision) is audited. aktuar accounts decided ``revoke`` are listed in the outcome for
    the account administrator (``aktuar users disable``)."""
    at = _now(now)

    def work(s: Session) -> tuple[ReviewView, dict[str, Any]]:
        r = s.get(IsmsAccessReview, int(review_id))
        if r is None or r.status != "open":
            raise InputError(f"no open review {review_id}")
        v = _review_view(s, r)
        if v.outcome["pending"]:
            raise InputError(f"review {r.id}: {v.outcome['pending']} item(s) still undecided")
        to_disable = []
        for i in v.items:
            if i.decision != "revoke":
                continue
            if i.system == AKTUAR_SYSTEM:
                to_disable.append(i.subject)
                continue
            for right in s.execute(select(IsmsAccessRight).where(
                    IsmsAccessRight.system == i.system, IsmsAccessRight.subject == i.subject,
                    IsmsAccessRight.status == "active")).scalars():
                right.status, right.revoked_at = "revoked", at
        r.status, r.closed_by, r.closed_at = "closed", actor.username[:64], at
        s.flush()
        return _review_view(s, r), {"outcome": v.outcome, "aktuar_accounts_to_disable": to_disable}

    return _op(db, actor, "isms.manage", "isms.review.close", f"review:{review_id}", work, category="account", at=at)


def list_reviews(db: Database, actor: Actor) -> list[ReviewView]:
    _read(db, actor, "isms.review.list")
    with db.session() as s:
        return [_review_view(s, r) for r in s.execute(select(IsmsAccessReview).order_by(IsmsAccessReview.id))
                .scalars()]


# ------------------------------------------------------------------------------------ authorized software
@dataclass(frozen=True)
class SoftwareView:
    id: int
    name: str
    version: str
    vendor: str
    purpose: str
    security_function: bool
    installations: int
    status: str
    approved_by: str
    approved_at: datetime


def _sw(r: IsmsSoftware) -> SoftwareView:
    return SoftwareView(r.id, r.name, r.version, r.vendor, r.purpose, bool(r.security_function), r.installations,
                        r.status, r.approved_by, audit.utc(r.approved_at))


def authorize_software(db: Database, actor: Actor, *, name: str, version: str, vendor: str = "", purpose: str = "",
                       security_function: bool = False, installations: int = 1, now: datetime | None = None
                       ) -> SoftwareView:
    """Add software to the list authorized for use (KZ164-35); IT (``isms.it``) or IS (``isms.manage``)."""
    at = _now(now)

    def work(s: Session) -> tuple[SoftwareView, dict[str, Any]]:
        n, v = _text(name, "name", 200), _text(version, "version", 64)
        if s.execute(select(IsmsSoftware.id).where(IsmsSoftware.name == n, IsmsSoftware.version == v)).first():
            raise InputError(f"{n} {v} is in the list already")
        r = IsmsSoftware(name=n, version=v, vendor=_text(vendor, "vendor", 200, required=False),
                         purpose=_long_text(purpose, "purpose", 2000), security_function=bool(security_function),
                         installations=_quantity(installations), status="authorized",
                         approved_by=actor.username[:64], approved_at=at)
        s.add(r)
        s.flush()
        return _sw(r), {"name": n, "version": v, "security_function": r.security_function}

    return _op(db, actor, ("isms.it", "isms.manage"), "isms.software.authorize", f"{name} {version}"[:300], work,
               at=at)


def withdraw_software(db: Database, actor: Actor, software_id: int, reason: str, *, now: datetime | None = None
                      ) -> SoftwareView:
    at = _now(now)

    def work(s: Session) -> tuple[SoftwareView, dict[str, Any]]:
        r = s.get(IsmsSoftware, int(software_id))
        if r is None or r.status != "authorized":
            raise InputError(f"no authorized software {software_id}")
        r.status = "withdrawn"
        return _sw(r), {"reason": _text(reason, "reason", 500)}

    return _op(db, actor, ("isms.it", "isms.manage"), "isms.software.withdraw", f"software:{software_id}", work,
               at=at)


def list_software(db: Database, actor: Actor, *, include_withdrawn: bool = False) -> list[SoftwareView]:
    _read(db, actor, "isms.software.list")
    with db.session() as s:
        q = select(IsmsSoftware).order_by(IsmsSoftware.name, IsmsSoftware.version)
        if not include_withdrawn:
            q = q.where(IsmsSoftware.status == "authorized")
        return [_sw(r) for r in s.execute(q).scalars()]


# ------------------------------------------------------------- installers (KZ164-47..49), DC access (KZ164-37)
@dataclass(frozen=True)
class PrivilegeView:
    id: int
    kind: str
    person: str
    scope: str
    reason: str
    requested_by: str
    approved_by_it: str | None
    agreed_by_is: str | None
    valid_until: date | None
    status: str
    last_monitored_at: datetime | None
    monitoring: list[dict[str, Any]]


def _pv(r: IsmsPrivilegedUser) -> PrivilegeView:
    return PrivilegeView(r.id, r.kind, r.person, r.scope, r.reason, r.requested_by, r.approved_by_it,
                         r.agreed_by_is, r.valid_until, r.status, _u(r.last_monitored_at), _jl(r.monitoring_notes))


def request_privilege(db: Database, actor: Actor, *, kind: str, person: str, scope: str, reason: str,
                      valid_until: date | None = None, now: datetime | None = None) -> PrivilegeView:
    """Propose a person for the installers list (``installer``) or the data-center access list (``dc_access``)."""
    at = _now(now)

    def work(s: Session) -> tuple[PrivilegeView, dict[str, Any]]:
        k = _choice(kind, PRIVILEGE_KINDS, "list")
        if valid_until is not None and valid_until < at.date():
            raise InputError("the end of validity is in the past")
        r = IsmsPrivilegedUser(kind=k, person=_text(person, "person", 200), scope=_text(scope, "scope", 300),
                               reason=_text(reason, "reason", 2000), requested_by=actor.username[:64],
                               requested_at=at, valid_until=valid_until, status="pending", monitoring_notes="[]")
        s.add(r)
        s.flush()
        return _pv(r), {"kind": k, "person": r.person, "scope": r.scope}

    return _op(db, actor, ("isms.it", "isms.manage"), "isms.privilege.request", f"{kind}:{person}"[:300], work,
               category="account", at=at)


def approve_privilege(db: Database, actor: Actor, privilege_id: int, *, now: datetime | None = None
                      ) -> PrivilegeView:
    """Approval by the head of IT (``it_admin``) or agreement of information security (``is_officer``); the entry
    is active when both — two different people — have signed (KZ164-37, -49)."""
    at = _now(now)

    def work(s: Session) -> tuple[PrivilegeView, dict[str, Any]]:
        r = s.get(IsmsPrivilegedUser, int(privilege_id))
        if r is None or r.status != "pending":
            raise InputError(f"no pending entry {privilege_id}")
        if actor.has("it_admin") or "system" in actor.roles and r.approved_by_it is None:
            if r.approved_by_it is not None:
                raise InputError("the head of IT has approved it already")
            if r.agreed_by_is == actor.username:
                raise PermissionDenied(actor, "approve as both IT and information security")
            r.approved_by_it, role = actor.username[:64], "it"
        elif actor.has("is_officer"):
            if r.agreed_by_is is not None:
                raise InputError("information security has agreed it already")
            if r.approved_by_it == actor.username:
                raise PermissionDenied(actor, "approve as both IT and information security")
            r.agreed_by_is, role = actor.username[:64], "is"
        else:
            raise PermissionDenied(actor, "isms.privilege.approve")
        if r.approved_by_it and r.agreed_by_is:
            r.status = "active"
        return _pv(r), {"as": role, "status": r.status}

    return _op(db, actor, ("isms.it", "isms.manage"), "isms.privilege.approve", f"privilege:{privilege_id}", work,
               category="account", at=at)


def monitor_privilege(db: Database, actor: Actor, privilege_id: int, note: str, *, now: datetime | None = None
                      ) -> PrivilegeView:
    """Information security's monitoring of how an installer used the rights (KZ164-49)."""
    at = _now(now)

    def work(s: Session) -> tuple[PrivilegeView, dict[str, Any]]:
        r = s.get(IsmsPrivilegedUser, int(privilege_id))
        if r is None:
            raise InputError(f"no entry {privilege_id}")
        notes = _jl(r.monitoring_notes)
        notes.append({"at": at.isoformat(), "by": actor.username, "note": _text(note, "note", 2000)})
        r.monitoring_notes, r.last_monitored_at = _dump(notes), at
        return _pv(r), {"note": notes[-1]["note"]}

    return _op(db, actor, "isms.manage", "isms.privilege.monitor", f"privilege:{privilege_id}", work, at=at)


def revoke_privilege(db: Database, actor: Actor, privilege_id: int, reason: str, *, now: datetime | None = None
                     ) -> PrivilegeView:
    at = _now(now)

    def work(s: Session) -> tuple[PrivilegeView, dict[str, Any]]:
        r = s.get(IsmsPrivilegedUser, int(privilege_id))
        if r is None or r.status == "revoked":
            raise InputError(f"no entry {privilege_id} to revoke")
        r.status = "revoked"
        return _pv(r), {"reason": _text(reason, "reason", 500)}

    return _op(db, actor, ("isms.it", "isms.manage"), "isms.privilege.revoke", f"privilege:{privilege_id}", work,
               category="account", at=at)


def list_privileges(db: Database, actor: Actor, kind: str, *, today: date | None = None) -> list[PrivilegeView]:
    """The list (``installer`` or ``dc_access``); entries past their validity are shown ``expired``."""
    _read(db, actor, "isms.privilege.list")
    k = _choice(kind, PRIVILEGE_KINDS, "list")
    d = today or datetime.now(UTC).date()
    with db.session() as s:
        out = []
        for r in s.execute(select(IsmsPrivilegedUser).where(IsmsPrivilegedUser.kind == k)
                           .order_by(IsmsPrivilegedUser.person)).scalars():
            v = _pv(r)
            if v.status == "active" and v.valid_until is not None and v.valid_until < d:
                v = PrivilegeView(**{**v.__dict__, "status": "expired"})
            out.append(v)
        return out


# ---------------------------------------------------------------------------------------------- updates
@dataclass(frozen=True)
class UpdateView:
    id: int
    system: str
    name: str
    description: str
    status: str
    recorded_by: str
    recorded_at: datetime
    test_result: str | None
    tested_by: str | None
    tested_at: datetime | None
    installed_by: str | None
    installed_at: datetime | None


def _uv(r: IsmsUpdate) -> UpdateView:
    return UpdateView(r.id, r.system, r.name, r.description, r.status, r.recorded_by, audit.utc(r.recorded_at),
                      r.test_result, r.tested_by, _u(r.tested_at), r.installed_by, _u(r.installed_at))


def record_update(db: Database, actor: Actor, *, system: str, name: str, description: str = "",
                  now: datetime | None = None) -> UpdateView:
    """Record an available update of an information system (KZ164-32; ``isms.it``)."""
    at = _now(now)

    def work(s: Session) -> tuple[UpdateView, dict[str, Any]]:
        r = IsmsUpdate(system=_text(system, "system", 100), name=_text(name, "update", 200),
                       description=_long_text(description, "description", 5000), recorded_by=actor.username[:64],
                       recorded_at=at, status="recorded")
        s.add(r)
        s.flush()
        return _uv(r), {"system": r.system, "update": r.name}

    return _op(db, actor, "isms.it", "isms.update.record", f"{system}:{name}"[:300], work, category="change", at=at)


def record_update_test(db: Database, actor: Actor, update_id: int, result: str, note: str = "", *,
                       now: datetime | None = None) -> UpdateView:
    """The update was tried in the test environment (KZ164-33): ``passed`` or ``failed``."""
    at = _now(now)

    def work(s: Session) -> tuple[UpdateView, dict[str, Any]]:
        r = s.get(IsmsUpdate, int(update_id))
        if r is None:
            raise InputError(f"no update {update_id}")
        if r.status == "installed":
            raise InputError(f"update {update_id} is installed in production already")
        res = _choice(result, ("passed", "failed"), "test result")
        r.test_result, r.tested_by, r.tested_at = res, actor.username[:64], at
        r.status = "tested" if res == "passed" else "failed"
        return _uv(r), {"result": res, "note": _text(note, "note", 1000, required=False), "environment": "test"}

    return _op(db, actor, "isms.it", "isms.update.test", f"update:{update_id}", work, category="change", at=at)


def install_update(db: Database, actor: Actor, update_id: int, *, now: datetime | None = None) -> UpdateView:
    """Record the installation in production: refused unless the update passed its test first (KZ164-33)."""
    at = _now(now)

    def work(s: Session) -> tuple[UpdateView, dict[str, Any]]:
        r = s.get(IsmsUpdate, int(update_id))
        if r is None:
            raise InputError(f"no update {update_id}")
        if r.status == "installed":
            raise InputError(f"update {update_id} is installed already")
        if r.test_result != "passed":
            raise InputError(f"update {update_id} ({r.system} {r.name}) has not passed a test in the test environment: "
                             "updates are tried in a test environment before production (NB Resolution 164 "
                             "paragraph 33)")
        r.installed_by, r.installed_at, r.status = actor.username[:64], at, "installed"
        return _uv(r), {"environment": "production", "tested_at": _u(r.tested_at).isoformat()  # type: ignore[union-attr]
                        }

    return _op(db, actor, "isms.it", "isms.update.install", f"update:{update_id}", work, category="change", at=at)


def list_updates(db: Database, actor: Actor) -> list[UpdateView]:
    _read(db, actor, "isms.update.list")
    with db.session() as s:
        return [_uv(r) for r in s.execute(select(IsmsUpdate).order_by(IsmsUpdate.id)).scalars()]


# ---------------------------------------------------------------------------------------- security tests
@dataclass(frozen=True)
class FindingView:
    id: int
    title: str
    severity: str
    status: str
    fixed_by: str | None
    fixed_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class SecurityTestView:
    id: int
    kind: str
    system: str
    release: str
    performed_at: date
    performed_by: str
    summary: str
    retain_until: date
    findings: list[FindingView]

    @property
    def open_critical(self) -> list[FindingView]:
        return [f for f in self.findings if f.severity == "critical" and f.status == "open"]


def _tv(s: Session, t: IsmsSecurityTest) -> SecurityTestView:
    fs = s.execute(select(IsmsFinding).where(IsmsFinding.test_id == t.id).order_by(IsmsFinding.id)).scalars()
    return SecurityTestView(t.id, t.kind, t.system, t.release, t.performed_at, t.performed_by, t.summary,
                            t.retain_until, [FindingView(f.id, f.title, f.severity, f.status, f.fixed_by,
                                                         _u(f.fixed_at), f.note) for f in fs])


def record_security_test(db: Database, actor: Actor, *, kind: str, system: str, release: str, performed_at: date,
                         performed_by: str, summary: str = "",
                         findings: Iterable[tuple[str, str] | Mapping[str, str]] = (),
                         now: datetime | None = None) -> SecurityTestView:
    """Record a security test of a release with its findings (KZ164-57 … -59, SECP-TEST); kept at least
    ``isms.security_test_retention_years`` (≥ 3) years from the test."""
    at = _now(now)

    def work(s: Session) -> tuple[SecurityTestView, dict[str, Any]]:
        if performed_at > at.date():
            raise InputError("the test date is in the future")
        t = IsmsSecurityTest(kind=_choice(kind, TEST_KINDS, "test kind"), system=_text(system, "system", 100),
                             release=_text(release, "release", 64), performed_at=performed_at,
                             performed_by=_text(performed_by, "performed by", 200),
                             summary=_long_text(summary, "summary"), recorded_by=actor.username[:64],
                             recorded_at=at,
                             retain_until=_add_years(performed_at,
                                                     retention_years(s, "isms.security_test_retention_years")))
        s.add(t)
        s.flush()
        for f in findings:
            title, sev = (f["title"], f["severity"]) if isinstance(f, Mapping) else f
            s.add(IsmsFinding(test_id=t.id, title=_text(title, "finding", 300),
                              severity=_choice(sev, SEVERITIES, "severity"), status="open"))
        s.flush()
        v = _tv(s, t)
        return v, {"kind": t.kind, "system": t.system, "release": t.release, "findings": len(v.findings),
                   "open_critical": len(v.open_critical)}

    return _op(db, actor, "isms.manage", "isms.test.record", f"{system} {release}"[:300], work, at=at)


def set_finding_status(db: Database, actor: Actor, finding_id: int, status: str, note: str = "", *,
                       now: datetime | None = None) -> FindingView:
    """A finding's fix status: ``fixed`` or ``accepted`` (a critical finding cannot be accepted: it is fixed
    before release, KZ164-59) or back to ``open``."""
    at = _now(now)

    def work(s: Session) -> tuple[FindingView, dict[str, Any]]:
        f = s.get(IsmsFinding, int(finding_id))
        if f is None:
            raise InputError(f"no finding {finding_id}")
        st = _choice(status, FINDING_STATUSES, "status")
        if st == "accepted" and f.severity == "critical":
            raise InputError("a critical vulnerability is eliminated before putting the software into operation "
                             "(NB Resolution 164 paragraph 59): it cannot be accepted, only fixed")
        n = _text(note, "note", 2000, required=st != "open")
        old = f.status
        f.status, f.note = st, n or None
        f.fixed_by, f.fixed_at = (actor.username[:64], at) if st == "fixed" else (None, None)
        return (FindingView(f.id, f.title, f.severity, f.status, f.fixed_by, _u(f.fixed_at), f.note),
                {"from": old, "to": st, "severity": f.severity})

    return _op(db, actor, "isms.manage", "isms.finding.status", f"finding:{finding_id}", work, at=at)


@dataclass(frozen=True)
class ReleaseCheck:
    system: str
    release: str
    tests: int
    open_critical: list[FindingView]
    flagged: bool
    reasons: list[str]


def release_check(db: Database, actor: Actor, system: str, release: str) -> ReleaseCheck:
    """May this release go into operation? Flagged when it has no recorded security test or has an open critical
    finding (KZ164-58/59)."""
    _read(db, actor, "isms.release.check")
    with db.session() as s:
        tests = [_tv(s, t) for t in s.execute(select(IsmsSecurityTest).where(
            IsmsSecurityTest.system == system, IsmsSecurityTest.release == release)).scalars()]
    crit = [f for t in tests for f in t.open_critical]
    reasons = []
    if not tests:
        reasons.append(f"{system} {release} has no recorded security test (KZ164-58)")
    if crit:
        reasons.append(f"{len(crit)} open critical finding(s): " + "; ".join(f.title for f in crit)
                       + " (KZ164-59: fixed before release)")
    return ReleaseCheck(system, release, len(tests), crit, bool(reasons), reasons)


def list_security_tests(db: Database, actor: Actor, *, since: date | None = None) -> list[SecurityTestView]:
    _read(db, actor, "isms.test.list")
    with db.session() as s:
        q = select(IsmsSecurityTest).order_by(IsmsSecurityTest.performed_at, IsmsSecurityTest.id)
        if since is not None:
            q = q.where(IsmsSecurityTest.performed_at >= since)
        return [_tv(s, t) for t in s.execute(q).scalars()]


# ------------------------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class DocumentView:
    code: str
    title: str
    kind: str
    approval_body: str
    approved_on: date
    version: str
    revision_months: int
    owner: str
    document_sha256: str | None
    status: str
    next_revision: date
    overdue: bool


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar as _cal

    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def _dv(r: IsmsDocument, today: date) -> DocumentView:
    nxt = _add_months(r.approved_on, r.revision_months)
    return DocumentView(r.code, r.title, r.kind, r.approval_body, r.approved_on, r.version, r.revision_months,
                        r.owner, r.document_sha256, r.status, nxt, r.status == "in_force" and nxt < today)


def register_document(db: Database, actor: Actor, *, code: str, title: str, kind: str, approval_body: str,
                      approved_on: date, version: str, revision_months: int, owner: str,
                      file: Path | str | None = None, now: datetime | None = None) -> DocumentView:
    """Register an internal IS document or a new revision of it (KZ164-08, -11): approving body, date, version,
    revision frequency in months; the document file's SHA-256 when given."""
    at = _now(now)

    def work(s: Session) -> tuple[DocumentView, dict[str, Any]]:
        c = _text(code, "code", 64)
        k = _choice(kind, DOCUMENT_KINDS, "document kind")
        body = _choice(approval_body, APPROVAL_BODIES, "approving body")
        if k in ("policy", "protected_information_list") and body != "management_body":
            raise InputError(f"the {k.replace('_', ' ')} is approved by the management body (KZ164-08, -09)")
        try:
            months = int(revision_months)
        except (TypeError, ValueError):
            raise InputError("revision frequency is a whole number of months") from None
        if not 1 <= months <= 120:
            raise InputError("revision frequency: 1 to 120 months")
        if approved_on > at.date():
            raise InputError("the approval date is in the future")
        digest = None
        if file is not None:
            fp = Path(file)
            if not fp.is_file():
                raise InputError(f"{fp}: no such file")
            digest = _sha256_file(fp)
        r = s.execute(select(IsmsDocument).where(IsmsDocument.code == c)).scalar_one_or_none()
        old = None if r is None else {"version": r.version, "approved_on": r.approved_on.isoformat()}
        if r is None:
            r = IsmsDocument(code=c)
            s.add(r)
        elif approved_on < r.approved_on:
            raise InputError(f"{c} was approved on {r.approved_on.isoformat()} already: a revision has a later date")
        r.title, r.kind, r.approval_body, r.approved_on = _text(title, "title", 300), k, body, approved_on
        r.version, r.revision_months, r.owner = _text(version, "version", 32), months, _text(owner, "owner", 200)
        r.document_sha256, r.status, r.updated_by, r.updated_at = digest, "in_force", actor.username[:64], at
        s.flush()
        return _dv(r, at.date()), {"previous": old, "version": r.version, "approved_on": approved_on.isoformat(),
                                   "approval_body": body, "revision_months": months, "sha256": digest}

    return _op(db, actor, "isms.manage", "isms.document.register", code[:64], work, at=at)


def list_documents(db: Database, actor: Actor, *, today: date | None = None) -> list[DocumentView]:
    """The documents with their next revision date; ``overdue`` when it has passed."""
    _read(db, actor, "isms.document.list")
    d = today or datetime.now(UTC).date()
    with db.session() as s:
        return [_dv(r, d) for r in s.execute(select(IsmsDocument).order_by(IsmsDocument.code)).scalars()]
