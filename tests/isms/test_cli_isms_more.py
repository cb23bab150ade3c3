"""The remaining commands of the ISMS registers: software, installers and data-center access, updates, documents,
access grants and review decisions, actuary edits (thin wrappers over the services; each acts as the logged-in
user and exits non-zero with one sentence when refused)."""

from __future__ import annotations

import json

import pytest
from isms_support import CEO, CHIEF, IT, OFFICER
from typer.testing import CliRunner

from aktuar import cli_isms
from aktuar.cli import app
from aktuar.security.context import Actor
from aktuar.services import actuaries, isms
from aktuar.store.db import Database, Settings


class As:
    """Switch the logged-in user of the command line."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch

    def __call__(self, actor: Actor, *args: str):  # type: ignore[no-untyped-def]
        self.mp.setattr(cli_isms, "ACTOR_PROVIDER", lambda _db: actor)
        return CliRunner().invoke(app, list(args))


@pytest.fixture
def env(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AKTUAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # tables unwrapped
    from rich.console import Console

    from aktuar import cli_isms

    monkeypatch.setattr(cli_isms, "out", Console(width=250))  # the module's console read COLUMNS at import
    db = Database(Settings.from_env())
    db.upgrade()
    yield db, As(monkeypatch)
    db.dispose()


@pytest.mark.req("KZ164-35")
@pytest.mark.req("KZ164-37")
@pytest.mark.req("KZ164-47")
def test_software_and_privileges(env) -> None:  # type: ignore[no-untyped-def]
    db, run = env
    r = run(IT, "isms", "software", "add", "Kaspersky Endpoint Security", "12.5", "--security", "--installations",
            "200")
    assert r.exit_code == 0 and "software 1" in r.output, r.output
    r = run(IT, "isms", "software", "add", "Kaspersky Endpoint Security", "12.5")
    assert r.exit_code == 2 and "already" in r.output
    assert run(CEO, "isms", "software", "add", "X", "1").exit_code == 2  # management reads, does not change
    r = run(OFFICER, "isms", "software", "list")
    assert r.exit_code == 0 and "Kaspersky" in r.output
    assert run(IT, "isms", "software", "withdraw", "1", "--reason", "replaced").exit_code == 0
    assert isms.list_software(db, OFFICER) == []

    r = run(IT, "isms", "privilege", "request", "--kind", "installer", "--person", "T. Abenov", "--scope",
            "servers", "--reason", "installs updates")
    assert r.exit_code == 0 and "pending" in r.output, r.output
    r = run(IT, "isms", "privilege", "approve", "1")
    assert r.exit_code == 0 and "pending" in r.output
    r = run(OFFICER, "isms", "privilege", "approve", "1")
    assert r.exit_code == 0 and "active" in r.output
    assert run(OFFICER, "isms", "privilege", "monitor", "1", "--note", "log reviewed").exit_code == 0
    r = run(OFFICER, "isms", "privilege", "list", "installer")
    assert r.exit_code == 0 and "T. Abenov" in r.output and "active" in r.output
    assert run(OFFICER, "isms", "privilege", "revoke", "1", "--reason", "left").exit_code == 0
    assert run(OFFICER, "isms", "privilege", "list", "nonsense").exit_code == 2


@pytest.mark.req("KZ164-32")
def test_updates_tested_before_production(env) -> None:  # type: ignore[no-untyped-def]
    _, run = env
    r = run(IT, "isms", "update", "record", "--system", "DB", "--name", "PostgreSQL 16.4")
    assert r.exit_code == 0 and "update 1" in r.output
    r = run(IT, "isms", "update", "install", "1")
    assert r.exit_code == 2 and "test environment" in r.output
    assert run(IT, "isms", "update", "test", "1", "passed", "--note", "regression ok").exit_code == 0
    assert run(IT, "isms", "update", "install", "1").exit_code == 0
    r = run(OFFICER, "isms", "update", "list")
    assert "installed" in r.output


@pytest.mark.req("KZ164-08")
def test_documents_register_and_overdue(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, run = env
    f = tmp_path / "policy.pdf"
    f.write_bytes(b"%PDF-1.4 policy")
    base = ["isms", "document", "register", "POL-IS", "--title", "IS policy", "--kind", "policy", "--approved-on",
            "2020-01-10", "--version", "1", "--revision-months", "24", "--owner", "CISO"]
    r = run(OFFICER, *base, "--approval-body", "executive_body")
    assert r.exit_code == 2 and "management body" in r.output
    r = run(OFFICER, *base, "--approval-body", "management_body", "--file", str(f))
    assert r.exit_code == 0 and "next revision 10.01.2022" in r.output, r.output
    r = run(OFFICER, "isms", "documents")
    assert "OVERDUE" in r.output
    assert isms.list_documents(db, OFFICER)[0].document_sha256 is not None


@pytest.mark.req("KZ164-22")
def test_access_grant_and_review_decisions(env) -> None:  # type: ignore[no-untyped-def]
    db, run = env
    r = run(OFFICER, "isms", "grant-access", "--system", "1C", "--subject", "svc_sync", "--kind", "system",
            "--rights", "read", "--justification", "sync")
    assert r.exit_code == 2 and "responsible" in r.output
    r = run(OFFICER, "isms", "grant-access", "--system", "1C", "--subject", "svc_sync", "--kind", "system",
            "--rights", "read", "--justification", "sync", "--responsible", "T. Abenov")
    assert r.exit_code == 0 and "access right 1" in r.output
    assert run(OFFICER, "isms", "grant-access", "--system", "1C", "--subject", "a.kassymova", "--rights",
               "accountant", "--justification", "premiums").exit_code == 0
    r = run(OFFICER, "isms", "review", "start", "Q1", "--due", "2099-01-31")
    assert r.exit_code == 0 and "2 item(s)" in r.output, r.output
    items = isms.list_reviews(db, OFFICER)[0].items
    first, second = items
    r = run(OFFICER, "isms", "review", "decide", str(first.id), "revoke")
    assert r.exit_code == 2 and "why" in r.output
    assert run(OFFICER, "isms", "review", "decide", str(first.id), "revoke", "--comment", "not needed").exit_code == 0
    r = run(OFFICER, "isms", "review", "close", "1")
    assert r.exit_code == 2 and "undecided" in r.output
    assert run(OFFICER, "isms", "review", "decide", str(second.id), "keep").exit_code == 0
    r = run(OFFICER, "isms", "review", "show", "1")
    assert "revoke" in r.output and "keep" in r.output
    r = run(OFFICER, "isms", "review", "close", "1")
    assert r.exit_code == 0 and "revoke 1" in r.output
    assert [e.subject for e in isms.access_register(db, OFFICER) if e.source == "register"] == [second.subject]
    assert run(OFFICER, "isms", "revoke-access", "99", "--reason", "x").exit_code == 2


@pytest.mark.req("KZ191-LIC")
@pytest.mark.req("KZ191-IND")
def test_actuary_edits_points_and_engagement(env) -> None:  # type: ignore[no-untyped-def]
    db, run = env
    r = run(CHIEF, "actuary", "add", "Ерлан Жумабаев", "--license-number", "AKT-1", "--license-date", "2020-06-01",
            "--license-issuer", "ARDFM", "--employer", "Demo Insurance JSC")
    assert r.exit_code == 0 and "actuary 1" in r.output, r.output
    r = run(CHIEF, "actuary", "add", "Алия Бекова", "--license-number", "AKT-2", "--independent")
    assert r.exit_code == 2 and "all three" in r.output
    emp = json.dumps([{"organization": "Demo Insurance JSC", "from": "2015-01-01", "to": "2025-06-30"}])
    r = run(CHIEF, "actuary", "add", "Алия Бекова", "--license-number", "AKT-2", "--license-date", "2018-04-10",
            "--license-issuer", "ARDFM", "--independent", "--employment", emp)
    assert r.exit_code == 0
    assert run(OFFICER, "actuary", "add", "Иван Петров").exit_code == 2  # only the chief actuary manages
    r = run(CHIEF, "actuary", "engage", "Demo Insurance JSC", "2", "1", "2026")
    assert r.exit_code == 2 and "App. 5 para 6(3)" in r.output  # employed there within 2 years
    r = run(CHIEF, "actuary", "edit", "2", "--employment", json.dumps([{"organization": "Indep LLP",
                                                                        "from": "2019-01-01"}]))
    assert r.exit_code == 0
    a = next(x for x in actuaries.list_actuaries(db, CHIEF) if x.id == 2)
    assert a.license_number == "AKT-2" and a.is_independent  # the rest is kept
    assert run(CHIEF, "actuary", "edit", "2", "--employment", "{bad").exit_code == 2
    assert run(CHIEF, "actuary", "engage", "Demo Insurance JSC", "2", "1", "2026").exit_code == 0
    r = run(CHIEF, "actuary", "pdp", "1", "--item", "4", "--on", "2024-05-01", "--title", "IFRS 17 seminar", "--iaa")
    assert r.exit_code == 0 and "points" in r.output
    r = run(CHIEF, "actuary", "points", "1", "--on", "2024-06-01")
    assert r.exit_code == 0 and "of 1200 points" in r.output.replace(",", "")
    assert run(CHIEF, "actuary", "edit", "99", "--position", "x").exit_code == 2
