"""Valuation runs (KZ84-AUTO): datasets, the run record, the approval workflow with separation of duties,
reproduction bit for bit, comparisons, atomic imports, recovery and immutability — as users and as attackers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import metadata

import pytest
from sqlalchemy import select, text
from valuation_helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    EVE,
    IRA,
    OTTO,
    audit_rows,
    coordinated,
    drop_result_guards,
    write_exposure,
    write_long,
    write_wide,
)

from aktuar.errors import InputError
from aktuar.security import audit
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.services import methodology as meth
from aktuar.services import valuation as val
from aktuar.store.db import Database, Settings
from aktuar.store.models import Dataset, Run, RunResult

REPORTING = date(2025, 12, 31)


def _files(db) -> list[str]:
    folder = val.datasets_dir(db)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _prepared(db, tmp_path, actor=ALICE, **kw):
    m = kw.pop("methodology", None) or coordinated(db)
    ds = val.import_dataset(db, actor, write_wide(tmp_path / "taylor_ashe.csv"), "triangle")
    return val.prepare_run(db, actor, REPORTING, None, m.id, {"triangle": ds.id}, **kw)


# ------------------------------------------------------------------------------------------- workflow
@pytest.mark.req("KZ84-AUTO")
def test_whole_workflow(database, tmp_path) -> None:
    m = coordinated(database)
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "taylor_ashe.csv"), "triangle")
    assert (ds.kind, ds.format, ds.rows, ds.created) == ("triangle", "wide", 10, True)
    assert ds.stored_path == database.settings.data_dir / "datasets" / f"{ds.sha256}.csv"
    seen: list[tuple[int, int]] = []
    run = val.prepare_run(database, ALICE, REPORTING, None, m.id, {"triangle": ds.id},
                          progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (1, 1)
    assert run.status == "prepared" and run.created_by == "alice" and not run.is_test
    assert run.inputs == {"triangle": ds.id} and run.input_sha256 == {"triangle": ds.sha256}
    assert run.methodology == "IBNR methodology@1.0" and run.parameters["reserving"]["default"] == {"method": "mack"}
    assert run.environment["packages"]["numpy"] == metadata.version("numpy")
    assert run.environment["packages"]["aktuar"] == metadata.version("aktuar")
    assert run.code_version.startswith(metadata.version("aktuar"))
    rows = val.run_results(database, EVE, run.id, quantities=["ibnr", "se"], segments=["Total"])
    total = {r.quantity: r.value for r in rows if r.origin == "Total"}
    assert total["ibnr"] == pytest.approx(18_680_856, abs=1)  # Mack (1993): reserve 18,680,856
    assert total["se"] == pytest.approx(2_447_095, rel=1e-6)  # and its standard error 2,447,095
    assert run.results_sha256 == val.results_sha256(val.run_results(database, EVE, run.id))

    run = val.review(database, BOB, run.id, comment="factors checked")
    assert (run.status, run.reviewed_by) == ("reviewed", "bob")
    run = val.approve(database, CAROL, run.id)
    assert (run.status, run.approved_by) == ("approved", "carol")
    actions = [(e.action, e.actor, e.outcome) for e in audit_rows(database) if e.object.startswith(("run:", "dataset:"))]
    assert actions == [("dataset.import", "alice", "success"), ("run.start", "alice", "success"),
                       ("run.prepare", "alice", "success"), ("run.review", "bob", "success"),
                       ("run.approve", "carol", "success")]
    prep = json.loads(audit_rows(database, "run.prepare")[0].details)
    assert prep["results_sha256"] == run.results_sha256
    # the audit chain holds together
    rows_ = audit_rows(database)
    assert [audit.chain_hash(r.prev_hash, audit.record_payload(r)) for r in rows_] == [r.hash for r in rows_]
    assert [v.id for v in val.list_runs(database, EVE, status="approved")] == [run.id]


@pytest.mark.req("KZ84-AUTO")
def test_reproduce_bit_for_bit(database, tmp_path) -> None:
    run = _prepared(database, tmp_path)
    rep = val.reproduce_run(database, EVE, run.id)
    assert rep.identical and not rep.differences and not rep.tampered
    assert rep.recomputed_sha256 == rep.recorded_sha256 == rep.stored_sha256 == rep.audited_sha256
    assert "bit for bit" in rep.explanation[0]
    assert audit_rows(database, "run.reproduce")[-1].outcome == "success"


@pytest.mark.req("KZ84-AUTO")
def test_reproduce_detects_a_tampered_result_row(database, tmp_path) -> None:
    run = _prepared(database, tmp_path)
    run = val.review(database, BOB, run.id)
    with database.session() as s:  # a database administrator drops the guards and edits one number
        drop_result_guards(s)
        target = s.execute(select(RunResult).where(RunResult.run_id == run.id, RunResult.origin == "Total",
                                                   RunResult.quantity == "ibnr")).scalar_one()
        original = target.value
        s.execute(text("UPDATE run_results SET value = :v WHERE id = :i"), {"v": original - 1_000_000, "i": target.id})
    rep = val.reproduce_run(database, EVE, run.id)
    assert not rep.identical and rep.tampered
    assert rep.recomputed_sha256 == rep.recorded_sha256 != rep.stored_sha256
    assert [(d.segment, d.origin, d.quantity, d.stored, d.recomputed) for d in rep.differences] == [
        ("Total", "Total", "ibnr", original - 1_000_000, original)]
    assert any("changed afterwards" in line for line in rep.explanation)
    assert any("Total / mack / Total / ibnr" in line for line in rep.explanation)
    ok, why = val.verify_results(database, EVE, run.id)
    assert not ok and "changed after it was prepared" in why
    # nobody can approve the tampered numbers
    with pytest.raises(val.IntegrityFailure):
        val.approve(database, CAROL, run.id)
    assert audit_rows(database, "run.approve")[-1].outcome == "failure"

    # tampering with the run's recorded hash as well is caught by the audit trail's record
    with database.session() as s:
        s.execute(text("UPDATE runs SET results_sha256 = :h WHERE id = :i"), {"h": rep.stored_sha256, "i": run.id})
    rep2 = val.reproduce_run(database, EVE, run.id)
    assert not rep2.identical and rep2.tampered and rep2.audited_sha256 == rep.recorded_sha256
    assert any("audit trail" in line for line in rep2.explanation)


@pytest.mark.req("KZ84-AUTO")
def test_reproduce_reports_changed_dependency_versions(database, tmp_path, monkeypatch) -> None:
    run = _prepared(database, tmp_path)
    real_env = val.environment

    def newer_numpy():
        env = real_env()
        return {**env, "packages": {**env["packages"], "numpy": "9.0.0"}}

    monkeypatch.setattr(val, "environment", newer_numpy)
    rep = val.reproduce_run(database, EVE, run.id)
    assert rep.identical  # the numbers still agree ...
    assert rep.environment_changes == {"package numpy": (metadata.version("numpy"), "9.0.0")}  # ... but says so
    assert any(f"package numpy {metadata.version('numpy')} → 9.0.0" in line for line in rep.explanation)

    # if the new dependency changes a number, the report names the number and the likely cause
    real_compute = val.compute

    def drifting(*args, **kw):
        c = real_compute(*args, **kw)
        rows = [replace(r, value=r.value * (1 + 2e-16) + 1e-9) if (r.quantity, r.origin) == ("se", "10") else r
                for r in c.rows]
        return replace(c, rows=rows)

    monkeypatch.setattr(val, "compute", drifting)
    rep = val.reproduce_run(database, EVE, run.id)
    assert not rep.identical and not rep.tampered
    assert [(d.origin, d.quantity) for d in rep.differences] == [("10", "se")]
    assert rep.differences[0].stored != rep.differences[0].recomputed
    assert any("come from the changed code or dependencies" in line for line in rep.explanation)
    assert audit_rows(database, "run.reproduce")[-1].outcome == "failure"


# ------------------------------------------------------------------------------ separation of duties
@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ164-22")
def test_separation_of_duties_as_an_attacker(database, tmp_path) -> None:
    both = Actor("mallory", frozenset({"actuary", "chief_actuary"}), user_id=9, source="test")
    run = _prepared(database, tmp_path, actor=both)
    # the preparer calls the services directly: self-review, self-approval, self-rejection are refused
    with pytest.raises(val.SeparationOfDuties, match="cannot review"):
        val.review(database, both, run.id)
    with pytest.raises(val.SeparationOfDuties):  # same user, different spelling of the name
        val.review(database, Actor("MALLORY", frozenset({"actuary"}), source="test"), run.id)
    with pytest.raises(val.WorkflowError, match="prepared: approve needs a run that is reviewed"):
        val.approve(database, CAROL, run.id)  # skipping the review
    val.review(database, BOB, run.id)
    with pytest.raises(val.SeparationOfDuties, match="prepared run .* cannot approve"):
        val.approve(database, both, run.id)
    # the reviewer cannot also approve
    run2 = _prepared(database, tmp_path / "..", actor=ALICE, methodology=meth.get(database, EVE, 1))
    val.review(database, CAROL, run2.id)
    with pytest.raises(val.SeparationOfDuties, match="reviewed run .* cannot also approve"):
        val.approve(database, CAROL, run2.id)
    # roles without the permission
    with pytest.raises(PermissionDenied):
        val.approve(database, BOB, run.id)  # an actuary is not the chief actuary
    with pytest.raises(PermissionDenied):
        val.review(database, EVE, run.id)  # the internal auditor only reads
    with pytest.raises(PermissionDenied):
        val.prepare_run(database, OTTO, REPORTING, None, 1, {"triangle": 1})
    assert val.get_run(database, EVE, run.id).status == "reviewed"
    val.approve(database, DAVE, run.id)

    refused = [(e.actor, e.action) for e in audit_rows(database) if e.outcome == "failure"]
    assert refused == [("mallory", "run.review"), ("MALLORY", "run.review"), ("carol", "run.approve"),
                       ("mallory", "run.approve"), ("carol", "run.approve"), ("bob", "run.approve"),
                       ("eve", "run.review"), ("otto", "run.prepare")]


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.req("KZ164-22")
def test_rejection_and_approved_runs_cannot_be_changed(database, tmp_path) -> None:
    run = _prepared(database, tmp_path)
    with pytest.raises(InputError, match="needs a reason"):
        val.reject(database, BOB, run.id, "   ")
    with pytest.raises(val.SeparationOfDuties):
        val.reject(database, ALICE, run.id, "I do not like it")
    rejected = val.reject(database, BOB, run.id, "tail factor missing")
    assert (rejected.status, rejected.rejected_by, rejected.rejection_reason) == ("rejected", "bob",
                                                                                  "tail factor missing")
    for attempt in (lambda: val.review(database, CAROL, run.id), lambda: val.approve(database, CAROL, run.id)):
        with pytest.raises(val.WorkflowError, match="rejected"):
            attempt()

    m = meth.get(database, EVE, 1)
    run2 = val.prepare_run(database, ALICE, REPORTING, None, m.id, {"triangle": 1})
    val.review(database, BOB, run2.id)
    val.approve(database, CAROL, run2.id)
    with pytest.raises(val.WorkflowError, match="approved"):
        val.reject(database, DAVE, run2.id, "second thoughts")
    with pytest.raises(val.WorkflowError):
        val.approve(database, DAVE, run2.id)
    # through the ORM: results, the run record and its deletion are refused
    with pytest.raises(val.ImmutableError, match="written once"), database.session() as s:
        r = s.execute(select(RunResult).where(RunResult.run_id == run2.id).limit(1)).scalar_one()
        r.value = 0.0
    with pytest.raises(val.ImmutableError, match="approved"), database.session() as s:
        s.get(Run, run2.id).approved_by = "dave"
    with pytest.raises(val.ImmutableError), database.session() as s:
        s.delete(s.get(Run, run2.id))
    with pytest.raises(val.ImmutableError, match="what was computed"), database.session() as s:
        s.get(Run, run.id).parameters = "{}"  # not even a rejected run's record
    assert val.verify_results(database, EVE, run2.id)[0]
    assert val.get_run(database, EVE, run2.id).approved_by == "carol"


@pytest.mark.req("KZ84-AUTO")
def test_database_triggers_refuse_raw_sql(database, tmp_path) -> None:
    with database.engine.begin() as conn:
        val.install_result_triggers(conn)
    run = _prepared(database, tmp_path)  # the workflow works with the triggers in place
    val.review(database, BOB, run.id)
    with pytest.raises(Exception, match="immutable"), database.session() as s:
        s.execute(text("UPDATE run_results SET value = 0 WHERE run_id = :i"), {"i": run.id})
    val.approve(database, CAROL, run.id)
    for stmt in ("UPDATE runs SET approved_by = 'x' WHERE id = :i", "DELETE FROM runs WHERE id = :i",
                 "DELETE FROM run_results WHERE run_id = :i"):
        with pytest.raises(Exception, match="immutable"), database.session() as s:
            s.execute(text(stmt), {"i": run.id})
    with pytest.raises(Exception, match="only while it is running"), database.session() as s:
        s.execute(text("INSERT INTO run_results (run_id, segment, method, origin, quantity, value) "
                       "VALUES (:i, 'Total', 'mack', '11', 'ibnr', 1.0)"), {"i": run.id})
    assert val.reproduce_run(database, EVE, run.id).identical


# ---------------------------------------------------------------------------------- methodology rule
@pytest.mark.req("KZ84-METH")
@pytest.mark.req("KZ84-AUTO")
def test_only_a_coordinated_methodology_unless_test_run(database, tmp_path) -> None:
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")
    draft = meth.create(database, ALICE, "Draft", "0.1", parameters={"method": "mack"})
    with pytest.raises(val.WorkflowError, match="draft: a run uses a methodology coordinated"):
        val.prepare_run(database, ALICE, REPORTING, None, draft.id, {"triangle": ds.id})
    meth.submit(database, CAROL, draft.id, date(2026, 1, 1))
    with pytest.raises(val.WorkflowError, match="submitted"):
        val.prepare_run(database, ALICE, REPORTING, None, "Draft@0.1", {"triangle": ds.id})
    with database.session() as s:
        assert s.execute(select(Run)).first() is None  # refused before anything was recorded
    test_run = val.prepare_run(database, ALICE, REPORTING, None, draft.id, {"triangle": ds.id}, is_test=True,
                               parameters={"reserving": {"method": "chainladder"}})
    assert test_run.is_test and test_run.status == "prepared"
    assert {r.method for r in val.run_results(database, EVE, test_run.id)} == {"chainladder"}
    val.review(database, BOB, test_run.id)
    with pytest.raises(val.WorkflowError, match="test run"):
        val.approve(database, CAROL, test_run.id)
    old = coordinated(database, "Chain", "1")
    with pytest.raises(InputError, match="only in a test run"):
        val.prepare_run(database, ALICE, REPORTING, None, old.id, {"triangle": ds.id},
                        parameters={"reserving": {"method": "chainladder"}})
    new = coordinated(database, "Chain", "2")
    assert meth.get(database, EVE, old.id).status == "superseded"
    with pytest.raises(val.WorkflowError, match="superseded"):
        val.prepare_run(database, ALICE, REPORTING, None, old.id, {"triangle": ds.id})
    assert val.prepare_run(database, ALICE, REPORTING, None, new.id, {"triangle": ds.id}).status == "prepared"
    refused = [e for e in audit_rows(database, "run.prepare") if e.outcome == "failure"]
    assert len(refused) == 4


# --------------------------------------------------------------------- classes, scope, comparison
@pytest.mark.req("KZ84-AUTO")
def test_per_class_methodology_scope_and_comparisons(database, tmp_path) -> None:
    params = {"default": {"method": "mack"}, "classes": {"Property": {"method": "bf", "apriori": 0.7}}}
    m = coordinated(database, params=params)
    classes = {"OGPO": 1.0, "Property": 0.5, "OSNS": 0.2}
    tri = val.import_dataset(database, ALICE, write_long(tmp_path / "y2025.csv", classes), "triangle")
    expo = val.import_dataset(database, ALICE, write_exposure(tmp_path / "premium.csv", list(classes)), "exposure")
    data = {"segment_columns": ["class"]}
    a = val.prepare_run(database, ALICE, REPORTING, ["OGPO", "Property"], m.id,
                        {"triangle": tri.id, "exposure": expo.id}, data)
    assert a.scope == ["OGPO", "Property"]
    methods = {(r.segment, r.method) for r in val.run_results(database, EVE, a.id)}
    assert methods == {("OGPO", "mack"), ("Property", "bf")}
    # next period: 10 % more claims in OGPO
    tri2 = val.import_dataset(database, ALICE, write_long(tmp_path / "y2026.csv", {**classes, "OGPO": 1.1}),
                              "triangle")
    b = val.prepare_run(database, BOB, date(2026, 12, 31), ["OGPO", "Property"], m.id,
                        {"triangle": tri2.id, "exposure": expo.id}, data)
    c = val.compare_runs(database, EVE, a.id, b.id, quantities=["ibnr"])
    totals = {(r.segment, r.quantity): r for r in c.rows if r.origin == "Total"}
    assert totals[("OGPO", "ibnr")].relative == pytest.approx(0.1, abs=1e-12)
    assert totals[("OGPO", "ibnr")].difference == pytest.approx(totals[("OGPO", "ibnr")].a * 0.1)
    assert totals[("Property", "ibnr")].difference == 0
    assert [r.origin for r in c.rows if r.segment == "OGPO"] == [str(i) for i in range(1, 11)] + ["Total"]
    # in-house vs independent actuary: the independent actuary's own run on the same data
    ind = val.prepare_run(database, IRA, REPORTING, ["OGPO"], m.id, {"triangle": tri.id}, is_test=True,
                          parameters={**data, "reserving": {"method": "chainladder", "average": "simple"}})
    c2 = val.compare_runs(database, CAROL, a.id, ind.id, quantities=["ultimate", "ibnr"], segments=["OGPO"])
    assert c2.methods["OGPO"] == ("mack", "chainladder")
    assert all(r.a is not None and r.b is not None for r in c2.rows)
    assert any(r.difference != 0 for r in c2.rows if r.quantity == "ibnr" and r.origin == "Total")
    with pytest.raises(InputError, match="does not have"):
        val.prepare_run(database, ALICE, REPORTING, ["Marine"], m.id, {"triangle": tri.id}, data)
    failed = val.list_runs(database, EVE, status="failed")
    assert len(failed) == 1 and "Marine" in failed[0].failure_reason


# ---------------------------------------------------------------------------------- atomic imports
@pytest.mark.req("KZ84-AUTO")
def test_import_is_atomic_and_content_addressed(database, tmp_path) -> None:
    bad = tmp_path / "claims_2025.csv"
    bad.write_text("origin,12,24\n2023,100,150\n2024,abc,\n")
    with pytest.raises(InputError) as exc:
        val.import_dataset(database, ALICE, bad, "triangle")
    assert str(exc.value).startswith(f"{bad}, row 3, column '12'")  # names the user's file, not a temporary copy
    with database.session() as s:
        assert s.execute(select(Dataset)).first() is None
    assert _files(database) == []
    refused = audit_rows(database, "dataset.import")
    assert [(e.outcome, e.object) for e in refused] == [("failure", "file:claims_2025.csv")]
    for kind, content in (("exposure", "origin,exposure\n2024,-5\n"), ("claims", "origin,12\n2024,1\n"),
                          ("triangle", "accident_date,transaction_date,paid\n2024-01-01,2024-02-01,5\n"),
                          ("budget", "a\n1\n")):
        f = tmp_path / f"bad_{kind}.csv"
        f.write_text(content)
        with pytest.raises(InputError):
            val.import_dataset(database, ALICE, f, kind)
    assert _files(database) == []

    good = write_wide(tmp_path / "ta.csv")
    first = val.import_dataset(database, ALICE, good, "triangle")
    copy = tmp_path / "same content, other name.csv"
    copy.write_bytes(good.read_bytes())
    again = val.import_dataset(database, BOB, copy, "triangle")
    assert (again.id, again.created, again.filename) == (first.id, False, "ta.csv")
    with pytest.raises(InputError, match="an exposure file needs the columns origin and exposure"):
        val.import_dataset(database, BOB, copy, "exposure")
    assert _files(database) == [f"{first.sha256}.csv"]
    with pytest.raises(PermissionDenied):
        val.import_dataset(database, EVE, good, "triangle")


@pytest.mark.req("KZ84-AUTO")
def test_interrupted_write_leaves_nothing(database, tmp_path, monkeypatch) -> None:
    good = write_wide(tmp_path / "ta.csv")
    real_fsync = os.fsync

    def disk_failure(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_failure)
    with pytest.raises(OSError, match="No space left"):
        val.import_dataset(database, ALICE, good, "triangle")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert _files(database) == []

    # the database commit fails after the file was stored: the stored file is taken away again
    def broken_record(*a, **k):
        raise RuntimeError("audit trail cannot be written")

    monkeypatch.setattr(val.audit, "record", broken_record)
    with pytest.raises(RuntimeError):
        val.import_dataset(database, ALICE, good, "triangle")
    monkeypatch.undo()
    assert _files(database) == []
    with database.session() as s:
        assert s.execute(select(Dataset)).first() is None


@pytest.mark.req("KZ84-AUTO")
def test_stored_input_changed_on_disk_is_refused(database, tmp_path) -> None:
    run = _prepared(database, tmp_path)
    ds = val.list_datasets(database, EVE)[0]
    ds.stored_path.write_text(ds.stored_path.read_text().replace("357848", "357849"))
    with pytest.raises(val.IntegrityFailure, match="changed on disk"):
        val.prepare_run(database, ALICE, REPORTING, None, 1, {"triangle": ds.id})
    rep = val.reproduce_run(database, EVE, run.id)
    assert not rep.identical and rep.recomputed_sha256 is None
    assert any("cannot re-run" in line and "changed on disk" in line for line in rep.explanation)


# ------------------------------------------------------------------------------------- recovery
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.req("KZ84-AUTO")
def test_recover_marks_abandoned_runs_failed_and_restart(database, tmp_path) -> None:
    import socket

    run = _prepared(database, tmp_path)
    host = socket.gethostname()
    with database.session() as s:  # two runs left 'running': one by a dead process, one by a live one
        src = s.get(Run, run.id)
        for worker in (f"{host}:{_dead_pid()}", f"{host}:{os.getpid()}", "otherhost:1"):
            s.add(Run(reporting_date=src.reporting_date, scope=src.scope, methodology_id=src.methodology_id,
                      parameters=src.parameters, is_test=False, status="running", code_version=src.code_version,
                      environment=src.environment, inputs_sha256=src.inputs_sha256, created_by="alice",
                      created_at=datetime.now(UTC) - timedelta(hours=1), worker=worker))
        s.flush()
        ids = [r.id for r in s.execute(select(Run).where(Run.status == "running").order_by(Run.id)).scalars()]
        s.execute(text("INSERT INTO run_inputs (run_id, role, dataset_id) SELECT :n, role, dataset_id FROM run_inputs "
                       "WHERE run_id = :o"), [{"n": i, "o": run.id} for i in ids])
    tmp_dead = val.datasets_dir(database) / f".incoming-{host}-{_dead_pid()}-abc.csv"
    tmp_live = val.datasets_dir(database) / f".incoming-{host}-{os.getpid()}-def.csv"
    orphan = val.datasets_dir(database) / ("f" * 64 + ".csv")
    for p in (tmp_dead, tmp_live, orphan):
        p.write_text("partial")
    with pytest.raises(PermissionDenied):
        val.recover(database, EVE)
    rep = val.recover(database, ALICE, orphan_grace=timedelta(0))
    assert rep.failed_runs == [ids[0]] and rep.still_running == ids[1:]
    assert rep.removed_temp_files == [f"datasets/{tmp_dead.name}"]
    assert rep.removed_orphans == [f"datasets/{orphan.name}"] and tmp_live.exists()
    failed = val.get_run(database, EVE, ids[0])
    assert failed.status == "failed" and "abandoned" in failed.failure_reason and failed.n_results == 0
    assert [e.object for e in audit_rows(database, "run.abandoned")] == [f"run:{ids[0]}"]
    # after 12 hours, a run on another host is taken as abandoned too
    rep2 = val.recover(database, ALICE, now=datetime.now(UTC) + timedelta(hours=12))
    assert rep2.failed_runs == [ids[2]]

    again = val.restart_run(database, BOB, ids[0])
    assert (again.status, again.restart_of, again.created_by) == ("prepared", ids[0], "bob")
    assert again.results_sha256 == run.results_sha256
    with pytest.raises(val.WorkflowError, match="only a failed run"):
        val.restart_run(database, BOB, run.id)


@pytest.mark.req("KZ84-AUTO")
def test_failure_during_computation_is_recorded(database, tmp_path) -> None:
    m = coordinated(database)
    ds = val.import_dataset(database, ALICE, write_wide(tmp_path / "ta.csv"), "triangle")

    def interrupted(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        val.prepare_run(database, ALICE, REPORTING, None, m.id, {"triangle": ds.id}, progress=interrupted)
    (run,) = val.list_runs(database, EVE)
    assert run.status == "failed" and run.failure_reason == "KeyboardInterrupt" and run.n_results == 0
    assert [e.outcome for e in audit_rows(database) if e.object == f"run:{run.id}"] == ["success", "failure"]


def test_database_unavailable_is_a_clear_error(tmp_path) -> None:
    db = Database(Settings.from_env(data_dir=tmp_path / "data",
                                    database_url="postgresql://nobody@127.0.0.1:1/aktuar?connect_timeout=2"))
    good = write_wide(tmp_path / "ta.csv")
    with pytest.raises(val.DatabaseUnavailable, match="the database is unavailable .*nothing was changed"):
        val.import_dataset(db, ALICE, good, "triangle")
    assert not (tmp_path / "data" / "datasets").exists() or _files(db) == []
    with pytest.raises(val.DatabaseUnavailable):
        val.prepare_run(db, ALICE, REPORTING, None, 1, {"triangle": 1})
    with pytest.raises(val.DatabaseUnavailable):
        val.list_runs(db, EVE)
    db.dispose()


@pytest.mark.req("KZ84-AUTO")
def test_run_from_claim_transactions(database, tmp_path) -> None:
    rows = ["claim_id,class,accident_date,transaction_date,paid"]
    k = 0
    for year in range(2021, 2025):
        for lag in range(0, 2025 - year):
            for c, amount in (("OGPO", 100.0), ("DMS", 40.0)):
                k += 1
                rows.append(f"C{k},{c},{year}-03-15,{year + lag}-06-30,{amount * (year - 2019) / (lag + 1)}")
    f = tmp_path / "claims.csv"
    f.write_text("\n".join(rows) + "\n")
    claims = val.import_dataset(database, ALICE, f, "claims")
    assert (claims.kind, claims.format, claims.rows) == ("claims", "transactions", len(rows) - 1)
    m = coordinated(database, params={"method": "chainladder"})
    with pytest.raises(InputError, match="needs kind 'triangle'"):
        val.prepare_run(database, ALICE, date(2024, 12, 31), None, m.id, {"triangle": claims.id})
    run = val.prepare_run(database, ALICE, date(2024, 12, 31), ["OGPO"], m.id, {"claims": claims.id},
                          {"segment_columns": ["class"], "measure": "paid"})
    latest = {r.origin: r.value for r in val.run_results(database, EVE, run.id, quantities=["latest"])}
    assert latest["2021"] == pytest.approx(200 * (1 + 1 / 2 + 1 / 3 + 1 / 4))
    assert latest["Total"] == pytest.approx(sum(100 * (y - 2019) * sum(1 / (j + 1) for j in range(2025 - y))
                                                 for y in range(2021, 2025)))
    assert val.reproduce_run(database, EVE, run.id).identical
