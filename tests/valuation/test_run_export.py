"""Exporting a run's results: a report export recorded in the audit trail with the file's hash (KZ164-30,
KZ84-AUTO); refused for roles without report access and for results changed behind the platform's back."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import text
from valuation_helpers import (
    ALICE,
    BOB,
    CAROL,
    EVE,
    OTTO,
    audit_rows,
    coordinated,
    drop_result_guards,
    write_wide,
)

from aktuar.security.rbac import PermissionDenied
from aktuar.services import valuation as val
from aktuar.services.methodology import IntegrityFailure


def _approved(db, tmp_path):
    m = coordinated(db)
    ds = val.import_dataset(db, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")
    run = val.prepare_run(db, ALICE, date(2025, 12, 31), None, m.id, {"triangle": ds.id})
    val.review(db, BOB, run.id)
    return val.approve(db, CAROL, run.id)


@pytest.mark.req("KZ164-30")
@pytest.mark.req("KZ84-AUTO")
def test_export_is_audited_with_the_file_hash(database, tmp_path) -> None:
    run = _approved(database, tmp_path)
    out = tmp_path / "run.json"
    info = val.export_run(database, EVE, run.id, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["status"] == "approved" and doc["approved_by"] == "carol" and doc["results_sha256"] == run.results_sha256
    total = {r["quantity"]: r["value"] for r in doc["results"] if r["origin"] == "Total"}
    assert total["ibnr"] == pytest.approx(18_680_856, abs=1)  # Mack (1993) Taylor–Ashe reserve
    assert info.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    event = audit_rows(database, "report.export")[-1]
    assert event.outcome == "success" and event.actor == "eve" and json.loads(event.details)["sha256"] == info.sha256
    csv_out = tmp_path / "run.csv"
    val.export_run(database, EVE, run.id, csv_out)
    rows = list(csv.reader(csv_out.open(encoding="utf-8")))
    assert rows[0][0].startswith("# run=") and rows[1] == ["class", "method", "origin", "quantity", "value"]


@pytest.mark.req("KZ164-22")
def test_export_refused_without_report_access_and_audited(database, tmp_path) -> None:
    run = _approved(database, tmp_path)
    out = tmp_path / "x.json"
    with pytest.raises(PermissionDenied):
        val.export_run(database, OTTO, run.id, out)  # IT administrator: no access to valuation results
    assert not out.exists()
    assert audit_rows(database, "report.export")[-1].outcome == "failure"


@pytest.mark.req("KZ84-AUTO")
def test_tampered_results_are_not_exported(database, tmp_path) -> None:
    m = coordinated(database)
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")
    run = val.prepare_run(database, ALICE, date(2025, 12, 31), None, m.id, {"triangle": ds.id})
    with database.session() as s:
        drop_result_guards(s)
        s.execute(text("UPDATE run_results SET value = value * 2 WHERE run_id = :i AND quantity = 'ibnr'"),
                  {"i": run.id})
    out = tmp_path / "t.csv"
    with pytest.raises(IntegrityFailure, match="changed after"):
        val.export_run(database, EVE, run.id, out)
    assert not out.exists() and not list(tmp_path.glob(".t.csv*"))
    with pytest.raises(Exception, match=".csv or .json"):
        val.export_run(database, EVE, run.id, tmp_path / "t.pdf")
