"""``aktuar methodology …`` and ``aktuar runs …`` end to end (the logged-in actor is supplied by the test)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import text
from typer.testing import CliRunner
from valuation_helpers import ALICE, BOB, CAROL, EVE, OTTO, coordinated, drop_result_guards, write_wide

from aktuar import cli_methodology, cli_runs
from aktuar.services import valuation as val

runner = CliRunner()


@pytest.fixture
def cli_env(database, monkeypatch):
    """AKTUAR_DATA_DIR / AKTUAR_DATABASE_URL pointing at the test database; ``as_(actor)`` logs in."""
    url = database.settings.database_url
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as c:
            schema = c.execute(text("SELECT current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(database.settings.data_dir))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", url)
    for console in (cli_runs.out, cli_runs.err):
        monkeypatch.setattr(console, "width", 250)

    def as_(actor):
        monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: actor)

    return as_


def _ok(app, args, code=0):
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    return res.output


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ84-METH")
def test_cli_workflow(cli_env, tmp_path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"default": {"method": "mack"}}))
    doc = tmp_path / "methodology.pdf"
    doc.write_bytes(b"%PDF methodology")
    cli_env(ALICE)
    assert "registered as id 1 (draft)" in _ok(cli_methodology.app, [
        "create", "IBNR", "2026.1", "--parameters", str(params), "--description", "Mack", "--document", str(doc)])
    out = _ok(cli_methodology.app, ["submit", "1", "--date", "2026-01-10"], code=2)  # an actuary cannot
    cli_env(CAROL)
    _ok(cli_methodology.app, ["submit", "IBNR@2026.1", "--date", "2026-01-10"])
    assert "coordinated" in _ok(cli_methodology.app, ["coordinate", "1", "--date", "2026-02-01", "--reference",
                                                      "ARDFM 12-3/456"])
    out = _ok(cli_methodology.app, ["list"])
    assert "IBNR" in out and "coordinated" in out and "ARDFM" in out
    assert "sha256" in _ok(cli_methodology.app, ["show", "IBNR@2026.1"])

    cli_env(ALICE)
    tri = write_wide(tmp_path / "ta.csv")
    assert "imported dataset 1: triangle (wide), 10 rows" in _ok(cli_runs.app, ["import", str(tri)])
    assert "already imported as dataset 1" in _ok(cli_runs.app, ["import", str(tri), "--kind", "triangle"])
    assert "ta.csv" in _ok(cli_runs.app, ["datasets"])
    assert "run 1 prepared: 86 results" in _ok(cli_runs.app, [
        "prepare", "--date", "2025-12-31", "--methodology", "IBNR@2026.1", "--input", "triangle=1"])
    out = _ok(cli_runs.app, ["show", "1", "--quantity", "ibnr"])
    assert "18,680,856" in out and "match their recorded hash" in out
    err = _ok(cli_runs.app, ["review", "1"], code=2)
    assert "cannot review" in err
    cli_env(BOB)
    assert "run 1 is reviewed" in _ok(cli_runs.app, ["review", "1", "--comment", "ok"])
    assert _ok(cli_runs.app, ["approve", "1"], code=2)  # an actuary is not the chief actuary
    cli_env(CAROL)
    assert "run 1 is approved" in _ok(cli_runs.app, ["approve", "1"])
    assert "approved" in _ok(cli_runs.app, ["list", "--status", "approved"])

    cli_env(EVE)
    assert "reproduced" in _ok(cli_runs.app, ["reproduce", "1"])
    cli_env(BOB)
    _ok(cli_runs.app, ["prepare", "--date", "2026-12-31", "--methodology", "1", "--input", "triangle=1", "--test",
                       "--option", "method=\"chainladder\"", "--option", "average=simple"])
    out = _ok(cli_runs.app, ["compare", "1", "2", "--totals"])
    assert "ibnr" in out and "Total" in out and "method mack in run 1, chainladder in run 2" in out
    assert "reason" in _ok(cli_runs.app, ["reject", "2"], code=2)  # the reason is mandatory
    cli_env(ALICE)
    assert "rejected" in _ok(cli_runs.app, ["reject", "2", "--reason", "wrong average"])
    assert "failed (abandoned) runs: none" in _ok(cli_runs.app, ["recover"])


@pytest.mark.req("KZ84-AUTO")
def test_cli_failures_exit_non_zero(cli_env, database, tmp_path) -> None:
    cli_env(ALICE)
    bad = tmp_path / "bad.csv"
    bad.write_text("origin,12\n2024,abc\n")
    out = _ok(cli_runs.app, ["import", str(bad)], code=2)
    assert "row 2" in out and "Traceback" not in out
    assert "no run 9" in _ok(cli_runs.app, ["show", "9"], code=2)
    assert "no methodology" in _ok(cli_runs.app, ["prepare", "--date", "2025-12-31", "--methodology", "X@1",
                                                  "--input", "triangle=1"], code=2)
    assert "is not a date" in _ok(cli_runs.app, ["prepare", "--date", "31/12/2025", "--methodology", "1",
                                                 "--input", "triangle=1"], code=2)
    # a tampered result: show and reproduce exit non-zero
    m = coordinated(database)
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")
    run = val.prepare_run(database, ALICE, __import__("datetime").date(2025, 12, 31), None, m.id, {"triangle": ds.id})
    with database.session() as s:
        drop_result_guards(s)
        s.execute(text("UPDATE run_results SET value = value + 1 WHERE run_id = :i AND quantity = 'ultimate' AND "
                       "origin = '10'"), {"i": run.id})
    cli_env(EVE)
    assert "changed after it was prepared" in _ok(cli_runs.app, ["show", str(run.id)], code=1)
    out = _ok(cli_runs.app, ["reproduce", str(run.id)], code=1)
    assert "not reproduced" in out and "Total / mack / 10 / ultimate" in out


def test_cli_needs_a_login(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'aktuar.sqlite3'}")
    monkeypatch.delenv("AKTUAR_TOKEN", raising=False)
    res = runner.invoke(cli_runs.app, ["list"])
    assert res.exit_code == 2 and "log in" in res.output


@pytest.mark.req("KZ164-30")
def test_cli_export(cli_env, database, tmp_path) -> None:
    m = coordinated(database)
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")
    run = val.prepare_run(database, ALICE, __import__("datetime").date(2025, 12, 31), None, m.id, {"triangle": ds.id})
    cli_env(EVE)
    out = tmp_path / "r.json"
    text_ = _ok(cli_runs.app, ["export", str(run.id), "--out", str(out)])
    assert "wrote" in text_ and out.exists()
    cli_env(OTTO)
    assert "may not" in _ok(cli_runs.app, ["export", str(run.id), "--out", str(tmp_path / "o.json")], code=2)
