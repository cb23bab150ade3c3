"""A run's PDF report downloaded from the browser (/runs/{id}/download.pdf, linked from the run page) and the API
(/api/v1/runs/{id}/results.pdf): the user's language, the audit record with the PDF's SHA-256, role and token
scope refused (403), tampered results refused (409), parameters validated, the OpenAPI response type."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import T0, csrf_of, prepared_run
from sqlalchemy import select, text

from aktuar.reports.run_pdf import fmt_amount
from aktuar.services import accounts, valuation
from aktuar.store.models import AuditEvent


def _text(content: bytes, tmp: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    path = tmp / f"{hashlib.sha256(content).hexdigest()[:10]}.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return re.sub(r"\s+", " ", out)


def _exports(db, outcome: str = "success") -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == "report.export",
                                                       AuditEvent.outcome == outcome)
                              .order_by(AuditEvent.seq)).scalars())


def _token(web, username: str, roles: list[str], scopes: list[str]) -> str:  # type: ignore[no-untyped-def]
    it = web.person(f"i.{username}", ["it_admin"])
    sa = accounts.request_service_account(web.db, it.actor, "reporting", username, "results archive",
                                          f"i.{username}", roles, now=T0)
    accounts.approve_service_account(web.db, it.actor, sa.id, now=T0)
    accounts.approve_service_account(web.db, web.officer.actor, sa.id, now=T0)
    return accounts.issue_token(web.db, it.actor, sa.id, scopes, 30, now=T0).token


def c_get(web, path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """A GET with its own client (no cookies): what an API client sends."""
    return web.client().get(path, headers=headers)


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ164-30")
def test_pdf_download_from_the_run_page_in_the_users_language(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)  # prepared by alice, reviewed by bob
    chief = web.person("c.chief", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    page = c.get(f"/runs/{run_id}").text
    assert f'id="download-pdf" href="/runs/{run_id}/download.pdf"' in page and "Скачать PDF" in page
    assert " style=" not in page and "<style" not in page  # the link keeps the page CSP-safe
    assert c.post(f"/runs/{run_id}/approve", data={"csrf_token": csrf_of(page)}).status_code == 303
    d = c.get(f"/runs/{run_id}/download.pdf")
    assert d.status_code == 200 and d.headers["content-type"] == "application/pdf"
    assert d.headers["content-disposition"] == f'attachment; filename="aktuar-run-{run_id}-ru.pdf"'
    assert d.content.startswith(b"%PDF") and d.headers["x-content-sha256"] == hashlib.sha256(d.content).hexdigest()
    run = valuation.get_run(web.db, chief.actor, run_id)
    t = _text(d.content, web.tmp)
    assert f"Отчёт о расчёте №{run_id}" in t and "Статус утверждён" in t and "Расчёт утверждён: c.chief" in t
    assert f"SHA-256 результатов {run.results_sha256}" in t and "ПРОЕКТ" not in t
    total = next(r.value for r in valuation.run_results(web.db, chief.actor, run_id)
                 if r.origin == "Total" and r.quantity == "ibnr")
    assert total == pytest.approx(18_680_856, rel=1e-6)
    assert re.sub(r"\s", " ", fmt_amount(total, "ru")) in t  # 18 680 855,61
    # audited with the PDF's hash
    ev = _exports(web.db)[-1]
    details = json.loads(ev.details)
    assert ev.actor == "c.chief" and details["sha256"] == d.headers["x-content-sha256"]
    assert details["format"] == "pdf" and details["lang"] == "ru" and details["via"] == "web"
    # the user's language: English after switching
    page = c.get("/dashboard").text
    assert c.post("/lang", data={"lang": "en", "next": "/dashboard", "csrf_token": csrf_of(page)}).status_code == 303
    assert "Download PDF" in c.get(f"/runs/{run_id}").text
    e = c.get(f"/runs/{run_id}/download.pdf")
    assert e.status_code == 200 and 'filename="aktuar-run-' in e.headers["content-disposition"]
    t = _text(e.content, web.tmp)
    assert f"Valuation run report #{run_id}" in t and "Run approved by c.chief" in t
    assert fmt_amount(total, "en") in t and f"Run #{run_id} · results SHA-256 {run.results_sha256}" in t
    assert json.loads(_exports(web.db)[-1].details)["lang"] == "en"


@pytest.mark.req("KZ164-22")
def test_without_report_read_the_pdf_is_refused_on_page_and_api(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    co = web.client()
    web.login(co, web.officer)  # the information security officer: no report.read
    assert co.get(f"/runs/{run_id}/download.pdf").status_code == 403
    r = co.get(f"/api/v1/runs/{run_id}/results.pdf")
    assert r.status_code == 403 and set(r.json()) == {"error", "correlation_id"}
    it = web.person("t.it", ["it_admin"])
    ci = web.client()
    web.login(ci, it)
    assert ci.get(f"/runs/{run_id}/download.pdf").status_code == 403
    # a token whose scopes leave out report.read cannot fetch it, whatever its roles allow
    token = _token(web, "reader", ["risk_manager"], ["run.read"])
    h = {"Authorization": f"Bearer {token}"}
    assert c_get(web, f"/api/v1/runs/{run_id}", h).status_code == 200
    r = c_get(web, f"/api/v1/runs/{run_id}/results.pdf", h)
    assert r.status_code == 403 and "report.read" not in r.text
    assert not _exports(web.db)
    assert len(_exports(web.db, "failure")) >= 3  # the refusals are audited
    # no session at all
    assert web.client().get(f"/api/v1/runs/{run_id}/results.pdf").status_code == 401
    anon = web.client().get(f"/runs/{run_id}/download.pdf")
    assert anon.status_code in (302, 303) and "/login" in anon.headers["location"]


@pytest.mark.req("KZ164-25")
@pytest.mark.req("KZ84-AUTO")
def test_api_results_pdf_with_a_service_token(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp, reviewed=False)
    token = _token(web, "archive", ["internal_auditor"], ["run.read", "report.read"])
    h = {"Authorization": f"Bearer {token}"}
    r = c_get(web, f"/api/v1/runs/{run_id}/results.pdf?lang=en", h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-sha256"] == hashlib.sha256(r.content).hexdigest()
    t = _text(r.content, web.tmp)
    assert "DRAFT — not approved" in t and "Run status: prepared" in t and f"Valuation run report #{run_id}" in t
    ru = c_get(web, f"/api/v1/runs/{run_id}/results.pdf?lang=ru", h)
    assert "ПРОЕКТ — расчёт не утверждён" in _text(ru.content, web.tmp)
    details = json.loads(_exports(web.db)[-1].details)
    assert details["via"] == "api" and details["sha256"] == hashlib.sha256(ru.content).hexdigest()
    assert c_get(web, "/api/v1/runs/999999/results.pdf", h).status_code == 404
    for bad in ("de", "ru%0A", "../en", "en' OR 1=1--"):
        v = c_get(web, f"/api/v1/runs/{run_id}/results.pdf?lang={bad}", h)
        assert v.status_code == 422 and "Traceback" not in v.text, bad
    for bad in ("0", "-1", "abc", "99999999999"):
        assert c_get(web, f"/api/v1/runs/{bad}/results.pdf", h).status_code == 422, bad
    schema = web.client().get("/openapi.json").json()
    op = schema["paths"]["/api/v1/runs/{run_id}/results.pdf"]["get"]
    assert "application/pdf" in op["responses"]["200"]["content"]
    assert {p["name"] for p in op["parameters"]} == {"run_id", "lang"}


@pytest.mark.req("KZ84-AUTO")
def test_tampered_results_refuse_the_pdf(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    with web.db.session() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER IF EXISTS run_results_no_update"))
        else:
            s.execute(text("DROP TRIGGER IF EXISTS run_results_guard ON run_results"))
        s.execute(text("UPDATE run_results SET value = value + 1 WHERE run_id = :r AND quantity = 'ultimate'"),
                  {"r": run_id})
    rm = web.person("r.risk", ["risk_manager"])
    c = web.client()
    web.login(c, rm)
    r = c.get(f"/runs/{run_id}/download.pdf")
    assert r.status_code == 409 and "recorded hash" in r.text and "%PDF" not in r.text
    a = c.get(f"/api/v1/runs/{run_id}/results.pdf")
    assert a.status_code == 409 and "recorded hash" in a.json()["error"]
    assert not _exports(web.db)
    refused = _exports(web.db, "failure")
    assert len(refused) == 2 and all("IntegrityFailure" in e.details for e in refused)
