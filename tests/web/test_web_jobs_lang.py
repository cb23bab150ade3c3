"""Several server processes over one database (issue 5): background jobs and the person's language live in the
database, not in one process's memory.

Two application instances (``create_app`` twice, each with its own engine, over the same database — as two
uvicorn workers or two servers behind a balancer would be): a job started through one is seen with its progress
and result through the other; the language chosen through one is used by the other and at the next login; a job
left running by a process that is gone is reported as interrupted (and can be started again); nobody learns that
another person's job exists (404 on the page, the API and the restart, through both instances)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import PREPARER, T0, csrf_of, prepared_run, write_triangle
from sqlalchemy import create_engine, select, text

from aktuar.security.context import Actor
from aktuar.services import accounts, valuation, web_jobs
from aktuar.services.methodology import worker_id
from aktuar.store.db import Database
from aktuar.store.models import AuditEvent, User, WebJob
from aktuar.web import WebSettings, create_app
from aktuar.web.security import CSRF_HEADER, LANG_COOKIE, SESSION_COOKIE


# ------------------------------------------------------------------------------------------------- helpers
def _second_database(db: Database) -> Database:
    """Another engine over the same database (a second server process has its own connection pool)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return Database(db.settings, engine=create_engine(url))
    with db.engine.connect() as conn:
        path = conn.execute(text("SHOW search_path")).scalar_one()
    return Database(db.settings, engine=create_engine(url, connect_args={"options": f"-csearch_path={path}"}))


@pytest.fixture
def two(web):  # type: ignore[no-untyped-def]
    """``web`` (instance A) and a second application instance B over the same database."""
    db2 = _second_database(web.db)
    app_b = create_app(WebSettings(database=db2, clock=web.clock, enable_test_routes=True))
    yield web, app_b
    db2.dispose()


def _client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def _session_only(app, client):  # type: ignore[no-untyped-def]
    """A client of ``app`` carrying only ``client``'s session cookie (no language cookie)."""
    other = _client(app)
    other.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE), domain="testserver.local")
    return other


def _actuary(web, name: str = "n.actuary"):  # type: ignore[no-untyped-def]
    p = web.person(name, ["actuary"])
    c = web.client()
    assert web.login(c, p).status_code == 303
    return p, c


def _methodology(web) -> int:  # type: ignore[no-untyped-def]
    from aktuar.services import methodology as meth

    prepared_run(web.db, web.tmp, reviewed=False)  # registers and coordinates a chain-ladder methodology
    return meth.list_methodologies(web.db, PREPARER)[0].id


def _dataset(web, actor: Actor) -> int:  # type: ignore[no-untyped-def]
    return valuation.import_dataset(web.db, actor, write_triangle(web.tmp / "tri-jobs.csv"), "triangle").id


def _poll(client, url: str, until: Any, tries: int = 600) -> Any:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        j = client.get(url).json()
        if until(j):
            return j
        time.sleep(0.05)
    raise AssertionError(f"{url} never reached the expected state: {j}")


def _audit(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
                    .scalars())


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _insert_job(db: Database, owner: str, worker: str, updated_at, *, params: dict | None = None,  # type: ignore[no-untyped-def]
                kind: str = "run.prepare") -> str:
    import secrets

    job_id = secrets.token_urlsafe(16)
    with db.session() as s:
        s.add(WebJob(id=job_id, owner=owner, kind=kind, status="running", done=2, total=5,
                     params=json.dumps(params or {}), started_at=updated_at - timedelta(minutes=1),
                     updated_at=updated_at, worker=worker))
    return job_id


# ---------------------------------------------------------------------------------------------------- jobs
def test_a_job_started_through_one_instance_is_seen_with_progress_and_result_through_the_other(  # type: ignore[no-untyped-def]
        two, monkeypatch) -> None:
    web, app_b = two
    p, ca = _actuary(web)
    m_id = _methodology(web)
    ds_id = _dataset(web, p.actor)
    cb = _session_only(app_b, ca)
    # a job whose body waits for the test: its progress is visible through B while it runs in A's thread
    gate, reached = threading.Event(), threading.Event()

    def slow(db, actor, params, progress, now):  # type: ignore[no-untyped-def]
        progress(1, 3)
        reached.set()
        assert gate.wait(30)
        return valuation.prepare_run(db, actor, date(2025, 12, 31), None, params["methodology_id"],
                                     {"triangle": params["dataset"]}, now=now)

    monkeypatch.setitem(web_jobs.KINDS, "test.slow", web_jobs.JobKind("run.prepare", slow, "/reserving", "steps"))
    job = web.app.state.jobs.start(p.actor, "test.slow", {"methodology_id": m_id, "dataset": ds_id})
    assert reached.wait(30)
    j = _poll(cb, f"/api/v1/jobs/{job.id}", lambda j: j["done"] == 1)
    assert j == {"id": job.id, "status": "running", "done": 1, "total": 3, "run_id": None, "error": None}
    page = cb.get(f"/jobs/{job.id}")
    assert page.status_code == 200 and 'data-status="running"' in page.text and '<meta http-equiv="refresh"' in page.text
    assert re.search(r'id="job-done">1<', page.text) and re.search(r'id="job-total">3<', page.text)
    gate.set()
    j = _poll(cb, f"/api/v1/jobs/{job.id}", lambda j: j["status"] != "running")
    assert j["status"] == "done" and j["run_id"] and j["done"] == j["total"] == 3
    r = cb.get(f"/jobs/{job.id}")
    assert r.status_code == 303 and r.headers["location"] == f"/runs/{j['run_id']}?new=1"
    with web.db.session() as s:
        row = s.get(WebJob, job.id)
        assert row.owner == "n.actuary" and row.kind == "test.slow" and row.worker == worker_id()
        assert row.finished_at is not None and row.run_id == j["run_id"]


def test_runs_started_from_the_browser_and_the_api_of_one_instance_finish_on_the_other(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p, ca = _actuary(web)
    m_id = _methodology(web)
    ds_id = _dataset(web, p.actor)
    cb = _session_only(app_b, ca)
    # the reserving page's form on A → the job page on B
    csrf = csrf_of(ca.get("/reserving").text)
    r = ca.post("/reserving/runs/new", data={"csrf_token": csrf, "dataset": str(ds_id), "methodology": str(m_id),
                                             "reporting_date": "2025-12-31", "exposure": "0"})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[1]
    j = _poll(cb, f"/api/v1/jobs/{job_id}", lambda j: j["status"] != "running")
    assert j["status"] == "done" and j["done"] == j["total"] == 1
    assert valuation.get_run(web.db, p.actor, j["run_id"]).status == "prepared"
    # the API of B → polled on A
    body = {"reporting_date": "2025-12-31", "methodology_id": m_id, "triangle": ds_id}
    r = cb.post("/api/v1/runs", json=body, headers={CSRF_HEADER: csrf})
    assert r.status_code == 202, r.text
    j = _poll(ca, f"/api/v1/jobs/{r.json()['id']}", lambda j: j["status"] != "running")
    assert j["status"] == "done" and j["run_id"]


def test_a_failed_job_says_why_through_both_instances(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p, ca = _actuary(web)
    m_id = _methodology(web)
    ds_id = _dataset(web, p.actor)
    job = web.app.state.jobs.start(p.actor, "run.prepare", web_jobs.reserving_params(
        date(2025, 12, 31), ["no such class"], m_id, {"triangle": ds_id}), wait=True)
    assert job.status == "failed" and job.error and "/" not in (job.error_file or "")
    for c in (ca, _session_only(app_b, ca)):
        j = c.get(f"/api/v1/jobs/{job.id}").json()
        assert j["status"] == "failed" and j["error"] == job.error and j["run_id"] is None
        page = c.get(f"/jobs/{job.id}").text
        assert 'data-status="failed"' in page and 'id="job-error"' in page and 'href="/reserving"' in page
        assert "Traceback" not in page and str(web.db.settings.data_dir) not in page


def test_a_job_of_a_gone_process_is_interrupted_and_can_be_started_again(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p, ca = _actuary(web)
    m_id = _methodology(web)
    ds_id = _dataset(web, p.actor)
    params = web_jobs.reserving_params(date(2025, 12, 31), [], m_id, {"triangle": ds_id})
    now = web.clock()
    host = socket.gethostname()
    stale = _insert_job(web.db, p.username, "elsewhere:4242", now - timedelta(minutes=10), params=params)
    dead = _insert_job(web.db, p.username, f"{host}:{_dead_pid()}", now, params=params)
    mine = _insert_job(web.db, p.username, worker_id(), now, params=params)  # this pid, but no such thread
    alive = _insert_job(web.db, p.username, "elsewhere:4343", now - timedelta(seconds=30), params=params)
    old, recent = (_insert_job(web.db, p.username, "elsewhere:1", now - age) for age in (timedelta(days=31),
                                                                                         timedelta(days=29)))
    with web.db.session() as s:
        for jid, age in ((old, timedelta(days=31)), (recent, timedelta(days=29))):
            row = s.get(WebJob, jid)
            row.status, row.finished_at = "done", now - age
    # a server starting (a third instance) marks the jobs whose process is gone; the live one stays running
    db3 = _second_database(web.db)
    try:
        create_app(WebSettings(database=db3, clock=web.clock))
    finally:
        db3.dispose()
    with web.db.session() as s:
        status = {r.id: r.status for r in s.execute(select(WebJob)).scalars()}
    assert (status[stale], status[dead], status[mine], status[alive]) == ("interrupted", "interrupted",
                                                                         "interrupted", "running")
    assert old not in status and status[recent] == "done"  # finished jobs are kept 30 days
    interrupted = _audit(web.db, "job.interrupted")
    assert {json.loads(e.details)["worker"] for e in interrupted} >= {"elsewhere:4242", worker_id()}
    cb = _session_only(app_b, ca)
    for c in (ca, cb):
        j = c.get(f"/api/v1/jobs/{stale}").json()
        assert j["status"] == "interrupted" and j["done"] == 2 and j["total"] == 5
        page = c.get(f"/jobs/{stale}").text
        assert 'data-status="interrupted"' in page and 'id="job-interrupted"' in page and 'id="job-restart"' in page
        assert '<meta http-equiv="refresh"' not in page
    # once the live one stops reporting for longer than the timeout, reading it interrupts it too
    web.clock.advance(minutes=6)
    assert cb.get(f"/api/v1/jobs/{alive}").json()["status"] == "interrupted"
    # start again: a new job with the same parameters, which finishes
    page = ca.get(f"/jobs/{dead}").text
    assert ca.post(f"/jobs/{dead}/restart", data={}).status_code == 403  # CSRF
    r = ca.post(f"/jobs/{dead}/restart", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    new_id = r.headers["location"].rsplit("/", 1)[1]
    assert new_id != dead
    j = _poll(cb, f"/api/v1/jobs/{new_id}", lambda j: j["status"] != "running")
    assert j["status"] == "done" and j["run_id"]
    assert valuation.get_run(web.db, p.actor, j["run_id"]).inputs == {"triangle": ds_id}
    r = ca.post(f"/jobs/{new_id}/restart", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 400  # a finished job is not started again


def test_nobody_learns_that_another_persons_job_exists(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p, ca = _actuary(web)
    m_id = _methodology(web)
    ds_id = _dataset(web, p.actor)
    job = web.app.state.jobs.start(p.actor, "run.prepare", web_jobs.reserving_params(
        date(2025, 12, 31), [], m_id, {"triangle": ds_id}), wait=True)
    assert job.status == "done"
    interrupted = _insert_job(web.db, p.username, "elsewhere:1", web.clock() - timedelta(hours=1))
    _, co = _actuary(web, "o.other")
    chief = web.person("c.chief", ["chief_actuary"])
    cc = web.client()
    web.login(cc, chief)
    for c in (co, _session_only(app_b, co), cc, _session_only(app_b, cc)):
        for jid in (job.id, interrupted, "doesnotexist123"):
            assert c.get(f"/api/v1/jobs/{jid}").status_code == 404
            assert c.get(f"/jobs/{jid}").status_code == 404
        csrf = csrf_of(c.get("/dashboard").text)
        assert c.post(f"/jobs/{interrupted}/restart", data={"csrf_token": csrf}).status_code == 404
    # the other person's reading did not interrupt it either: only the owner's reading or a start-up does
    with web.db.session() as s:
        assert s.get(WebJob, interrupted).status == "running"
    assert ca.get(f"/api/v1/jobs/{interrupted}").json()["status"] == "interrupted"
    # malformed ids are refused by validation, not looked up
    assert ca.get("/api/v1/jobs/..%2F..%2Fetc").status_code in (404, 422)
    assert ca.get("/jobs/" + "x" * 65).status_code == 422
    # without a session: 401 / the login page
    anon = _client(app_b)
    assert anon.get(f"/api/v1/jobs/{job.id}").status_code == 401
    assert anon.get(f"/jobs/{job.id}").status_code == 303


def test_a_job_needs_run_prepare_and_a_known_kind(web) -> None:  # type: ignore[no-untyped-def]
    rm = web.person("r.risk", ["risk_manager"])
    from aktuar.security.rbac import PermissionDenied

    with pytest.raises(PermissionDenied):
        web.app.state.jobs.start(rm.actor, "run.prepare", {})
    assert [json.loads(e.details).get("job") for e in _audit(web.db, "run.prepare") if e.outcome == "failure"] == [
        "run.prepare"]
    from aktuar.errors import InputError

    with pytest.raises(InputError, match="unknown job kind"):
        web.app.state.jobs.start(PREPARER, "shell", {})
    # a job whose stored parameters are incomplete fails with a sentence, not a trace
    job = web.app.state.jobs.start(PREPARER, "run.prepare", {"reporting_date": "2025-12-31"}, wait=True)
    assert job.status == "failed" and "parameters are incomplete" in (job.error or "")


# ------------------------------------------------------------------------------------------------ language
@pytest.mark.req("KZ164-67")
def test_language_is_stored_on_the_account_and_used_by_every_instance_and_the_next_login(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p, ca = _actuary(web)
    assert 'lang="ru"' in ca.get("/dashboard").text
    cb = _session_only(app_b, ca)
    assert 'lang="ru"' in cb.get("/dashboard").text
    r = ca.post("/lang", data={"lang": "en", "next": "/dashboard", "csrf_token": csrf_of(ca.get("/dashboard").text)})
    assert r.status_code == 303
    assert accounts.preferred_language(web.db, p.actor.user_id) == "en"
    page = cb.get("/dashboard").text  # the other instance, no language cookie: the account's language
    assert 'lang="en"' in page and "Regulatory deadlines" in page
    # audited as a preference of the person's own account (not a security setting)
    ev = _audit(web.db, "preference.change")
    assert len(ev) == 1 and ev[0].category == "account" and ev[0].actor == p.username
    assert json.loads(ev[0].details) == {"preference": "language", "from": None, "to": "en"}
    # choosing the same language again changes nothing and records nothing
    ca.post("/lang", data={"lang": "en", "next": "/dashboard", "csrf_token": csrf_of(ca.get("/dashboard").text)})
    assert len(_audit(web.db, "preference.change")) == 1
    # the next login, through B in a fresh browser whose pre-login cookie says Russian: English
    fresh = _client(app_b)
    fresh.cookies.set(LANG_COOKIE, "ru", domain="testserver.local")
    web.clock.advance(seconds=31)
    login = fresh.get("/login")
    assert 'lang="ru"' in login.text
    r = fresh.post("/login", data={"username": p.username, "password": p.password, "code": p.code(web.clock()),
                                   "next": "", "csrf_token": csrf_of(login.text)})
    assert r.status_code == 303
    assert f"{LANG_COOKIE}=en" in r.headers.get("set-cookie", "")  # the login page after logout speaks it too
    assert 'lang="en"' in _session_only(app_b, fresh).get("/dashboard").text


def test_without_a_stored_language_the_pre_login_cookie_is_used(two) -> None:  # type: ignore[no-untyped-def]
    web, app_b = two
    p = web.person("e.english", ["actuary"])
    c = _client(app_b)
    login = c.get("/login")
    r = c.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_of(login.text)})
    assert r.status_code == 303
    web.clock.advance(seconds=31)
    login = c.get("/login")
    assert 'lang="en"' in login.text
    r = c.post("/login", data={"username": p.username, "password": p.password, "code": p.code(web.clock()),
                               "next": "", "csrf_token": csrf_of(login.text)})
    assert r.status_code == 303
    assert 'lang="en"' in c.get("/dashboard").text
    assert accounts.preferred_language(web.db, p.actor.user_id) is None  # nothing chosen while logged in
    assert not _audit(web.db, "preference.change")


def test_language_preference_is_checked_and_personal(web) -> None:  # type: ignore[no-untyped-def]
    from aktuar.errors import InputError
    from aktuar.security.rbac import PermissionDenied
    from aktuar.web import i18n

    assert set(accounts.LANGUAGES) == set(i18n.LANGUAGES)
    p = web.person("l.person", ["actuary"])
    with pytest.raises(InputError, match="not offered"):
        accounts.set_language(web.db, p.actor, "xx'; DROP TABLE users;--")
    api = Actor("svc", frozenset({"actuary"}), user_id=None, source="api token=akt_x", via="api")
    with pytest.raises(PermissionDenied):
        accounts.set_language(web.db, api, "en")
    impostor = Actor("someone.else", frozenset({"actuary"}), user_id=p.actor.user_id, source="test", via="web")
    with pytest.raises(InputError):
        accounts.set_language(web.db, impostor, "en")
    with web.db.session() as s:
        assert s.execute(select(User.language).where(User.username == p.username)).scalar_one() is None
    assert [e.outcome for e in _audit(web.db, "preference.change")] == ["failure"] * 3
    assert accounts.set_language(web.db, p.actor, " EN ") == "en"
    assert accounts.preferred_language(web.db, p.actor.user_id) == "en"
    assert accounts.preferred_language(web.db, None) is None
    # a value someone wrote into the database by hand is not trusted
    with web.db.session() as s:
        s.get(User, p.actor.user_id).language = "<script>"
    assert accounts.preferred_language(web.db, p.actor.user_id) is None


def test_the_in_memory_session_state_is_gone() -> None:
    import aktuar.web.security as sec

    assert not hasattr(sec, "SessionState")
    assert T0.tzinfo is not None
