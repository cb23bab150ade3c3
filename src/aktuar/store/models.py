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
