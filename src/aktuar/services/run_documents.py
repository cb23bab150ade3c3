"""PDF documents of governed valuation runs (reserving and IFRS 17) for the browser, the API and the CLI.

:func:`export_run_pdf` gives the PDF of a run (:mod:`aktuar.reports.run_pdf`) in Russian or English as bytes;
:func:`write_run_pdf` writes it to a file (the command line, the demo). Both need ``report.read`` (and
``run.read``, which reading the run needs), like the XLSX export; both refuse a run without results and a run
whose stored results no longer match their recorded hash (on the run *and* in the audit trail's record of its
preparation): the rows and documents rendered are exactly those whose hash was checked. Every export is audited
as ``report.export`` with the PDF's SHA-256 (format ``pdf``, language, run status and results hash), and every
refusal too (``guarded``). :func:`write_run_pdf` writes a temporary file beside the target and renames it inside
the transaction of the audit record, so the file appears only together with its audit record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.reports import run_pdf
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.services import valuation
from aktuar.services.methodology import IntegrityFailure, WorkflowError, database_errors, guarded
from aktuar.services.web_support import Download, place_audited
from aktuar.store.db import Database
from aktuar.store.models import AuditEvent, Dataset, Methodology

__all__ = ["LANGUAGES", "PDF_MEDIA", "export_run_pdf", "report_data", "write_run_pdf"]

PDF_MEDIA = "application/pdf"
LANGUAGES = run_pdf.LANGUAGES
_WORKFLOW_ACTIONS = {"run.prepare": "prepared", "run.review": "reviewed", "run.approve": "approved",
                     "run.reject": "rejected"}


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"the document language is one of {', '.join(LANGUAGES)}, not '{str(lang)[:10]}'")
    return lang


def report_data(db: Database, actor: Actor, run_id: int, *, now: datetime | None = None) -> run_pdf.RunReportData:
    """What the PDF of run ``run_id`` shows, read from the stored run and checked (``report.read``; not audited
    by itself: :func:`export_run_pdf` and :func:`write_run_pdf` audit the export)."""
    rbac.require(actor, "report.read")
    run = valuation.get_run(db, actor, run_id)
    if run.results_sha256 is None:
        raise WorkflowError(f"run {run.id} is {run.status} and has no results: there is nothing to put in a PDF")
    rows = valuation.run_results(db, actor, run.id)
    documents = valuation.run_documents(db, actor, run.id)
    if valuation.results_sha256(rows, documents) != run.results_sha256:
        raise IntegrityFailure(f"run {run.id}'s stored results do not match their recorded hash: see "
                               "'aktuar runs reproduce'")
    ok, why = valuation.verify_results(db, actor, run.id)
    if not ok:
        raise IntegrityFailure(f"{why}: see 'aktuar runs reproduce'")
    with database_errors(), db.session() as s:
        m = s.get(Methodology, run.methodology_id)
        if m is None:  # the foreign key makes this impossible short of a damaged database
            raise IntegrityFailure(f"the methodology {run.methodology_id} of run {run.id} is missing")
        methodology = run_pdf.MethodologyInfo(
            name=m.name, version=m.version, status=m.status, document_name=m.document_name,
            document_sha256=m.document_sha256, parameters_sha256=m.parameters_sha256,
            regulator_reference=m.regulator_reference, coordinated_at=m.coordinated_at)
        ids = sorted(set(run.inputs.values()))
        sets = {d.id: d for d in s.execute(select(Dataset).where(Dataset.id.in_(ids))).scalars()} if ids else {}
        inputs = []
        for role, ds_id in sorted(run.inputs.items()):
            d = sets.get(ds_id)
            if d is None:
                raise IntegrityFailure(f"the input dataset {ds_id} of run {run.id} is missing")
            inputs.append(run_pdf.InputInfo(
                role=role, dataset_id=d.id, kind=d.kind, filename=d.filename, format=d.format, rows=d.rows,
                size_bytes=int(d.size_bytes), sha256=d.sha256, imported_by=d.imported_by,
                imported_at=audit.utc(d.imported_at)))
        notes: dict[str, str] = {}
        for e in s.execute(select(AuditEvent).where(AuditEvent.object == f"run:{run.id}",
                                                    AuditEvent.action.in_(list(_WORKFLOW_ACTIONS)),
                                                    AuditEvent.outcome == "success")
                           .order_by(AuditEvent.seq)).scalars():
            details = json.loads(e.details or "{}")
            text = str(details.get("comment") or details.get("reason") or "")
            if text:
                notes[_WORKFLOW_ACTIONS[e.action]] = text
    workflow = [run_pdf.WorkflowStep("prepared", run.created_by, run.created_at, notes.get("prepared", ""))]
    if run.reviewed_by:
        workflow.append(run_pdf.WorkflowStep("reviewed", run.reviewed_by, run.reviewed_at, notes.get("reviewed", "")))
    if run.approved_by:
        workflow.append(run_pdf.WorkflowStep("approved", run.approved_by, run.approved_at, notes.get("approved", "")))
    if run.rejected_by:
        workflow.append(run_pdf.WorkflowStep("rejected", run.rejected_by, run.rejected_at,
                                             run.rejection_reason or notes.get("rejected", "")))
    ifrs17_docs: dict[str, Any] = {}  # the documents the report reads (IFRS 17 by date; statutory)
    summary: list[dict[str, Any]] = []
    if run.engine == "ifrs17":
        from aktuar.services.ifrs17_runs import summary_from_rows

        try:
            ifrs17_docs = {name.removeprefix("ifrs17-").removesuffix(".json"): json.loads(text)
                           for name, text in documents.items()}
        except ValueError:
            raise IntegrityFailure(f"a stored document of run {run.id} is not JSON") from None
        summary = summary_from_rows(rows)
    elif run.engine == "statutory":
        name = f"statutory-{run.reporting_date.isoformat()}.json"
        if name not in documents:
            raise IntegrityFailure(f"run {run.id} has no statutory document {name}")
        try:
            ifrs17_docs = {"statutory": json.loads(documents[name])}
        except ValueError:
            raise IntegrityFailure(f"the stored document {name} of run {run.id} is not JSON") from None
    return run_pdf.RunReportData(
        run_id=run.id, kind=run.engine if run.engine in ("ifrs17", "statutory") else "reserving", status=run.status,
        reporting_date=run.reporting_date, is_test=run.is_test, scope=list(run.scope), workflow=workflow,
        methodology=methodology, inputs=inputs, inputs_sha256=run.inputs_sha256, parameters=run.parameters,
        code_version=run.code_version, environment=run.environment, results_sha256=run.results_sha256,
        rows=rows, generated_by=actor.username, generated_at=(now or datetime.now(UTC)).astimezone(UTC),
        documents=ifrs17_docs, ifrs17_summary=summary, restart_of=run.restart_of,
        failure_reason=run.failure_reason)


def _details(name: str, lang: str, data: run_pdf.RunReportData, digest: str, via: str) -> dict[str, Any]:
    return {"file": name, "format": "pdf", "lang": lang, "rows": len(data.rows), "sha256": digest,
            "run_status": data.status, "results_sha256": data.results_sha256, "via": via}


def filename(run_id: int, lang: str) -> str:
    return f"aktuar-run-{int(run_id)}-{lang}.pdf"


def export_run_pdf(db: Database, actor: Actor, run_id: int, lang: str = "ru", *, now: datetime | None = None,
                   via: str = "web") -> Download:
    """The PDF of run ``run_id`` in ``lang`` (``ru``/``en``): ``report.read``; refused without results or when
    the stored results no longer match their hash; audited as ``report.export`` with the PDF's SHA-256."""
    obj = f"run:{run_id}"

    def work() -> Download:
        rbac.require(actor, "report.read")
        language = _language(lang)
        data = report_data(db, actor, run_id, now=now)
        content = run_pdf.render_pdf(data, language)
        digest = hashlib.sha256(content).hexdigest()
        name = filename(data.run_id, language)
        with database_errors(), db.session() as s:
            audit.record(s, actor, "business", "report.export", object=obj,
                         details=_details(name, language, data, digest, via))
        return Download(name, content, PDF_MEDIA, digest)

    return guarded(db, actor, "report.export", obj, work, details={"format": "pdf", "via": via})


def write_run_pdf(db: Database, actor: Actor, run_id: int, path: Path | str, lang: str = "ru", *,
                  now: datetime | None = None, via: str = "cli") -> valuation.ExportInfo:
    """Write the PDF of run ``run_id`` to ``path`` (a ``.pdf`` file in an existing folder); the file appears
    only with its audit record (``report.export``), a refusal leaves no file and is audited."""
    path = Path(path)
    obj = f"run:{run_id}"

    def work() -> valuation.ExportInfo:
        rbac.require(actor, "report.read")
        language = _language(lang)
        if path.suffix.lower() != ".pdf":
            raise InputError(f"a run's PDF is written to a .pdf file, not '{path.name}'")
        if not path.parent.is_dir():
            raise InputError(f"the folder {path.parent} does not exist: create it or choose another file")
        data = report_data(db, actor, run_id, now=now)
        content = run_pdf.render_pdf(data, language)
        digest = hashlib.sha256(content).hexdigest()
        place_audited(db, actor, path, content, obj, _details(path.name, language, data, digest, via))
        return valuation.ExportInfo(path, len(data.rows), digest, data.status)

    return guarded(db, actor, "report.export", obj, work, details={"format": "pdf", "via": via})
