"""IFRS 17 close packages uploaded in the browser, and IFRS 17 runs prepared from them (issue 5).

- :func:`import_package_upload`: an uploaded package (multipart stream) → size limit, a safe ``.zip`` name and the
  ZIP signature, then ``valuation.import_dataset(kind="ifrs17")`` — exactly the checks of
  ``aktuar runs import FILE --kind ifrs17`` (:func:`aktuar.services.ifrs17_runs.validate_package`: path
  traversal, symbolic links and special files, encrypted or duplicate members, ZIP bombs and files the
  configuration does not name are refused; the configuration is loaded and every file it names must be in the
  package). A refused package gives a :class:`~aktuar.services.web_support.ValidationProblem` naming the user's
  file and the member (``close.zip:ifrs17.toml``), the row and the column (for a configuration error, its key);
  nothing is stored and the refusal is audited (``dataset.import`` failure) as on the command line.
- :func:`close_reporting_date`: the last reporting date of a stored package's configuration — the reporting date
  of a run measuring it, so nobody has to type it.
- :func:`prepare_close_run`: prepare the governed IFRS 17 run of a stored package with an IFRS 17 methodology
  (``valuation.prepare_run``, engine ``ifrs17``); errors of the package's files name the user's file and the
  member with row and column, never the content-addressed name on the server. The web app runs it as a
  background job (:mod:`aktuar.services.web_jobs`, kind ``ifrs17.prepare``).
"""

from __future__ import annotations

import shutil
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.security.context import Actor
from aktuar.services import valuation
from aktuar.services.methodology import (
    audit_refusal,
    database_errors,
    engine_of,
    guarded,
    list_methodologies,
)
from aktuar.services.web_support import (
    _SAFE_NAME,
    DEFAULT_MAX_UPLOAD_BYTES,
    UploadOutcome,
    ValidationProblem,
    receive,
)
from aktuar.store.db import Database

PACKAGE_SUFFIX = ".zip"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty archive


def package_filename(name: str) -> str:
    """The base name of an uploaded package reduced to letters, digits, ``. - _`` and spaces (≤ 120
    characters); ``InputError`` unless it is a ``.zip``."""
    base = unicodedata.normalize("NFKC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" .")
    if not base:
        raise InputError("the uploaded package has no usable name: name it like close-2026.zip")
    suffix = Path(base).suffix.lower()
    if suffix != PACKAGE_SUFFIX:
        raise InputError(f"file type '{suffix or '(none)'}' is not an IFRS 17 package: upload a .zip holding "
                         "ifrs17.toml and the files it names", file=base[:120])
    stem = Path(base).stem[: 120 - len(suffix)] or "package"
    return stem + PACKAGE_SUFFIX


def _shown_file(file: str | None, tmp_dir: str, name: str) -> str:
    """The user's view of an error's file: the uploaded name (and the member), never the server's folder."""
    if not file:
        return name
    text = str(file)
    for prefix in (tmp_dir + "/", tmp_dir + "\\", tmp_dir):
        text = text.replace(prefix, "")
    return text[:300]


def _problem(exc: InputError, tmp_dir: str, name: str) -> ValidationProblem:
    message = str(exc.message).replace(tmp_dir + "/", "").replace(tmp_dir, "")
    return ValidationProblem(_shown_file(exc.file, tmp_dir, name), exc.row, exc.column, message[:500])


def import_package_upload(db: Database, actor: Actor, filename: str, stream: BinaryIO, *,
                          max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, now: datetime | None = None) -> UploadOutcome:
    """Import an uploaded IFRS 17 close package as a dataset of kind ``ifrs17`` (``data.import``). A package
    the checks refuse gives ``UploadOutcome(None, problem)`` (audited); permission refusals raise."""
    shown = str(filename or "")[:120]
    details = {"kind": "ifrs17", "web": True}

    def precheck() -> str:
        rbac.require(actor, "data.import")
        return package_filename(filename)

    try:
        name = guarded(db, actor, "dataset.import", f"file:{shown}", precheck, details=details)
    except InputError as exc:
        return UploadOutcome(None, ValidationProblem(exc.file or shown, exc.row, exc.column, exc.message))
    folder = db.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp_dir = tempfile.mkdtemp(prefix="up-", dir=folder)
    try:
        path = Path(tmp_dir) / name
        try:
            head = receive(stream, path, max_bytes, head_bytes=8,
                           too_large="import it with 'aktuar runs import FILE --kind ifrs17'",
                           empty="the package is empty: it is a ZIP with ifrs17.toml and the files it names")
            if not head.startswith(ZIP_SIGNATURES):
                raise InputError("the file is named .zip but is not a ZIP archive: zip the folder holding "
                                 "ifrs17.toml and the files it names", file=name)
        except InputError as exc:
            audit_refusal(db, actor, "dataset.import", f"file:{name}", exc, details)
            return UploadOutcome(None, _problem(exc, tmp_dir, name))
        try:
            ds = valuation.import_dataset(db, actor, path, "ifrs17", now=now)  # the CLI's checks; audited
        except InputError as exc:
            return UploadOutcome(None, _problem(exc, tmp_dir, name))
        return UploadOutcome(ds, None)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def packages(db: Database, actor: Actor) -> list[valuation.DatasetView]:
    """The stored IFRS 17 close packages, newest first (``data.read``)."""
    return [d for d in reversed(valuation.list_datasets(db, actor)) if d.kind == "ifrs17"]


def close_methodologies(db: Database, actor: Actor) -> list[Any]:
    """Methodologies of engine ``ifrs17`` a run may use (coordinated; draft or submitted ones for test runs),
    ``methodology.read``."""
    return [m for m in list_methodologies(db, actor)
            if engine_of(m.parameters) == "ifrs17" and m.status in ("coordinated", "draft", "submitted")]


def _stored_package(db: Database, dataset_id: int) -> valuation.DatasetView:
    from aktuar.store.models import Dataset

    with database_errors(), db.session() as s:
        d = s.get(Dataset, int(dataset_id))
        if d is None:
            raise InputError(f"no dataset {dataset_id}: upload the IFRS 17 package first")
        view = valuation._dataset_view(db, d)
    if view.kind != "ifrs17":
        raise InputError(f"dataset {view.id} ({view.filename}) is of kind '{view.kind}', not an IFRS 17 close "
                         "package")
    return view


def _reporting_date(view: valuation.DatasetView) -> date:
    from aktuar.services.ifrs17_config import load_config
    from aktuar.services.ifrs17_runs import unpack

    valuation._check_file(view.stored_path, view.sha256, view.id)
    with tempfile.TemporaryDirectory(prefix="aktuar-ifrs17-date-") as tmp:
        config_path = unpack(view.stored_path, Path(tmp) / "package", filename=view.filename)  # checked again
        return load_config(config_path).reporting_dates[-1]


def close_reporting_date(db: Database, actor: Actor, dataset_id: int) -> date:
    """The last reporting date of a stored package's configuration (``run.prepare``): the reporting date of the
    run that measures it. The stored file is checked against its hash and unpacked with the import's checks."""
    rbac.require(actor, "run.prepare")
    return _reporting_date(_stored_package(db, dataset_id))


def _named(exc: InputError, stored: str, shown: str) -> InputError:
    """``exc`` naming the user's package ``shown`` instead of its stored (content-addressed) name."""

    def fix(text: str | None) -> str | None:
        return None if text is None else str(text).replace(stored, shown)

    return type(exc)(fix(exc.message) or "", file=fix(exc.file), row=exc.row, column=exc.column)


def prepare_close_run(db: Database, actor: Actor, dataset_id: int, methodology_id: int, *, is_test: bool = False,
                      progress: valuation.Progress | None = None,
                      now: datetime | None = None) -> valuation.RunView:
    """Prepare the IFRS 17 run of the stored package ``dataset_id`` with the IFRS 17 methodology
    ``methodology_id`` at the package's last reporting date (``run.prepare``; audited by ``prepare_run``, a
    refusal before it as a ``run.prepare`` failure)."""

    def plan() -> tuple[valuation.DatasetView, date]:
        rbac.require(actor, "run.prepare")
        view = _stored_package(db, dataset_id)
        return view, _reporting_date(view)

    view, reporting = guarded(db, actor, "run.prepare", "run:new", plan,
                              details={"ifrs17": dataset_id, "methodology": str(methodology_id),
                                       "is_test": is_test})
    try:
        return valuation.prepare_run(db, actor, reporting, None, methodology_id, {"ifrs17": view.id},
                                     is_test=is_test, progress=progress, now=now)
    except InputError as exc:
        raise _named(exc, view.stored_path.name, view.filename) from None
