"""REST API under /api/v1 (OpenAPI at /openapi.json).

Callers authenticate with an API token of an approved technological account (``Authorization: Bearer akt_…``,
KZ164-25, KZ164-69(2)) — its scopes limit it further — or with a browser session (then unsafe methods need the
``X-CSRF-Token`` header). Every body and parameter is validated by a Pydantic model (extra fields refused,
lengths bounded; KZ164-69(3)); 401/403 responses say no more than "authentication required" / "not permitted".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from aktuar.errors import InputError
from aktuar.services import dashboard, valuation
from aktuar.web.deps import api_who, db_of, now_of
from aktuar.web.security import Who

RunId = Annotated[int, Path(ge=1, le=2_147_483_647, description="run number")]
ApiWho = Annotated[Who, Depends(api_who)]


class ErrorOut(BaseModel):
    error: str
    correlation_id: str


ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "no valid session or API token"},
    403: {"model": ErrorOut, "description": "not permitted (role, token scope or CSRF)"},
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
