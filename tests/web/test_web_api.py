"""REST API /api/v1: service-account tokens (KZ164-25, KZ164-69(2)), browser sessions with the CSRF header,
role and scope escalation refused, 401/403 without details, input validation (KZ164-69(3)), OpenAPI schema."""

from __future__ import annotations

import pytest
from conftest import T0, csrf_of, prepared_run

from aktuar.services import accounts, valuation
from aktuar.web.security import CSRF_HEADER


def _token(web, roles: list[str], scopes: list[str]) -> str:  # type: ignore[no-untyped-def]
    """An API token of a technological account approved by the head of IT and the head of IS."""
    it = web.person("i.itadmin", ["it_admin"])
    sa = accounts.request_service_account(web.db, it.actor, "reporting", "loader", "nightly results export",
                                          "i.itadmin", roles, now=T0)
    accounts.approve_service_account(web.db, it.actor, sa.id, now=T0)
    accounts.approve_service_account(web.db, web.officer.actor, sa.id, now=T0)
    return accounts.issue_token(web.db, it.actor, sa.id, scopes, 30, now=T0).token


@pytest.mark.req("KZ164-25")
@pytest.mark.req("KZ164-69")
def test_service_token_reads_runs_and_is_audited(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    token = _token(web, ["risk_manager"], ["run.read"])
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    runs = c.get("/api/v1/runs", headers=h)
    assert runs.status_code == 200 and [r["id"] for r in runs.json()] == [run_id]
    one = c.get(f"/api/v1/runs/{run_id}", headers=h).json()
    assert one["status"] == "reviewed" and one["created_by"] == "alice" and one["n_results"] > 0
    assert c.get("/api/v1/me", headers=h).json()["via"] == "api"
    assert c.get("/api/v1/runs/999999", headers=h).status_code == 404
    from sqlalchemy import select

    from aktuar.store.models import AuditEvent

    with web.db.session() as s:
        uses = s.execute(select(AuditEvent).where(AuditEvent.action == "token.auth",
                                                  AuditEvent.outcome == "success")).scalars().all()
    assert uses and all(u.source.startswith("api ") for u in uses)


@pytest.mark.req("KZ164-25")
def test_bad_tokens_get_401_without_details(web) -> None:  # type: ignore[no-untyped-def]
    c = web.client()
    for value in ("Bearer akt_000000000000_nope", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer aks_session-token"):
        r = c.get("/api/v1/runs", headers={"Authorization": value})
        assert r.status_code == 401, value
        assert set(r.json()) == {"error", "correlation_id"}
        assert "token" not in r.json()["error"].lower() or "revoked" not in r.json()["error"]
    r = c.get("/api/v1/runs")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


@pytest.mark.req("KZ164-22")
def test_role_and_scope_escalation_through_the_api_refused(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    # a read-only token cannot approve, reject or verify the audit trail
    token = _token(web, ["risk_manager"], ["run.read"])
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    for path, body in ((f"/api/v1/runs/{run_id}/approve", {}), (f"/api/v1/runs/{run_id}/reject", {"reason": "x"}),
                       (f"/api/v1/runs/{run_id}/review", {})):
        r = c.post(path, json=body, headers=h)
        assert r.status_code == 403 and set(r.json()) == {"error", "correlation_id"}, path
        assert "run.approve" not in r.text and "risk_manager" not in r.text
    assert c.get("/api/v1/audit/verify", headers=h).status_code == 403
    # an actuary's browser session cannot approve (role), even with a correct CSRF header
    act = web.person("n.actuary", ["actuary"])
    b = web.client()
    web.login(b, act)
    csrf = csrf_of(b.get("/dashboard").text)
    assert b.post(f"/api/v1/runs/{run_id}/approve", json={}, headers={CSRF_HEADER: csrf}).status_code == 403
    # smuggled fields are refused by validation, not silently used
    chief = web.person("c.chief", ["chief_actuary"])
    cc = web.client()
    web.login(cc, chief)
    csrf = csrf_of(cc.get("/dashboard").text)
    r = cc.post(f"/api/v1/runs/{run_id}/approve", json={"comment": "", "approved_by": "someone.else"},
                headers={CSRF_HEADER: csrf})
    assert r.status_code == 422 and r.json()["fields"] == ["approved_by"]
    assert valuation.get_run(web.db, chief.actor, run_id).status == "reviewed"


@pytest.mark.req("KZ164-67")
def test_browser_session_needs_csrf_header_for_unsafe_api_calls(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    chief = web.person("c.chief", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    assert c.get("/api/v1/runs").status_code == 200  # safe method: no token needed
    assert c.post(f"/api/v1/runs/{run_id}/approve", json={}).status_code == 403
    assert c.post(f"/api/v1/runs/{run_id}/approve", json={}, headers={CSRF_HEADER: "f" * 64}).status_code == 403
    csrf = csrf_of(c.get("/dashboard").text)
    r = c.post(f"/api/v1/runs/{run_id}/approve", json={"comment": "ok"}, headers={CSRF_HEADER: csrf})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_by"] == "c.chief"


def test_separation_of_duties_refusal_is_a_short_reason(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp, reviewed=False)
    chief = web.person("c.chief", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    csrf = csrf_of(c.get("/dashboard").text)
    r = c.post(f"/api/v1/runs/{run_id}/approve", json={}, headers={CSRF_HEADER: csrf})
    assert r.status_code == 400 and "reviewed" in r.json()["error"]  # workflow: needs a reviewed run
    r = c.post(f"/api/v1/runs/{run_id}/reject", json={"reason": ""}, headers={CSRF_HEADER: csrf})
    assert r.status_code == 422 and r.json()["fields"] == ["reason"]
    r = c.post(f"/api/v1/runs/{run_id}/reject", json={"reason": "wrong triangle"}, headers={CSRF_HEADER: csrf})
    assert r.status_code == 200 and r.json()["rejection_reason"] == "wrong triangle"


@pytest.mark.req("KZ164-69")
def test_parameters_validated(web) -> None:  # type: ignore[no-untyped-def]
    act = web.person("n.actuary", ["actuary"])
    c = web.client()
    web.login(c, act)
    for path in ("/api/v1/runs/0", "/api/v1/runs/abc", "/api/v1/runs/99999999999", "/api/v1/runs?limit=0",
                 "/api/v1/runs?status=x%27%20OR%201=1--"):
        r = c.get(path)
        assert r.status_code == 422, path
        assert "x' OR" not in r.text and "Traceback" not in r.text


@pytest.mark.req("SECP-MON")
def test_audit_verify_for_auditor(web) -> None:  # type: ignore[no-untyped-def]
    auditor = web.person("e.auditor", ["internal_auditor"])
    c = web.client()
    web.login(c, auditor)
    body = c.get("/api/v1/audit/verify").json()
    assert body["ok"] is True and body["records"] > 0 and body["problems"] == []


def test_openapi_schema_lists_the_api_only(web) -> None:  # type: ignore[no-untyped-def]
    schema = web.client().get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/approve",
            "/api/v1/runs/{run_id}/reject", "/api/v1/audit/verify"} <= paths
    assert all(p.startswith("/api/v1/") for p in paths)
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert web.client().get("/docs").status_code == 404  # no CDN-hosted docs UI
