"""IFRS 17 close packages uploaded in the browser and prepared as governed runs (issue 5, KZ84-AUTO).

A good package (the ZIP ``pack_folder`` makes) imports and a run is prepared from it as a background job, then
reviewed and approved on the run page and shown on the IFRS 17 page; a package with an error in its
configuration shows the file (package and member), the row and the column (the key), and one with an error in a
data file fails its preparation with the file, row and column; hostile ZIPs (path traversal, symbolic link,
extra file, ZIP bomb, not a ZIP) are refused with nothing stored; a person without ``data.import`` gets 403."""

from __future__ import annotations

import html as html_mod
import io
import json
import re
import stat
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import csrf_of
from sqlalchemy import select

from aktuar.security.context import Actor
from aktuar.services import methodology as meth
from aktuar.services import valuation
from aktuar.store.models import AuditEvent, Dataset

ALICE = Actor("alice", frozenset({"actuary"}), user_id=901, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=902, source="test")


@pytest.fixture(scope="module")
def close_folder(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    from aktuar.demo.ifrs17_inputs import write_demo_close_inputs

    folder = tmp_path_factory.mktemp("ifrs17") / "close"
    write_demo_close_inputs(folder, seed=2026, scale=0.05)
    return folder


@pytest.fixture(scope="module")
def package(close_folder: Path, tmp_path_factory) -> bytes:  # type: ignore[no-untyped-def]
    from aktuar.services.ifrs17_runs import pack_folder

    return pack_folder(close_folder, tmp_path_factory.mktemp("zip") / "close.zip").read_bytes()


def _rezip(data: bytes, change: dict[str, bytes | None] | None = None,
           extra: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None) -> bytes:
    """``data`` (a ZIP) with members replaced (None: removed) and extra members added."""
    change = change or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    dst.writestr(info, change[info.filename])
                continue
            dst.writestr(info, src.read(info))
        for name, content in extra or []:
            dst.writestr(name, content)
    return out.getvalue()


def _ifrs17_methodology(web) -> int:  # type: ignore[no-untyped-def]
    m = meth.create(web.db, ALICE, "IFRS 17 close", "2026.1", parameters={"engine": "ifrs17"})
    meth.submit(web.db, CAROL, m.id, date(2026, 1, 10))
    return meth.coordinate(web.db, CAROL, m.id, date(2026, 2, 1), "ARDFM 1").id


def _actuary(web, name: str = "n.actuary"):  # type: ignore[no-untyped-def]
    p = web.person(name, ["actuary"])
    c = web.client()
    assert web.login(c, p).status_code == 303
    return p, c


def _upload(c, name: str, content: bytes, page: str = "/ifrs17/new"):  # type: ignore[no-untyped-def]
    csrf = csrf_of(c.get(page).text)
    return c.post("/data/upload", data={"csrf_token": csrf, "kind": "ifrs17"},
                  files={"file": (name, io.BytesIO(content), "application/zip")})


def _wait_job(c, location: str) -> str:  # type: ignore[no-untyped-def]
    for _ in range(1200):
        r = c.get(location)
        if r.status_code == 303:
            return str(r.headers["location"])
        assert r.status_code == 200, r.text[:500]
        if 'data-status="running"' not in r.text:
            return r.text
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def _datasets(web) -> list[Dataset]:  # type: ignore[no-untyped-def]
    with web.db.session() as s:
        return list(s.execute(select(Dataset)).scalars())


def _audit(web, action: str, outcome: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with web.db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == outcome))
                    .scalars())


def _csp_safe(html: str) -> None:
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"


def _problem(html: str) -> tuple[str, str, str, str]:
    def cell(name: str) -> str:
        m = re.search(rf'id="problem-{name}"[^>]*>(.*?)</td>', html, re.S)
        assert m, f"no problem-{name} in the page"
        return html_mod.unescape(m.group(1).strip())

    return cell("file"), cell("row"), cell("column"), cell("message")


@pytest.mark.req("KZ84-AUTO")
def test_a_good_package_imports_and_a_run_is_prepared_reviewed_approved_and_shown(web, package) -> None:  # type: ignore[no-untyped-def]
    m_id = _ifrs17_methodology(web)
    p, c = _actuary(web)
    page = c.get("/ifrs17/new")
    assert page.status_code == 200 and 'id="package-form"' in page.text and 'id="no-packages"' in page.text
    _csp_safe(page.text)
    r = _upload(c, "close 2026.zip", package)
    assert r.status_code == 303, r.text[:800]
    assert r.headers["location"].startswith("/ifrs17/new?imported=")
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    (ds,) = _datasets(web)
    assert ds.id == ds_id and ds.kind == "ifrs17" and ds.filename == "close 2026.zip"
    page = c.get(r.headers["location"]).text
    assert 'id="imported"' in page and f'<option value="{ds_id}" selected>' in page and 'id="ifrs17-run-form"' in page
    assert f'<option value="{m_id}">' in page
    _csp_safe(page)
    # the data page lists it with a way to prepare a run
    assert f'href="/ifrs17/new?package={ds_id}"' in c.get("/data").text
    # prepare the run in the background
    csrf = csrf_of(page)
    assert c.post("/ifrs17/runs/new", data={"package": str(ds_id), "methodology": str(m_id)}).status_code == 403
    r = c.post("/ifrs17/runs/new", data={"csrf_token": csrf, "package": str(ds_id), "methodology": str(m_id)})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_page = c.get(r.headers["location"]).text
    if 'data-status="running"' in job_page:
        assert 'data-kind="ifrs17.prepare"' in job_page and "steps" not in job_page  # Russian: "шагов"
    run_loc = _wait_job(c, r.headers["location"])
    assert run_loc.startswith("/runs/") and run_loc.endswith("?new=1"), run_loc[:800]
    run_id = int(run_loc.split("/")[2].split("?")[0])
    run = valuation.get_run(web.db, p.actor, run_id)
    assert run.engine == "ifrs17" and run.status == "prepared" and run.reporting_date == date(2026, 12, 31)
    assert run.inputs == {"ifrs17": ds_id} and run.created_by == p.username
    # review by another actuary and approval by the chief actuary on the existing pages
    rev = web.person("b.reviewer", ["actuary"])
    cr = web.client()
    web.login(cr, rev)
    assert cr.post(f"/runs/{run_id}/review", data={"csrf_token": csrf_of(cr.get(f"/runs/{run_id}").text)}
                   ).status_code == 303
    chief = web.person("c.chief", ["chief_actuary"])
    cc = web.client()
    web.login(cc, chief)
    assert cc.post(f"/runs/{run_id}/approve", data={"csrf_token": csrf_of(cc.get(f"/runs/{run_id}").text)}
                   ).status_code == 303
    # the IFRS 17 page shows it (the newest approved run), with a link to its run page
    r = cc.get("/ifrs17")
    assert r.status_code == 200
    assert f'href="/ifrs17?run={run_id}"' in r.text and f'href="/runs/{run_id}"' in r.text
    assert 'id="ifrs17-run"' in r.text and "Annuities" in r.text
    assert valuation.get_run(web.db, chief.actor, run_id).status == "approved"
    # the same package again is the same dataset
    r = _upload(c, "copy.zip", package)
    assert r.headers["location"].endswith(f"={ds_id}") and len(_datasets(web)) == 1


@pytest.mark.req("KZ164-69")
def test_a_package_whose_configuration_is_wrong_shows_file_member_and_key(web, package) -> None:  # type: ignore[no-untyped-def]
    _, c = _actuary(web)
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        toml = z.read("ifrs17.toml").decode()
    bad = _rezip(package, {"ifrs17.toml": toml.replace("ulae_ratio = 0.06", "ulae_ratio = 7.5", 1).encode()})
    r = _upload(c, "bad.zip", bad)
    assert r.status_code == 422
    file, row, column, message = _problem(r.text)
    assert file == "bad.zip:ifrs17.toml" and row == "—" and column == "portfolio[1].ulae_ratio"
    assert "7.5" in message or "at most" in message or "1" in message
    assert "/tmp" not in r.text and "uploads" not in r.text and str(web.db.settings.data_dir) not in r.text
    assert '<option value="ifrs17" selected>' in r.text  # the form offers the package kind again
    _csp_safe(r.text)
    assert _datasets(web) == [] and _audit(web, "dataset.import", "failure")
    assert not list((web.db.settings.data_dir / "uploads").iterdir())


@pytest.mark.req("KZ164-69")
def test_a_data_file_error_fails_the_preparation_with_file_row_and_column(web, package) -> None:  # type: ignore[no-untyped-def]
    m_id = _ifrs17_methodology(web)
    _, c = _actuary(web)
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        lines = z.read("contracts.csv").decode().splitlines()
    header = lines[0].split(",")
    cells = lines[4].split(",")
    cells[header.index("issue_date")] = "31.02.2024x"
    lines[4] = ",".join(cells)
    bad = _rezip(package, {"contracts.csv": ("\n".join(lines) + "\n").encode()})
    r = _upload(c, "close-bad-row.zip", bad)
    assert r.status_code == 303  # the structure is right: the data files are read when the close is measured
    ds_id = int(r.headers["location"].rsplit("=", 1)[1])
    csrf = csrf_of(c.get(r.headers["location"]).text)
    r = c.post("/ifrs17/runs/new", data={"csrf_token": csrf, "package": str(ds_id), "methodology": str(m_id)})
    html = _wait_job(c, r.headers["location"])
    assert 'data-status="failed"' in html and 'id="job-report"' in html
    assert re.search(r'id="problem-file">close-bad-row\.zip:contracts\.csv<', html)
    assert re.search(r'id="problem-row"[^>]*>5<', html) and re.search(r'id="problem-column">issue_date<', html)
    assert 'href="/ifrs17/new"' in html and str(web.db.settings.data_dir) not in html
    _csp_safe(html)
    job_id = r.headers["location"].rsplit("/", 1)[1]
    j = c.get(f"/api/v1/jobs/{job_id}").json()
    assert j["status"] == "failed" and "not a date" in j["error"]


def _symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.mark.req("KZ164-69")
@pytest.mark.parametrize(("case", "expect"), [
    ("traversal", "'..'"),
    ("absolute", "absolute path"),
    ("symlink", "symbolic link"),
    ("extra", "does not name"),
    ("bomb", "ZIP bomb"),
    ("not_zip", "not a ZIP archive"),
    ("no_config", "no ifrs17.toml"),
    ("csv_name", "not an IFRS 17 package"),
    ("toml_escape", "outside the package"),
])
def test_hostile_packages_are_refused_and_nothing_is_stored(web, package, case: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    _, c = _actuary(web)
    name = "evil.zip"
    if case == "traversal":
        content = _rezip(package, extra=[("../../evil.csv", b"x,y\n1,2\n")])
    elif case == "absolute":
        content = _rezip(package, extra=[("/etc/cron.d/evil", b"* * * * * root true\n")])
    elif case == "symlink":
        content = _rezip(package, extra=[_symlink_member("link.csv", "/etc/passwd")])
    elif case == "extra":
        content = _rezip(package, extra=[("notes.txt", b"not named by the configuration")])
    elif case == "bomb":
        content = _rezip(package, extra=[("zeros.csv", b"0" * (8 * 1024 * 1024))])
    elif case == "not_zip":
        content = b"origin,12\n2001,1\n"
    elif case == "no_config":
        content = _rezip(package, {"ifrs17.toml": None})
    elif case == "csv_name":
        name, content = "close.csv", package
    else:  # the configuration names a file outside the package
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            toml = z.read("ifrs17.toml").decode()
        content = _rezip(package, {"ifrs17.toml": toml.replace('file = "curves.csv"',
                                                               'file = "../../../etc/passwd"', 1).encode()})
    r = _upload(c, name, content)
    assert r.status_code == 422, r.text[:500]
    file, _row, _column, message = _problem(r.text)
    assert expect in message, message
    assert file.startswith(name)
    assert "/tmp" not in r.text and str(web.db.settings.data_dir) not in r.text
    assert _datasets(web) == [] and _audit(web, "dataset.import", "failure")
    uploads = web.db.settings.data_dir / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())
    assert not (web.db.settings.data_dir / "evil.csv").exists() and not (web.tmp / "evil.csv").exists()
    datasets_dir = web.db.settings.data_dir / "datasets"
    assert not datasets_dir.exists() or not [p for p in datasets_dir.iterdir() if p.is_file()]


@pytest.mark.req("KZ164-22")
def test_without_data_import_the_upload_is_forbidden_and_without_run_prepare_the_run(web, package) -> None:  # type: ignore[no-untyped-def]
    m_id = _ifrs17_methodology(web)
    rm = web.person("r.risk", ["risk_manager"])  # data.read, no data.import, no run.prepare
    c = web.client()
    web.login(c, rm)
    page = c.get("/ifrs17/new")
    assert page.status_code == 200 and 'id="package-form"' not in page.text and 'id="ifrs17-run-form"' not in page.text
    r = _upload(c, "close.zip", package, page="/dashboard")
    assert r.status_code == 403 and "close.zip" not in r.text
    assert _datasets(web) == []
    denied = _audit(web, "dataset.import", "failure")
    assert denied and json.loads(denied[-1].details)["refused"] == "PermissionDenied"
    # a stored package (imported by an actuary) cannot be prepared by a role without run.prepare
    ds = valuation.import_dataset(web.db, ALICE, _write(web.tmp / "p.zip", package), "ifrs17")
    csrf = csrf_of(c.get("/dashboard").text)
    r = c.post("/ifrs17/runs/new", data={"csrf_token": csrf, "package": str(ds.id), "methodology": str(m_id)})
    assert r.status_code == 403
    # an officer has no data.read: the page itself is forbidden
    co = web.client()
    web.login(co, web.officer)
    assert co.get("/ifrs17/new").status_code == 403
    # a package id that is not a package, or does not exist: a sentence, no run
    _, ca = _actuary(web)
    csrf = csrf_of(ca.get("/ifrs17/new").text)
    for bad in ("999999", "0", "abc"):
        r = ca.post("/ifrs17/runs/new", data={"csrf_token": csrf, "package": bad, "methodology": str(m_id)})
        if r.status_code == 303:
            html = _wait_job(ca, r.headers["location"])
            assert 'data-status="failed"' in html and "no dataset" in html
        else:
            assert r.status_code == 400
    assert valuation.list_runs(web.db, ALICE) == []


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
