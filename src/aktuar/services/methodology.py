"""Methodology registry (KZ84-METH): versioned methodology documents and the parameter set the core uses.

A methodology version has a name, a version, a description, an optional document (its SHA-256 is recorded and
the file is kept, content-addressed, under ``$AKTUAR_DATA_DIR/methodology/``) and the reserving parameters:

.. code-block:: json

    {"default": {"method": "mack", "tail": "none"},
     "classes": {"OGPO VTS": {"method": "bf", "apriori": 0.65}}}

``default`` holds the fields of :class:`aktuar.services.reserving.ReserveRequest` used for every class; a
class's entry overrides some of them for that class (the class is a segment label of the input triangle). A
flat dictionary of ``ReserveRequest`` fields is accepted and means ``{"default": …}``. Every class's
configuration is validated by building its ``ReserveRequest``.

Statuses: ``draft`` → ``submitted`` (to the regulator, with the date) → ``coordinated`` (with the date and the
regulator's reference) → ``superseded`` (automatically, when a later version of the same name is coordinated).
A submitted version may be returned to ``draft`` (the regulator's remarks are recorded as the reason). Only a
draft can be edited; a coordinated or superseded version is immutable (the service refuses, and an ORM guard
refuses any other change through a session). Status changes need ``methodology.status`` (chief actuary);
every change, and every refused attempt, is in the audit trail (category ``business``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.fsutil import fsync_dir as _fsync_dir
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.store.db import Database
from aktuar.store.models import Methodology

STATUSES = ("draft", "submitted", "coordinated", "superseded")
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submitted"): "submit to the regulator",
    ("submitted", "coordinated"): "record the regulator's coordination",
    ("submitted", "draft"): "return to draft with the regulator's remarks",
    ("coordinated", "superseded"): "supersede by a later coordinated version (automatic)",
}
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024

T = TypeVar("T")


class DatabaseUnavailable(AktuarError):
    """The database cannot be reached (or refused the connection); nothing was changed."""


class ImmutableError(AktuarError):
    """A change to a record that may no longer change (coordinated methodology, approved run, run results)."""


class WorkflowError(InputError):
    """A status change that the workflow does not allow from the record's current status."""


class SeparationOfDuties(AktuarError):
    """The actor may not take this step on this record (e.g. review or approve their own run)."""


class IntegrityFailure(AktuarError):
    """Stored data no longer match their recorded hash (a dataset file, or a run's results)."""


# ------------------------------------------------------------------------------------------------ helpers
def canonical(obj: Any) -> str:
    return audit.canonical(obj)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0][:300] if text else type(orig).__name__


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn "cannot connect / connection lost" into :class:`DatabaseUnavailable` with a sentence to act on."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnavailable(
            f"the database is unavailable ({_first_line(exc)}); nothing was changed: check that the database "
            "server is running and AKTUAR_DATABASE_URL, then try again"
        ) from None


def audit_refusal(db: Database, actor: Actor, action: str, obj: str, exc: BaseException,
                  details: dict[str, Any] | None = None) -> None:
    """Record a refused attempt in a transaction of its own (the operation itself is rolled back)."""
    with database_errors(), db.session() as s:
        audit.record(s, actor, "business", action, object=printable(obj), outcome="failure",
                     details={"refused": type(exc).__name__, "reason": printable(str(exc))[:1000],
                              **(details or {})})


def printable(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` (a user's input may hold any byte)."""
    return "".join(c if c >= " " or c in "\n\t" else f"\\x{ord(c):02x}" for c in str(text))


def guarded(db: Database, actor: Actor, action: str, obj: str, fn: Callable[[], T],
            details: dict[str, Any] | None = None) -> T:
    """Run ``fn``; a refusal (permission, workflow, input, immutability) is audited as a failure and re-raised."""
    try:
        with database_errors():
            return fn()
    except (rbac.PermissionDenied, InputError, ImmutableError, SeparationOfDuties, IntegrityFailure) as exc:
        audit_refusal(db, actor, action, obj, exc, details)
        raise


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def store_file(source: Path, folder: Path, *, max_bytes: int | None = None,
               validate: Callable[[Path], T] | None = None) -> tuple[str, Path, int, T | None, bool]:
    """Copy ``source`` content-addressed into ``folder`` atomically: into a temporary file (named with this
    process id, so that ``recover`` can remove what a killed process left), validated there, then renamed to
    ``<sha256><suffix>``. Returns (sha256, stored path, size, validation result, created). A file that fails
    validation leaves nothing behind."""
    source = Path(source)
    if not source.is_file():
        raise InputError("the file does not exist: check the path and the file name", file=str(source))
    folder.mkdir(parents=True, exist_ok=True)
    suffix = source.suffix.lower()
    tmp = folder / f".incoming-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}{suffix}"
    h = hashlib.sha256()
    size = 0
    try:
        with open(source, "rb") as src, open(tmp, "xb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                size += len(block)
                if max_bytes is not None and size > max_bytes:
                    raise InputError(f"the file is larger than {max_bytes // (1024 * 1024)} MB", file=str(source))
                h.update(block)
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        result = validate(tmp) if validate is not None else None
        sha = h.hexdigest()
        final = folder / f"{sha}{suffix}"
        created = not final.exists()
        if created:
            os.replace(tmp, final)
            _fsync_dir(folder)
        else:
            tmp.unlink()
        return sha, final, size, result, created
    finally:
        if tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------------------------- parameters
def _request_fields() -> set[str]:
    from aktuar.services.reserving import ReserveRequest

    return {f.name for f in fields(ReserveRequest)}


def request_from_dict(params: dict[str, Any], where: str = "parameters") -> Any:
    """A :class:`ReserveRequest` from a JSON dictionary of its fields (``InputError`` naming a bad field)."""
    from aktuar.core.reserving.development import Exclusion
    from aktuar.services.reserving import ReserveRequest

    if not isinstance(params, dict):
        raise InputError(f"{where}: expected an object of reserving options such as {{\"method\": \"mack\"}}")
    known = _request_fields()
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(f"{where}: unknown option(s) {', '.join(unknown)}; the options are {', '.join(sorted(known))}")
    d = dict(params)
    try:
        if "exclusions" in d:
            d["exclusions"] = tuple(Exclusion(origin=str(e["origin"]), age=int(e["age"]), reason=str(e["reason"]))
                                    for e in (d["exclusions"] or ()))
        if d.get("selected") is not None:
            d["selected"] = {int(k): float(v) for k, v in dict(d["selected"]).items()}
        if "quantiles" in d:
            d["quantiles"] = tuple(float(q) for q in d["quantiles"])
        return ReserveRequest(**d)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None
    except (TypeError, KeyError, ValueError) as exc:
        raise InputError(f"{where}: an option has the wrong form ({exc}): exclusions are a list of "
                         "{origin, age, reason}, selected an object {age: factor}, quantiles a list of "
                         "numbers") from None


def normalize_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """The canonical form ``{"default": {...}, "classes": {label: {...}}}``, every configuration validated.

    A bootstrap needs a seed: a run must reproduce bit for bit."""
    if not isinstance(params, dict):
        raise InputError("the parameters must be a JSON object")
    if "engine" in params:
        return _engine_parameters(params)
    if set(params) <= {"default", "classes"} and params:
        default = params.get("default", {})
        classes = params.get("classes", {})
    else:
        default, classes = params, {}
    if not isinstance(default, dict) or not isinstance(classes, dict):
        raise InputError("parameters: 'default' is an object of reserving options and 'classes' an object "
                         "{class: options}")
    # JSON round trip: the stored form is exactly what is validated
    norm: dict[str, Any] = json.loads(canonical({"default": default, "classes": classes}))
    for label, cfg in [("default", {})] + sorted(norm["classes"].items()):
        where = "parameters" if label == "default" else f"parameters of class '{label}'"
        if not isinstance(cfg, dict):
            raise InputError(f"{where}: expected an object of reserving options")
        req = request_from_dict({**norm["default"], **cfg}, where)
        if req.method == "bootstrap" and req.seed is None:
            raise InputError(f"{where}: the bootstrap needs a seed so that every run reproduces bit for bit")
    return norm


ENGINES: dict[str, str] = {
    "reserving": "claims reserving by class (the default: reserving options under 'default' and 'classes')",
    "ifrs17": "the IFRS 17 close of a package (dataset kind 'ifrs17'): its measurement choices are in its "
              "ifrs17.toml",
    "statutory": "the Kazakhstan statutory close of a package (dataset kind 'statutory'): its choices and the "
                 "opinion's words are in its statutory.toml",
}


def _engine_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """``{"engine": "ifrs17"}``: a methodology of the IFRS 17 close (no reserving options); ``"reserving"`` is the
    default engine and takes the reserving options as usual."""
    engine = params["engine"]
    if engine not in ENGINES:
        raise InputError(f"parameters: unknown engine {engine!r}; the engines are {', '.join(ENGINES)}")
    rest = {k: v for k, v in params.items() if k != "engine"}
    if engine == "reserving":
        return normalize_parameters(rest)
    if rest:
        raise InputError(f"parameters: a methodology of engine '{engine}' has no other parameters "
                         f"({', '.join(sorted(rest))}): the close's choices are in its {engine}.toml")
    return {"engine": engine}


def engine_of(params: dict[str, Any]) -> str:
    """The engine of a methodology's (normalized) parameters: ``reserving`` unless stated."""
    return str(params.get("engine", "reserving"))


def config_for(params: dict[str, Any], label: str) -> dict[str, Any]:
    """The reserving options of one class (segment label): the default with the class's overrides."""
    return {**params.get("default", {}), **params.get("classes", {}).get(label, {})}


# ------------------------------------------------------------------------------------------------- views
@dataclass(frozen=True)
class MethodologyView:
    id: int
    name: str
    version: str
    status: str
    description: str
    document_name: str | None
    document_sha256: str | None
    document_path: Path | None
    parameters: dict[str, Any]
    parameters_sha256: str
    created_by: str
    created_at: datetime
    submitted_at: date | None
    coordinated_at: date | None
    superseded_at: date | None
    regulator_reference: str | None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def _documents_dir(db: Database) -> Path:
    return db.settings.data_dir / "methodology"


def _view(db: Database, m: Methodology) -> MethodologyView:
    doc_path = None
    if m.document_sha256:
        doc_path = _documents_dir(db) / f"{m.document_sha256}{Path(m.document_name or '').suffix.lower()}"
    return MethodologyView(
        id=m.id, name=m.name, version=m.version, status=m.status, description=m.description or "",
        document_name=m.document_name, document_sha256=m.document_sha256, document_path=doc_path,
        parameters=json.loads(m.parameters or "{}"), parameters_sha256=m.parameters_sha256,
        created_by=m.created_by, created_at=audit.utc(m.created_at), submitted_at=m.submitted_at,
        coordinated_at=m.coordinated_at, superseded_at=m.superseded_at, regulator_reference=m.regulator_reference,
    )


def _label(m: Methodology) -> str:
    return f"methodology:{m.name}@{m.version}"


def _find(s: Session, ref: int | str, *, lock: bool = False) -> Methodology:
    """A methodology by id, or by ``name@version``."""
    q = select(Methodology)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        q = q.where(Methodology.id == int(ref))
    else:
        name, sep, version = str(ref).rpartition("@")
        if not sep:
            raise InputError(f"methodology '{ref}': give its id or name@version")
        q = q.where(Methodology.name == name.strip(), Methodology.version == version.strip())
    if lock and s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    m = s.execute(q).scalar_one_or_none()
    if m is None:
        raise InputError(f"no methodology '{ref}': see 'aktuar methodology list'")
    return m


def _text(value: str, what: str, max_len: int, *, required: bool = True) -> str:
    v = (value or "").strip()
    if required and not v:
        raise InputError(f"the {what} must not be empty")
    if len(v) > max_len:
        raise InputError(f"the {what} is longer than {max_len} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in v):
        raise InputError(f"the {what} contains control characters")
    return v


# ----------------------------------------------------------------------------------------------- service
def create(
    db: Database,
    actor: Actor,
    name: str,
    version: str,
    *,
    parameters: dict[str, Any],
    description: str = "",
    document: Path | None = None,
    now: datetime | None = None,
) -> MethodologyView:
    """Register a new methodology version (status draft)."""
    obj = f"methodology:{name}@{version}"

    def work() -> MethodologyView:
        rbac.require(actor, "methodology.edit")
        nm = _text(name, "methodology name", 200)
        ver = _text(version, "methodology version", 32)
        if "@" in nm or "@" in ver:
            raise InputError("a methodology name or version may not contain '@' (it separates name@version)")
        desc = _text(description, "description", 20000, required=False)
        norm = normalize_parameters(parameters)
        text = canonical(norm)
        doc = _store_document(db, document) if document is not None else None
        try:
            with db.session() as s:
                exists = s.execute(select(Methodology.id).where(Methodology.name == nm, Methodology.version == ver)
                                   ).first()
                if exists:
                    raise InputError(f"methodology {nm}@{ver} already exists: choose a new version")
                m = Methodology(
                    name=nm, version=ver, status="draft", description=desc,
                    document_name=doc[0] if doc else None, document_sha256=doc[1] if doc else None,
                    parameters=text, parameters_sha256=sha256_text(text), created_by=actor.username,
                    created_at=now or datetime.now(UTC),
                )
                s.add(m)
                s.flush()
                audit.record(s, actor, "business", "methodology.create", object=_label(m),
                             details={"id": m.id, "parameters_sha256": m.parameters_sha256,
                                      "document": doc[0] if doc else None,
                                      "document_sha256": doc[1] if doc else None})
                return _view(db, m)
        except IntegrityError:
            raise InputError(f"methodology {nm}@{ver} already exists: choose a new version") from None

    return guarded(db, actor, "methodology.create", obj, work)


def _store_document(db: Database, document: Path) -> tuple[str, str]:
    sha, _, _, _, _ = store_file(Path(document), _documents_dir(db), max_bytes=MAX_DOCUMENT_BYTES)
    return Path(document).name[:300], sha


def update_draft(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    description: str | None = None,
    parameters: dict[str, Any] | None = None,
    document: Path | None = None,
) -> MethodologyView:
    """Change a draft's description, parameters or document (a submitted or coordinated version cannot change)."""

    def work() -> MethodologyView:
        rbac.require(actor, "methodology.edit")
        norm = normalize_parameters(parameters) if parameters is not None else None
        desc = _text(description, "description", 20000, required=False) if description is not None else None
        doc = _store_document(db, document) if document is not None else None
        with db.session() as s:
            m = _find(s, ref, lock=True)
            if m.status != "draft":
                raise ImmutableError(f"methodology {m.name}@{m.version} is {m.status}: only a draft can be changed; "
                                     "create a new version")
            changed: dict[str, Any] = {}
            if norm is not None:
                m.parameters = canonical(norm)
                m.parameters_sha256 = sha256_text(m.parameters)
                changed["parameters_sha256"] = m.parameters_sha256
            if desc is not None:
                m.description = desc
                changed["description"] = True
            if doc is not None:
                m.document_name, m.document_sha256 = doc
                changed["document_sha256"] = doc[1]
            audit.record(s, actor, "business", "methodology.update", object=_label(m), details=changed)
            return _view(db, m)

    return guarded(db, actor, "methodology.update", f"methodology:{ref}", work)


def _transition(db: Database, actor: Actor, ref: int | str, target: str, action: str,
                apply: Callable[[Session, Methodology], dict[str, Any]]) -> MethodologyView:
    def work() -> MethodologyView:
        rbac.require(actor, "methodology.status")
        with db.session() as s:
            m = _find(s, ref, lock=True)
            if (m.status, target) not in TRANSITIONS:
                allowed = [t for (f, t) in TRANSITIONS if f == m.status]
                raise WorkflowError(
                    f"methodology {m.name}@{m.version} is {m.status}: it cannot become {target} "
                    f"({'it can become ' + ', '.join(allowed) if allowed else 'no further change is possible'})"
                )
            before = m.status
            details = apply(s, m)
            m.status = target
            audit.record(s, actor, "business", action, object=_label(m),
                         details={"from": before, "to": target, **details})
            return _view(db, m)

    return guarded(db, actor, action, f"methodology:{ref}", work)


def submit(db: Database, actor: Actor, ref: int | str, submitted_on: date) -> MethodologyView:
    """draft → submitted to the regulator on ``submitted_on``."""

    def apply(s: Session, m: Methodology) -> dict[str, Any]:
        m.submitted_at = submitted_on
        return {"submitted_on": submitted_on.isoformat(), "parameters_sha256": m.parameters_sha256,
                "document_sha256": m.document_sha256}

    return _transition(db, actor, ref, "submitted", "methodology.submit", apply)


def return_to_draft(db: Database, actor: Actor, ref: int | str, reason: str) -> MethodologyView:
    """submitted → draft, with the regulator's remarks (e.g. the regulator asked for changes)."""
    why = _text(reason, "reason", 2000)

    def apply(s: Session, m: Methodology) -> dict[str, Any]:
        m.submitted_at = None
        return {"reason": why}

    return _transition(db, actor, ref, "draft", "methodology.return", apply)


def coordinate(db: Database, actor: Actor, ref: int | str, coordinated_on: date,
               regulator_reference: str) -> MethodologyView:
    """submitted → coordinated on ``coordinated_on`` under the regulator's reference; the version of the same
    name coordinated so far becomes superseded on that date."""
    reference = _text(regulator_reference, "regulator's reference", 200)

    def apply(s: Session, m: Methodology) -> dict[str, Any]:
        if m.submitted_at is not None and coordinated_on < m.submitted_at:
            raise InputError(f"the coordination date {coordinated_on} is before the submission date "
                             f"{m.submitted_at}")
        current = s.execute(select(Methodology).where(Methodology.name == m.name, Methodology.status == "coordinated",
                                                      Methodology.id != m.id)).scalars().all()
        for c in current:
            if c.id > m.id:
                raise WorkflowError(f"{c.name}@{c.version} (registered later) is already coordinated: an older "
                                    f"version cannot supersede it")
            if c.coordinated_at is not None and coordinated_on < c.coordinated_at:
                raise InputError(f"the coordination date {coordinated_on} is before that of the version it "
                                 f"supersedes ({c.name}@{c.version}, {c.coordinated_at})")
        superseded = []
        for c in current:
            c.status = "superseded"
            c.superseded_at = coordinated_on
            superseded.append(c.version)
            audit.record(s, actor, "business", "methodology.supersede", object=_label(c),
                         details={"from": "coordinated", "to": "superseded", "by_version": m.version,
                                  "superseded_on": coordinated_on.isoformat()})
        m.coordinated_at = coordinated_on
        m.regulator_reference = reference
        return {"coordinated_on": coordinated_on.isoformat(), "regulator_reference": reference,
                "superseded": superseded, "parameters_sha256": m.parameters_sha256,
                "document_sha256": m.document_sha256}

    return _transition(db, actor, ref, "coordinated", "methodology.coordinate", apply)


def list_methodologies(db: Database, actor: Actor, name: str | None = None) -> list[MethodologyView]:
    rbac.require(actor, "methodology.read")
    with database_errors(), db.session() as s:
        q = select(Methodology).order_by(Methodology.name, Methodology.id)
        if name:
            q = q.where(Methodology.name == name)
        return [_view(db, m) for m in s.execute(q).scalars()]


def get(db: Database, actor: Actor, ref: int | str) -> MethodologyView:
    rbac.require(actor, "methodology.read")
    with database_errors(), db.session() as s:
        return _view(db, _find(s, ref))


# ---------------------------------------------------------------------------------------------- ORM guard
_MUTABLE_AFTER_COORDINATION = {"status", "superseded_at"}


@event.listens_for(Session, "before_flush")
def _guard_methodology(session: Session, _ctx: Any, _instances: Any) -> None:
    """A coordinated methodology changes only to superseded; a superseded one never; neither is deleted."""
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, Methodology):
            continue
        state = inspect(obj)
        status_hist = state.attrs.status.history
        committed = (status_hist.deleted or status_hist.unchanged or [obj.status])[0]
        if committed not in ("coordinated", "superseded"):
            continue
        if obj in session.deleted:
            raise ImmutableError(f"methodology {obj.name}@{obj.version} is {committed} and cannot be deleted")
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        if not changed:
            continue
        if committed == "superseded" or not changed <= _MUTABLE_AFTER_COORDINATION or obj.status != "superseded":
            raise ImmutableError(f"methodology {obj.name}@{obj.version} is {committed} and cannot be changed "
                                 f"({', '.join(sorted(changed))}): register a new version")
