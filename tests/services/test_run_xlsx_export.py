"""A run's workbook written to a file in Russian or English (``web_support.write_run_xlsx``, ``aktuar runs export
--out F.xlsx --lang ru|en``): the file appears only with its audit record (SHA-256 and language), a refusal
(unknown language, wrong suffix, missing folder, no ``report.read``, tampered results) leaves no file and is
audited."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from aktuar import cli_runs
from aktuar.errors import InputError
from aktuar.security import rbac
from aktuar.security.context import Actor
from aktuar.services import methodology as meth
from aktuar.services import valuation
from aktuar.services.methodology import IntegrityFailure
from aktuar.services.web_support import write_run_xlsx
from aktuar.store.models import AuditEvent

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "data" / "mack1993_taylor_ashe.json"
ALICE = Actor("alice", frozenset({"actuary"}), user_id=1, source="test")
BOB = Actor("bob", frozenset({"actuary"}), user_id=2, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=3, source="test")
EVE = Actor("eve", frozenset({"internal_auditor"}), user_id=6, source="test")
OTTO = Actor("otto", frozenset({"it_admin"}), user_id=7, source="test")


def _run(db, tmp: Path) -> valuation.RunView:  # type: ignore[no-untyped-def]
    m = meth.create(db, ALICE, "IBNR methodology", "1.0", parameters={"default": {"method": "mack"}},
                    description="chain ladder with Mack s.e.")
    meth.submit(db, CAROL, m.id, date(2026, 1, 10))
    m_id = meth.coordinate(db, CAROL, m.id, date(2026, 2, 1), "ARDFM 12-3/456").id
    d = json.loads(REFERENCE.read_text())["triangle"]
    src = tmp / "tri.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *d["development"]])
        for o, row in zip(d["origin"], d["values"], strict=True):
            w.writerow([o, *["" if v is None else repr(float(v)) for v in row]])
    ds = valuation.import_dataset(db, ALICE, src, "triangle")
    run = valuation.prepare_run(db, ALICE, date(2025, 12, 31), None, m_id, {"triangle": ds.id})
    valuation.review(db, BOB, run.id)
    return valuation.approve(db, CAROL, run.id)


def _exports(db, outcome: str = "success") -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == "report.export",
                                                       AuditEvent.outcome == outcome)
                              .order_by(AuditEvent.seq)).scalars())


def _numbers(path: Path) -> list[dict[tuple[int, int], float]]:
    wb = openpyxl.load_workbook(path)
    return [{(c.row, c.column): c.value for row in ws.iter_rows() for c in row
             if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)} for ws in wb.worksheets]


@pytest.mark.req("KZ84-AUTO")
def test_write_run_xlsx_in_both_languages_audited(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = _run(database, tmp_path)
    ru = write_run_xlsx(database, EVE, run.id, tmp_path / "run-ru.xlsx", "ru")
    en = write_run_xlsx(database, EVE, run.id, tmp_path / "run-en.xlsx", "en")
    assert ru.sha256 == hashlib.sha256((tmp_path / "run-ru.xlsx").read_bytes()).hexdigest()
    assert openpyxl.load_workbook(tmp_path / "run-ru.xlsx").sheetnames == ["Расчёт", "Результаты"]
    assert openpyxl.load_workbook(tmp_path / "run-en.xlsx").sheetnames == ["Run", "Results"]
    assert _numbers(tmp_path / "run-ru.xlsx") == _numbers(tmp_path / "run-en.xlsx")
    evs = _exports(database)[-2:]
    assert [json.loads(e.details)["lang"] for e in evs] == ["ru", "en"]
    assert json.loads(evs[-1].details)["sha256"] == en.sha256 and json.loads(evs[-1].details)["via"] == "cli"
    # refusals: no file, audited
    before = len(_exports(database, "failure"))
    for path, lang, exc in ((tmp_path / "de.xlsx", "de", InputError), (tmp_path / "x.csv", "ru", InputError),
                            (tmp_path / "nope" / "x.xlsx", "ru", InputError)):
        with pytest.raises(exc):
            write_run_xlsx(database, EVE, run.id, path, lang)
        assert not path.exists()
    with pytest.raises(rbac.PermissionDenied):
        write_run_xlsx(database, OTTO, run.id, tmp_path / "otto.xlsx", "ru")
    assert not (tmp_path / "otto.xlsx").exists()
    with database.session() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER IF EXISTS run_results_no_update"))
        else:
            s.execute(text("DROP TRIGGER IF EXISTS run_results_guard ON run_results"))
        s.execute(text("UPDATE run_results SET value = value * 2 WHERE run_id = :r AND quantity = 'ibnr'"),
                  {"r": run.id})
    with pytest.raises(IntegrityFailure):
        write_run_xlsx(database, EVE, run.id, tmp_path / "tampered.xlsx", "en")
    assert not (tmp_path / "tampered.xlsx").exists()
    assert len(_exports(database, "failure")) == before + 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.req("KZ84-AUTO")
def test_command_line_export_xlsx_lang(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    run = _run(database, tmp_path)
    url = database.settings.database_url
    if database.engine.dialect.name == "postgresql":
        from urllib.parse import quote

        with database.engine.connect() as c:
            schema = c.execute(text("SELECT current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(database.settings.data_dir))
    monkeypatch.setenv("AKTUAR_DATABASE_URL", url)
    monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: EVE)
    monkeypatch.setattr(cli_runs.out, "width", 250)
    runner = CliRunner()
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--out", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "approved run" in res.output
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")  # the default language of the command: Russian
    assert wb.sheetnames == ["Расчёт", "Результаты"] and wb["Расчёт"]["B2"].value == "утверждён"
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--format", "xlsx", "--lang", "en", "--out",
                                       str(tmp_path / "e.xlsx")])
    assert res.exit_code == 0, res.output
    assert openpyxl.load_workbook(tmp_path / "e.xlsx")["Run"]["B2"].value == "approved"
    assert _numbers(tmp_path / "r.xlsx") == _numbers(tmp_path / "e.xlsx")
    assert [json.loads(e.details)["lang"] for e in _exports(database)[-2:]] == ["ru", "en"]
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--lang", "kk", "--out", str(tmp_path / "k.xlsx")])
    assert res.exit_code == 2 and "ru, en" in res.output and not (tmp_path / "k.xlsx").exists()
    monkeypatch.setattr(cli_runs, "ACTOR_PROVIDER", lambda db: OTTO)
    res = runner.invoke(cli_runs.app, ["export", str(run.id), "--out", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 2 and not (tmp_path / "o.xlsx").exists()
