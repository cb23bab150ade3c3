"""All tables of aktuar (SQLAlchemy 2 typed models). One ``Base.metadata``; Alembic migrations create them.

Times are timezone-aware UTC. JSON columns hold canonical JSON text (``sort_keys``) so that hashes over them
are stable across databases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


# ------------------------------------------------------------------------------------------ accounts (KZ164)
class User(Base):
    """A personalized account (KZ164-24): one person, one account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored case-folded
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mfa_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted TOTP secret
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)  # last accepted TOTP time step (no replay)
    mfa_pending_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted, until enrollment confirmed
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)  # set by an administrator
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # disabled/enabled
    language: Mapped[str | None] = mapped_column(String(8))  # preferred language of the pages (ru | en); 0006

    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(back_populates="user", cascade="all, delete-orphan")


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="roles")


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class ServiceAccount(Base):
    """A technological account (KZ164-25): per information system, with a personally responsible person,
    approved by the head of IT in coordination with the head of information security."""

    __tablename__ = "service_accounts"
    __table_args__ = (UniqueConstraint("system", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    responsible_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_it_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_is_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | active | disabled
    roles: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of roles
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A scoped, expiring, revocable API token; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_prefix: Mapped[str] = mapped_column(String(16), unique=True)  # public lookup part
    token_hash: Mapped[str] = mapped_column(String(128))
    service_account_id: Mapped[int | None] = mapped_column(ForeignKey("service_accounts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scopes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of permissions
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """An interactive login session; only the SHA-256 of its random token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(32))  # logout | password_changed | mfa_reset | ...


class Setting(Base):
    """A system or audit parameter (changes are audited as KZ164-30(4)/(5) events)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -------------------------------------------------------------------------------------- audit (KZ164-30/31)
class AuditEvent(Base):
    """One record of the tamper-evident audit trail (append-only; UPDATE/DELETE refused by triggers)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed statement "the chain up to ``seq`` ends in ``hash``" (Ed25519)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))  # base64
    archive_file: Mapped[str | None] = mapped_column(String(300))


class AuditMaintenance(Base):
    """The controlled maintenance path of retention archiving: a row exists only inside the one transaction that
    moves records up to ``up_to_seq`` to a signed archive file (inserted and deleted in that transaction). The
    append-only triggers (migration 0002) let DELETE through only for ``seq <= up_to_seq`` while such a row is
    visible; no other code writes this table."""

    __tablename__ = "audit_maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    up_to_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    purpose: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------ methodology (KZ84-METH)
class Methodology(Base):
    __tablename__ = "methodologies"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="draft")  # draft|submitted|coordinated|superseded
    description: Mapped[str] = mapped_column(Text, default="")
    document_name: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON of the core's parameter set
    parameters_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[date | None] = mapped_column(Date)
    coordinated_at: Mapped[date | None] = mapped_column(Date)
    superseded_at: Mapped[date | None] = mapped_column(Date)
    regulator_reference: Mapped[str | None] = mapped_column(String(200))


# ----------------------------------------------------------------------------------------- runs (KZ84-AUTO)
class Dataset(Base):
    """An imported input file, stored under the data directory by its content hash."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # claims | triangle | exposure | premiums | ...
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(16))  # wide | long | transactions | table
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Run(Base):
    """A valuation run: reporting date + scope + methodology + inputs + parameters + user (KZ84-AUTO)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporting_date: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text)  # canonical JSON: classes / segments
    methodology_id: Mapped[int] = mapped_column(ForeignKey("methodologies.id"))
    parameters: Mapped[str] = mapped_column(Text)  # canonical JSON
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # running|prepared|reviewed|approved|rejected|failed
    code_version: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(Text)  # canonical JSON of dependency versions
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    results_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_by: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(Text)  # why a run failed (error, or abandoned)
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid computing a 'running' run
    restart_of: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))  # the failed run this one restarts

    inputs: Mapped[list[RunInput]] = relationship(cascade="all, delete-orphan")


class RunInput(Base):
    __tablename__ = "run_inputs"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)  # claims | exposure | ...
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))


class RunResult(Base):
    """One number of a run's results, addressed for comparison by class, reserve type and origin."""

    __tablename__ = "run_results"
    __table_args__ = (Index("ix_run_results_run", "run_id", "segment", "quantity"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    segment: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(32))  # origin label or "Total"
    quantity: Mapped[str] = mapped_column(String(32))  # latest | ultimate | ibnr | se | q0.995 | ...
    value: Mapped[float | None] = mapped_column()


class RunDocument(Base):
    """A document a run produced beside its numbers (an IFRS 17 close's disclosure document, canonical JSON);
    written once with the results, covered by the results hash, immutable like them (migration 0005)."""

    __tablename__ = "run_documents"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. ifrs17-2026-12-31.json
    media_type: Mapped[str] = mapped_column(String(64))  # application/json
    sha256: Mapped[str] = mapped_column(String(64))  # of the content (UTF-8); recomputed when verified
    content: Mapped[str] = mapped_column(Text)


class WebJob(Base):
    """A background job of the web application (a run being prepared), kept in the database so that every server
    process sees it (migration 0006). Only its owner may read it; ``worker`` (host:pid) and ``updated_at`` (the
    heartbeat) tell whether a ``running`` job still has a process working on it."""

    __tablename__ = "web_jobs"
    __table_args__ = (Index("ix_web_jobs_owner", "owner"), Index("ix_web_jobs_status", "status"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random URL-safe token
    owner: Mapped[str] = mapped_column(String(64))  # username of the person who started it
    kind: Mapped[str] = mapped_column(String(32))  # run.prepare | ifrs17.prepare
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed | interrupted
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[str] = mapped_column(Text)  # canonical JSON of what the job does (to start it again)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(String(500))  # a short reason for the user, no internals
    error_file: Mapped[str | None] = mapped_column(String(300))
    error_row: Mapped[int | None] = mapped_column(Integer)
    error_column: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # progress or heartbeat
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str] = mapped_column(String(200))  # host:pid of the process running it


# ------------------------------------------------------------------------- ISMS registers (KZ164, SECP; migration 0004)
class IsmsIncident(Base):
    """An information security incident (KZ164-40 … -46, SECP-RESP). Kept at least ``retain_until`` (set on
    closing: closing date + the retention setting, ≥ 5 years); the database refuses deleting it before then."""

    __tablename__ = "isms_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # INC-2026-0001
    title: Mapped[str] = mapped_column(String(300))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detected_by: Mapped[str] = mapped_column(String(200))  # person or monitoring system
    classification: Mapped[str] = mapped_column(String(64))  # malware | unauthorized_access | leakage | ...
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    status: Mapped[str] = mapped_column(String(16))  # open | contained | analysed | closed
    description: Mapped[str] = mapped_column(Text, default="")
    causes: Mapped[str | None] = mapped_column(Text)
    mechanism: Mapped[str | None] = mapped_column(Text)
    consequences: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(Text)
    corrective_actions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {action, owner, due, status}
    assets: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of asset codes
    risks: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of risk references
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retain_until: Mapped[date | None] = mapped_column(Date)


class IsmsIncidentEvent(Base):
    """One entry of an incident's timeline (append-only)."""

    __tablename__ = "isms_incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("isms_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))  # detected | classified | notified | measure | evidence | ...
    actor: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON


class IsmsEvidence(Base):
    """A technical evidence file of an incident (KZ164-44): stored content-addressed under the data directory
    with its SHA-256, never altered (append-only row; the file is re-hashed on every verification)."""

    __tablename__ = "isms_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("isms_incidents.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(300), default="")  # the system/host the data was collected from
    description: Mapped[str] = mapped_column(Text, default="")
    collected_by: Mapped[str] = mapped_column(String(64))
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IsmsAsset(Base):
    """An information asset (SECP-RISK, KZ164-09): owner, criticality, protected-information class,
    configuration, interconnections, third parties, business impact (RTO/RPO)."""

    __tablename__ = "isms_assets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))  # information_system | data | hardware | software | service | ...
    owner: Mapped[str] = mapped_column(String(200))
    criticality: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    classification: Mapped[str] = mapped_column(String(32))  # insurance_secret | commercial_secret | ...
    location: Mapped[str] = mapped_column(String(300), default="")
    configuration: Mapped[str] = mapped_column(Text, default="")
    interconnections: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {system, external}
    third_parties: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    business_functions: Mapped[str] = mapped_column(Text, default="")
    rto_hours: Mapped[float | None] = mapped_column()
    rpo_hours: Mapped[float | None] = mapped_column()
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    security_function: Mapped[bool] = mapped_column(Boolean, default=False)  # used to maintain IS (KZ164-51(2))
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: e.g. data-center safety systems (para 36)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IsmsAccessRight(Base):
    """An access right to an information system kept by hand (SECP-RISK, KZ164-22); aktuar's own accounts and
    service accounts are not stored here: the register reads them live from ``users`` and ``service_accounts``."""

    __tablename__ = "isms_access_rights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))  # a person's account or a system account
    subject_kind: Mapped[str] = mapped_column(String(16))  # individual | system
    rights: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))  # for system accounts (KZ164-25)
    justification: Mapped[str] = mapped_column(Text, default="")
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IsmsAccessReview(Base):
    """A periodic review campaign of access rights; its items are a snapshot of the register at its start."""

    __tablename__ = "isms_access_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IsmsAccessReviewItem(Base):
    __tablename__ = "isms_access_review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("isms_access_reviews.id"), index=True)
    system: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    subject_kind: Mapped[str] = mapped_column(String(16))
    rights: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16), default="pending")  # pending | keep | revoke | change
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IsmsSoftware(Base):
    """Software authorized for use (KZ164-35), with its version; security software counted in the annual report."""

    __tablename__ = "isms_software"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    security_function: Mapped[bool] = mapped_column(Boolean, default=False)
    installations: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="authorized")  # authorized | withdrawn
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IsmsPrivilegedUser(Base):
    """A user allowed to install software (local administrator, KZ164-47 … -49): approved by the head of IT
    with the agreement of information security, and monitored by information security."""

    __tablename__ = "isms_privileged_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # installer | dc_access
    person: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(300))  # hosts / groups, or the data center
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by_it: Mapped[str | None] = mapped_column(String(64))
    agreed_by_is: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | active | revoked
    last_monitored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    monitoring_notes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {at, by, note}


class IsmsUpdate(Base):
    """An update of an information system (KZ164-32/33): recorded, tried in test, then installed in production."""

    __tablename__ = "isms_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))  # update / version
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    test_result: Mapped[str | None] = mapped_column(String(16))  # passed | failed
    tested_by: Mapped[str | None] = mapped_column(String(64))
    tested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    installed_by: Mapped[str | None] = mapped_column(String(64))
    installed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="recorded")  # recorded | tested | failed | installed


class IsmsSecurityTest(Base):
    """A security test (KZ164-57 … -59, SECP-TEST) of a system release; kept ``retain_until`` (≥ 3 years)."""

    __tablename__ = "isms_security_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # vulnerability_assessment | penetration | scenario | ...
    system: Mapped[str] = mapped_column(String(100))
    release: Mapped[str] = mapped_column(String(64))
    performed_at: Mapped[date] = mapped_column(Date)
    performed_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retain_until: Mapped[date] = mapped_column(Date)


class IsmsFinding(Base):
    __tablename__ = "isms_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("isms_security_tests.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | fixed | accepted
    fixed_by: Mapped[str | None] = mapped_column(String(64))
    fixed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class IsmsDocument(Base):
    """An internal IS document (KZ164-08, -11): approving body, date, revision frequency."""

    __tablename__ = "isms_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))  # policy | protected_info_list | procedure | ...
    approval_body: Mapped[str] = mapped_column(String(32))  # management_body | executive_body | head_of_it ...
    approved_on: Mapped[date] = mapped_column(Date)
    version: Mapped[str] = mapped_column(String(32))
    revision_months: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_force")  # in_force | withdrawn
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IsmsSubmission(Base):
    """A report submitted to a regulator (KZ164-50, SECP-REP): the package's SHA-256 and its signers."""

    __tablename__ = "isms_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # kz164_annual | secp_assessment
    year: Mapped[int] = mapped_column(Integer)
    package_name: Mapped[str] = mapped_column(String(300))
    package_sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(300), default="")
    signers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {role, name, at}
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- actuaries (KZ191-LIC/QUAL/IND)
class Actuary(Base):
    __tablename__ = "actuaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    iin: Mapped[str | None] = mapped_column(String(12))
    license_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    license_date: Mapped[date | None] = mapped_column(Date)
    license_issuer: Mapped[str | None] = mapped_column(String(300))
    employer: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(200))
    iaa_member_body: Mapped[str | None] = mapped_column(String(300))
    is_independent: Mapped[bool] = mapped_column(Boolean, default=False)
    employment: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {organization, from, to}
    affiliations: Mapped[str] = mapped_column(Text, default="[]")  # form 1: JSON list
    activities: Mapped[str] = mapped_column(Text, default="[]")  # form 2: JSON list
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActuaryPdpEvent(Base):
    """A professional-development event of an actuary (KZ191-QUAL, App. 4 App. 1 items 1–15)."""

    __tablename__ = "actuary_pdp_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actuary_id: Mapped[int] = mapped_column(ForeignKey("actuaries.id"), index=True)
    item: Mapped[int] = mapped_column(Integer)
    on_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    organizer: Mapped[str] = mapped_column(String(300), default="")
    organizer_iaa_member: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer)
    document: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActuaryEngagement(Base):
    """An independent actuary's verification of an in-house actuary (KZ191-IND) for a reporting year."""

    __tablename__ = "actuary_engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(String(300))
    independent_id: Mapped[int] = mapped_column(ForeignKey("actuaries.id"))
    inhouse_id: Mapped[int] = mapped_column(ForeignKey("actuaries.id"))
    year: Mapped[int] = mapped_column(Integer)  # reporting year (verification as of 1 January of year + 1)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------------------ regulatory calendar
class CalendarStatus(Base):
    """Status of one computed deadline (``key`` e.g. ``kz164-annual-report:2026``)."""

    __tablename__ = "calendar_status"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # open | done | waived
    owner: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
