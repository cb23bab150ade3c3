"""Service functions the web application needs beyond ``valuation`` and ``accounts`` (issue 5).

- :func:`import_upload`: an uploaded file (multipart stream) → size limit, file-type check (extension *and*
  content signature), then ``valuation.import_dataset`` — a file the readers refuse yields a
  :class:`ValidationProblem` with the file, row, column and message of the readers' ``InputError``. Every
  refusal is audited (``dataset.import`` failure) like an import from the command line.
- :func:`analyse_dataset`: an exploratory reserving analysis of a stored dataset (no run is recorded): the
  triangle, link ratios with exclusions (each with a reason), the development factors, the method comparison
  (chain ladder, Mack, Bornhuetter–Ferguson and Cape Cod when an exposure dataset is given, ODP bootstrap) and
  the simulated distribution of the total reserve. Reading a dataset needs ``data.read`` and is audited.
- :func:`export_run_xlsx`: a run's stored results as an XLSX workbook in Russian or English (a reserving run:
  identity sheet + results; an IFRS 17 run: its disclosure workbook), checked against the recorded hash and
  audited (``report.export``) with the file's SHA-256 and the language, like ``export_run``;
  :func:`write_run_xlsx` writes it to a file (``aktuar runs export --out F.xlsx --lang ru|en``).
- :func:`ifrs17_demo_close`: the IFRS 17 close of the demo insurer (``run_close``), cached per data directory.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from aktuar.core.reserving.development import Exclusion
from aktuar.errors import InputError
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.services import valuation
from aktuar.services.methodology import audit_refusal, database_errors, guarded
from aktuar.store.db import Database

UPLOAD_SUFFIXES: dict[str, str] = {".csv": "CSV", ".txt": "CSV", ".xlsx": "XLSX", ".parquet": "Parquet"}
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ANALYSIS_METHODS: tuple[str, ...] = ("chainladder", "mack", "bf", "capecod", "bootstrap")
MAX_SIMS = 5000
HEAT_CLASSES = 7  # heat-0 … heat-6: CSS classes of the triangle heat-map (no inline styles)
DEVIATION_CLASSES = ("dev-lo3", "dev-lo2", "dev-lo1", "dev-0", "dev-hi1", "dev-hi2", "dev-hi3")
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


# ---------------------------------------------------------------------------------------------- uploads
@dataclass(frozen=True)
class ValidationProblem:
    """Why a file was refused: where (file, 1-based row as a spreadsheet shows it, column) and what to fix."""

    file: str
    row: int | None
    column: str | None
    message: str


@dataclass(frozen=True)
class UploadOutcome:
    dataset: valuation.DatasetView | None
    problem: ValidationProblem | None


def safe_filename(name: str) -> str:
    """The base name of an uploaded file, reduced to letters, digits, ``. - _`` and spaces (≤ 120 characters);
    ``InputError`` when nothing usable is left or the type is not one the readers know."""
    base = unicodedata.normalize("NFKC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" .")
    if not base:
        raise InputError("the uploaded file has no usable name: name it like claims-2025.csv")
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"file type '{suffix or '(none)'}' is not accepted: upload a .csv, .xlsx or .parquet file",
                         file=base[:120])
    stem = Path(base).stem[: 120 - len(suffix)] or "upload"
    return stem + suffix


def receive(stream: BinaryIO, target: Path, limit: int, *, empty: str, too_large: str = "",
            head_bytes: int = 8192) -> bytes:
    """Copy an uploaded ``stream`` into the new file ``target`` in 1 MiB blocks, refusing more than ``limit`` bytes
    (``too_large``: what to do instead, after the limit) or nothing at all (``empty``: the message); the first
    ``head_bytes`` bytes are returned for a content-signature check. ``InputError`` names the file."""
    size, head = 0, b""
    with open(target, "xb") as fh:
        for block in iter(lambda: stream.read(1 << 20), b""):
            if len(head) < head_bytes:
                head += block[: head_bytes - len(head)]
            size += len(block)
            if size > limit:
                raise InputError(f"the file is larger than the upload limit of {limit // (1 << 20)} MB"
                                 + (f": {too_large}" if too_large else ""), file=target.name)
            fh.write(block)
    if size == 0:
        raise InputError(empty, file=target.name)
    return head


def check_signature(head: bytes, filename: str) -> None:
    """The content must be what the extension says: XLSX is a ZIP (``PK\\x03\\x04``), Parquet starts with
    ``PAR1``, CSV is text (no NUL bytes; UTF-8 or a single-byte code page)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx" and not head.startswith(b"PK\x03\x04"):
        raise InputError("the file is named .xlsx but is not an Excel workbook: save it as .xlsx again",
                         file=filename)
    if suffix == ".parquet" and not head.startswith(b"PAR1"):
        raise InputError("the file is named .parquet but is not a Parquet file", file=filename)
    if suffix in (".csv", ".txt") and (b"\x00" in head or head.startswith((b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0"))):
        raise InputError("the file is named .csv but is not text: export the sheet as CSV (UTF-8)", file=filename)


def _problem(exc: InputError, filename: str, tmp_dir: str) -> ValidationProblem:
    message = str(exc.message).replace(tmp_dir, "").replace(tmp_dir.replace("/", "\\"), "")
    return ValidationProblem(filename, exc.row, exc.column, message[:500])


def import_upload(db: Database, actor: Actor, filename: str, stream: BinaryIO, kind: str, *,
                  max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, now: datetime | None = None) -> UploadOutcome:
    """Import an uploaded file as a dataset of ``kind`` (``data.import``). A file the checks or the readers
    refuse gives ``UploadOutcome(None, problem)`` (audited); permission refusals raise."""
    shown = str(filename or "")[:120]

    def precheck() -> str:
        rbac.require(actor, "data.import")
        if kind not in valuation.KINDS:
            raise InputError(f"unknown dataset kind '{kind}': use one of {', '.join(valuation.KINDS)}")
        return safe_filename(filename)

    try:
        name = guarded(db, actor, "dataset.import", f"file:{shown}", precheck, details={"kind": kind, "web": True})
    except InputError as exc:
        return UploadOutcome(None, ValidationProblem(shown, exc.row, exc.column, exc.message))
    folder = db.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp_dir = tempfile.mkdtemp(prefix="up-", dir=folder)
    try:
        path = Path(tmp_dir) / name
        try:
            head = receive(stream, path, max_bytes, too_large="split it or import it with 'aktuar runs import'",
                           empty="the file is empty: it needs a header row and at least one data row")
            check_signature(head, name)
        except InputError as exc:
            audit_refusal(db, actor, "dataset.import", f"file:{name}", exc, {"kind": kind, "web": True})
            return UploadOutcome(None, _problem(exc, name, tmp_dir))
        try:
            ds = valuation.import_dataset(db, actor, path, kind, now=now)  # audited, refusals too
        except InputError as exc:
            return UploadOutcome(None, _problem(exc, name, tmp_dir))
        return UploadOutcome(ds, None)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------- analysis
@dataclass(frozen=True)
class MethodRow:
    method: str
    ultimate: float
    ibnr: float
    se: float | None
    by_origin: list[float]  # reserve by origin


@dataclass(frozen=True)
class Analysis:
    dataset: valuation.DatasetView
    segment: str
    segments: list[str]
    origins: list[str]
    ages: list[int]
    values: list[list[float | None]]
    heat: list[list[int | None]]  # heat class 0 … HEAT_CLASSES−1 within each development column
    link_ratios: list[list[float | None]]  # O × (D−1)
    deviation: list[list[str]]  # CSS class of each link ratio (deviation from the selected factor)
    used: list[list[bool]]
    excluded: list[Exclusion]
    ldf: list[float | None]
    cdf: list[float | None]
    average: str
    methods: list[MethodRow]
    latest: list[float]
    quantile_levels: list[float]
    total_quantiles: list[float]
    sims: list[float]  # simulated total reserve of the bootstrap (for the histogram)
    warnings: list[str] = field(default_factory=list)


def _f(x: Any) -> float | None:
    v = float(x)
    return v if np.isfinite(v) else None


def parse_exclusions(items: Sequence[tuple[str, str, str]]) -> list[Exclusion]:
    """Exclusions from form fields ``(origin, age, reason)``: age a whole number, reason required (≤ 300)."""
    out = []
    for origin, age, reason in items:
        o = str(origin).strip()[:32]
        why = " ".join(str(reason or "").split())[:300]
        try:
            a = int(str(age).strip())
        except ValueError:
            raise InputError(f"exclusion of origin {o}: the age '{str(age)[:10]}' is not a whole number") from None
        if not why:
            raise InputError(f"excluding origin {o} age {a} needs a reason (e.g. 'large loss, one-off')")
        out.append(Exclusion(o, a, why))
    return out


def _load(db: Database, ds_id: int, reporting_date: date | None) -> tuple[valuation.DatasetView, Any]:
    from aktuar.services.inputs import TriangleSpec, load_triangle

    with database_errors(), db.session() as s:
        from aktuar.store.models import Dataset

        d = s.get(Dataset, int(ds_id))
        if d is None:
            raise InputError(f"no dataset {ds_id}")
        view = valuation._dataset_view(db, d)
    if view.kind not in ("triangle", "claims"):
        raise InputError(f"dataset {view.id} is of kind '{view.kind}': analyse a triangle or claim transactions")
    valuation._check_file(view.stored_path, view.sha256, view.id)
    if view.kind == "claims" and reporting_date is None:
        raise InputError("claim transactions need a reporting date to build the triangle")
    tri, _ = load_triangle(TriangleSpec(path=view.stored_path,
                                        valuation=reporting_date if view.kind == "claims" else None))
    return view, tri


def _heat(values: np.ndarray) -> list[list[int | None]]:
    out: list[list[int | None]] = [[None] * values.shape[1] for _ in range(values.shape[0])]
    for d in range(values.shape[1]):
        col = values[:, d]
        ok = np.isfinite(col)
        if not ok.any():
            continue
        lo, hi = float(col[ok].min()), float(col[ok].max())
        for o in np.flatnonzero(ok):
            k = 0 if hi <= lo else int((col[o] - lo) / (hi - lo) * (HEAT_CLASSES - 1) + 0.5)
            out[o][d] = max(0, min(HEAT_CLASSES - 1, k))
    return out


def _deviation_class(ratio: float | None, ldf: float | None) -> str:
    if ratio is None or ldf is None or ldf == 0:
        return ""
    r = ratio / ldf - 1.0
    cuts = (-0.1, -0.05, -0.01, 0.01, 0.05, 0.1)
    return DEVIATION_CLASSES[int(np.searchsorted(cuts, r))]


def analyse_dataset(db: Database, actor: Actor, dataset_id: int, *, segment: int = 0,
                    exclusions: Sequence[Exclusion] = (), average: str = "volume",
                    exposure_id: int | None = None, apriori: float = 0.65, sims: int = 1000, seed: int = 2026,
                    reporting_date: date | None = None) -> Analysis:
    """The exploratory analysis of one segment of a dataset (``data.read``; audited as ``dataset.analyse``)."""
    from aktuar.services.inputs import load_exposure
    from aktuar.services.reserving import ReserveRequest, estimate

    obj = f"dataset:{dataset_id}"

    def work() -> Analysis:
        rbac.require(actor, "data.read")
        if not 1 <= sims <= MAX_SIMS:
            raise InputError(f"the bootstrap takes 1 to {MAX_SIMS} simulations")
        view, tri = _load(db, dataset_id, reporting_date)
        labels = [tri.segment_label(i) for i in range(tri.n_segments)]
        if not 0 <= segment < tri.n_segments:
            raise InputError(f"segment {segment} does not exist: the dataset has {tri.n_segments}")
        one = tri.select([segment]) if tri.n_segments > 1 else tri
        exposure = None
        if exposure_id is not None:
            with database_errors(), db.session() as s:
                from aktuar.store.models import Dataset

                e = s.get(Dataset, int(exposure_id))
                if e is None or e.kind != "exposure":
                    raise InputError(f"dataset {exposure_id} is not an exposure dataset")
                epath = db.settings.data_dir / e.stored_path
            exposure = load_exposure(epath, one)
        base = ReserveRequest(method="chainladder", average=average, exclusions=tuple(exclusions))
        cl = estimate(one, base)
        rows: list[MethodRow] = []
        quantile_levels: list[float] = []
        total_q: list[float] = []
        sim_values: list[float] = []
        warnings: list[str] = list(cl.warnings[0]) if cl.warnings else []
        for m in ANALYSIS_METHODS:
            if m in ("bf", "capecod") and exposure is None:
                continue
            req = replace(base, method=m, apriori=apriori, sims=sims, seed=seed)
            r = cl if m == "chainladder" else estimate(one, req, exposure)
            se = _f(r.total_se[0]) if r.total_se is not None else None
            rows.append(MethodRow(m, float(r.ultimate[0].sum()), float(r.ibnr[0].sum()), se,
                                  [float(x) for x in np.nan_to_num(r.ibnr[0])]))
            if m == "bootstrap":
                quantile_levels = list(r.quantile_levels)
                total_q = [float(x) for x in (r.total_quantiles[0] if r.total_quantiles is not None else [])]
                raw = r.components.get("total_ibnr_sims")
                if raw is not None:
                    v = np.asarray(raw[0], dtype=np.float64)
                    sim_values = [float(x) for x in v[np.isfinite(v)]]
        fit = cl.development
        vals = one.values[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = vals[:, 1:] / vals[:, :-1]
        ldf = [_f(x) for x in fit.ldf[0]]
        link = [[_f(x) if np.isfinite(x) else None for x in row] for row in lr]
        used = [[bool(x) for x in row] for row in fit.used[0]]
        deviation = [[_deviation_class(link[o][k], ldf[k] if k < len(ldf) else None) for k in range(lr.shape[1])]
                     for o in range(lr.shape[0])]
        with database_errors(), db.session() as s:
            audit.record(s, actor, "business", "dataset.analyse", object=obj,
                         details={"segment": labels[segment], "exclusions": len(exclusions), "average": average,
                                  "exposure": exposure_id, "sims": sims})
        return Analysis(
            dataset=view, segment=labels[segment], segments=labels, origins=list(one.origin),
            ages=[int(a) for a in one.development], values=[[_f(x) for x in row] for row in vals],
            heat=_heat(vals), link_ratios=link, deviation=deviation, used=used, excluded=list(exclusions),
            ldf=ldf, cdf=[_f(x) for x in fit.cdf[0]], average=fit.average, methods=rows,
            latest=[float(x) for x in np.nan_to_num(cl.latest[0])], quantile_levels=quantile_levels,
            total_quantiles=total_q, sims=sim_values, warnings=warnings)

    return guarded(db, actor, "dataset.analyse", obj, work)


# ------------------------------------------------------------------------------------------------- export
@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    media_type: str
    sha256: str


XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: The texts of the reserving run's workbook (identity sheet and results header), Russian and English.
RUN_XLSX_TEXT: dict[str, dict[str, str]] = {
    "sheet.run": {"ru": "Расчёт", "en": "Run"},
    "sheet.results": {"ru": "Результаты", "en": "Results"},
    "title": {"ru": "aktuar: расчёт №{id}", "en": "aktuar run {id}"},
    "run": {"ru": "Расчёт №", "en": "Run"},
    "status": {"ru": "Статус", "en": "Status"},
    "reporting_date": {"ru": "Отчётная дата", "en": "Reporting date"},
    "methodology": {"ru": "Методика", "en": "Methodology"},
    "test": {"ru": "Тестовый расчёт", "en": "Test run"},
    "prepared_by": {"ru": "Подготовил", "en": "Prepared by"},
    "reviewed_by": {"ru": "Проверил", "en": "Reviewed by"},
    "approved_by": {"ru": "Утвердил", "en": "Approved by"},
    "inputs_sha256": {"ru": "SHA-256 входных данных", "en": "Inputs SHA-256"},
    "results_sha256": {"ru": "SHA-256 результатов", "en": "Results SHA-256"},
    "code_version": {"ru": "Версия программы", "en": "Code version"},
    "yes": {"ru": "да", "en": "yes"},
    "no": {"ru": "нет", "en": "no"},
    "col.class": {"ru": "Класс", "en": "class"},
    "col.method": {"ru": "Метод", "en": "method"},
    "col.origin": {"ru": "Период происшествия", "en": "origin"},
    "col.quantity": {"ru": "Показатель", "en": "quantity"},
    "col.value": {"ru": "Значение", "en": "value"},
    "status.running": {"ru": "выполняется", "en": "running"},
    "status.prepared": {"ru": "подготовлен", "en": "prepared"},
    "status.reviewed": {"ru": "проверен", "en": "reviewed"},
    "status.approved": {"ru": "утверждён", "en": "approved"},
    "status.rejected": {"ru": "отклонён", "en": "rejected"},
    "status.failed": {"ru": "завершился ошибкой", "en": "failed"},
}


def _run_workbook(run: Any, rows: Sequence[Any], lang: str) -> bytes:
    """The reserving run's workbook in ``lang``: the identity sheet and the stored result rows (their class,
    method, origin and quantity codes as in the CSV/JSON export; values as numbers)."""
    import xlsxwriter

    def tx(key: str, **kw: Any) -> str:
        text = RUN_XLSX_TEXT[key][lang]
        return text.format(**kw) if kw else text

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    wb.set_properties({"title": tx("title", id=run.id), "created": datetime(2000, 1, 1)})
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet(tx("sheet.run"))
    status = RUN_XLSX_TEXT.get(f"status.{run.status}", {}).get(lang, run.status)
    day = run.reporting_date.strftime("%d.%m.%Y") if lang == "ru" else run.reporting_date.isoformat()
    ident = [(tx("run"), run.id), (tx("status"), status), (tx("reporting_date"), day),
             (tx("methodology"), run.methodology), (tx("test"), tx("yes") if run.is_test else tx("no")),
             (tx("prepared_by"), run.created_by), (tx("reviewed_by"), run.reviewed_by or ""),
             (tx("approved_by"), run.approved_by or ""), (tx("inputs_sha256"), run.inputs_sha256),
             (tx("results_sha256"), run.results_sha256), (tx("code_version"), run.code_version)]
    for i, (k, v) in enumerate(ident):
        ws.write(i, 0, k, bold)
        ws.write(i, 1, v)
    ws.set_column(0, 0, 24 if lang == "ru" else 18)
    ws.set_column(1, 1, 70)
    rs = wb.add_worksheet(tx("sheet.results"))
    for j, h in enumerate(("class", "method", "origin", "quantity", "value")):
        rs.write(0, j, tx(f"col.{h}"), bold)
    for i, r in enumerate(rows, start=1):
        rs.write_row(i, 0, (r.segment, r.method, r.origin, r.quantity))
        if r.value is not None:
            rs.write_number(i, 4, r.value, money)
    rs.set_column(0, 0, 24)
    rs.set_column(1, 3, 12 if lang == "en" else 20)
    rs.set_column(4, 4, 20)
    rs.autofilter(0, 0, max(1, len(rows)), 4)
    wb.close()
    return buf.getvalue()


def _language(lang: str) -> str:
    from aktuar.reports.ifrs17_terms import check_language

    return check_language(lang)


def _run_xlsx(db: Database, actor: Actor, run_id: int, lang: str) -> tuple[str, bytes, Any, int]:
    """(file name, workbook, run, number of result rows) of a run whose stored results match their hash."""
    run = valuation.get_run(db, actor, run_id)
    rows = valuation.run_results(db, actor, run_id)
    documents = valuation.run_documents(db, actor, run_id)
    if run.results_sha256 is None or valuation.results_sha256(rows, documents) != run.results_sha256:
        raise valuation.IntegrityFailure(f"run {run_id}'s stored results do not match their recorded hash: see "
                                         "'aktuar runs reproduce'")
    if run.engine == "ifrs17":  # the IFRS 17 workbook of the run's reporting date
        from aktuar.services.ifrs17_runs import document_name, workbook_bytes

        doc_name = document_name(run.reporting_date.isoformat())
        if doc_name not in documents:
            raise valuation.IntegrityFailure(f"run {run_id} has no disclosure document {doc_name}")
        return f"aktuar-run-{run.id}-ifrs17.xlsx", workbook_bytes(documents[doc_name], lang), run, len(rows)
    return f"aktuar-run-{run.id}.xlsx", _run_workbook(run, rows, lang), run, len(rows)


def export_run_xlsx(db: Database, actor: Actor, run_id: int, lang: str = "en", *, via: str = "web") -> Download:
    """A run's stored results as XLSX in ``lang`` (``ru``/``en``; ``report.read``): a reserving run's identity
    and result rows, an IFRS 17 run's disclosure workbook. Refused when the stored results no longer match their
    hash; audited as ``report.export`` with the workbook's SHA-256 and the language."""
    obj = f"run:{run_id}"

    def work() -> Download:
        rbac.require(actor, "report.read")
        language = _language(lang)
        name, content, run, n = _run_xlsx(db, actor, run_id, language)
        digest = hashlib.sha256(content).hexdigest()
        with database_errors(), db.session() as s:
            audit.record(s, actor, "business", "report.export", object=obj,
                         details=_xlsx_details(name, language, n, digest, run, via))
        return Download(name, content, XLSX_MEDIA, digest)

    return guarded(db, actor, "report.export", obj, work, details={"format": "xlsx", "via": via})


def write_run_xlsx(db: Database, actor: Actor, run_id: int, path: Path | str, lang: str = "ru", *,
                   via: str = "cli") -> valuation.ExportInfo:
    """Write the XLSX of run ``run_id`` in ``lang`` to ``path`` (a ``.xlsx`` file in an existing folder): the file
    appears only with its audit record (``report.export`` with the SHA-256 and the language); a refusal leaves no
    file and is audited."""
    path = Path(path)
    obj = f"run:{run_id}"

    def work() -> valuation.ExportInfo:
        rbac.require(actor, "report.read")
        language = _language(lang)
        if path.suffix.lower() != ".xlsx":
            raise InputError(f"a run's workbook is written to a .xlsx file, not '{path.name}'")
        if not path.parent.is_dir():
            raise InputError(f"the folder {path.parent} does not exist: create it or choose another file")
        _name, content, run, n = _run_xlsx(db, actor, run_id, language)
        digest = hashlib.sha256(content).hexdigest()
        place_audited(db, actor, path, content, obj, _xlsx_details(path.name, language, n, digest, run, via))
        return valuation.ExportInfo(path, n, digest, run.status)

    return guarded(db, actor, "report.export", obj, work, details={"format": "xlsx", "via": via})


def place_audited(db: Database, actor: Actor, path: Path, content: bytes, obj: str, details: dict[str, Any]) -> None:
    """Write ``content`` to ``path`` so that the file appears only together with its ``report.export`` audit
    record: written beside it first, renamed inside the record's transaction, removed again if the commit fails."""
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(content)
        placed = False
        try:
            with database_errors(), db.session() as s:
                audit.record(s, actor, "business", "report.export", object=obj, details=details)
                os.replace(tmp, path)  # the file appears only with its audit record (commit follows)
                placed = True
        except BaseException:
            if placed and path.exists():  # the audit record was not committed: no unaudited export
                path.unlink()
            raise
    finally:
        if tmp.exists():
            tmp.unlink()


def _xlsx_details(name: str, lang: str, rows: int, digest: str, run: Any, via: str) -> dict[str, Any]:
    return {"file": name, "format": "xlsx", "lang": lang, "rows": rows, "sha256": digest,
            "run_status": run.status, "results_sha256": run.results_sha256, "via": via}


# ------------------------------------------------------------------------------------------------ IFRS 17
_IFRS17_LOCK = threading.Lock()
_IFRS17_CACHE: dict[str, Any] = {}


def ifrs17_demo_close(db: Database, actor: Actor, *, scale: float = 0.05) -> Any:
    """The demo insurer's IFRS 17 close (``report.read``), computed once per data directory and cached (the
    inputs and results are written under ``<data dir>/ifrs17-demo``); audited as ``ifrs17.view``."""
    from aktuar.services.demo import run_demo_close

    def work() -> Any:
        rbac.require(actor, "report.read")
        key = f"{db.settings.data_dir}|{scale}"
        with _IFRS17_LOCK:
            close = _IFRS17_CACHE.get(key)
            if close is None:
                folder = db.settings.data_dir / "ifrs17-demo"
                close = run_demo_close(folder, scale=scale)
                _IFRS17_CACHE[key] = close
        with database_errors(), db.session() as s:
            audit.record(s, actor, "business", "ifrs17.view", object="ifrs17:demo",
                         details={"dates": list(close.documents)})
        return close

    return guarded(db, actor, "ifrs17.view", "ifrs17:demo", work)


@dataclass(frozen=True)
class Ifrs17View:
    """What the IFRS 17 page shows: the user's IFRS 17 runs and the selected run's close, or the demo close
    when there is no IFRS 17 run yet (``run`` None)."""

    runs: list[Any]  # valuation.RunView of engine ifrs17 with results, newest first
    run: Any  # the RunView shown, or None for the demo close
    summary: list[dict[str, Any]]
    documents: dict[str, dict[str, Any]]  # reporting date (ISO) → aktuar-ifrs17/1 document


def ifrs17_view(db: Database, actor: Actor, run_id: int | None = None) -> Ifrs17View:
    """The IFRS 17 page's content (``report.read``; the runs need ``run.read``): the selected IFRS 17 run (else
    the newest approved one, else the newest) with its stored balances and disclosure documents, checked against
    the run's results hash; the demo close only when there is no IFRS 17 run. Audited as ``ifrs17.view``."""
    import json as _json

    from aktuar.services.ifrs17_runs import summary_from_rows

    rbac.require(actor, "report.read")
    runs: list[Any] = []
    if rbac.allowed(actor, "run.read"):
        runs = [r for r in valuation.list_runs(db, actor, limit=500)
                if r.engine == "ifrs17" and r.results_sha256 is not None]
    if not runs:
        if run_id is not None:
            raise InputError(f"no IFRS 17 run {run_id}")
        close = ifrs17_demo_close(db, actor)
        return Ifrs17View([], None, list(close.summary), dict(close.documents))
    obj = f"run:{run_id}" if run_id is not None else "ifrs17:runs"

    def work() -> Ifrs17View:
        if run_id is not None:
            chosen = next((r for r in runs if r.id == run_id), None)
            if chosen is None:
                raise InputError(f"no IFRS 17 run {run_id}: choose one of the list")
        else:
            chosen = next((r for r in runs if r.status == "approved"), runs[0])
        rows = valuation.run_results(db, actor, chosen.id)
        docs = valuation.run_documents(db, actor, chosen.id)
        if valuation.results_sha256(rows, docs) != chosen.results_sha256:
            raise valuation.IntegrityFailure(f"run {chosen.id}'s stored results do not match their recorded hash: "
                                             "see 'aktuar runs reproduce'")
        documents = {name.removeprefix("ifrs17-").removesuffix(".json"): _json.loads(text)
                     for name, text in docs.items()}
        with database_errors(), db.session() as s:
            audit.record(s, actor, "business", "ifrs17.view", object=f"run:{chosen.id}",
                         details={"dates": list(documents), "status": chosen.status,
                                  "results_sha256": chosen.results_sha256})
        return Ifrs17View(runs, chosen, summary_from_rows(rows), documents)

    return guarded(db, actor, "ifrs17.view", obj, work)
