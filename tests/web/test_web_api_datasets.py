"""REST API: datasets imported by an API client (a data file, or an IFRS 17 close package) and an IFRS 17 run
prepared from a package in the background (KZ164-25, KZ164-69(2)/(3), KZ84-AUTO): the same checks as the browser
and the command line, refusals with file, row and column, nothing stored on a refusal, scopes and roles enforced."""

from __future__ import annotations

import io
import itertools
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import T0, write_triangle
from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.security.context import Actor
from aktuar.services import accounts, valuation
from aktuar.services import methodology as meth
from aktuar.store.models import AuditEvent, Dataset

_SEQ = itertools.count(1)
ALICE = Actor("alice", frozenset({"actuary"}), user_id=901, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=902, source="test")


def _token(web, roles: list[str], scopes: list[str], system: str = "core-insurance") -> str:  # type: ignore[no-untyped-def]
    it = web.person(f"i.it{next(_SEQ)}", ["it_admin"])
    sa = accounts.request_service_account(web.db, it.actor, system, f"loader{len(scopes)}", "nightly data load",
                                          it.username, roles, now=T0)
    accounts.approve_service_account(web.db, it.actor, sa.id, now=T0)
    accounts.approve_service_account(web.db, web.officer.actor, sa.id, now=T0)
    return accounts.issue_token(web.db, it.actor, sa.id, scopes, 30, now=T0).token


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> bytes:  # type: ignore[no-untyped-def]
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs
    from aktuar.services.ifrs17_runs import pack_folder

    folder = tmp_path_factory.mktemp("ifrs17") / "close"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    return pack_folder(folder, tmp_path_factory.mktemp("zip") / "close.zip").read_bytes()


def _datasets(web) -> list[Dataset]:  # type: ignore[no-untyped-def]
    with web.db.session() as s:
        return list(s.execute(select(Dataset)).scalars())


@pytest.mark.req("KZ164-69")
@pytest.mark.req("KZ164-25")
def test_a_client_imports_a_triangle_and_a_bad_file_is_refused_with_row_and_column(web, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = _token(web, ["actuary"], ["data.import", "data.read"])
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    good = write_triangle(tmp_path / "taylor-ashe.csv").read_bytes()
    r = c.post("/api/v1/datasets", headers=h, data={"kind": "triangle"},
               files={"file": ("taylor-ashe.csv", io.BytesIO(good), "text/csv")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "triangle" and body["filename"] == "taylor-ashe.csv" and len(body["sha256"]) == 64
    assert [d["id"] for d in c.get("/api/v1/datasets", headers=h).json()] == [body["id"]]
    lines = good.decode().splitlines()
    lines[3] = lines[3].split(",")[0] + ",abc" + "," * (lines[3].count(",") - 1)
    r = c.post("/api/v1/datasets", headers=h, data={"kind": "triangle"},
               files={"file": ("bad.csv", io.BytesIO(("\n".join(lines) + "\n").encode()), "text/csv")})
    assert r.status_code == 422, r.text
    p = r.json()
    assert p["file"] == "bad.csv" and p["row"] == 4 and p["column"] and p["correlation_id"] != "-"
    assert "/" not in p["error"] or "bad.csv" in p["error"]  # no server path
    assert len(_datasets(web)) == 1
    # a file that is not what its name says, an unknown kind, an empty file
    r = c.post("/api/v1/datasets", headers=h, data={"kind": "triangle"},
               files={"file": ("x.xlsx", io.BytesIO(b"origin,12\n2020,1\n"), "application/octet-stream")})
    assert r.status_code == 422 and r.json()["file"] == "x.xlsx"
    assert c.post("/api/v1/datasets", headers=h, data={"kind": "novel"},
                  files={"file": ("a.csv", io.BytesIO(good), "text/csv")}).status_code == 422
    assert c.post("/api/v1/datasets", headers=h, data={"kind": "triangle"},
                  files={"file": ("e.csv", io.BytesIO(b""), "text/csv")}).status_code == 422
    assert len(_datasets(web)) == 1
    with web.db.session() as s:
        refused = s.execute(select(AuditEvent).where(AuditEvent.action == "dataset.import",
                                                     AuditEvent.outcome != "success")).scalars().all()
    assert len(refused) >= 3


@pytest.mark.req("KZ164-22")
@pytest.mark.req("KZ164-69")
def test_import_needs_the_scope_the_role_and_a_bounded_body(web, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = write_triangle(tmp_path / "t.csv").read_bytes()
    c = web.client()
    files = {"file": ("t.csv", io.BytesIO(good), "text/csv")}
    assert c.post("/api/v1/datasets", data={"kind": "triangle"}, files=files).status_code == 401
    no_scope = _token(web, ["actuary"], ["data.read"])
    files = {"file": ("t.csv", io.BytesIO(good), "text/csv")}
    r = c.post("/api/v1/datasets", headers={"Authorization": f"Bearer {no_scope}"}, data={"kind": "triangle"},
               files=files)
    assert r.status_code == 403 and set(r.json()) == {"error", "correlation_id"}
    with pytest.raises(InputError, match="do not grant data.import"):  # a token cannot carry more than its roles
        _token(web, ["risk_manager"], ["data.import", "data.read", "run.read"], system="risk")
    big = _token(web, ["actuary"], ["data.import"], system="bulk")
    from fastapi.testclient import TestClient

    from aktuar.web import WebSettings, create_app

    small = TestClient(create_app(WebSettings(database=web.db, clock=web.clock, max_upload_bytes=256 * 1024)),
                       base_url="https://testserver", follow_redirects=False)
    hb = {"Authorization": f"Bearer {big}"}
    row = b"2020," + b"1" * 60 + b"\n"
    over_body = b"origin,12\n" + row * (400 * 1024 // len(row))  # beyond the limit and the form overhead
    r = small.post("/api/v1/datasets", headers=hb, data={"kind": "triangle"},
                   files={"file": ("huge.csv", io.BytesIO(over_body), "text/csv")})
    assert r.status_code == 413, r.text
    over_file = b"origin,12\n" + row * ((256 * 1024 + 4096) // len(row))  # the body fits, the file does not
    r = small.post("/api/v1/datasets", headers=hb, data={"kind": "triangle"},
                   files={"file": ("big.csv", io.BytesIO(over_file), "text/csv")})
    assert r.status_code == 422 and "upload limit" in r.json()["error"], r.text
    assert _datasets(web) == []


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ164-25")
def test_a_client_uploads_a_close_package_and_prepares_the_ifrs17_run(web, package: bytes) -> None:  # type: ignore[no-untyped-def]
    m = meth.create(web.db, ALICE, "IFRS 17 close", "2026.1", parameters={"engine": "ifrs17"})
    meth.submit(web.db, CAROL, m.id, date(2026, 1, 10))
    m_id = meth.coordinate(web.db, CAROL, m.id, date(2026, 2, 1), "ARDFM 1").id
    token = _token(web, ["actuary"], ["data.import", "data.read", "run.prepare", "run.read"])
    h = {"Authorization": f"Bearer {token}"}
    c = web.client()
    r = c.post("/api/v1/datasets", headers=h, data={"kind": "ifrs17"},
               files={"file": ("close.zip", io.BytesIO(package), "application/zip")})
    assert r.status_code == 201, r.text
    ds_id = r.json()["id"]
    assert r.json()["kind"] == "ifrs17"
    # a package that leaves its folder is refused, nothing stored
    import zipfile

    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../ifrs17.toml", "x = 1\n")
    r = c.post("/api/v1/datasets", headers=h, data={"kind": "ifrs17"},
               files={"file": ("evil.zip", io.BytesIO(evil.getvalue()), "application/zip")})
    assert r.status_code == 422 and r.json()["file"].startswith("evil.zip")
    assert len(_datasets(web)) == 1
    # extra fields and bad ids are refused before anything starts
    assert c.post("/api/v1/ifrs17/runs", headers=h, json={"package": ds_id, "methodology_id": m_id,
                                                           "extra": 1}).status_code == 422
    assert c.post("/api/v1/ifrs17/runs", headers=h, json={"package": 0, "methodology_id": m_id}).status_code == 422
    r = c.post("/api/v1/ifrs17/runs", headers=h, json={"package": ds_id, "methodology_id": m_id})
    assert r.status_code == 202, r.text
    job = r.json()
    for _ in range(2400):
        job = c.get(f"/api/v1/jobs/{job['id']}", headers=h).json()
        if job["status"] != "running":
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    run = valuation.get_run(web.db, ALICE, job["run_id"])
    assert run.engine == "ifrs17" and run.status == "prepared" and run.inputs == {"ifrs17": ds_id}
    assert run.reporting_date == date(2026, 12, 31)
    got = c.get(f"/api/v1/runs/{run.id}", headers=h).json()
    assert got["status"] == "prepared"
    # a token without run.prepare cannot start one
    reader = _token(web, ["actuary"], ["run.read"], system="reader")
    assert c.post("/api/v1/ifrs17/runs", headers={"Authorization": f"Bearer {reader}"},
                  json={"package": ds_id, "methodology_id": m_id}).status_code == 403


@pytest.mark.req("KZ164-69")
def test_a_package_cannot_probe_the_servers_files(web, package: bytes) -> None:  # type: ignore[no-untyped-def]
    """A configuration inside a package naming a server file gets one answer whether or not the file exists, and
    no server path: the package's files are its members, named by relative paths."""
    import zipfile

    token = _token(web, ["actuary"], ["data.import", "data.read"], system="prober")
    h = {"Authorization": f"Bearer {token}"}
    c = web.client()
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    toml = members["ifrs17.toml"].decode()
    assert 'file = "curves.csv"' in toml
    answers = []
    for target in ("/etc/hostname", "/etc/no-such-file", "../../../../etc/passwd", "../../../../etc/nope",
                   str(web.db.settings.data_dir / "keys" / "web_csrf.key")):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for n, b in members.items():
                z.writestr(n, toml.replace('file = "curves.csv"', f'file = "{target}"').encode()
                           if n == "ifrs17.toml" else b)
        r = c.post("/api/v1/datasets", headers=h, data={"kind": "ifrs17"},
                   files={"file": ("close.zip", io.BytesIO(out.getvalue()), "application/zip")})
        assert r.status_code == 422, r.text
        p = r.json()
        assert "outside the package" in p["error"] and "/etc" not in p["error"] and "keys" not in p["error"]
        assert str(web.db.settings.data_dir) not in p["error"]
        answers.append((p["error"], p["file"], p["column"]))
    assert len(set(answers)) == 1, answers
    assert _datasets(web) == []
