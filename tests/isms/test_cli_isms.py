"""The command line of the ISMS registers, reports and calendar (thin wrappers over the services)."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
from isms_support import OFFICER
from test_isms_reports import fill_registers, recipient  # noqa: F401
from typer.testing import CliRunner

from aktuar import cli_isms
from aktuar.cli import app
from aktuar.store.db import Database, Settings


@pytest.fixture
def env(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(data))
    monkeypatch.delenv("AKTUAR_DATABASE_URL", raising=False)
    db = Database(Settings.from_env())
    db.upgrade()
    monkeypatch.setattr(cli_isms, "ACTOR_PROVIDER", lambda _db: OFFICER)
    yield db
    db.dispose()


@pytest.mark.req("KZ164-43")
@pytest.mark.req("KZ164-50")
def test_cli_incident_and_report_verify(env, tmp_path, recipient) -> None:  # noqa: F811
    run = CliRunner().invoke
    r = run(app, ["isms", "incident", "report", "Malware on PC-17", "--classification", "malware", "--severity",
                  "medium", "--detected-by", "EDR", "--detected-at", "2026-03-01T10:00"])
    assert r.exit_code == 0 and "INC-2026-0001" in r.output, r.output
    ev = tmp_path / "edr.json"
    ev.write_text('{"hash": "abc"}')
    assert run(app, ["isms", "incident", "evidence", "INC-2026-0001", str(ev)]).exit_code == 0
    assert run(app, ["isms", "incident", "verify-evidence"]).exit_code == 0
    r = run(app, ["isms", "incident", "close", "INC-2026-0001"])
    assert r.exit_code == 2 and "analysis" in r.output
    r = run(app, ["isms", "retention", "isms.incident_retention_years", "3"])
    assert r.exit_code == 2 and "minimum of 5" in r.output
    assert run(app, ["isms", "release-check", "aktuar web", "9.9"]).exit_code == 1
    fill_registers(env)
    cert, key = recipient
    pkg = tmp_path / "isms.akp"
    r = run(app, ["report", "isms", "2026", "--organization", "Demo Insurance JSC", "--recipient-cert", str(cert),
                  "--out", str(pkg)])
    assert r.exit_code == 0, r.output
    r = run(app, ["report", "verify", str(pkg), "--key", str(key), "--cert", str(cert)])
    assert r.exit_code == 0 and "OK" in r.output, r.output
    bad = tmp_path / "bad.akp"
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(bad, "w") as zout:
        for n in zin.namelist():
            b = zin.read(n)
            zout.writestr(n, b.replace(b"2026", b"2025", 1) if n == "manifest.json" else b)
    r = run(app, ["report", "verify", str(bad)])
    assert r.exit_code == 1 and "FAILED" in r.output
    ics = tmp_path / "cal.ics"
    r = run(app, ["calendar", "list", "2027", "--ics", str(ics)])
    assert r.exit_code == 0 and "BEGIN:VEVENT" in ics.read_text()
    assert date(2027, 1, 10).strftime("%Y%m%d") in ics.read_text()
