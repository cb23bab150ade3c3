"""The tamper-evident audit trail (KZ164-30, KZ164-31, evidence kept unaltered KZ164-43).

Every record is chained: ``hash = SHA-256(prev_hash ‖ canonical JSON of the record)``. Records are appended
inside the caller's transaction, so an operation and its audit record are committed together or not at all
("logging never breaks": if the record cannot be written, the operation fails). Appends are serialised (an
advisory transaction lock on PostgreSQL; SQLite serialises writers itself) so that the chain has no forks.

Defences, from the inside out:

* the hash chain: ``verify`` recomputes it and names every changed, deleted, inserted or reordered record;
* the database refuses UPDATE and DELETE on ``audit_events`` and ``audit_checkpoints`` (triggers, migration 0002);
* signed checkpoints: every ``audit.checkpoint_every`` records (and on demand) an Ed25519 signature over
  (seq, hash, time) with a key kept in the data directory, never in the database — a database administrator
  who drops the triggers, edits a record and recomputes every later hash still cannot produce a matching
  signature;
* the checkpoint journal ``<data dir>/audit/checkpoints.jsonl``, outside the database, so that deleting the
  checkpoint rows as well is detected.

Retention (KZ164-31): records stay online at least ``audit.online_days`` (≥ 92 days) and are then moved by
``archive`` to signed archive files in ``<data dir>/audit/archive`` (kept at least ``audit.archive_years`` ≥ 1
year); nothing is ever removed by volume, so a flood of failed logins cannot push business history out.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, event, func, inspect, select, text
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.security import keys, rbac
from aktuar.security.context import Actor
from aktuar.store.models import AuditCheckpoint, AuditEvent, AuditMaintenance, Setting

if TYPE_CHECKING:
    from aktuar.store.db import Database

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CATEGORIES = {
    "auth": "connection, identification, authentication (KZ164-30(1))",
    "account": "changes of accounts and their powers (KZ164-30(2))",
    "change": "installation of updates or changes of the system (KZ164-30(3))",
    "audit_config": "changes of audit parameters (KZ164-30(4))",
    "system_config": "changes of system parameters (KZ164-30(5))",
    "business": "imports, runs, approvals, reports, methodology",
}
_LOCK_KEY = 0x616B7475  # "aktu"
JOURNAL = Path("audit") / "checkpoints.jsonl"
ARCHIVE_DIR = Path("audit") / "archive"
ARCHIVE_FORMAT = "aktuar-audit-archive"
MAX_PROBLEMS = 1000


class AuditIntegrityError(AktuarError):
    """The audit trail does not verify, so an operation that relies on it (archiving) is refused."""


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc(at: datetime) -> datetime:
    """The same instant as an aware UTC datetime (SQLite returns naive values, read as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _iso(at: datetime) -> str:
    return utc(at).isoformat(timespec="microseconds")


def _payload(seq: int, at: datetime | str, actor: str, actor_id: int | None, source: str, category: str,
             action: str, obj: str, outcome: str, details: str) -> dict[str, Any]:
    return {
        "seq": int(seq), "at": at if isinstance(at, str) else _iso(at), "actor": actor,
        "actor_id": actor_id, "source": source, "category": category, "action": action,
        "object": obj, "outcome": outcome, "details": details,
    }


def record_payload(e: AuditEvent) -> dict[str, Any]:
    return _payload(e.seq, e.at, e.actor, e.actor_id, e.source, e.category, e.action, e.object, e.outcome,
                    e.details)


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(payload)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tip:
    seq: int
    hash: str


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def tip(session: Session) -> Tip:
    """The last record of the chain; after all online records were archived, the last archive checkpoint."""
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if row is not None:
        return Tip(int(row[0]), str(row[1]))
    cp = session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.hash).where(AuditCheckpoint.archive_file.is_not(None))
        .order_by(AuditCheckpoint.seq.desc()).limit(1)
    ).first()
    return Tip(0, GENESIS) if cp is None else Tip(int(cp[0]), str(cp[1]))


def data_dir_of(session: Session) -> Path:
    """The data directory of the session's database (set by ``Database``), else the one of the environment."""
    d = session.info.get("aktuar.data_dir")
    if d is not None:
        return Path(d)
    from aktuar.store.db import Settings

    return Settings.from_env().data_dir


def record(
    session: Session,
    actor: Actor,
    category: str,
    action: str,
    *,
    object: str = "",  # noqa: A002 - the audited object's name
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit record in the caller's transaction and return it.

    Every ``audit.checkpoint_every``-th record is followed by a signed checkpoint in the same transaction.
    Any failure (database, signing key) raises, so the caller's operation is rolled back with it.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category}")
    if outcome not in ("success", "failure"):
        raise ValueError("outcome is success or failure")
    _lock(session)
    session.flush()
    last = tip(session)
    e = AuditEvent(
        seq=last.seq + 1,
        at=utc(at or datetime.now(UTC)),
        actor=actor.username[:64], actor_id=actor.user_id, source=actor.source[:200], category=category,
        action=action[:64], object=object[:300], outcome=outcome, details=canonical(details or {}),
        prev_hash=last.hash, hash="",
    )
    e.hash = chain_hash(last.hash, record_payload(e))
    session.add(e)
    session.flush()
    every = _checkpoint_every(session)
    if every and e.seq % every == 0:
        _make_checkpoint(session, e.seq, e.hash)
    return e


# ------------------------------------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Rule:
    default: int
    minimum: int
    maximum: int
    meaning: str
    why_minimum: str


SETTINGS: dict[str, Rule] = {
    "audit.online_days": Rule(
        92, 92, 36600, "days an audit record stays in the online trail before it may be archived",
        "the audit trail must stay online at least 3 months (92 days), NB Resolution 164 paragraph 31"),
    "audit.archive_years": Rule(
        1, 1, 100, "years an archive file of the audit trail must be kept",
        "backup copies of the audit trail must be kept at least 1 year, NB Resolution 164 paragraph 31"),
    "audit.checkpoint_every": Rule(
        1000, 1, 100_000, "records between automatic signed checkpoints",
        "a checkpoint needs at least one record"),
}
_EVERY_CACHE = "aktuar.audit.checkpoint_every"


@dataclass(frozen=True)
class AuditSettings:
    online_days: int = 92
    archive_years: int = 1
    checkpoint_every: int = 1000


def _read_setting(session: Session, key: str) -> int:
    row = session.get(Setting, key)
    if row is None:
        return SETTINGS[key].default
    try:
        value = int(json.loads(row.value))
    except (ValueError, TypeError):
        return SETTINGS[key].default
    # a value below the minimum can only come from outside aktuar: the legal minimum still applies
    return max(value, SETTINGS[key].minimum)


def get_settings(session: Session) -> AuditSettings:
    return AuditSettings(
        online_days=_read_setting(session, "audit.online_days"),
        archive_years=_read_setting(session, "audit.archive_years"),
        checkpoint_every=_read_setting(session, "audit.checkpoint_every"),
    )


def _checkpoint_every(session: Session) -> int:
    every = session.info.get(_EVERY_CACHE)
    if every is None:
        every = _read_setting(session, "audit.checkpoint_every")
        session.info[_EVERY_CACHE] = every
    return int(every)


def _audit_refusal(db: Database, actor: Actor, category: str, action: str, obj: str,
                   details: dict[str, Any]) -> None:
    """Record a refused attempt in a transaction of its own (the attempt itself changes nothing)."""
    with db.session() as s:
        record(s, actor, category, action, object=obj, outcome="failure", details=details)


def _require(db: Database, actor: Actor, permission: str, category: str, action: str, obj: str = "") -> None:
    try:
        rbac.require(actor, permission)
    except rbac.PermissionDenied:
        _audit_refusal(db, actor, category, action, obj,
                       {"reason": "permission denied", "permission": permission})
        raise


def _parse_setting(key: str, value: object) -> int:
    rule = SETTINGS[key]
    if isinstance(value, bool):
        raise InputError(f"{key} must be a whole number ({rule.meaning}), not {value!r}")
    if isinstance(value, int):
        n = value
    else:
        try:
            n = int(str(value).strip())
        except ValueError:
            raise InputError(f"{key} must be a whole number ({rule.meaning}), not {str(value)[:40]!r}") from None
    if n < rule.minimum:
        raise InputError(f"{key} = {n} is below the minimum of {rule.minimum}: {rule.why_minimum}; "
                         f"choose {rule.minimum} or more")
    if n > rule.maximum:
        raise InputError(f"{key} = {n} is above the maximum of {rule.maximum}; choose {rule.maximum} or less")
    return n


def set_setting(db: Database, actor: Actor, key: str, value: object, *, now: datetime | None = None
                ) -> AuditSettings:
    """Change an audit parameter (permission ``audit.configure``). The change is audited (``audit_config``);
    a refused change (no permission, unknown key, below the legal minimum) is audited as a failure."""
    _require(db, actor, "audit.configure", "audit_config", "audit.settings", key[:100])
    if key not in SETTINGS:
        _audit_refusal(db, actor, "audit_config", "audit.settings", key[:100],
                       {"reason": "unknown setting", "value": str(value)[:100]})
        raise InputError(f"unknown audit setting '{key[:100]}': the settings are {', '.join(SETTINGS)}")
    try:
        n = _parse_setting(key, value)
    except InputError as exc:
        _audit_refusal(db, actor, "audit_config", "audit.settings", key,
                       {"reason": exc.message, "value": str(value)[:100]})
        raise
    at = utc(now or datetime.now(UTC))
    with db.session() as s:
        old = _read_setting(s, key)
        row = s.get(Setting, key)
        if row is None:
            s.add(Setting(key=key, value=json.dumps(n), changed_by=actor.username[:64], changed_at=at))
        else:
            row.value = json.dumps(n)
            row.changed_by = actor.username[:64]
            row.changed_at = at
        s.info.pop(_EVERY_CACHE, None)
        s.flush()
        record(s, actor, "audit_config", "audit.settings", object=key, details={"from": old, "to": n}, at=at)
        return get_settings(s)


# --------------------------------------------------------------------------------------------- checkpoints
def checkpoint_message(seq: int, hash_: str, at: datetime | str, key_id: str, archive_file: str | None) -> bytes:
    """The bytes an audit checkpoint signs: "the chain up to ``seq`` ends in ``hash``" (and its archive file)."""
    body = {"seq": int(seq), "hash": hash_, "at": at if isinstance(at, str) else _iso(at), "key_id": key_id,
            "archive_file": archive_file}
    return b"aktuar-audit-checkpoint-v1\n" + canonical(body).encode("utf-8")


_JOURNAL_PENDING = "aktuar.audit.journal_pending"


def _journal_line(cp: AuditCheckpoint) -> dict[str, Any]:
    return {"seq": int(cp.seq), "hash": cp.hash, "at": _iso(cp.at), "key_id": cp.key_id,
            "signature": cp.signature, "archive_file": cp.archive_file}


def _write_journal(session: Session) -> None:
    """After commit: append the committed checkpoints to the journal outside the database."""
    pending = session.info.pop(_JOURNAL_PENDING, [])
    for data_dir, cp in pending:
        state = inspect(cp)
        if not state.has_identity or state.deleted or state.was_deleted:
            continue  # rolled back with a savepoint
        path = Path(data_dir) / JOURNAL
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(canonical(_journal_line(cp)) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # the checkpoint is committed; only its copy outside the database is missing
            log.warning("audit checkpoint of record %s could not be added to the journal %s: %s", cp.seq, path, exc)


def _drop_journal(session: Session) -> None:
    session.info.pop(_JOURNAL_PENDING, None)


def _queue_journal(session: Session, data_dir: Path, cp: AuditCheckpoint) -> None:
    pending = session.info.get(_JOURNAL_PENDING)
    if pending is None:
        pending = session.info[_JOURNAL_PENDING] = []
        if not event.contains(session, "after_commit", _write_journal):
            event.listen(session, "after_commit", _write_journal)
            event.listen(session, "after_rollback", _drop_journal)
    pending.append((data_dir, cp))


def _make_checkpoint(session: Session, seq: int, hash_: str, *, archive_file: str | None = None,
                     at: datetime | None = None) -> AuditCheckpoint:
    data_dir = data_dir_of(session)
    signer = keys.load_signer(data_dir)
    when = utc(at or datetime.now(UTC))
    cp = AuditCheckpoint(seq=seq, hash=hash_, at=when, key_id=signer.key_id, archive_file=archive_file,
                         signature=signer.sign(checkpoint_message(seq, hash_, when, signer.key_id, archive_file)))
    session.add(cp)
    session.flush()
    _queue_journal(session, data_dir, cp)
    return cp


def checkpoint(db: Database, actor: Actor, *, now: datetime | None = None) -> AuditCheckpoint:
    """Sign a checkpoint of the chain now (permission ``audit.checkpoint``); the request is itself audited
    and covered by the checkpoint."""
    _require(db, actor, "audit.checkpoint", "audit_config", "audit.checkpoint")
    with db.session() as s:
        e = record(s, actor, "audit_config", "audit.checkpoint", object="audit trail", at=now)
        existing = s.execute(select(AuditCheckpoint).where(AuditCheckpoint.seq == e.seq,
                                                           AuditCheckpoint.archive_file.is_(None))).scalars().first()
        return existing or _make_checkpoint(s, e.seq, e.hash, at=now)


# ------------------------------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Problem:
    """One finding of ``verify``: the record (``seq``, as it stands in the table, or the checkpointed one), the
    kind (changed, deleted, inserted, reordered, rewritten, checkpoint, archive, maintenance) and what it means."""

    seq: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq is not None else "-"
        return f"{where} {self.kind}: {self.message}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    records: int = 0  # online records checked
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0  # checkpoints checked (database and journal)
    journal_entries: int = 0
    archived_up_to: int = 0  # last record moved to an archive file
    archives: int = 0  # archive files verified
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.kind for p in self.problems))

    def add(self, seq: int | None, kind: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, kind, message))
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append(Problem(None, "truncated", f"more than {MAX_PROBLEMS} problems; the rest omitted"))


@dataclass(slots=True)
class _Entry:
    pos: int  # seq as stored
    hash: str
    prev: str
    orig: int | None  # seq the record was written with (None: content changed)
    payload: dict[str, Any] | None = None  # kept only for records whose hash does not match
    changed: bool = False


@dataclass(frozen=True)
class _Cp:
    seq: int
    hash: str
    at: str
    key_id: str
    signature: str
    archive_file: str | None
    db_id: int | None


def _cp_key(c: _Cp) -> tuple[int, str, str, str, str | None]:
    return (c.seq, c.hash, c.key_id, c.signature, c.archive_file)


def _load_checkpoints(session: Session, data_dir: Path | None, trusted: Mapping[str, Ed25519PublicKey],
                      rep: VerifyReport) -> list[_Cp]:
    """Checkpoints of the database and the journal, each checked; returns the valid ones."""
    found: dict[tuple[int, str, str, str, str | None], _Cp] = {}
    for row in session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq, AuditCheckpoint.id)).scalars():
        c = _Cp(int(row.seq), row.hash, _iso(row.at), row.key_id, row.signature, row.archive_file, row.id)
        found.setdefault(_cp_key(c), c)
    in_db = set(found)
    if data_dir is not None and (data_dir / JOURNAL).exists():
        lines = (data_dir / JOURNAL).read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                c = _Cp(int(d["seq"]), str(d["hash"]), str(d["at"]), str(d["key_id"]), str(d["signature"]),
                        d.get("archive_file"), None)
            except (ValueError, KeyError, TypeError):
                if n == len(lines):
                    rep.notes.append("the last line of the checkpoint journal is incomplete (interrupted write)")
                else:
                    rep.add(None, "checkpoint", f"line {n} of the checkpoint journal {data_dir / JOURNAL} "
                                                f"is not a checkpoint: the journal was altered")
                continue
            rep.journal_entries += 1
            if _cp_key(c) not in in_db:
                rep.add(c.seq, "checkpoint",
                        f"the checkpoint of record #{c.seq} signed at {c.at} (journal line {n}) is missing from "
                        f"the database: checkpoint rows were deleted")
            found.setdefault(_cp_key(c), c)
    elif data_dir is not None and in_db:
        rep.notes.append(f"no checkpoint journal at {data_dir / JOURNAL} (a restored or another data directory?): "
                         "deleted checkpoint rows cannot be detected")
    valid: list[_Cp] = []
    for c in sorted(found.values(), key=lambda c: (c.seq, c.at)):
        rep.checkpoints += 1
        why = keys.verify_signature(trusted, c.key_id,
                                    checkpoint_message(c.seq, c.hash, c.at, c.key_id, c.archive_file), c.signature)
        if why is not None:
            rep.add(c.seq, "checkpoint", f"the checkpoint of record #{c.seq} dated {c.at} is not valid: {why}")
            continue
        valid.append(c)
    return valid


def _content_ok(e: _Entry, seq: int) -> bool:
    assert e.payload is not None
    return chain_hash(e.prev, {**e.payload, "seq": seq}) == e.hash


def _derive_original_seqs(entries: list[_Entry], anchors_by_hash: dict[str, int]) -> None:
    """For records whose hash does not match their seq, find the seq they were written with (renumbered
    records keep their content and hash); records still unexplained had their content changed."""
    index = {e.hash: e for e in entries}
    bad = [e for e in entries if e.orig is None]
    budget = 200_000  # hash evaluations (a mass renumbering is reported well before this is spent)
    for rnd in range(3):
        progress = False
        for e in bad:
            if e.orig is not None or budget <= 0:
                continue
            cands: list[int] = []
            if e.prev in anchors_by_hash:
                cands.append(anchors_by_hash[e.prev] + 1)
            p = index.get(e.prev)
            if p is not None and p is not e:
                if p.orig is not None:
                    cands.append(p.orig + 1)
                cands.append(p.pos + 1)
            if rnd == 0:
                cands += [e.pos + d for d in (1, -1, 2, -2, 3, -3)]
            for s in dict.fromkeys(cands):
                if s < 1 or s == e.pos:
                    continue
                budget -= 1
                if _content_ok(e, s):
                    e.orig = s
                    progress = True
                    break
        if not progress:
            break


def _ranges(seqs: list[int]) -> Iterator[tuple[int, int]]:
    start = prev = None
    for s in seqs:
        if start is None:
            start = prev = s
        elif s == prev + 1:  # type: ignore[operator]
            prev = s
        else:
            yield start, prev  # type: ignore[misc]
            start = prev = s
    if start is not None:
        yield start, prev  # type: ignore[misc]


def _span(a: int, b: int) -> str:
    return f"#{a}" if a == b else f"#{a}–#{b}"


def verify(session: Session, *, public_keys: Mapping[str, Ed25519PublicKey] | Iterable[Any] | None = None,
           data_dir: Path | str | None = None, archives: bool = True) -> VerifyReport:
    """Walk the audit chain and report exactly which record was changed, deleted, inserted or reordered.

    Also checks every signed checkpoint (in the database and in the journal outside it): its Ed25519 signature
    with a trusted key (``public_keys``, by default those in the data directory) and that the chain at its
    ``seq`` still ends in the signed hash — so a rewrite that recomputes every hash is detected too. Archive
    files referenced by archive checkpoints are verified when present. Read-only: changes nothing.
    """
    d = Path(data_dir) if data_dir is not None else data_dir_of(session)
    trusted = keys.as_key_map(public_keys) if public_keys is not None else keys.trusted_public_keys(d)
    rep = VerifyReport()

    if session.execute(select(func.count()).select_from(AuditMaintenance)).scalar_one():
        rep.add(None, "maintenance", "a maintenance row in audit_maintenance is committed: it lets records be "
                                     "deleted; only the archive transaction may hold one — remove it and investigate")

    cps = _load_checkpoints(session, d, trusted, rep)
    anchors: dict[int, str] = {0: GENESIS}
    for c in cps:
        if c.archive_file is not None:
            anchors[c.seq] = c.hash
    anchors_by_hash = {h: s for s, h in anchors.items()}

    entries: list[_Entry] = []
    cols = (AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.actor_id, AuditEvent.source,
            AuditEvent.category, AuditEvent.action, AuditEvent.object, AuditEvent.outcome, AuditEvent.details,
            AuditEvent.prev_hash, AuditEvent.hash)
    for r in session.execute(select(*cols).order_by(AuditEvent.seq)).yield_per(5000):
        payload = _payload(r.seq, r.at, r.actor, r.actor_id, r.source, r.category, r.action, r.object,
                           r.outcome, r.details)
        ok = chain_hash(r.prev_hash, payload) == r.hash
        entries.append(_Entry(int(r.seq), r.hash, r.prev_hash, int(r.seq) if ok else None, None if ok else payload))
    rep.records = len(entries)
    if entries:
        rep.first_seq, rep.last_seq = entries[0].pos, entries[-1].pos
    _derive_original_seqs(entries, anchors_by_hash)

    # records whose content matches no seq: changed in place, or foreign records put in
    claimed = Counter(e.orig for e in entries if e.orig is not None)
    live: list[_Entry] = []
    for e in entries:
        if e.orig is None:
            if claimed[e.pos]:
                rep.add(e.pos, "inserted", f"record #{e.pos} was inserted: its hash does not match its content and "
                                           f"the record written as #{e.pos} stands elsewhere")
                continue
            e.orig, e.changed = e.pos, True
            rep.add(e.pos, "changed", f"record #{e.pos} was changed: its content no longer matches its hash")
        live.append(e)

    # two records claiming the same place: the one the next record is chained to is genuine
    by_orig: dict[int, list[_Entry]] = defaultdict(list)
    for e in live:
        assert e.orig is not None
        by_orig[e.orig].append(e)
    genuine: dict[int, _Entry] = {}
    for s in sorted(by_orig):
        group = by_orig[s]
        if len(group) == 1:
            genuine[s] = group[0]
            continue
        nxt = {x.prev for x in by_orig.get(s + 1, [])}
        before = {x.hash for x in by_orig.get(s - 1, [])} | ({anchors[s - 1]} if s - 1 in anchors else set())
        best = max(group, key=lambda x: (x.hash in nxt, x.prev in before, not x.changed, x.pos == s))
        genuine[s] = best
        for x in group:
            if x is not best:
                rep.add(x.pos, "inserted", f"record #{x.pos} was inserted: it claims the place of record #{s}, "
                                           f"which stands at #{best.pos} and is the one the chain continues from")

    # where the online chain starts: the archive checkpoint just before its first record (or the genesis)
    first = min(genuine) if genuine else None
    base = max((s for s in anchors if first is None or s < first), default=0)
    rep.archived_up_to = base
    last = max(genuine) if genuine else base

    # missing records
    if first is not None:
        missing = [s for s in range(base + 1, last + 1) if s not in genuine]
        for a, b in _ranges(missing):
            after = genuine.get(b + 1)
            renumbered = after is not None and after.pos != after.orig
            what = "is missing" if a == b else "are missing"
            rep.add(a, "deleted", f"record{'s' if a != b else ''} {_span(a, b)} {what}: deleted"
                    + (f" (the records after {'it' if a == b else 'them'} were renumbered)" if renumbered else ""))

    # order: records that stand out of the order they were written in
    order = [genuine[s] for s in sorted(genuine)]
    moved: set[int] = set()
    for x, y in zip(order, order[1:], strict=False):
        if y.pos < x.pos:
            moved.update((id(x), id(y)))
    for e in order:
        if id(e) in moved:
            rep.add(e.pos, "reordered", f"record #{e.pos} was written as #{e.orig}: the records were reordered")

    # links: each record must be chained to the record written just before it
    index = {e.hash: e for e in live}
    for s in sorted(genuine):
        e = genuine[s]
        if e.changed:
            continue
        if s - 1 in genuine:
            p: _Entry | None = genuine[s - 1]
            expected = p.hash  # type: ignore[union-attr]
        elif s - 1 == base:
            p, expected = None, anchors[base]
        else:
            continue  # after a gap: reported as deleted
        if e.prev == expected:
            continue
        target = index.get(e.prev)
        if p is None:
            rep.add(e.pos, "changed", f"record #{e.pos} is not chained to "
                    + ("the start of the trail" if base == 0 else f"the archived record #{base}")
                    + ": it was changed and its hash recomputed, or the records before it were replaced")
        elif target is None:
            rep.add(p.pos, "changed", f"record #{p.pos} is not the record #{e.pos} was chained to when it was "
                                      f"written: it was changed and its hash recomputed, or replaced")
        elif target.orig is not None and target.orig > s:
            rep.add(e.pos, "reordered", f"record #{e.pos} is chained to record #{target.pos}, which stands after "
                                        f"it: the records were reordered")
        else:
            after_target = genuine.get(target.orig + 1) if target.orig is not None else None
            if after_target is not None and after_target is not e and after_target.prev == target.hash:
                # two records claim to follow the same one: the one out of place was put in afterwards
                rep.add(e.pos, "inserted", f"record #{e.pos} was inserted: it claims to follow record "
                                           f"#{target.pos}, which record #{after_target.pos} already follows")
            else:
                rep.add(p.pos, "inserted", f"record #{e.pos} is chained to record #{target.pos}, not to #{p.pos} "
                                           f"before it: #{p.pos} was inserted or replaced")

    # checkpoints: the chain must still end in each signed hash
    last_good = base
    for c in cps:
        if c.seq <= base:
            continue
        at_cp = genuine.get(c.seq)
        if at_cp is not None:
            if at_cp.hash == c.hash:
                last_good = max(last_good, c.seq)
            else:
                rep.add(c.seq, "rewritten",
                        f"record #{c.seq} no longer has the hash signed in the checkpoint of {c.at}: records "
                        f"{_span(last_good + 1, c.seq)} were changed, deleted or inserted and the hashes recomputed")
        elif c.seq > last:
            rep.add(c.seq, "deleted", f"the checkpoint of {c.at} covers the trail up to #{c.seq} but the trail ends at "
                                      f"#{last}: records {_span(last + 1, c.seq)} were deleted")

    # archive files (moved out by retention)
    if archives and d is not None:
        prev_cp: _Cp | None = None
        for c in cps:
            if c.archive_file is None:
                continue
            path = d / ARCHIVE_DIR / c.archive_file
            if not path.exists():
                rep.notes.append(f"archive file {c.archive_file} (records up to #{c.seq}) is not in the data "
                                 f"directory; verify it where it is kept with 'aktuar audit verify --archive'")
            else:
                sub = verify_archive(path, public_keys=trusted)
                rep.archives += 1
                for pr in sub.problems:
                    rep.add(pr.seq, "archive", f"{c.archive_file}: {pr.message}")
                hdr = sub.header or {}
                if sub.ok and (hdr.get("last_seq") != c.seq or hdr.get("last_hash") != c.hash):
                    rep.add(c.seq, "archive", f"{c.archive_file} does not end in the archive checkpoint of #{c.seq}")
                start_hash = prev_cp.hash if prev_cp is not None else GENESIS
                start_seq = prev_cp.seq if prev_cp is not None else 0
                if sub.ok and hdr.get("first_seq") == start_seq + 1 and hdr.get("prev_hash") != start_hash:
                    rep.add(start_seq + 1, "archive", f"{c.archive_file} does not continue from the archive "
                                                      f"before it")
            prev_cp = c
    return rep


def verify_db(db: Database, **kwargs: Any) -> VerifyReport:
    """``verify`` in a read-only transaction of ``db`` with the keys of its data directory."""
    kwargs.setdefault("data_dir", db.settings.data_dir)
    with db.session() as s:
        return verify(s, **kwargs)


# ------------------------------------------------------------------------------------------------ archive
@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    first_seq: int
    last_seq: int
    count: int
    sha256: str
    checkpoint_hash: str
    keep_until: date


@dataclass
class ArchiveReport(VerifyReport):
    header: dict[str, Any] | None = None


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _archive_signed_message(digest: str) -> bytes:
    return b"aktuar-audit-archive-v1\n" + digest.encode("ascii")


def archive(db: Database, actor: Actor, now: datetime | None = None) -> ArchiveResult | None:
    """Move the records whose online retention has ended to a signed archive file (permission
    ``audit.archive``); returns None when no record is due.

    Only records older than ``audit.online_days`` (≥ 92 days) before ``now`` — which may not be later than the
    system clock — are moved, and only a prefix of the chain, so the online trail continues from the signed
    archive checkpoint. The file (JSON lines: header, records, signature with the checkpoint) is written and
    synced before the records are deleted through the maintenance path, in one transaction with the checkpoint
    and the audit record of the archiving. A trail that does not verify is not archived.
    """
    _require(db, actor, "audit.archive", "audit_config", "audit.archive")
    real_now = datetime.now(UTC)
    when = utc(now or real_now)
    if when > real_now + timedelta(minutes=5):
        _audit_refusal(db, actor, "audit_config", "audit.archive", "audit trail",
                       {"reason": "archive time in the future", "now": _iso(when)})
        raise InputError(f"the archive time {_iso(when)} is later than the system clock: records are never "
                         f"archived before their retention ends")
    d = db.settings.data_dir
    refused: VerifyReport | None = None
    with db.session() as s:
        _lock(s)
        cfg = get_settings(s)
        cutoff = when - timedelta(days=cfg.online_days)
        # only a prefix of the chain goes: up to the record before the first one still in its online period
        recent = s.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.at >= cutoff))
        up_to = (recent - 1) if recent is not None else s.scalar(select(func.max(AuditEvent.seq)))
        rows = [] if up_to is None else list(
            s.execute(select(AuditEvent).where(AuditEvent.seq <= up_to).order_by(AuditEvent.seq)).scalars())
        if not rows:
            return None
        rep = verify(s, data_dir=d, archives=False)
        if rep.ok:
            return _archive_rows(s, d, actor, when, cfg, rows)
        refused = rep
    problems = "; ".join(str(p) for p in refused.problems[:3])
    _audit_refusal(db, actor, "audit_config", "audit.archive", "audit trail",
                   {"reason": "audit trail does not verify", "problems": len(refused.problems)})
    raise AuditIntegrityError(f"the audit trail does not verify ({len(refused.problems)} problems: {problems}): "
                              f"archiving refused; run 'aktuar audit verify' and investigate")


def _archive_rows(s: Session, d: Path, actor: Actor, when: datetime, cfg: AuditSettings,
                  rows: list[AuditEvent]) -> ArchiveResult:
    keep_until = _add_years(when.date(), cfg.archive_years)
    first, last = rows[0], rows[-1]
    name = f"audit-{first.seq:012d}-{last.seq:012d}.jsonl"
    cp = _make_checkpoint(s, last.seq, last.hash, archive_file=name, at=when)
    header = {
        "type": ARCHIVE_FORMAT, "version": 1, "first_seq": int(first.seq), "last_seq": int(last.seq),
        "count": len(rows), "prev_hash": first.prev_hash, "last_hash": last.hash,
        "archived_at": _iso(when), "archived_by": actor.username, "online_days": cfg.online_days,
        "archive_years": cfg.archive_years, "keep_until": keep_until.isoformat(),
    }
    path, digest = _write_archive(d, name, header, rows, cp)
    # the controlled maintenance path: the triggers let these deletes through only while this row exists
    m = AuditMaintenance(up_to_seq=int(last.seq), purpose="archive", started_at=when)
    s.add(m)
    s.flush()
    s.execute(delete(AuditEvent).where(AuditEvent.seq <= last.seq).execution_options(synchronize_session=False))
    s.execute(delete(AuditMaintenance).where(AuditMaintenance.id == m.id).execution_options(synchronize_session=False))
    for obj in (m, *rows):
        s.expunge(obj)
    record(s, actor, "audit_config", "audit.archive", object=name, at=when,
           details={"first_seq": int(first.seq), "last_seq": int(last.seq), "count": len(rows), "sha256": digest,
                    "keep_until": keep_until.isoformat(), "online_days": cfg.online_days})
    return ArchiveResult(path, int(first.seq), int(last.seq), len(rows), digest, last.hash, keep_until)


def _write_archive(data_dir: Path, name: str, header: dict[str, Any], rows: list[AuditEvent],
                   cp: AuditCheckpoint) -> tuple[Path, str]:
    folder = data_dir / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lines = [canonical(header)]
    for r in rows:
        lines.append(canonical({"type": "record", **record_payload(r), "prev_hash": r.prev_hash, "hash": r.hash}))
    body = ("\n".join(lines) + "\n").encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    signer = keys.load_signer(data_dir)
    trailer = {"type": "signature", "sha256": digest, "key_id": signer.key_id,
               "signature": signer.sign(_archive_signed_message(digest)),
               "checkpoint": {k: v for k, v in _journal_line(cp).items()}}
    data = body + (canonical(trailer) + "\n").encode("utf-8")
    path = folder / name
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o440)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path, digest


def _archive_records(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], bytes]:
    raw = Path(path).read_bytes()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) < 2:
        raise InputError(f"{path} is not an aktuar audit archive (too short)")
    try:
        header = json.loads(lines[0])
        trailer = json.loads(lines[-1])
        recs = [json.loads(x) for x in lines[1:-1]]
    except ValueError:
        raise InputError(f"{path} is not an aktuar audit archive (a line is not JSON)") from None
    if not isinstance(header, dict) or header.get("type") != ARCHIVE_FORMAT:
        raise InputError(f"{path} is not an aktuar audit archive (no archive header)")
    if not isinstance(trailer, dict) or trailer.get("type") != "signature":
        raise InputError(f"{path} is not a complete aktuar audit archive (no signature at the end)")
    body = b"\n".join(lines[:-1]) + b"\n"
    return header, recs, trailer, body


def verify_archive(path: Path | str, *, public_keys: Mapping[str, Ed25519PublicKey] | Iterable[Any] | None = None,
                   data_dir: Path | str | None = None) -> ArchiveReport:
    """Verify an archive file: its Ed25519 signature, every record's hash and chain link, and that it ends in
    its signed checkpoint. Public keys: ``public_keys``, else those of ``data_dir`` (default: the environment's)."""
    if public_keys is not None:
        trusted = keys.as_key_map(public_keys)
    else:
        if data_dir is None:
            from aktuar.store.db import Settings

            data_dir = Settings.from_env().data_dir
        trusted = keys.trusted_public_keys(Path(data_dir))
    rep = ArchiveReport()
    try:
        header, recs, trailer, body = _archive_records(Path(path))
    except (InputError, OSError) as exc:
        rep.add(None, "archive", str(exc))
        return rep
    rep.header = header
    digest = hashlib.sha256(body).hexdigest()
    if trailer.get("sha256") != digest:
        rep.add(None, "archive", "the file's content does not match its signed digest: the file was altered")
    why = keys.verify_signature(trusted, str(trailer.get("key_id", "")),
                                _archive_signed_message(str(trailer.get("sha256", ""))),
                                str(trailer.get("signature", "")))
    if why is not None:
        rep.add(None, "archive", f"the archive signature is not valid: {why}")
    cpd = trailer.get("checkpoint") or {}
    try:
        cp_msg = checkpoint_message(int(cpd["seq"]), str(cpd["hash"]), str(cpd["at"]), str(cpd["key_id"]),
                                    cpd.get("archive_file"))
        why = keys.verify_signature(trusted, str(cpd["key_id"]), cp_msg, str(cpd["signature"]))
    except (KeyError, TypeError, ValueError):
        why = "the checkpoint is incomplete"
    if why is not None:
        rep.add(None, "checkpoint", f"the archive checkpoint is not valid: {why}")
    prev = header.get("prev_hash")
    expect_seq = header.get("first_seq")
    for i, r in enumerate(recs):
        try:
            seq = int(r["seq"])
            payload = _payload(seq, str(r["at"]), r["actor"], r["actor_id"], r["source"], r["category"],
                               r["action"], r["object"], r["outcome"], r["details"])
        except (KeyError, TypeError, ValueError):
            rep.add(None, "changed", f"line {i + 2} is not an audit record")
            continue
        if expect_seq is not None and seq != expect_seq:
            rep.add(seq, "deleted" if seq > expect_seq else "reordered",
                    f"record #{seq} follows #{expect_seq - 1}: records are missing or out of order")
        if chain_hash(str(r.get("prev_hash")), payload) != r.get("hash"):
            rep.add(seq, "changed", f"record #{seq} was changed: its content no longer matches its hash")
        if r.get("prev_hash") != prev:
            rep.add(seq, "changed", f"record #{seq} is not chained to the record before it")
        prev = r.get("hash")
        expect_seq = seq + 1
    rep.records = len(recs)
    if recs:
        rep.first_seq, rep.last_seq = int(recs[0].get("seq", 0)), int(recs[-1].get("seq", 0))
    if len(recs) != header.get("count"):
        rep.add(None, "deleted", f"the archive holds {len(recs)} records, its header says {header.get('count')}")
    if recs and (cpd.get("hash") != prev or cpd.get("seq") != header.get("last_seq") or prev != header.get("last_hash")):
        rep.add(header.get("last_seq"), "rewritten", "the archive does not end in its signed checkpoint")
    rep.checkpoints = 1
    return rep


def archive_files(data_dir: Path) -> list[Path]:
    folder = Path(data_dir) / ARCHIVE_DIR
    return sorted(folder.glob("audit-*.jsonl")) if folder.is_dir() else []


# ------------------------------------------------------------------------------------------------- export
EXPORT_FIELDS = ("seq", "at", "actor", "actor_id", "source", "category", "action", "object", "outcome", "details",
                 "prev_hash", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _moment(value: date | datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise InputError(f"{name} must be a date or a date and time")


def _csv_cell(v: Any) -> Any:
    """Neutralise spreadsheet formulas (a user name like '=HYPERLINK(…)' typed at a failed login)."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return "" if v is None else v


def export(db: Database, actor: Actor, path: Path | str, *, since: date | datetime | None = None,
           until: date | datetime | None = None, categories: Iterable[str] | None = None,
           fmt: str | None = None, include_archives: bool = True) -> int:
    """Export audit records (``since`` ≤ time < ``until``, chosen categories) for the internal auditor
    (permission ``audit.read``) to CSV (``.csv``) or JSON lines (``.jsonl``), including the verified archive
    files of the data directory; returns the number of records. The export is itself audited.

    JSON lines keep every field as stored, so the hashes can be recomputed; CSV cells that a spreadsheet would
    run as a formula are prefixed with an apostrophe.
    """
    target = Path(path)
    _require(db, actor, "audit.read", "business", "audit.export", target.name[:300])
    kind = (fmt or target.suffix.lstrip(".")).lower()
    kind = {"json": "jsonl", "ndjson": "jsonl"}.get(kind, kind)
    if kind not in ("csv", "jsonl"):
        raise InputError(f"export format '{kind or target.name}' is not supported: use a .csv or .jsonl file")
    cats = sorted(set(categories)) if categories else None
    if cats:
        unknown = [c for c in cats if c not in CATEGORIES]
        if unknown:
            raise InputError(f"unknown audit categor{'ies' if len(unknown) > 1 else 'y'} "
                             f"{', '.join(repr(u[:40]) for u in unknown)}: the categories are {', '.join(CATEGORIES)}")
    lo, hi = _moment(since, "since"), _moment(until, "until")
    if lo is not None and hi is not None and hi <= lo:
        raise InputError("'until' must be later than 'since'")

    def wanted(at: datetime, category: str) -> bool:
        return ((lo is None or at >= lo) and (hi is None or at < hi) and (cats is None or category in cats))

    out: list[dict[str, Any]] = []
    archived_to = 0
    if include_archives:
        for f in archive_files(db.settings.data_dir):
            rep = verify_archive(f, data_dir=db.settings.data_dir)
            if not rep.ok:
                raise AuditIntegrityError(f"the archive file {f.name} does not verify ({rep.problems[0]}): export "
                                          f"refused; run 'aktuar audit verify --archive {f}'")
            _, recs, _, _ = _archive_records(f)
            for r in recs:
                if wanted(datetime.fromisoformat(r["at"]), r["category"]):
                    out.append({k: r.get(k) for k in EXPORT_FIELDS})
                archived_to = max(archived_to, int(r["seq"]))
    with db.session() as s:
        q = select(AuditEvent).where(AuditEvent.seq > archived_to).order_by(AuditEvent.seq)
        if lo is not None:
            q = q.where(AuditEvent.at >= lo)
        if hi is not None:
            q = q.where(AuditEvent.at < hi)
        if cats is not None:
            q = q.where(AuditEvent.category.in_(cats))
        for e in s.execute(q).scalars():
            out.append({**record_payload(e), "prev_hash": e.prev_hash, "hash": e.hash})
        out.sort(key=lambda r: int(r["seq"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                if kind == "csv":
                    w = csv.writer(fh)
                    w.writerow(EXPORT_FIELDS)
                    for r in out:
                        w.writerow([_csv_cell(r[k]) for k in EXPORT_FIELDS])
                else:
                    for r in out:
                        fh.write(canonical(r) + "\n")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        record(s, actor, "business", "audit.export", object=target.name[:300],
               details={"records": len(out), "format": kind, "since": lo and _iso(lo), "until": hi and _iso(hi),
                        "categories": cats})
    return len(out)
