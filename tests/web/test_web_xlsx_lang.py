"""A run's XLSX in the user's language (issue 5, "Language"): /runs/{id}/download.xlsx in the session's
language (Russian, then English after switching), /api/v1/runs/{id}/results.xlsx?lang=ru|en (validated, default
the caller's language), the same numbers in both, the audit record with the workbook's SHA-256 and language;
an IFRS 17 run's disclosure workbook; refusals (role, token scope, tampered results)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from typing import Any

import openpyxl
import pytest
from conftest import T0, csrf_of, prepared_run
from sqlalchemy import select, text

from aktuar.security.context import Actor
from aktuar.services import accounts, valuation
from aktuar.store.models import AuditEvent

ALICE = Actor("alice", frozenset({"actuary"}), user_id=901, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=902, source="test")


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


def _book(content: bytes) -> openpyxl.Workbook:
    assert content[:2] == b"PK"
    return openpyxl.load_workbook(io.BytesIO(content))


def _numbers(wb: openpyxl.Workbook) -> list[dict[tuple[int, int], float]]:
    out = []
    for ws in wb.worksheets:
        out.append({(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                    if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)})
    return out


def _switch(web, c, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = c.get("/dashboard").text
    assert c.post("/lang", data={"lang": lang, "next": "/dashboard", "csrf_token": csrf_of(page)}).status_code == 303


@pytest.mark.req("KZ84-AUTO")
def test_run_workbook_in_the_users_language_after_switching(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)  # prepared by alice, reviewed by bob
    chief = web.person("c.chief", ["chief_actuary"])
    c = web.client()
    web.login(c, chief)
    page = c.get(f"/runs/{run_id}").text
    assert c.post(f"/runs/{run_id}/approve", data={"csrf_token": csrf_of(page)}).status_code == 303
    r = c.get(f"/runs/{run_id}/download.xlsx")  # no language chosen yet: Russian
    assert r.status_code == 200 and r.headers["x-content-sha256"] == hashlib.sha256(r.content).hexdigest()
    assert r.headers["content-disposition"] == f'attachment; filename="aktuar-run-{run_id}.xlsx"'
    ru = _book(r.content)
    assert ru.sheetnames == ["Расчёт", "Результаты"]
    ident = {row[0]: row[1] for row in ru["Расчёт"].iter_rows(values_only=True)}
    assert ident["Расчёт №"] == run_id and ident["Статус"] == "утверждён" and ident["Утвердил"] == "c.chief"
    assert ident["Отчётная дата"] == "31.12.2025" and ident["Тестовый расчёт"] == "нет"
    assert [c_.value for c_ in ru["Результаты"][1]] == ["Класс", "Метод", "Период происшествия", "Показатель",
                                                        "Значение"]
    details = json.loads(_exports(web.db)[-1].details)
    assert details["lang"] == "ru" and details["via"] == "web" and details["format"] == "xlsx"
    assert details["sha256"] == r.headers["x-content-sha256"]
    _switch(web, c, "en")
    e = c.get(f"/runs/{run_id}/download.xlsx")
    assert e.status_code == 200
    en = _book(e.content)
    assert en.sheetnames == ["Run", "Results"]
    ident = {row[0]: row[1] for row in en["Run"].iter_rows(values_only=True)}
    assert ident["Status"] == "approved" and ident["Reporting date"] == "2025-12-31" and ident["Test run"] == "no"
    assert _numbers(ru) == _numbers(en) and len(_numbers(en)[1]) > 50
    rows = list(en["Results"].iter_rows(values_only=True))
    total = next(v for (_s, _m, origin, q, v) in rows[1:] if origin == "Total" and q == "ibnr")
    assert total == pytest.approx(18_680_856, rel=1e-6)
    assert json.loads(_exports(web.db)[-1].details)["lang"] == "en"


@pytest.mark.req("KZ164-25")
@pytest.mark.req("KZ84-AUTO")
def test_api_results_xlsx_lang_parameter(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp, reviewed=False)
    token = _token(web, "archive", ["internal_auditor"], ["run.read", "report.read"])
    h = {"Authorization": f"Bearer {token}"}
    api = web.client()
    en = api.get(f"/api/v1/runs/{run_id}/results.xlsx?lang=en", headers=h)
    assert en.status_code == 200 and en.headers["x-content-sha256"] == hashlib.sha256(en.content).hexdigest()
    wb_en = _book(en.content)
    assert wb_en.sheetnames == ["Run", "Results"] and wb_en["Run"]["B2"].value == "prepared"
    ru = api.get(f"/api/v1/runs/{run_id}/results.xlsx?lang=ru", headers=h)
    wb_ru = _book(ru.content)
    assert wb_ru.sheetnames == ["Расчёт", "Результаты"] and wb_ru["Расчёт"]["B2"].value == "подготовлен"
    assert _numbers(wb_ru) == _numbers(wb_en)
    details = json.loads(_exports(web.db)[-1].details)
    assert details["via"] == "api" and details["lang"] == "ru" and details["sha256"] == ru.headers["x-content-sha256"]
    default = api.get(f"/api/v1/runs/{run_id}/results.xlsx", headers=h)  # a token has no language: the default
    assert default.status_code == 200 and _book(default.content).sheetnames[0] == "Расчёт"
    for bad in ("de", "RU", "ru%0A", "../en", "en' OR 1=1--", ""):
        v = api.get(f"/api/v1/runs/{run_id}/results.xlsx?lang={bad}", headers=h)
        assert v.status_code == 422 and "Traceback" not in v.text and v.content[:2] != b"PK", bad
    assert api.get("/api/v1/runs/999999/results.xlsx?lang=en", headers=h).status_code == 404
    op = web.client().get("/openapi.json").json()["paths"]["/api/v1/runs/{run_id}/results.xlsx"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"run_id", "lang"}
    # a session's API call speaks the person's language
    person = web.person("r.risk", ["risk_manager"])
    c = web.client()
    web.login(c, person)
    _switch(web, c, "en")
    assert _book(c.get(f"/api/v1/runs/{run_id}/results.xlsx").content).sheetnames[0] == "Run"


@pytest.mark.req("KZ164-22")
def test_workbook_refused_without_report_read_or_with_tampered_results(web) -> None:  # type: ignore[no-untyped-def]
    run_id = prepared_run(web.db, web.tmp)
    co = web.client()
    web.login(co, web.officer)  # the information security officer: no report.read
    assert co.get(f"/runs/{run_id}/download.xlsx").status_code == 403
    assert co.get(f"/api/v1/runs/{run_id}/results.xlsx?lang=en").status_code == 403
    token = _token(web, "reader", ["risk_manager"], ["run.read"])  # a scope without report.read
    r = web.client().get(f"/api/v1/runs/{run_id}/results.xlsx?lang=ru",
                         headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.content[:2] != b"PK"
    assert not _exports(web.db)
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
    x = c.get(f"/runs/{run_id}/download.xlsx")
    assert x.status_code == 409 and "recorded hash" in x.text and x.content[:2] != b"PK"
    a = c.get(f"/api/v1/runs/{run_id}/results.xlsx?lang=en")
    assert a.status_code == 409 and "recorded hash" in a.json()["error"]
    assert not _exports(web.db)
    refused = _exports(web.db, "failure")
    assert any("IntegrityFailure" in e.details for e in refused)
    assert all(json.loads(e.details).get("format") == "xlsx" for e in refused if "IntegrityFailure" in e.details)


@pytest.mark.req("KZ84-AUTO")
def test_ifrs17_run_workbook_in_russian_and_english(web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs
    from aktuar.services import methodology as meth

    folder = tmp_path / "close"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    m = meth.create(web.db, ALICE, "IFRS 17", "1", parameters={"engine": "ifrs17"})
    meth.submit(web.db, CAROL, m.id, date(2026, 1, 10))
    meth.coordinate(web.db, CAROL, m.id, date(2026, 2, 1), "ARDFM 1")
    ds = valuation.import_dataset(web.db, ALICE, folder, "ifrs17")
    run = valuation.prepare_run(web.db, ALICE, date(2026, 12, 31), None, m.id, {"ifrs17": ds.id})
    rm = web.person("r.risk", ["risk_manager"])
    c = web.client()
    web.login(c, rm)
    r = c.get(f"/runs/{run.id}/download.xlsx")
    assert r.status_code == 200 and "ifrs17" in r.headers["content-disposition"]
    ru = _book(r.content)
    assert ru.sheetnames[:3] == ["Сводка", "Группы", "Договоры"]
    assert ru["Сводка"]["B4"].value == "31.12.2026"
    csm: Any = next(ws for ws in ru.worksheets if ws.title.startswith("101 "))
    assert csm["A1"].value == "Сверка компонентов оценки остатков по договорам страхования"
    assert csm["D4"].value == "Маржа за предусмотренные договором услуги (CSM)"
    _switch(web, c, "en")
    en = _book(c.get(f"/runs/{run.id}/download.xlsx").content)
    assert en.sheetnames[0] == "Summary" and _numbers(ru) == _numbers(en)
    langs = [json.loads(e.details)["lang"] for e in _exports(web.db)[-2:]]
    assert langs == ["ru", "en"]
