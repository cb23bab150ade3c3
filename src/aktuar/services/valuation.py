"""Valuation runs (KZ84-AUTO): datasets, runs, reproduction, the approval workflow and comparisons.

Datasets
    ``import_dataset`` validates a file with the data layer (kind ``triangle``: a wide or long triangle;
    ``claims``: claim transactions; ``exposure``: origin and exposure columns), stores it content-addressed as
    ``$AKTUAR_DATA_DIR/datasets/<sha256><suffix>`` (the suffix tells the readers the file type) and records a
    :class:`~aktuar.store.models.Dataset`. The copy is written to a temporary file, validated there, then renamed:
    a file that fails validation changes nothing (no row, no stored file; the refusal is audited), and importing
    the same content again returns the existing dataset.

Runs
    A run is a reporting date, a scope (classes), a methodology version, input datasets by role (``triangle``
    or ``claims``, optional ``exposure``), data options and the user. Only a coordinated methodology may be
    used unless the run is a test run (which may also override the methodology's reserving options). The run
    records the code version (aktuar's version and git commit) and the dependency versions, the hash of its
    inputs, and computes from the *stored* datasets only, so its results depend on nothing else. Results are
    rows (class, method, origin or ``Total``, quantity, value) whose SHA-256 over the canonical results
    document (:func:`results_sha256`) is recorded on the run and in the audit trail.

    A run is first recorded as ``running`` (with the worker host:pid), then computed, then its results and the
    status ``prepared`` are written in one transaction. A crash or ``kill -9`` leaves a ``running`` run without
    results; :func:`recover` marks it ``failed`` (audited) and :func:`restart_run` prepares it again.

Workflow (separation of duties)
    prepared → reviewed (by another user with ``run.review``) → approved (``run.approve``, by neither the
    preparer nor the reviewer); a rejection (from prepared or reviewed) carries a reason. Nobody reviews,
    approves or rejects their own run; refusals are audited. An approved run and every run's results are
    immutable: the services refuse, an ORM guard refuses changes through any session, the optional database
    triggers (:func:`install_result_triggers`) refuse raw SQL, and :func:`reproduce_run` /
    :func:`verify_results` detect stored numbers changed behind the platform's back.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import socket
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import aktuar
from aktuar.errors import InputError
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.services.methodology import (
    DatabaseUnavailable,
    ImmutableError,
    IntegrityFailure,
    SeparationOfDuties,
    WorkflowError,
    canonical,
    config_for,
    database_errors,
    engine_of,
    guarded,
    normalize_parameters,
    request_from_dict,
    sha256_text,
    store_file,
    worker_id,
)
from aktuar.store.db import Database
from aktuar.store.models import AuditEvent, Dataset, Methodology, Run, RunDocument, RunInput, RunResult

__all__ = [
    "DatabaseUnavailable", "ImmutableError", "SeparationOfDuties", "WorkflowError", "IntegrityFailure",
    "DatasetView", "RunView", "ResultRow", "Difference", "ReproduceReport", "CompareRow", "Comparison",
    "RecoverReport", "import_dataset", "list_datasets", "prepare_run", "restart_run", "review", "approve",
    "reject", "reproduce_run", "verify_results", "compare_runs", "recover", "list_runs", "get_run",
    "run_results", "run_documents", "results_sha256", "environment", "code_version", "install_result_triggers",
]

KINDS: dict[str, str] = {
    "triangle": "a wide or long triangle (origin × development)",
    "claims": "claim transactions (accident_date, transaction_date, paid, …)",
    "exposure": "exposure by origin (origin, segment columns, exposure)",
    "ifrs17": "an IFRS 17 close package: a ZIP (or folder) with ifrs17.toml and the files it names",
    "statutory": "a statutory close package: a ZIP (or folder) with statutory.toml and the files it names",
}
ROLES: dict[str, str] = {"triangle": "triangle", "claims": "claims", "exposure": "exposure",
                         "ifrs17": "ifrs17", "statutory": "statutory"}  # role → kind
PACKAGE_ENGINES = ("ifrs17", "statutory")
"""Engines that measure one close package given as the input of the same name (role = kind = engine)."""
DATA_DEFAULTS: dict[str, Any] = {
    "cumulative": True, "segment_columns": [], "measure": "paid", "origin_grain": "Y", "development_grain": "Y",
    "origin_basis": "accident",
}
PACKAGES: tuple[str, ...] = ("aktuar", "numpy", "scipy", "polars", "pyarrow", "fastexcel")
RESULTS_SCHEMA = "aktuar-run-results/1"
RUN_STATUSES = ("running", "prepared", "reviewed", "approved", "rejected", "failed")
MAX_DATASET_BYTES = 2 * 1024 * 1024 * 1024

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------- environment
@functools.cache
def _git() -> tuple[str | None, bool | None]:
    """The git commit of aktuar's source tree and whether the package's files differ from it."""
    pkg = Path(aktuar.__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(pkg), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(pkg), "status", "--porcelain", "--untracked-files=no", "--",
                                 str(pkg)], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return (commit or None), bool(status.strip())


def environment() -> dict[str, Any]:
    """The code and dependency versions a run is computed with."""
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    commit, dirty = _git()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "packages": packages,
        "git_commit": commit,
        "git_dirty": dirty,
    }


def code_version(env: dict[str, Any] | None = None) -> str:
    """``<aktuar version>[+g<commit>][.dirty]``."""
    env = env or environment()
    v = aktuar.__version__
    if env.get("git_commit"):
        v += f"+g{env['git_commit'][:12]}"
        if env.get("git_dirty"):
            v += ".dirty"
    return v[:64]


def _flatten_env(env: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in env.items() if k != "packages"}
    out.update({f"package {k}": v for k, v in (env.get("packages") or {}).items()})
    return out


# ------------------------------------------------------------------------------------------- datasets
@dataclass(frozen=True)
class DatasetView:
    id: int
    sha256: str
    kind: str
    format: str | None
    filename: str
    stored_path: Path
    size_bytes: int
    rows: int | None
    imported_by: str
    imported_at: datetime
    created: bool = False  # False when the same content had been imported before


def datasets_dir(db: Database) -> Path:
    return db.settings.data_dir / "datasets"


def _dataset_view(db: Database, d: Dataset, created: bool = False) -> DatasetView:
    return DatasetView(id=d.id, sha256=d.sha256, kind=d.kind, format=d.format, filename=d.filename,
                       stored_path=db.settings.data_dir / d.stored_path, size_bytes=int(d.size_bytes), rows=d.rows,
                       imported_by=d.imported_by, imported_at=audit.utc(d.imported_at), created=created)


def _column(table: Any, name: str) -> str | None:
    from aktuar.data.readers import resolve_columns

    return resolve_columns(table, {"c": name}, required=())["c"]


def validate_dataset(path: Path, kind: str, filename: str | None = None) -> tuple[str, int]:
    """Read and check a file as ``kind`` with the data layer; returns (format, rows). ``InputError`` names
    ``filename`` (the user's file) when the file being read is a temporary copy."""
    from dataclasses import replace as dc_replace

    import numpy as np

    from aktuar.data import triangles as readers
    from aktuar.data.readers import date_column, number_column, read_table
    from aktuar.services.inputs import TRANSACTION_MARKERS

    name = filename or str(path)
    if kind not in KINDS:
        raise InputError(f"unknown dataset kind '{kind}': use one of {', '.join(KINDS)}")
    if kind == "ifrs17":
        from aktuar.services.ifrs17_runs import validate_package

        return validate_package(path, name)
    if kind == "statutory":
        from aktuar.services import statutory_runs

        return statutory_runs.validate_package(path, name)
    try:
        table = dc_replace(read_table(path), file=name)
        lower = {c.strip().lower() for c in table.columns}
        if kind == "triangle":
            if TRANSACTION_MARKERS <= lower:
                raise InputError("this file holds claim transactions: import it with kind 'claims'", file=name)
            tri = readers.read_triangle(table)
            fmt = "long" if {"origin", "development"} <= lower else "wide"
            if not np.isfinite(tri.values).any():
                raise InputError("the triangle has no values", file=name)
            return fmt, table.height
        if kind == "claims":
            tcol = _column(table, "transaction_date")
            acol = _column(table, "accident_date")
            if tcol is None or acol is None:
                raise InputError("claim transactions need the columns accident_date and transaction_date (and paid "
                                 f"for paid triangles); the file has {', '.join(map(repr, table.columns))}", file=name)
            valuation = max(date_column(table, tcol).max(), date_column(table, acol).max()).astype(object)
            measure = "paid" if _column(table, "paid") is not None else "reported_count"
            readers.triangle_from_transactions(table, valuation=valuation, measure=measure)  # type: ignore[arg-type]
            return "transactions", table.height
        ocol = _column(table, "origin")
        ecol = _column(table, "exposure")
        if ocol is None or ecol is None:
            raise InputError("an exposure file needs the columns origin and exposure (and the triangle's segment "
                             f"columns); the file has {', '.join(map(repr, table.columns))}", file=name)
        values = number_column(table, ecol, what="an exposure")
        if (values < 0).any():
            i = int(np.flatnonzero(values < 0)[0])
            raise table.error("an exposure must not be negative", index=i, column=ecol)
        return "table", table.height
    except InputError as exc:
        raise exc.located(file=name) if exc.file != name else exc from None


def import_dataset(db: Database, actor: Actor, path: Path | str, kind: str, *,
                   now: datetime | None = None) -> DatasetView:
    """Validate ``path`` as ``kind``, store it content-addressed and record it (atomic; see the module doc)."""
    path = Path(path)
    obj = f"file:{path.name}"

    def work() -> DatasetView:
        rbac.require(actor, "data.import")
        if kind not in KINDS:
            raise InputError(f"unknown dataset kind '{kind}': use one of {', '.join(KINDS)}")
        folder = datasets_dir(db)
        source, filename = path, path.name
        with contextlib.ExitStack() as stack:
            if kind in PACKAGE_ENGINES:
                from aktuar.services import ifrs17_runs, statutory_runs

                if ifrs17_runs.is_package_source(path):  # a folder (or its TOML): zipped deterministically first
                    tmp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aktuar-pack-")))
                    base = path if path.is_dir() else path.parent
                    pack = ifrs17_runs.pack_folder if kind == "ifrs17" else statutory_runs.pack_folder
                    source = pack(path, tmp_dir / f"{base.resolve().name or kind}.zip")
                    filename = source.name
            sha, stored, size, info, created = store_file(
                source, folder, max_bytes=MAX_DATASET_BYTES,
                validate=lambda tmp: validate_dataset(tmp, kind, str(path)))
        assert info is not None
        fmt, rows = info
        try:
            with db.session() as s:
                existing = s.execute(select(Dataset).where(Dataset.sha256 == sha)).scalar_one_or_none()
                if existing is not None:
                    if existing.kind != kind:
                        raise InputError(f"this content was imported before as dataset {existing.id} of kind "
                                         f"'{existing.kind}', not '{kind}'", file=str(path))
                    audit.record(s, actor, "business", "dataset.import", object=f"dataset:{existing.id}",
                                 details={"sha256": sha, "file": path.name, "kind": kind, "reused": True})
                    return _dataset_view(db, existing, created=False)
                d = Dataset(sha256=sha, kind=kind, format=fmt, filename=filename[:300],
                            stored_path=str(stored.relative_to(db.settings.data_dir)), size_bytes=size, rows=rows,
                            imported_by=actor.username, imported_at=now or datetime.now(UTC))
                s.add(d)
                s.flush()
                audit.record(s, actor, "business", "dataset.import", object=f"dataset:{d.id}",
                             details={"sha256": sha, "file": filename, "kind": kind, "format": fmt, "rows": rows,
                                      "bytes": size})
                return _dataset_view(db, d, created=True)
        except IntegrityError:  # the same content imported concurrently: use that one
            with db.session() as s:
                d2 = s.execute(select(Dataset).where(Dataset.sha256 == sha)).scalar_one()
                return _dataset_view(db, d2, created=False)
        except BaseException:
            if created and stored.exists():  # this import stored the file: take it away again
                try:
                    with db.session() as s:
                        referenced = s.execute(select(Dataset.id).where(Dataset.sha256 == sha)).first()
                except Exception:  # noqa: BLE001 - database unavailable: nobody can have recorded it
                    referenced = None
                if referenced is None:
                    stored.unlink(missing_ok=True)
            raise

    return guarded(db, actor, "dataset.import", obj, work, details={"kind": kind})


def list_datasets(db: Database, actor: Actor) -> list[DatasetView]:
    rbac.require(actor, "data.read")
    with database_errors(), db.session() as s:
        return [_dataset_view(db, d) for d in s.execute(select(Dataset).order_by(Dataset.id)).scalars()]


# -------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ResultRow:
    segment: str
    method: str
    origin: str
    quantity: str
    value: float | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.segment, self.method, self.origin, self.quantity)


def _value(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return 0.0 if f == 0 else f  # one zero: databases need not keep the sign of -0.0


def results_document(rows: Sequence[ResultRow], documents: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The canonical results document: every number addressed by (class, method, origin, quantity) and, for a
    run that produced documents (an IFRS 17 close), the SHA-256 of each document's text by name."""
    doc: dict[str, Any] = {"schema": RESULTS_SCHEMA,
                           "rows": sorted([r.segment, r.method, r.origin, r.quantity, _value(r.value)] for r in rows)}
    if documents:
        doc["documents"] = sorted([name, sha256_text(text)] for name, text in documents.items())
    return doc


def results_sha256(rows: Sequence[ResultRow], documents: Mapping[str, str] | None = None) -> str:
    """SHA-256 of the canonical JSON of :func:`results_document` (floats at full precision)."""
    return sha256_text(canonical(results_document(rows, documents)))


def _rows_of(result: Any, s: int, method: str) -> list[ResultRow]:
    from aktuar.reports.reserve_output import segment_record

    rec = segment_record(result, s)
    label = rec["label"]
    if len(label) > 200:
        raise InputError(f"the class label '{label[:60]}…' is longer than 200 characters")
    out: list[ResultRow] = []

    def add(origin: str, values: dict[str, Any]) -> None:
        o = str(origin)
        if len(o) > 32:
            raise InputError(f"the origin label '{o[:40]}' is longer than 32 characters")
        for k, v in values.items():
            if k == "origin":
                continue
            if k == "quantiles":
                for q, qv in v.items():
                    out.append(ResultRow(label, method, o, f"q{q}", _value(qv)))
            else:
                out.append(ResultRow(label, method, o, k, _value(v)))

    for o in rec["origins"]:
        add(o["origin"], o)
    add("Total", rec["total"])
    dev = rec["development"]
    ages = dev["ages"]
    for k, f in enumerate(dev["ldf"]):
        out.append(ResultRow(label, method, f"age {ages[k]}" if k < len(ages) else f"step {k + 1}", "ldf", _value(f)))
    out.append(ResultRow(label, method, "Total", "tail", _value(dev["tail"])))
    return out


@dataclass(frozen=True)
class _Computed:
    rows: list[ResultRow]
    segments: int
    input_format: str
    warnings: int
    documents: dict[str, str] = field(default_factory=dict)  # name → text (IFRS 17 disclosure documents)


def compute(parameters: dict[str, Any], scope: dict[str, Any], files: dict[str, Path], reporting_date: date,
            progress: Progress | None = None) -> _Computed:
    """The results of a run from its stored input files (pure: depends only on the arguments); the engine of
    the run's methodology (``parameters["engine"]``) chooses the computation."""
    if parameters.get("engine") == "ifrs17":
        from aktuar.services.ifrs17_runs import measure_package

        m = measure_package(files["ifrs17"], reporting_date, progress)
        return _Computed([ResultRow(*r) for r in m.rows], m.portfolios, "package", m.warnings, m.documents)
    if parameters.get("engine") == "statutory":
        from aktuar.services import statutory_runs

        sm = statutory_runs.measure_package(files["statutory"], reporting_date, progress)
        return _Computed([ResultRow(*r) for r in sm.rows], sm.classes, "package", sm.warnings, sm.documents)
    from aktuar.services.inputs import TriangleSpec, load_exposure, load_triangle
    from aktuar.services.reserving import run_reserving

    data = {**DATA_DEFAULTS, **parameters.get("data", {})}
    reserving = parameters["reserving"]
    main = "claims" if "claims" in files else "triangle"
    spec = TriangleSpec(
        path=files[main], cumulative=bool(data["cumulative"]), segment_columns=tuple(data["segment_columns"]),
        valuation=reporting_date if main == "claims" else None, origin_grain=data["origin_grain"],
        development_grain=data["development_grain"], origin_basis=data["origin_basis"], measure=data["measure"],
    )
    tri, fmt = load_triangle(spec)
    exposure = load_exposure(files["exposure"], tri) if "exposure" in files else None
    labels = [tri.segment_label(i) for i in range(tri.n_segments)]
    wanted = list(scope.get("classes") or [])
    if wanted:
        missing = sorted(set(wanted) - set(labels))
        if missing:
            raise InputError(f"the scope names class(es) {', '.join(map(repr, missing))} that the input does not "
                             f"have; its classes are {', '.join(map(repr, labels[:20]))}")
        idx = [i for i, lab in enumerate(labels) if lab in set(wanted)]
    else:
        idx = list(range(len(labels)))
    groups: dict[str, list[int]] = {}
    for i in idx:
        groups.setdefault(canonical(config_for(reserving, labels[i])), []).append(i)
    total = len(idx)
    done = 0
    rows: list[ResultRow] = []
    warnings = 0
    for cfg_text, seg_idx in groups.items():
        request = request_from_dict(json.loads(cfg_text))
        part = tri if len(seg_idx) == tri.n_segments else tri.select(seg_idx)
        exp = None if exposure is None else exposure[seg_idx]
        offset = done

        def step(d: int, _t: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + d, total)

        for r in run_reserving(part, request, exp, step):
            for s in range(r.triangle.n_segments):
                rows.extend(_rows_of(r, s, request.method))
                warnings += len(r.warnings[s]) if s < len(r.warnings) else 0
        done += len(seg_idx)
    return _Computed(rows, total, fmt, warnings)


# ----------------------------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class RunView:
    id: int
    status: str
    reporting_date: date
    scope: list[str]
    methodology_id: int
    methodology: str  # name@version
    methodology_status: str
    is_test: bool
    parameters: dict[str, Any]
    inputs: dict[str, int]  # role → dataset id
    input_sha256: dict[str, str]  # role → dataset sha256
    code_version: str
    environment: dict[str, Any]
    inputs_sha256: str
    results_sha256: str | None
    created_by: str
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_at: datetime | None
    rejection_reason: str | None
    failure_reason: str | None
    restart_of: int | None
    n_results: int = 0

    @property
    def engine(self) -> str:
        """``reserving``, ``ifrs17`` or ``statutory`` (the engine of the run's methodology)."""
        return str(self.parameters.get("engine", "reserving"))


def _opt_utc(t: datetime | None) -> datetime | None:
    return None if t is None else audit.utc(t)


def _run_view(s: Session, r: Run) -> RunView:
    from sqlalchemy import func

    m = s.get(Methodology, r.methodology_id)
    ins = s.execute(select(RunInput.role, RunInput.dataset_id, Dataset.sha256).join(
        Dataset, Dataset.id == RunInput.dataset_id).where(RunInput.run_id == r.id)).all()
    n = s.execute(select(func.count()).select_from(RunResult).where(RunResult.run_id == r.id)).scalar_one()
    return RunView(
        id=r.id, status=r.status, reporting_date=r.reporting_date, scope=json.loads(r.scope).get("classes", []),
        methodology_id=r.methodology_id, methodology=f"{m.name}@{m.version}" if m else str(r.methodology_id),
        methodology_status=m.status if m else "?", is_test=bool(r.is_test), parameters=json.loads(r.parameters),
        inputs={row[0]: int(row[1]) for row in ins}, input_sha256={row[0]: row[2] for row in ins},
        code_version=r.code_version, environment=json.loads(r.environment), inputs_sha256=r.inputs_sha256,
        results_sha256=r.results_sha256, created_by=r.created_by, created_at=audit.utc(r.created_at),
        reviewed_by=r.reviewed_by, reviewed_at=_opt_utc(r.reviewed_at), approved_by=r.approved_by,
        approved_at=_opt_utc(r.approved_at), rejected_by=r.rejected_by, rejected_at=_opt_utc(r.rejected_at),
        rejection_reason=r.rejection_reason, failure_reason=r.failure_reason, restart_of=r.restart_of,
        n_results=int(n),
    )


def _scope(scope: Sequence[str] | dict[str, Any] | str | None) -> dict[str, Any]:
    if scope is None:
        classes: list[str] = []
    elif isinstance(scope, dict):
        classes = list(scope.get("classes") or [])
        if set(scope) - {"classes"}:
            raise InputError("the scope is a list of classes (segment labels), e.g. ['OGPO VTS', 'Property']")
    elif isinstance(scope, str):
        classes = [scope] if scope.strip() else []
    else:
        classes = list(scope)
    out = []
    for c in classes:
        if not isinstance(c, str) or not c.strip() or len(c) > 200:
            raise InputError(f"scope: {c!r} is not a class label (a segment label of the input, ≤ 200 characters)")
        out.append(c.strip())
    return {"classes": sorted(set(out))}


def _data_options(parameters: dict[str, Any]) -> dict[str, Any]:
    data = dict(DATA_DEFAULTS)
    for k, v in parameters.items():
        if k == "reserving":
            continue
        if k not in DATA_DEFAULTS:
            raise InputError(f"unknown run parameter '{k}': the run parameters are {', '.join(DATA_DEFAULTS)} "
                             "and, for a test run, 'reserving' (overrides of the methodology's options)")
        data[k] = v
    if not isinstance(data["cumulative"], bool):
        raise InputError("the run parameter 'cumulative' is true or false")
    if isinstance(data["segment_columns"], str):
        data["segment_columns"] = [data["segment_columns"]]
    if not all(isinstance(c, str) and c for c in data["segment_columns"]):
        raise InputError("the run parameter 'segment_columns' is a list of column names")
    data["segment_columns"] = list(data["segment_columns"])
    for k in ("measure", "origin_grain", "development_grain", "origin_basis"):
        if not isinstance(data[k], str):
            raise InputError(f"the run parameter '{k}' is text")
    from aktuar.data.triangles import MEASURES, ORIGIN_BASES

    if data["measure"] not in MEASURES:
        raise InputError(f"unknown measure '{data['measure']}': use one of {', '.join(MEASURES)}")
    if data["origin_basis"] not in ORIGIN_BASES:
        raise InputError(f"unknown origin basis '{data['origin_basis']}': use {', '.join(ORIGIN_BASES)}")
    return data


def _merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    ov = normalize_parameters(overrides)
    classes = {c: dict(v) for c, v in base.get("classes", {}).items()}
    for c, v in ov["classes"].items():
        classes[c] = {**classes.get(c, {}), **v}
    return normalize_parameters({"default": {**base.get("default", {}), **ov["default"]}, "classes": classes})


def _inputs_sha256(shas: dict[str, str]) -> str:
    return sha256_text(canonical({role: shas[role] for role in sorted(shas)}))


def _check_file(path: Path, sha: str, dataset_id: int) -> None:
    from aktuar.services.inputs import file_sha256

    if not path.is_file():
        raise IntegrityFailure(f"the stored file of dataset {dataset_id} ({path.name}) is missing from the data "
                               "directory: restore it from a backup")
    actual = file_sha256(path)
    if actual != sha:
        raise IntegrityFailure(f"the stored file of dataset {dataset_id} was changed on disk (sha256 {actual[:12]}… "
                               f"instead of {sha[:12]}…): restore it from a backup")


def _run_files(s: Session, db: Database, run_id: int) -> tuple[dict[str, Path], dict[str, tuple[int, str]]]:
    rows = s.execute(select(RunInput.role, Dataset).join(Dataset, Dataset.id == RunInput.dataset_id)
                     .where(RunInput.run_id == run_id)).all()
    files = {role: db.settings.data_dir / d.stored_path for role, d in rows}
    meta = {role: (d.id, d.sha256) for role, d in rows}
    return files, meta


def prepare_run(
    db: Database,
    actor: Actor,
    reporting_date: date,
    scope: Sequence[str] | dict[str, Any] | str | None,
    methodology_id: int | str,
    inputs: dict[str, int],
    parameters: dict[str, Any] | None = None,
    *,
    is_test: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
    restart_of: int | None = None,
) -> RunView:
    """Prepare a valuation run (status ``prepared``) and return it; see the module docstring."""
    parameters = dict(parameters or {})

    def plan() -> tuple[int, dict[str, Any], dict[str, Any], dict[str, Path], dict[str, tuple[int, str]]]:
        rbac.require(actor, "run.prepare")
        if not isinstance(reporting_date, date):
            raise InputError("the reporting date is a date (yyyy-mm-dd)")
        sc = _scope(scope)
        data = _data_options(parameters)
        overrides = parameters.get("reserving")
        if not isinstance(inputs, dict) or not inputs:
            raise InputError("a run needs input datasets by role, e.g. triangle=<dataset id>")
        unknown = sorted(set(inputs) - set(ROLES))
        if unknown:
            raise InputError(f"unknown input role(s) {', '.join(unknown)}: the roles are {', '.join(ROLES)}")
        with db.session() as s:
            from aktuar.services.methodology import _find

            m = _find(s, methodology_id)
            if m.status != "coordinated" and not is_test:
                raise WorkflowError(f"methodology {m.name}@{m.version} is {m.status}: a run uses a methodology "
                                    "coordinated with the regulator (or is marked as a test run)")
            reserving = json.loads(m.parameters)
            engine = engine_of(reserving)
            if engine == "ifrs17":
                if set(inputs) != {"ifrs17"}:
                    raise InputError(f"methodology {m.name}@{m.version} measures an IFRS 17 close: the run needs "
                                     "exactly the input ifrs17=<dataset id> (a dataset of kind 'ifrs17')")
                if sc["classes"]:
                    raise InputError("an IFRS 17 close measures every portfolio of its package together (the risk "
                                     "adjustment is diversified across them): leave the scope empty")
                if overrides is not None or data != DATA_DEFAULTS:
                    raise InputError("the data options and reserving overrides apply to reserving runs: an IFRS 17 "
                                     "close takes its options from its ifrs17.toml")
            elif engine == "statutory":
                if set(inputs) != {"statutory"}:
                    raise InputError(f"methodology {m.name}@{m.version} measures a statutory close: the run needs "
                                     "exactly the input statutory=<dataset id> (a dataset of kind 'statutory')")
                if sc["classes"]:
                    raise InputError("a statutory close measures every class of its package together (the solvency "
                                     "margin and the adequacy test are the company's): leave the scope empty")
                if overrides is not None or data != DATA_DEFAULTS:
                    raise InputError("the data options and reserving overrides apply to reserving runs: a statutory "
                                     "close takes its options from its statutory.toml")
            else:
                for pkg in PACKAGE_ENGINES:
                    if pkg in inputs:
                        raise InputError(f"the input '{pkg}' needs a methodology of engine '{pkg}' (parameters "
                                         f"{{\"engine\": \"{pkg}\"}}); {m.name}@{m.version} is a reserving "
                                         "methodology")
                if ("triangle" in inputs) == ("claims" in inputs):
                    raise InputError("a run needs exactly one of the inputs 'triangle' or 'claims'")
            if overrides is not None:
                if not is_test:
                    raise InputError("a run uses its methodology's reserving options; overriding them is allowed "
                                     "only in a test run")
                reserving = _merge_overrides(reserving, overrides)
            files: dict[str, Path] = {}
            meta: dict[str, tuple[int, str]] = {}
            for role, ds_id in inputs.items():
                try:
                    ds = s.get(Dataset, int(ds_id))
                except (TypeError, ValueError):
                    ds = None
                if ds is None:
                    raise InputError(f"no dataset {ds_id!r} for input '{role}': see 'aktuar runs datasets'")
                if ds.kind != ROLES[role]:
                    raise InputError(f"dataset {ds.id} is of kind '{ds.kind}': input '{role}' needs kind "
                                     f"'{ROLES[role]}'")
                files[role] = db.settings.data_dir / ds.stored_path
                meta[role] = (ds.id, ds.sha256)
            for role, (ds_id2, sha) in meta.items():
                _check_file(files[role], sha, ds_id2)
            identity = {"id": m.id, "name": m.name, "version": m.version, "parameters_sha256": m.parameters_sha256}
            effective: dict[str, Any]
            if engine in PACKAGE_ENGINES:
                effective = {"engine": engine, "methodology": identity}
            else:
                effective = {"data": data, "reserving": reserving,
                             "overrides": None if overrides is None else normalize_parameters(overrides),
                             "methodology": identity}
            return m.id, effective, sc, files, meta

    m_id, effective, sc, files, meta = guarded(db, actor, "run.prepare", "run:new", plan,
                                               details={"methodology": str(methodology_id), "is_test": is_test})
    env = environment()
    shas = {role: sha for role, (_, sha) in meta.items()}
    created = now or datetime.now(UTC)

    with database_errors(), db.session() as s:
        run = Run(reporting_date=reporting_date, scope=canonical(sc), methodology_id=m_id,
                  parameters=canonical(effective), is_test=is_test, status="running", code_version=code_version(env),
                  environment=canonical(env), inputs_sha256=_inputs_sha256(shas), created_by=actor.username,
                  created_at=created, worker=worker_id(), restart_of=restart_of)
        s.add(run)
        s.flush()
        for role, (ds_id, _) in meta.items():
            s.add(RunInput(run_id=run.id, role=role, dataset_id=ds_id))
        audit.record(s, actor, "business", "run.start", object=f"run:{run.id}",
                     details={"reporting_date": reporting_date.isoformat(), "scope": sc, "methodology_id": m_id,
                              "is_test": is_test, "inputs": {r: {"dataset": i, "sha256": h} for r, (i, h) in
                                                            meta.items()},
                              "inputs_sha256": run.inputs_sha256, "code_version": run.code_version,
                              "restart_of": restart_of})
        run_id = run.id

    try:
        computed = compute(effective, sc, files, reporting_date, progress)
        for role, (ds_id2, sha) in meta.items():  # the inputs did not change while computing
            _check_file(files[role], sha, ds_id2)
    except BaseException as exc:
        _mark_failed(db, actor, run_id, exc)
        raise
    digest = results_sha256(computed.rows, computed.documents)
    try:
        with database_errors(), db.session() as s:
            _insert_results(s, run_id, computed.rows)
            _insert_documents(s, run_id, computed.documents)
            done = _rowcount(s, update(Run).where(Run.id == run_id, Run.status == "running")
                             .values(status="prepared", results_sha256=digest, worker=None))
            if done != 1:
                raise WorkflowError(f"run {run_id} is no longer running (it was marked failed by 'recover' while "
                                    "it was computing): restart it")
            audit.record(s, actor, "business", "run.prepare", object=f"run:{run_id}",
                         details={"results_sha256": digest, "rows": len(computed.rows),
                                  **({"documents": {n: sha256_text(t) for n, t in computed.documents.items()}}
                                     if computed.documents else {}),
                                  "segments": computed.segments, "warnings": computed.warnings,
                                  "input_format": computed.input_format})
            return _run_view(s, s.get(Run, run_id))  # type: ignore[arg-type]
    except BaseException as exc:
        _mark_failed(db, actor, run_id, exc)
        raise


def _insert_results(s: Session, run_id: int, rows: Sequence[ResultRow]) -> None:
    """Insert a run's result rows in the session's transaction (PostgreSQL: COPY, else executemany)."""
    if not rows:
        return
    if s.get_bind().dialect.name == "postgresql":
        raw = s.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                "COPY run_results (run_id, segment, method, origin, quantity, value) FROM STDIN") as cp:
            for r in rows:
                cp.write_row((run_id, r.segment, r.method, r.origin, r.quantity, _value(r.value)))
        return
    s.execute(insert(RunResult), [
        {"run_id": run_id, "segment": r.segment, "method": r.method, "origin": r.origin, "quantity": r.quantity,
         "value": _value(r.value)} for r in rows])


def _insert_documents(s: Session, run_id: int, documents: Mapping[str, str]) -> None:
    """Insert a run's documents (written once, with its results) in the session's transaction."""
    if documents:
        s.execute(insert(RunDocument), [
            {"run_id": run_id, "name": name,
             "media_type": "application/toml" if name.endswith(".toml") else "application/json",
             "sha256": sha256_text(text),
             "content": text} for name, text in sorted(documents.items())])


def _rowcount(s: Session, stmt: Any) -> int:
    """Rows changed by an UPDATE (a conditional status change tells whether it won)."""
    result: CursorResult[Any] = s.execute(stmt)  # type: ignore[assignment]
    return int(result.rowcount)


def _mark_failed(db: Database, actor: Actor, run_id: int, exc: BaseException) -> None:
    reason = f"{type(exc).__name__}: {exc}"[:2000] if str(exc) else type(exc).__name__
    try:
        with db.session() as s:
            n = _rowcount(s, update(Run).where(Run.id == run_id, Run.status == "running")
                          .values(status="failed", failure_reason=reason, worker=None))
            if n:
                audit.record(s, actor, "business", "run.prepare", object=f"run:{run_id}", outcome="failure",
                             details={"reason": reason})
    except Exception:  # noqa: BLE001 - the database may be the problem; 'recover' marks the run later
        pass


def restart_run(db: Database, actor: Actor, run_id: int, *, progress: Progress | None = None,
                now: datetime | None = None) -> RunView:
    """Prepare a failed run again (same reporting date, scope, methodology, inputs and parameters)."""

    def load() -> tuple[date, list[str], int, dict[str, int], dict[str, Any], bool]:
        rbac.require(actor, "run.prepare")
        with db.session() as s:
            r = s.get(Run, int(run_id))
            if r is None:
                raise InputError(f"no run {run_id}")
            if r.status != "failed":
                raise WorkflowError(f"run {run_id} is {r.status}: only a failed run is restarted")
            p = json.loads(r.parameters)
            params = dict(p.get("data", {}))
            if p.get("overrides") is not None:
                params["reserving"] = p["overrides"]
            ins = {role: ds for role, ds in s.execute(select(RunInput.role, RunInput.dataset_id)
                                                      .where(RunInput.run_id == r.id)).all()}
            return r.reporting_date, json.loads(r.scope)["classes"], r.methodology_id, ins, params, bool(r.is_test)

    rd, sc, m_id, ins, params, is_test = guarded(db, actor, "run.restart", f"run:{run_id}", load)
    return prepare_run(db, actor, rd, sc, m_id, ins, params, is_test=is_test, progress=progress, now=now,
                       restart_of=int(run_id))


def list_runs(db: Database, actor: Actor, *, status: str | None = None, limit: int = 200) -> list[RunView]:
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        q = select(Run).order_by(Run.id.desc()).limit(limit)
        if status:
            q = q.where(Run.status == status)
        return [_run_view(s, r) for r in s.execute(q).scalars()]


def get_run(db: Database, actor: Actor, run_id: int) -> RunView:
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        r = s.get(Run, int(run_id))
        if r is None:
            raise InputError(f"no run {run_id}: see 'aktuar runs list'")
        return _run_view(s, r)


def _stored_rows(s: Session, run_id: int) -> list[ResultRow]:
    return [ResultRow(a, b, c, d, None if e is None else float(e)) for a, b, c, d, e in s.execute(
        select(RunResult.segment, RunResult.method, RunResult.origin, RunResult.quantity, RunResult.value)
        .where(RunResult.run_id == run_id).order_by(RunResult.id)).all()]


def _stored_documents(s: Session, run_id: int) -> dict[str, str]:
    return {n: c for n, c in s.execute(select(RunDocument.name, RunDocument.content)
                                       .where(RunDocument.run_id == run_id).order_by(RunDocument.name)).all()}


def _stored_sha256(s: Session, run_id: int) -> str:
    return results_sha256(_stored_rows(s, run_id), _stored_documents(s, run_id))


def run_documents(db: Database, actor: Actor, run_id: int) -> dict[str, str]:
    """A run's stored documents (name → text; an IFRS 17 run's disclosure documents), in name order."""
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        if s.get(Run, int(run_id)) is None:
            raise InputError(f"no run {run_id}: see 'aktuar runs list'")
        return _stored_documents(s, int(run_id))


def run_results(db: Database, actor: Actor, run_id: int, *, quantities: Sequence[str] | None = None,
                segments: Sequence[str] | None = None) -> list[ResultRow]:
    """A run's stored results in their order (optionally only some quantities and classes)."""
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        if s.get(Run, int(run_id)) is None:
            raise InputError(f"no run {run_id}: see 'aktuar runs list'")
        rows = _stored_rows(s, int(run_id))
    if quantities:
        rows = [r for r in rows if r.quantity in set(quantities)]
    if segments:
        rows = [r for r in rows if r.segment in set(segments)]
    return rows


def _audited_results_sha(s: Session, run_id: int) -> str | None:
    e = s.execute(select(AuditEvent).where(AuditEvent.action == "run.prepare", AuditEvent.object == f"run:{run_id}",
                                           AuditEvent.outcome == "success").order_by(AuditEvent.seq.desc())
                  .limit(1)).scalar_one_or_none()
    if e is None:
        return None
    got = json.loads(e.details).get("results_sha256")
    return None if got is None else str(got)


def verify_results(db: Database, actor: Actor, run_id: int) -> tuple[bool, str]:
    """Whether a run's stored results still hash to what was recorded (on the run and in the audit trail)."""
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        r = s.get(Run, int(run_id))
        if r is None:
            raise InputError(f"no run {run_id}")
        return _verify(s, r)


def _verify(s: Session, r: Run) -> tuple[bool, str]:
    if r.results_sha256 is None:
        return False, f"run {r.id} is {r.status} and has no results"
    now_sha = _stored_sha256(s, r.id)
    audited = _audited_results_sha(s, r.id)
    if now_sha != r.results_sha256:
        return False, (f"the stored results of run {r.id} were changed after it was prepared (sha256 now "
                       f"{now_sha[:12]}…, recorded {r.results_sha256[:12]}…)")
    if audited is not None and audited != r.results_sha256:
        return False, (f"the results hash recorded on run {r.id} ({r.results_sha256[:12]}…) differs from the one in "
                       f"the audit trail ({audited[:12]}…): the run record was altered")
    if audited is None:
        return False, f"the audit trail has no record of preparing run {r.id}"
    return True, f"the stored results of run {r.id} match their recorded hash {r.results_sha256}"


# ------------------------------------------------------------------------------------------- workflow
def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def _transition(db: Database, actor: Actor, run_id: int, action: str, permission: str,
                check: Callable[[Session, Run], None], values: dict[str, Any], from_status: Sequence[str],
                details: dict[str, Any]) -> RunView:
    def work() -> RunView:
        rbac.require(actor, permission)
        with db.session() as s:
            r = s.get(Run, int(run_id))
            if r is None:
                raise InputError(f"no run {run_id}: see 'aktuar runs list'")
            if r.status not in from_status:
                raise WorkflowError(f"run {r.id} is {r.status}: {action.split('.')[1]} needs a run that is "
                                    f"{' or '.join(from_status)}")
            check(s, r)
            ok, why = _verify(s, r)
            if not ok:
                raise IntegrityFailure(why)
            before = r.status
            n = _rowcount(s, update(Run).where(Run.id == r.id, Run.status == before).values(**values))
            if n != 1:
                raise WorkflowError(f"run {r.id} changed status while this was being decided: look at it again")
            audit.record(s, actor, "business", action, object=f"run:{r.id}",
                         details={"from": before, "to": values["status"], "results_sha256": r.results_sha256,
                                  **details})
            s.expire(r)
            return _run_view(s, s.get(Run, r.id))  # type: ignore[arg-type]

    return guarded(db, actor, action, f"run:{run_id}", work)


def review(db: Database, actor: Actor, run_id: int, *, comment: str = "", now: datetime | None = None) -> RunView:
    """prepared → reviewed, by someone other than the preparer."""

    def check(s: Session, r: Run) -> None:
        if _same(actor.username, r.created_by):
            raise SeparationOfDuties(f"{actor.username} prepared run {r.id} and cannot review it: another "
                                     "actuary reviews it")

    return _transition(db, actor, run_id, "run.review", "run.review", check,
                       {"status": "reviewed", "reviewed_by": actor.username, "reviewed_at": now or datetime.now(UTC)},
                       ("prepared",), {"comment": comment[:2000]} if comment else {})


def approve(db: Database, actor: Actor, run_id: int, *, comment: str = "", now: datetime | None = None) -> RunView:
    """reviewed → approved, by a chief actuary who neither prepared nor reviewed the run."""

    def check(s: Session, r: Run) -> None:
        if _same(actor.username, r.created_by):
            raise SeparationOfDuties(f"{actor.username} prepared run {r.id} and cannot approve it")
        if _same(actor.username, r.reviewed_by):
            raise SeparationOfDuties(f"{actor.username} reviewed run {r.id} and cannot also approve it")
        if r.is_test:
            raise WorkflowError(f"run {r.id} is a test run and cannot be approved: prepare a run with a "
                                "coordinated methodology")

    return _transition(db, actor, run_id, "run.approve", "run.approve", check,
                       {"status": "approved", "approved_by": actor.username, "approved_at": now or datetime.now(UTC)},
                       ("reviewed",), {"comment": comment[:2000]} if comment else {})


def reject(db: Database, actor: Actor, run_id: int, reason: str, *, now: datetime | None = None) -> RunView:
    """prepared or reviewed → rejected, with a reason, by someone other than the preparer."""
    why = (reason or "").strip()

    def check(s: Session, r: Run) -> None:
        if not why:
            raise InputError("a rejection needs a reason: say what is wrong with the run")
        if len(why) > 5000:
            raise InputError("the reason is longer than 5000 characters")
        if _same(actor.username, r.created_by):
            raise SeparationOfDuties(f"{actor.username} prepared run {r.id} and cannot reject it (decide on "
                                     "one's own run)")

    return _transition(db, actor, run_id, "run.reject", "run.reject", check,
                       {"status": "rejected", "rejected_by": actor.username, "rejected_at": now or datetime.now(UTC),
                        "rejection_reason": why}, ("prepared", "reviewed"), {"reason": why[:2000]})


# ------------------------------------------------------------------------------------------ reproduce
@dataclass(frozen=True)
class Difference:
    segment: str
    method: str
    origin: str
    quantity: str
    stored: float | None
    recomputed: float | None
    kind: str = "changed"  # changed | missing (stored only) | extra (recomputed only)

    def describe(self) -> str:
        where = f"{self.segment} / {self.method} / {self.origin} / {self.quantity}"
        if self.kind == "missing":
            return f"{where}: stored {self.stored!r}, not produced by the re-run"
        if self.kind == "extra":
            return f"{where}: re-run gives {self.recomputed!r}, not in the stored results"
        return f"{where}: stored {self.stored!r}, re-run {self.recomputed!r}"


@dataclass(frozen=True)
class ReproduceReport:
    run_id: int
    identical: bool
    recorded_sha256: str | None  # on the run when it was prepared
    stored_sha256: str  # over the rows stored now
    recomputed_sha256: str | None
    audited_sha256: str | None  # in the audit trail's record of the preparation
    tampered: bool  # the stored rows (or the run's hash) changed after preparation
    differences: list[Difference]
    code_version_then: str
    code_version_now: str
    environment_changes: dict[str, tuple[Any, Any]]
    explanation: list[str] = field(default_factory=list)


def _compare_rows(stored: Sequence[ResultRow], recomputed: Sequence[ResultRow]) -> list[Difference]:
    a = {r.key: r.value for r in stored}
    b = {r.key: r.value for r in recomputed}
    out = []
    for k, v in a.items():
        if k not in b:
            out.append(Difference(*k, stored=v, recomputed=None, kind="missing"))
        elif repr(_value(v)) != repr(_value(b[k])):
            out.append(Difference(*k, stored=v, recomputed=b[k]))
    for k, v in b.items():
        if k not in a:
            out.append(Difference(*k, stored=None, recomputed=v, kind="extra"))
    return out


def reproduce_run(db: Database, actor: Actor, run_id: int, *, progress: Progress | None = None) -> ReproduceReport:
    """Re-run a stored run from its stored inputs and parameters and compare the results bit for bit."""

    def load() -> tuple[Run, list[ResultRow], dict[str, str], dict[str, Path], dict[str, tuple[int, str]],
                        str | None]:
        rbac.require(actor, "run.read")
        with db.session() as s:
            r = s.get(Run, int(run_id))
            if r is None:
                raise InputError(f"no run {run_id}: see 'aktuar runs list'")
            if r.results_sha256 is None:
                raise WorkflowError(f"run {r.id} is {r.status} and has no results to reproduce")
            files, meta = _run_files(s, db, r.id)
            return r, _stored_rows(s, r.id), _stored_documents(s, r.id), files, meta, _audited_results_sha(s, r.id)

    r, stored, stored_docs, files, meta, audited = guarded(db, actor, "run.reproduce", f"run:{run_id}", load)
    env_then = json.loads(r.environment)
    env_now = environment()
    flat_then, flat_now = _flatten_env(env_then), _flatten_env(env_now)
    env_changes = {k: (flat_then.get(k), flat_now.get(k)) for k in sorted(set(flat_then) | set(flat_now))
                   if flat_then.get(k) != flat_now.get(k)}
    cv_now = code_version(env_now)
    stored_sha = results_sha256(stored, stored_docs)
    explanation: list[str] = []
    tampered = stored_sha != r.results_sha256 or (audited is not None and audited != r.results_sha256)
    input_problem = None
    try:
        for role, (ds_id, sha) in meta.items():
            _check_file(files[role], sha, ds_id)
    except IntegrityFailure as exc:
        input_problem = str(exc)
    recomputed_sha = None
    differences: list[Difference] = []
    doc_differences: list[str] = []
    if input_problem is None:
        computed = compute(json.loads(r.parameters), json.loads(r.scope), files, r.reporting_date, progress)
        recomputed_sha = results_sha256(computed.rows, computed.documents)
        differences = _compare_rows(stored, computed.rows)
        doc_differences = sorted(n for n in set(stored_docs) | set(computed.documents)
                                 if stored_docs.get(n) != computed.documents.get(n))
    identical = (not tampered and input_problem is None and recomputed_sha == r.results_sha256
                 and stored_sha == recomputed_sha)
    if identical:
        explanation.append(f"the re-run reproduces the stored results bit for bit (sha256 {recomputed_sha})")
    if input_problem:
        explanation.append(f"cannot re-run: {input_problem}")
    if stored_sha != r.results_sha256:
        explanation.append(f"the stored results no longer match the hash recorded when the run was prepared "
                           f"({r.results_sha256}): they were changed afterwards")
    if audited is not None and audited != r.results_sha256:
        explanation.append(f"the results hash on the run ({r.results_sha256}) differs from the audit trail's record "
                           f"of its preparation ({audited}): the run record was altered")
    if recomputed_sha is not None and recomputed_sha == audited and stored_sha != recomputed_sha:
        explanation.append("the re-run gives the originally recorded results: the differences below are changes "
                           "made to the stored numbers")
    if differences:
        explanation.append(f"{len(differences)} number(s) differ between the stored results and the re-run:")
        explanation.extend("  " + d.describe() for d in differences[:50])
        if len(differences) > 50:
            explanation.append(f"  … and {len(differences) - 50} more")
    if doc_differences:
        explanation.append(f"{len(doc_differences)} document(s) differ between the stored results and the re-run: "
                           + ", ".join(doc_differences))
    if env_changes:
        explanation.append("the code or dependency versions differ from those of the original run: " + "; ".join(
            f"{k} {a} → {b}" for k, a, b in ((k, *v) for k, v in env_changes.items())))
        if recomputed_sha is not None and recomputed_sha != r.results_sha256 and not tampered:
            explanation.append("the differences come from the changed code or dependencies (the stored inputs and "
                               "parameters are unchanged)")
    elif recomputed_sha is not None and recomputed_sha != r.results_sha256 and not tampered:
        explanation.append("the code and dependency versions are the same as for the original run, yet the results "
                           "differ: the computation is not deterministic on this machine")
    report = ReproduceReport(
        run_id=r.id, identical=identical, recorded_sha256=r.results_sha256, stored_sha256=stored_sha,
        recomputed_sha256=recomputed_sha, audited_sha256=audited, tampered=tampered, differences=differences,
        code_version_then=r.code_version, code_version_now=cv_now, environment_changes=env_changes,
        explanation=explanation,
    )
    with database_errors(), db.session() as s:
        audit.record(s, actor, "business", "run.reproduce", object=f"run:{r.id}",
                     outcome="success" if identical else "failure",
                     details={"identical": identical, "recomputed_sha256": recomputed_sha, "stored_sha256": stored_sha,
                              "differences": len(differences), "tampered": tampered,
                              "document_differences": doc_differences,
                              "environment_changes": sorted(env_changes), "input_problem": input_problem})
    return report


# ------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class CompareRow:
    segment: str
    quantity: str
    origin: str
    a: float | None
    b: float | None

    @property
    def difference(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def relative(self) -> float | None:
        d = self.difference
        return None if d is None or not self.a else d / abs(self.a)


@dataclass(frozen=True)
class Comparison:
    run_a: RunView
    run_b: RunView
    rows: list[CompareRow]
    methods: dict[str, tuple[str | None, str | None]]  # class → (method in a, method in b)


def compare_runs(db: Database, actor: Actor, run_a: int, run_b: int, *, quantities: Sequence[str] | None = None,
                 segments: Sequence[str] | None = None) -> Comparison:
    """Two runs side by side by class, reserve type (quantity) and origin: a, b, b − a and (b − a)/|a|."""
    rbac.require(actor, "run.read")
    with database_errors(), db.session() as s:
        views = []
        for rid in (run_a, run_b):
            run_row = s.get(Run, int(rid))
            if run_row is None:
                raise InputError(f"no run {rid}: see 'aktuar runs list'")
            views.append(_run_view(s, run_row))
        ra, rb = _stored_rows(s, int(run_a)), _stored_rows(s, int(run_b))
        audit.record(s, actor, "business", "run.compare", object=f"run:{run_a}",
                     details={"a": int(run_a), "b": int(run_b), "quantities": list(quantities or [])})
    qs, ss = set(quantities or ()), set(segments or ())

    def keep(r: ResultRow) -> bool:
        return (not qs or r.quantity in qs) and (not ss or r.segment in ss)

    methods: dict[str, tuple[str | None, str | None]] = {}
    for r in ra:
        methods[r.segment] = (r.method, methods.get(r.segment, (None, None))[1])
    for r in rb:
        methods[r.segment] = (methods.get(r.segment, (None, None))[0], r.method)
    bmap = {(r.segment, r.quantity, r.origin): r.value for r in rb if keep(r)}
    rows: list[CompareRow] = []
    seen = set()
    for r in ra:
        if not keep(r):
            continue
        k = (r.segment, r.quantity, r.origin)
        seen.add(k)
        rows.append(CompareRow(r.segment, r.quantity, r.origin, r.value, bmap.get(k)))
    for r in rb:
        k = (r.segment, r.quantity, r.origin)
        if keep(r) and k not in seen:
            rows.append(CompareRow(r.segment, r.quantity, r.origin, None, r.value))
    order = {q: i for i, q in enumerate(dict.fromkeys(r.quantity for r in rows))}
    seg_order = {g: i for i, g in enumerate(dict.fromkeys(r.segment for r in rows))}
    rows.sort(key=lambda c: (seg_order[c.segment], order[c.quantity]))  # stable: origins keep their order
    return Comparison(views[0], views[1], rows, methods)


# -------------------------------------------------------------------------------------------- recovery
@dataclass(frozen=True)
class RecoverReport:
    failed_runs: list[int]
    still_running: list[int]
    removed_temp_files: list[str]
    removed_orphans: list[str]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped is a zombie: it computes nothing
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _worker_alive(worker: str | None, started: datetime, now: datetime, stale_after: timedelta) -> bool:
    host, _, pid = (worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return _pid_alive(int(pid))
    return now - audit.utc(started) < stale_after


def _temp_owner_alive(name: str, mtime: float, now: datetime, stale_after: timedelta) -> bool:
    rest = name[len(".incoming-"):]
    parts = rest.rsplit("-", 2)
    if len(parts) == 3 and parts[0] == socket.gethostname() and parts[1].isdigit():
        return _pid_alive(int(parts[1]))
    return now - datetime.fromtimestamp(mtime, UTC) < stale_after


def recover(db: Database, actor: Actor, *, now: datetime | None = None, stale_after: timedelta = timedelta(hours=12),
            orphan_grace: timedelta = timedelta(minutes=10)) -> RecoverReport:
    """After a crash: mark runs whose worker is gone as failed (audited), remove temporary files left by killed
    imports, and stored files that no dataset or methodology references (older than ``orphan_grace``)."""
    now = now or datetime.now(UTC)

    def work() -> RecoverReport:
        rbac.require(actor, "run.recover")
        failed: list[int] = []
        alive: list[int] = []
        with db.session() as s:
            for r in s.execute(select(Run).where(Run.status == "running").order_by(Run.id)).scalars():
                if _worker_alive(r.worker, r.created_at, now, stale_after):
                    alive.append(r.id)
                    continue
                reason = f"abandoned: the process computing it ({r.worker or 'unknown'}) ended without finishing"
                n = _rowcount(s, update(Run).where(Run.id == r.id, Run.status == "running")
                               .values(status="failed", failure_reason=reason, worker=None))
                if n:
                    failed.append(r.id)
                    audit.record(s, actor, "business", "run.abandoned", object=f"run:{r.id}",
                                 details={"worker": r.worker, "reason": reason})
            known_ds = {sha for (sha,) in s.execute(select(Dataset.sha256)).all()}
            known_docs = {sha for (sha,) in s.execute(select(Methodology.document_sha256)).all() if sha}
        removed_tmp: list[str] = []
        removed_orphans: list[str] = []
        for folder, known in ((datasets_dir(db), known_ds), (db.settings.data_dir / "methodology", known_docs)):
            if not folder.is_dir():
                continue
            for p in sorted(folder.iterdir()):
                if not p.is_file():
                    continue
                st = p.stat()
                if p.name.startswith(".incoming-"):
                    if not _temp_owner_alive(p.name, st.st_mtime, now, stale_after):
                        p.unlink(missing_ok=True)
                        removed_tmp.append(str(p.relative_to(db.settings.data_dir)))
                elif p.name.split(".", 1)[0] not in known:
                    if now - datetime.fromtimestamp(st.st_mtime, UTC) >= orphan_grace:
                        with db.session() as s:  # look again: an import may have committed meanwhile
                            sha = p.name.split(".", 1)[0]
                            still = (s.execute(select(Dataset.id).where(Dataset.sha256 == sha)).first()
                                     or s.execute(select(Methodology.id).where(Methodology.document_sha256 == sha))
                                     .first())
                        if still is None:
                            p.unlink(missing_ok=True)
                            removed_orphans.append(str(p.relative_to(db.settings.data_dir)))
        with db.session() as s:
            audit.record(s, actor, "business", "run.recover", object="runs",
                         details={"failed_runs": failed, "still_running": alive, "removed_temp_files": removed_tmp,
                                  "removed_orphans": removed_orphans})
        return RecoverReport(failed, alive, removed_tmp, removed_orphans)

    return guarded(db, actor, "run.recover", "runs", work)


# ---------------------------------------------------------------------------------------- immutability
_WORKFLOW_FIELDS = {"status", "reviewed_by", "reviewed_at", "approved_by", "approved_at", "rejected_by",
                    "rejected_at", "rejection_reason", "failure_reason", "worker"}


@event.listens_for(Session, "before_flush")
def _guard_runs(session: Session, _ctx: Any, _instances: Any) -> None:
    """Through any ORM session: results are written once; a run's record of what was computed never changes;
    an approved run does not change at all and is never deleted."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, RunResult | RunDocument):
            if obj in session.deleted or session.is_modified(obj):
                raise ImmutableError(f"the results of run {obj.run_id} are written once and cannot be changed")
        elif isinstance(obj, Run):
            state = inspect(obj)
            hist = state.attrs.status.history
            committed = (hist.deleted or hist.unchanged or [obj.status])[0]
            if committed == "running":
                continue
            if obj in session.deleted:
                raise ImmutableError(f"run {obj.id} is {committed} and cannot be deleted")
            changed = {a.key for a in state.attrs if a.history.has_changes()} - {"inputs"}
            if not changed:
                continue
            if committed == "approved":
                raise ImmutableError(f"run {obj.id} is approved and cannot be changed ({', '.join(sorted(changed))})")
            if changed - _WORKFLOW_FIELDS:
                raise ImmutableError(f"run {obj.id}: what was computed ({', '.join(sorted(changed - _WORKFLOW_FIELDS))})"
                                     " cannot be changed after the run")
        elif isinstance(obj, RunInput):
            run = session.get(Run, obj.run_id)
            if run is not None and run.status != "running":
                raise ImmutableError(f"the inputs of run {obj.run_id} cannot be changed after the run")


# Database triggers for the same rules against raw SQL (for a migration; ``install_result_triggers`` applies
# them to a connection). SQLite and PostgreSQL.
RESULT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS run_results_insert_running BEFORE INSERT ON run_results
           WHEN (SELECT status FROM runs WHERE id = NEW.run_id) IS NOT 'running'
           BEGIN SELECT RAISE(ABORT, 'results are added to a run only while it is running'); END""",
        """CREATE TRIGGER IF NOT EXISTS run_results_no_update BEFORE UPDATE ON run_results
           BEGIN SELECT RAISE(ABORT, 'run results are immutable'); END""",
        """CREATE TRIGGER IF NOT EXISTS run_results_no_delete_approved BEFORE DELETE ON run_results
           WHEN (SELECT status FROM runs WHERE id = OLD.run_id) = 'approved'
           BEGIN SELECT RAISE(ABORT, 'the results of an approved run are immutable'); END""",
        """CREATE TRIGGER IF NOT EXISTS runs_approved_no_update BEFORE UPDATE ON runs WHEN OLD.status = 'approved'
           BEGIN SELECT RAISE(ABORT, 'an approved run is immutable'); END""",
        """CREATE TRIGGER IF NOT EXISTS runs_approved_no_delete BEFORE DELETE ON runs WHEN OLD.status = 'approved'
           BEGIN SELECT RAISE(ABORT, 'an approved run is immutable'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION aktuar_run_results_guard() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_OP = 'INSERT' THEN
               IF (SELECT status FROM runs WHERE id = NEW.run_id) IS DISTINCT FROM 'running' THEN
                 RAISE EXCEPTION 'results are added to a run only while it is running';
               END IF;
               RETURN NEW;
             ELSIF TG_OP = 'UPDATE' THEN
               RAISE EXCEPTION 'run results are immutable';
             END IF;
             IF (SELECT status FROM runs WHERE id = OLD.run_id) = 'approved' THEN
               RAISE EXCEPTION 'the results of an approved run are immutable';
             END IF;
             RETURN OLD;
           END $$""",
        """CREATE OR REPLACE FUNCTION aktuar_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF OLD.status = 'approved' THEN RAISE EXCEPTION 'an approved run is immutable'; END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END $$""",
        "DROP TRIGGER IF EXISTS run_results_guard ON run_results",
        """CREATE TRIGGER run_results_guard BEFORE INSERT OR UPDATE OR DELETE ON run_results
           FOR EACH ROW EXECUTE FUNCTION aktuar_run_results_guard()""",
        "DROP TRIGGER IF EXISTS runs_guard ON runs",
        """CREATE TRIGGER runs_guard BEFORE UPDATE OR DELETE ON runs
           FOR EACH ROW EXECUTE FUNCTION aktuar_runs_guard()""",
    ],
}


# The same rules for a run's documents (migration 0005, which creates their table).
DOCUMENT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS run_documents_insert_running BEFORE INSERT ON run_documents
           WHEN (SELECT status FROM runs WHERE id = NEW.run_id) IS NOT 'running'
           BEGIN SELECT RAISE(ABORT, 'documents are added to a run only while it is running'); END""",
        """CREATE TRIGGER IF NOT EXISTS run_documents_no_update BEFORE UPDATE ON run_documents
           BEGIN SELECT RAISE(ABORT, 'run documents are immutable'); END""",
        """CREATE TRIGGER IF NOT EXISTS run_documents_no_delete_approved BEFORE DELETE ON run_documents
           WHEN (SELECT status FROM runs WHERE id = OLD.run_id) = 'approved'
           BEGIN SELECT RAISE(ABORT, 'the documents of an approved run are immutable'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION aktuar_run_documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_OP = 'INSERT' THEN
               IF (SELECT status FROM runs WHERE id = NEW.run_id) IS DISTINCT FROM 'running' THEN
                 RAISE EXCEPTION 'documents are added to a run only while it is running';
               END IF;
               RETURN NEW;
             ELSIF TG_OP = 'UPDATE' THEN
               RAISE EXCEPTION 'run documents are immutable';
             END IF;
             IF (SELECT status FROM runs WHERE id = OLD.run_id) = 'approved' THEN
               RAISE EXCEPTION 'the documents of an approved run are immutable';
             END IF;
             RETURN OLD;
           END $$""",
        "DROP TRIGGER IF EXISTS run_documents_guard ON run_documents",
        """CREATE TRIGGER run_documents_guard BEFORE INSERT OR UPDATE OR DELETE ON run_documents
           FOR EACH ROW EXECUTE FUNCTION aktuar_run_documents_guard()""",
    ],
}


def install_result_triggers(connection: Any) -> None:
    """Create the database triggers of :data:`RESULT_TRIGGERS` on ``connection`` (SQLAlchemy Connection), and
    those of :data:`DOCUMENT_TRIGGERS` when the database has the table ``run_documents`` (migration 0005)."""
    from sqlalchemy import text

    name = connection.dialect.name
    if name not in RESULT_TRIGGERS:
        raise InputError(f"no result triggers for database '{name}'")
    for stmt in RESULT_TRIGGERS[name]:
        connection.execute(text(stmt))
    if inspect(connection).has_table("run_documents"):
        install_document_triggers(connection)


def install_document_triggers(connection: Any) -> None:
    """Create the database triggers of :data:`DOCUMENT_TRIGGERS` on ``connection``."""
    from sqlalchemy import text

    name = connection.dialect.name
    if name not in DOCUMENT_TRIGGERS:
        raise InputError(f"no document triggers for database '{name}'")
    for stmt in DOCUMENT_TRIGGERS[name]:
        connection.execute(text(stmt))


@dataclass(frozen=True)
class ExportInfo:
    path: Path
    rows: int
    sha256: str
    run_status: str


EXPORT_FORMATS = ("csv", "json", "xlsx")


def export_run(db: Database, actor: Actor, run_id: int, path: Path | str) -> ExportInfo:
    """Write a run's stored results with its identity (status, who prepared/reviewed/approved, hashes) to
    ``path`` (.csv or .json; .xlsx for an IFRS 17 run: the IFRS 17 workbook of its reporting date's disclosure
    document), after checking the stored results against their hash; the export is audited (``report.export``)
    with the file's SHA-256, and a refused export too.

    The file is written to a temporary file and renamed, so a failed export leaves nothing.
    """
    path = Path(path)
    obj = f"run:{run_id}"

    def work() -> ExportInfo:
        rbac.require(actor, "report.read")
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in EXPORT_FORMATS:
            raise InputError(f"export to .csv or .json (or .xlsx for an IFRS 17 run), not '{path.name}'")
        if not path.parent.is_dir():
            raise InputError(f"the folder {path.parent} does not exist: create it or choose another file")
        run = get_run(db, actor, run_id)
        rows = run_results(db, actor, run_id)
        documents = run_documents(db, actor, run_id)
        if fmt == "xlsx" and run.engine != "ifrs17":
            raise InputError(f"run {run_id} is a reserving run: export it to .csv or .json (the web app's run page "
                             "downloads it as XLSX)")
        stored = results_sha256(rows, documents)
        if run.results_sha256 is None or stored != run.results_sha256:
            raise IntegrityFailure(
                f"run {run_id}'s stored results do not match their recorded hash: they were changed after the run "
                "was prepared; see 'aktuar runs reproduce'"
            )
        header = {"run": run.id, "status": run.status, "reporting_date": run.reporting_date.isoformat(),
                  "methodology": run.methodology, "prepared_by": run.created_by, "reviewed_by": run.reviewed_by,
                  "approved_by": run.approved_by, "results_sha256": run.results_sha256,
                  "code_version": run.code_version, "is_test": run.is_test}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if fmt == "xlsx":
                from aktuar.services.ifrs17_runs import document_name, write_workbook

                name = document_name(run.reporting_date.isoformat())
                if name not in documents:
                    raise IntegrityFailure(f"run {run_id} has no disclosure document {name}")
                write_workbook(documents[name], tmp)
            else:
                _write_rows(tmp, fmt, header, rows)
            from aktuar.services.inputs import file_sha256

            digest = file_sha256(tmp)
            placed = False
            try:
                with database_errors(), db.session() as s:
                    audit.record(s, actor, "business", "report.export", object=obj,
                                 details={"file": path.name, "format": fmt, "rows": len(rows), "sha256": digest,
                                          "run_status": run.status, "results_sha256": run.results_sha256})
                    os.replace(tmp, path)  # the file appears only with its audit record (commit follows)
                    placed = True
            except BaseException:
                if placed and path.exists():  # the audit record was not committed: no unaudited export
                    path.unlink()
                raise
        finally:
            if tmp.exists():
                tmp.unlink()
        return ExportInfo(path, len(rows), digest, run.status)

    return guarded(db, actor, "report.export", obj, work)


def _write_rows(tmp: Path, fmt: str, header: dict[str, Any], rows: Sequence[ResultRow]) -> None:
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        if fmt == "json":
            json.dump({**header, "results": [
                {"class": r.segment, "method": r.method, "origin": r.origin, "quantity": r.quantity,
                 "value": r.value} for r in rows]}, fh, ensure_ascii=False, indent=1)
        else:
            import csv

            w = csv.writer(fh)
            w.writerow(["# " + "; ".join(f"{k}={v}" for k, v in header.items())])
            w.writerow(["class", "method", "origin", "quantity", "value"])
            for r in rows:
                w.writerow([r.segment, r.method, r.origin, r.quantity, "" if r.value is None else repr(r.value)])
