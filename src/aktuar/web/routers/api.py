"""REST API under /api/v1 (OpenAPI at /openapi.json).

Callers authenticate with an API token of an approved technological account (``Authorization: Bearer akt_…``,
KZ164-25, KZ164-69(2)) — its scopes limit it further — or with a browser session (then unsafe methods need the
``X-CSRF-Token`` header). Every body and parameter is validated by a Pydantic model (extra fields refused,
lengths bounded; KZ164-69(3)); 401/403 responses say no more than "authentication required" / "not permitted".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from aktuar.errors import InputError
from aktuar.services import dashboard, ifrs17_web, valuation, web_jobs, web_support
from aktuar.web.deps import api_who, db_of, now_of
from aktuar.web.routers.work import UPLOAD_KINDS, limit_body, upload_limit
from aktuar.web.security import Who

RunId = Annotated[int, Path(ge=1, le=2_147_483_647, description="run number")]
ApiWho = Annotated[Who, Depends(api_who)]


class ErrorOut(BaseModel):
    error: str
    correlation_id: str


class ValidationOut(BaseModel):
    error: str
    fields: list[str]
    correlation_id: str


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut, "description": "refused: the input cannot be used (the reason says what to fix)"},
    401: {"model": ErrorOut, "description": "no valid session or API token"},
    403: {"model": ErrorOut, "description": "not permitted (role, token scope or CSRF)"},
    409: {"model": ErrorOut, "description": "refused by the workflow (separation of duties, integrity)"},
    422: {"model": ValidationOut, "description": "a parameter or body field is not valid (the fields are named)"},
    503: {"model": ErrorOut, "description": "the database is unavailable"},
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)


class RunOut(BaseModel):
    id: int
    status: str
    reporting_date: date
    scope: list[str]
    methodology: str
    is_test: bool
    created_by: str
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    rejected_by: str | None
    rejected_at: datetime | None
    rejection_reason: str | None
    inputs_sha256: str
    results_sha256: str | None
    n_results: int

    @classmethod
    def of(cls, r: valuation.RunView) -> RunOut:
        return cls(id=r.id, status=r.status, reporting_date=r.reporting_date, scope=list(r.scope),
                   methodology=r.methodology, is_test=r.is_test, created_by=r.created_by, created_at=r.created_at,
                   reviewed_by=r.reviewed_by, reviewed_at=r.reviewed_at, approved_by=r.approved_by,
                   approved_at=r.approved_at, rejected_by=r.rejected_by, rejected_at=r.rejected_at,
                   rejection_reason=r.rejection_reason, inputs_sha256=r.inputs_sha256,
                   results_sha256=r.results_sha256, n_results=r.n_results)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field("", max_length=2000)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=5000, description="why the run is rejected")


class ChainOut(BaseModel):
    ok: bool
    records: int
    checkpoints: int
    problems: list[str]


class MeOut(BaseModel):
    username: str
    roles: list[str]
    via: str


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(who: ApiWho) -> MeOut:
    assert who.actor is not None
    return MeOut(username=who.actor.username, roles=sorted(who.actor.roles), via=who.actor.via)


@router.get("/runs", response_model=list[RunOut], summary="Valuation runs, newest first (run.read)")
def list_runs(request: Request, who: ApiWho,
              status: Annotated[str | None, Query(pattern="^(running|prepared|reviewed|approved|rejected|failed)$")]
              = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[RunOut]:
    assert who.actor is not None
    return [RunOut.of(r) for r in valuation.list_runs(db_of(request), who.actor, status=status, limit=limit)]


def _get(request: Request, who: Who, run_id: int) -> valuation.RunView:
    assert who.actor is not None
    try:
        return valuation.get_run(db_of(request), who.actor, run_id)
    except InputError:
        from fastapi import HTTPException

        raise HTTPException(404) from None


@router.get("/runs/{run_id}", response_model=RunOut, summary="One run (run.read)",
            responses={404: {"model": ErrorOut}})
def get_run(request: Request, run_id: RunId, who: ApiWho) -> RunOut:
    return RunOut.of(_get(request, who, run_id))


@router.post("/runs/{run_id}/review", response_model=RunOut, summary="prepared → reviewed (run.review)")
def review(request: Request, run_id: RunId, body: DecisionIn, who: ApiWho) -> RunOut:
    assert who.actor is not None
    return RunOut.of(valuation.review(db_of(request), who.actor, run_id, comment=body.comment, now=now_of(request)))


@router.post("/runs/{run_id}/approve", response_model=RunOut, summary="reviewed → approved (run.approve)")
def approve(request: Request, run_id: RunId, body: DecisionIn, who: ApiWho) -> RunOut:
    assert who.actor is not None
    return RunOut.of(valuation.approve(db_of(request), who.actor, run_id, comment=body.comment,
                                       now=now_of(request)))


@router.post("/runs/{run_id}/reject", response_model=RunOut, summary="prepared/reviewed → rejected (run.reject)")
def reject(request: Request, run_id: RunId, body: RejectIn, who: ApiWho) -> RunOut:
    assert who.actor is not None
    return RunOut.of(valuation.reject(db_of(request), who.actor, run_id, body.reason, now=now_of(request)))


@router.get("/audit/verify", response_model=ChainOut, summary="Verify the audit chain (audit.read)")
def verify_audit(request: Request, who: ApiWho) -> ChainOut:
    assert who.actor is not None
    c = dashboard.verify_audit(db_of(request), who.actor)
    return ChainOut(ok=c.ok, records=c.records, checkpoints=c.checkpoints, problems=c.problems)


# ------------------------------------------------------------------------------ datasets, jobs, run creation
class DatasetOut(BaseModel):
    id: int
    kind: str
    format: str | None
    filename: str
    sha256: str
    size_bytes: int
    rows: int | None
    imported_by: str
    imported_at: datetime


@router.get("/datasets", response_model=list[DatasetOut], summary="Imported datasets (data.read)")
def list_datasets(request: Request, who: ApiWho) -> list[DatasetOut]:
    assert who.actor is not None
    return [_dataset_out(d) for d in valuation.list_datasets(db_of(request), who.actor)]


class FileProblemOut(BaseModel):
    error: str = Field(description="what is wrong and what to fix")
    file: str = Field(description="the uploaded file (and the member of a package: close.zip:contracts.csv)")
    row: int | None = Field(description="1-based row as a spreadsheet shows it, when the problem has one")
    column: str | None
    correlation_id: str


def _dataset_out(d: valuation.DatasetView) -> DatasetOut:
    return DatasetOut(id=d.id, kind=d.kind, format=d.format, filename=d.filename, sha256=d.sha256,
                      size_bytes=d.size_bytes, rows=d.rows, imported_by=d.imported_by, imported_at=d.imported_at)


@router.post("/datasets", response_model=DatasetOut, status_code=201, dependencies=[Depends(limit_body)],
             summary="Import a data file, or an IFRS 17 close package (kind ifrs17, a ZIP), as a dataset "
                     "(data.import; audited, refusals too)",
             responses={422: {"model": FileProblemOut | ValidationOut,
                              "description": "the file was refused (file, row, column and what to fix; nothing is "
                                             "stored), or a form field is not valid (the fields are named)"},
                        413: {"model": ErrorOut, "description": "larger than the upload limit"}})
def import_dataset(request: Request, who: ApiWho, file: Annotated[UploadFile, File()],
                   kind: Annotated[str, Form(pattern="^(" + "|".join(UPLOAD_KINDS) + ")$")]) -> Response:
    assert who.actor is not None
    db, name = db_of(request), file.filename or ""
    if kind == "ifrs17":
        out = ifrs17_web.import_package_upload(db, who.actor, name, file.file, max_bytes=upload_limit(request),
                                               now=now_of(request))
    else:
        out = web_support.import_upload(db, who.actor, name, file.file, kind, max_bytes=upload_limit(request),
                                        now=now_of(request))
    if out.dataset is not None:
        return JSONResponse(_dataset_out(out.dataset).model_dump(mode="json"), status_code=201)
    assert out.problem is not None
    p = out.problem
    return JSONResponse(FileProblemOut(error=p.message, file=p.file, row=p.row, column=p.column,
                                       correlation_id=str(getattr(request.state, "correlation_id", "") or "-")
                                       ).model_dump(mode="json"), status_code=422)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reporting_date: date
    methodology_id: int = Field(ge=1, le=2_147_483_647)
    triangle: int | None = Field(None, ge=1, le=2_147_483_647, description="dataset id of a triangle")
    claims: int | None = Field(None, ge=1, le=2_147_483_647, description="dataset id of claim transactions")
    exposure: int | None = Field(None, ge=1, le=2_147_483_647)
    scope: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=100)
    is_test: bool = False


class JobOut(BaseModel):
    id: str
    status: str = Field(description="running, done, failed, or interrupted (the server process running it "
                                    "stopped: start it again)")
    done: int
    total: int
    run_id: int | None
    error: str | None


def _job_out(j: web_jobs.Job) -> JobOut:
    return JobOut(id=j.id, status=j.status, done=j.done, total=j.total, run_id=j.run_id, error=j.error)


@router.post("/runs", response_model=JobOut, status_code=202,
             summary="Start preparing a run in the background (run.prepare); poll /jobs/{id}")
def create_run(request: Request, body: RunIn, who: ApiWho) -> JobOut:
    assert who.actor is not None
    actor = who.actor
    inputs = {k: v for k, v in (("triangle", body.triangle), ("claims", body.claims), ("exposure", body.exposure))
              if v is not None}
    if ("triangle" in inputs) == ("claims" in inputs):
        raise InputError("give exactly one of triangle or claims")
    params = web_jobs.reserving_params(body.reporting_date, body.scope, body.methodology_id, inputs,
                                       is_test=body.is_test)
    return _job_out(request.app.state.jobs.start(actor, "run.prepare", params))


class Ifrs17RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: int = Field(ge=1, le=2_147_483_647, description="dataset id of an IFRS 17 close package")
    methodology_id: int = Field(ge=1, le=2_147_483_647, description="a coordinated IFRS 17 methodology")
    is_test: bool = False


@router.post("/ifrs17/runs", response_model=JobOut, status_code=202,
             summary="Start preparing the IFRS 17 run of a stored close package in the background (run.prepare); "
                     "the reporting date is the package's last; poll /jobs/{id}")
def create_ifrs17_run(request: Request, body: Ifrs17RunIn, who: ApiWho) -> JobOut:
    assert who.actor is not None
    params = web_jobs.ifrs17_params(body.package, body.methodology_id, is_test=body.is_test)
    return _job_out(request.app.state.jobs.start(who.actor, "ifrs17.prepare", params))


@router.get("/jobs/{job_id}", response_model=JobOut, summary="Progress of a run being prepared (its owner only)",
            responses={404: {"model": ErrorOut}})
def get_job(request: Request, who: ApiWho,
            job_id: Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]) -> JobOut:
    assert who.actor is not None
    job = request.app.state.jobs.get(job_id, who.actor)
    if job is None:
        from fastapi import HTTPException

        raise HTTPException(404)
    return _job_out(job)


@router.get("/runs/{run_id}/results.xlsx", summary="A run's results as XLSX, Russian or English (report.read; "
                                                   "audited)",
            description="A reserving run: its identity and result rows; an IFRS 17 run: the disclosure workbook of "
                        "its reporting date. The texts are in the language asked for, the numbers are the same in "
                        "both. Refused (409) when the stored results no longer match their recorded hash. The "
                        "export is audited with the workbook's SHA-256 (also in the X-Content-SHA256 header) and "
                        "its language.",
            response_class=Response,
            responses={200: {"content": {web_support.XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the workbook"},
                       404: {"model": ErrorOut}})
def run_xlsx(request: Request, run_id: RunId, who: ApiWho,
             lang: Annotated[str | None, Query(pattern="^(ru|en)$", description="ru or en (default: the caller's "
                                                                              "language)")] = None) -> Response:
    assert who.actor is not None
    _get(request, who, run_id)
    d = web_support.export_run_xlsx(db_of(request), who.actor, run_id, lang or who.lang, via="api")
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"',
                             "X-Content-SHA256": d.sha256})


@router.get("/runs/{run_id}/results.pdf", summary="A run's PDF report, Russian or English (report.read; audited)",
            description="The run's identity (status, preparer/reviewer/approver, methodology, inputs with their "
                        "SHA-256, parameters, versions, results SHA-256) and its results (reserving: by class, "
                        "origin and development factors; IFRS 17: balances, CSM roll-forward and run-off). Refused "
                        "(409) when the stored results no longer match their recorded hash; a run that is not "
                        "approved is marked DRAFT. The export is audited with the PDF's SHA-256 (also in the "
                        "X-Content-SHA256 header).",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the PDF document"},
                       404: {"model": ErrorOut}})
def run_pdf(request: Request, run_id: RunId, who: ApiWho,
            lang: Annotated[str | None, Query(pattern="^(ru|en)$", description="ru or en (default: the caller's "
                                                                             "language)")] = None) -> Response:
    from aktuar.services.run_documents import export_run_pdf

    assert who.actor is not None
    _get(request, who, run_id)
    d = export_run_pdf(db_of(request), who.actor, run_id, lang or who.lang, now=now_of(request), via="api")
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"',
                             "X-Content-SHA256": d.sha256})
