"""Shared helpers of the backup tests: a populated system, a dump of every table, the decrypted content."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from aktuar.security import audit, backups
from aktuar.security.context import SYSTEM, Actor
from aktuar.store import models as m
from aktuar.store.db import Database, Settings

IT_ADMIN = Actor("it.admin", frozenset({"it_admin"}), user_id=1, source="test host=ci")
T0 = datetime(2026, 3, 31, 18, 45, 12, 123456, tzinfo=UTC)
# the same string in every text field a user can fill: Kazakh text, quotes, SQL, control-free unicode
TRICKY = "Ақтұар «сақтандыру» O'Brien'); DROP TABLE users;-- \\ % _ 💾"
FLOATS = [0.1 + 0.2, 1e-300, 1.7976931348623157e308, -2.5e-12, 123456789.123456789, float("inf"), None]


def sqlite_db(folder: Path) -> Database:
    db = Database(Settings.from_env(data_dir=folder, database_url=f"sqlite:///{folder / 'aktuar.sqlite3'}"))
    db.upgrade()
    return db


def new_sqlite_target(folder: Path) -> Settings:
    return Settings.from_env(data_dir=folder, database_url=f"sqlite:///{folder / 'aktuar.sqlite3'}")


def populate(db: Database, *, big_file: int = 0) -> dict[str, bytes]:
    """Rows in every table the platform writes, and stored files; returns {relative path: bytes} of the files."""
    from aktuar.services import system

    system.upgrade(db)  # records the aktuar version (a setting) as an installed change
    data_dir = db.settings.data_dir
    files: dict[str, bytes] = {}

    def store(rel: str, content: bytes) -> None:
        p = data_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        files[rel] = content

    claims = "origin,dev,paid\n2023,12,1000.5\n2024,12,\"1 250,75\"\nАлматы,24,3\n".encode()
    claims_sha = hashlib.sha256(claims).hexdigest()
    store(f"datasets/{claims_sha}.csv", claims)
    doc = b"%PDF-1.4\n" + bytes(range(256)) * 8
    doc_sha = hashlib.sha256(doc).hexdigest()
    store(f"methodology/{doc_sha}.pdf", doc)
    secrets_key = data_dir / "keys" / "secrets.key"  # the two-factor secrets key: never in a backup
    secrets_key.parent.mkdir(parents=True, exist_ok=True)
    secrets_key.write_bytes(os.urandom(32))
    if big_file:
        store("datasets/big.bin", os.urandom(big_file))
    with db.session() as s:
        u1 = m.User(id=1, username="it.admin", full_name="Әлия Нұрланқызы", email="aliya@example.kz",
                    position=TRICKY, password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                    password_changed_at=T0, status="active", failed_logins=0, created_at=T0,
                    mfa_secret=b"\x00\x01\xfe\xff" * 8, mfa_enabled=True, mfa_last_step=59_000_000_123)
        u2 = m.User(id=2, username="actuary1", full_name=TRICKY, status="disabled", disabled_reason=TRICKY,
                    failed_logins=3, locked_until=T0 + timedelta(minutes=15), expires_at=T0 + timedelta(days=365),
                    created_at=T0 + timedelta(microseconds=1), mfa_enabled=False)
        s.add_all([u1, u2])
        s.flush()
        s.add_all([m.UserRole(user_id=1, role="it_admin", granted_by="bootstrap", granted_at=T0),
                   m.UserRole(user_id=2, role="actuary", granted_by="it.admin", granted_at=T0),
                   m.RecoveryCode(user_id=1, code_hash="$argon2id$recovery", used_at=None),
                   m.RecoveryCode(user_id=1, code_hash="$argon2id$used", used_at=T0)])
        sa = m.ServiceAccount(system="1C", name="export", purpose=TRICKY, responsible_user_id=1,
                              approved_by_it_id=1, approved_at=T0, status="active", roles='["actuary"]',
                              created_at=T0)
        s.add(sa)
        s.flush()
        s.add(m.ApiToken(token_prefix="akt_abc123", token_hash="f" * 64, service_account_id=sa.id,
                         scopes='["data.read"]', created_at=T0, expires_at=T0 + timedelta(days=90)))
        if hasattr(m, "UserSession"):
            s.add(m.UserSession(token_hash="e" * 64, user_id=1, source="cli host=ci", created_at=T0,
                                expires_at=T0 + timedelta(hours=8), last_seen_at=T0))
        s.add(m.Setting(key="backup_test.tricky", value=f'"{TRICKY}"', changed_by="it.admin", changed_at=T0))
        meth = m.Methodology(name="Резервы убытков", version="2026.1", status="coordinated", description=TRICKY,
                             document_name="method.pdf", document_sha256=doc_sha, parameters='{"method":"mack"}',
                             parameters_sha256=hashlib.sha256(b'{"method":"mack"}').hexdigest(),
                             created_by="actuary1", created_at=T0, submitted_at=date(2026, 1, 15),
                             coordinated_at=date(2026, 2, 28), regulator_reference="№ 12-3/456")
        ds = m.Dataset(sha256=claims_sha, kind="claims", filename="убытки 2025.csv",
                       stored_path=f"datasets/{claims_sha}.csv", size_bytes=len(claims), rows=3,
                       imported_by="actuary1", imported_at=T0)
        s.add_all([meth, ds])
        s.flush()
        run = m.Run(reporting_date=date(2025, 12, 31), scope='{"classes":["OGPO"]}', methodology_id=meth.id,
                    parameters='{"tail":"none"}', is_test=False, status="failed", code_version="0.1.0",
                    environment='{"numpy":"2.4.6"}', inputs_sha256="a" * 64, created_by="actuary1",
                    created_at=T0, failure_reason=TRICKY)
        s.add(run)
        s.flush()
        run2 = m.Run(reporting_date=date(2025, 12, 31), scope='{"classes":["OGPO"]}', methodology_id=meth.id,
                     parameters='{"tail":"none"}', is_test=True, status="running", code_version="0.1.0",
                     environment='{"numpy":"2.4.6"}', inputs_sha256="a" * 64, results_sha256="b" * 64,
                     created_by="actuary1", created_at=T0, approved_by="chief", approved_at=T0,
                     restart_of=run.id)
        s.add(run2)
        s.flush()
        s.add(m.RunInput(run_id=run2.id, role="claims", dataset_id=ds.id))
        for i, v in enumerate(FLOATS):
            s.add(m.RunResult(run_id=run2.id, segment="OGPO ВТС", method="mack", origin=str(2020 + i),
                              quantity="ibnr", value=v))
        s.flush()  # results are added while the run is running (migration 0003), then it is approved
        run2.status = "approved"
        s.flush()
        for i in range(5):
            audit.record(s, IT_ADMIN, "business", "test.event", object=f"object {i} {TRICKY}",
                         outcome="failure" if i % 2 else "success", details={"i": i, "text": TRICKY})
    audit.checkpoint(db, SYSTEM)  # a signed checkpoint (database row + journal outside the database)
    return files


def escrow_keys(source: Database, target_data_dir: Path) -> None:
    """What an administrator does before a restore: put the escrowed keys/ into the new data directory."""
    src = source.settings.data_dir / "keys"
    for p in src.rglob("*"):
        if p.is_file():
            dst = target_data_dir / "keys" / p.relative_to(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(p.read_bytes())
            os.chmod(dst, 0o600)


def _norm(v: Any) -> Any:
    if isinstance(v, datetime):
        return audit.utc(v)
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (dialect-neutral: datetimes as aware UTC), in primary-key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        md = MetaData()
        md.reflect(bind=conn)
        for t in md.sorted_tables:
            if t.name == "alembic_version":
                continue
            order = list(t.primary_key.columns) or list(t.columns)
            cols = sorted(t.columns, key=lambda c: c.name)
            out[t.name] = [tuple(_norm(v) for v in r) for r in conn.execute(select(*cols).order_by(*order))]
    return out


def data_files(data_dir: Path, *, under: tuple[str, ...] = ("datasets", "methodology")) -> dict[str, bytes]:
    out = {}
    for top in under:
        for p in sorted((data_dir / top).rglob("*")):
            if p.is_file():
                out[p.relative_to(data_dir).as_posix()] = p.read_bytes()
    return out


class Collect(backups._Handler):
    """Every decrypted byte of a backup (to search it)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def start(self, info: dict[str, Any]) -> None:
        self.parts.append(repr(info).encode())

    def begin(self, meta: dict[str, Any]) -> None:
        self.parts.append(repr(meta).encode())

    def data(self, payload: bytes) -> None:
        self.parts.append(payload)

    @property
    def content(self) -> bytes:
        return b"\n".join(self.parts)


def decrypted(path: Path, key: bytes) -> tuple[bytes, dict[str, Any]]:
    c = Collect()
    res = backups._read(Path(path), key, c)
    return c.content, res.manifest


def chunk_offsets(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of every chunk frame (length prefix + flag + ciphertext) of a backup file."""
    raw = Path(path).read_bytes()
    pos = len(backups.MAGIC)
    n = int.from_bytes(raw[pos: pos + 4], "big")
    pos += 4 + n
    out = []
    while pos < len(raw):
        ln = int.from_bytes(raw[pos: pos + 4], "big")
        out.append((pos, 5 + ln))
        pos += 5 + ln
    return out


def audit_rows(db: Database, action: str | None = None) -> list[m.AuditEvent]:
    with db.session() as s:
        q = select(m.AuditEvent).order_by(m.AuditEvent.seq)
        if action:
            q = q.where(m.AuditEvent.action == action)
        return list(s.execute(q).scalars())
