"""Server-rendered pages after login: dashboard, runs (with review / approve / reject), audit trail viewer.

Routes are thin: the services check every permission (and audit refusals); the pages only hide what a role may
not do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from aktuar.security import audit
from aktuar.services import dashboard, valuation
from aktuar.web.deps import allowed, db_of, now_of, page_post_who, page_who, render
from aktuar.web.security import Who

router = APIRouter(include_in_schema=False)
RunId = Annotated[int, Path(ge=1, le=2_147_483_647)]
DONE = ("review", "approve", "reject")
PageWho = Annotated[Who, Depends(page_who)]
PostWho = Annotated[Who, Depends(page_post_who)]


@router.get("/dashboard")
def dashboard_page(request: Request, who: PageWho) -> Response:
    assert who.actor is not None
    view = dashboard.summary(db_of(request), who.actor, now_of(request).date())
    return render(request, "dashboard.html", who.lang, view=view, statuses=valuation.RUN_STATUSES)


@router.get("/runs")
def runs_page(request: Request, who: PageWho,
              done: Annotated[str, Query(max_length=10)] = "",
              id: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> Response:  # noqa: A002
    assert who.actor is not None
    runs = valuation.list_runs(db_of(request), who.actor)
    return render(request, "runs.html", who.lang, runs=runs, done=done if done in DONE else "", done_id=id,
                  may_review=allowed(who, "run.review"), may_approve=allowed(who, "run.approve"),
                  may_reject=allowed(who, "run.reject"))


def _back(action: str, run_id: int) -> RedirectResponse:
    return RedirectResponse(f"/runs?done={action}&id={run_id}", status_code=303)


@router.post("/runs/{run_id}/review")
def review_run(request: Request, run_id: RunId, who: PostWho,
               comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    assert who.actor is not None
    valuation.review(db_of(request), who.actor, run_id, comment=comment, now=now_of(request))
    return _back("review", run_id)


@router.post("/runs/{run_id}/approve")
def approve_run(request: Request, run_id: RunId, who: PostWho,
                comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    assert who.actor is not None
    valuation.approve(db_of(request), who.actor, run_id, comment=comment, now=now_of(request))
    return _back("approve", run_id)


@router.post("/runs/{run_id}/reject")
def reject_run(request: Request, run_id: RunId, who: PostWho,
               reason: Annotated[str, Form(max_length=5000)] = "") -> Response:
    assert who.actor is not None
    valuation.reject(db_of(request), who.actor, run_id, reason, now=now_of(request))
    return _back("reject", run_id)


@router.get("/audit")
def audit_page(request: Request, who: PageWho,
               category: Annotated[str, Query(max_length=20)] = "",
               actor: Annotated[str, Query(max_length=64)] = "",
               outcome: Annotated[str, Query(max_length=10)] = "",
               verify: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    assert who.actor is not None
    db = db_of(request)
    cat = category if category in audit.CATEGORIES else ""
    out = outcome if outcome in ("success", "failure") else ""
    chain = dashboard.verify_audit(db, who.actor) if verify else None
    rows = dashboard.audit_events(db, who.actor, category=cat or None, actor_name=actor.strip() or None,
                                  outcome=out or None)
    return render(request, "audit.html", who.lang, rows=rows, chain=chain, categories=list(audit.CATEGORIES),
                  f_category=cat, f_actor=actor.strip(), f_outcome=out)
