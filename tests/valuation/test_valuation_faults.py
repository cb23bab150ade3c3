"""Fault tests (KZ84-AUTO): ``kill -9`` of a process while it computes a run, while it writes the results, and
while it imports a file. Afterwards the database is consistent (no partial results), ``recover`` cleans up and
the run can be restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, select, text
from valuation_helpers import ALICE, EVE, audit_rows, coordinated, write_long

from aktuar.security import audit
from aktuar.services import valuation as val
from aktuar.store.models import Dataset, Run, RunResult

WORKER = Path(__file__).with_name("valuation_worker.py")
REPORTING = date(2025, 12, 31)
pytestmark = pytest.mark.slow


def _spawn(db, **args) -> subprocess.Popen[str]:
    schema = None
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as c:
            schema = c.execute(text("SELECT current_schema()")).scalar_one()
    payload = {"data_dir": str(db.settings.data_dir), "url": db.settings.database_url, "schema": schema, **args}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(WORKER), json.dumps(payload)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(proc: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"worker ended before '{prefix}': {err[-2000:]}")
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(f"no '{prefix}' from the worker in {timeout} s")


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _assert_consistent(db) -> dict[str, int]:
    """No partial results: a running/failed run has no rows; a prepared one has exactly its hashed rows."""
    statuses: dict[str, int] = {}
    with db.session() as s:
        for r in s.execute(select(Run)).scalars():
            statuses[r.status] = statuses.get(r.status, 0) + 1
            n = s.execute(select(func.count()).select_from(RunResult).where(RunResult.run_id == r.id)).scalar_one()
            if r.status in ("running", "failed"):
                assert n == 0 and r.results_sha256 is None
            else:
                ok, why = val._verify(s, r)
                assert ok, why
    rows = audit_rows(db)
    assert [audit.chain_hash(r.prev_hash, audit.record_payload(r)) for r in rows] == [r.hash for r in rows]
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    return statuses


def _setup(db, tmp_path, n_classes: int = 300):
    m = coordinated(db, params={"method": "bootstrap", "sims": 1000, "seed": 7})
    ds = val.import_dataset(db, ALICE, write_long(tmp_path / "big.csv", {}, n_extra=n_classes), "triangle")
    return m, ds


@pytest.mark.req("KZ84-AUTO")
def test_kill_during_computation_then_recover_and_restart(database, tmp_path) -> None:
    m, ds = _setup(database, tmp_path)
    proc = _spawn(database, mode="prepare", date=REPORTING.isoformat(), methodology=m.id, dataset=ds.id)
    _wait_for(proc, "progress")  # the first chunk is done: the run is mid-computation
    _kill(proc)
    assert _assert_consistent(database) == {"running": 1}
    (run,) = val.list_runs(database, EVE)
    assert run.status == "running" and run.n_results == 0
    rep = val.recover(database, ALICE)
    assert rep.failed_runs == [run.id]
    assert val.get_run(database, EVE, run.id).status == "failed"
    again = val.restart_run(database, ALICE, run.id)
    assert again.status == "prepared" and again.restart_of == run.id
    assert _assert_consistent(database) == {"failed": 1, "prepared": 1}
    assert val.reproduce_run(database, EVE, again.id).identical


@pytest.mark.req("KZ84-AUTO")
@pytest.mark.parametrize("delay", [0.05, 0.4])
def test_kill_while_writing_results(database, tmp_path, delay) -> None:
    m, ds = _setup(database, tmp_path)
    proc = _spawn(database, mode="prepare", date=REPORTING.isoformat(), methodology=m.id, dataset=ds.id)
    _wait_for(proc, "progress 300 300")  # computed: now it builds and writes the results
    time.sleep(delay)
    _kill(proc)
    statuses = _assert_consistent(database)
    print("statuses after kill", delay, statuses)
    assert statuses in ({"running": 1}, {"prepared": 1})
    rep = val.recover(database, ALICE)
    assert _assert_consistent(database) in ({"failed": 1}, {"prepared": 1})
    assert len(rep.failed_runs) == statuses.get("running", 0)


@pytest.mark.req("KZ84-AUTO")
def test_kill_during_import(database, tmp_path) -> None:
    rng = np.random.default_rng(3)
    n = 1_500_000
    acc = np.datetime64("2015-01-01") + rng.integers(0, 3650, n).astype("timedelta64[D]")
    tx = acc + rng.integers(0, 300, n).astype("timedelta64[D]")
    big = tmp_path / "claims.csv"
    pl.DataFrame({"claim_id": np.arange(n), "accident_date": acc, "transaction_date": tx,
                  "paid": rng.uniform(0, 1000, n).round(2)}).write_csv(big)
    proc = _spawn(database, mode="import", file=str(big), kind="claims")
    _wait_for(proc, "started")
    folder = val.datasets_dir(database)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(folder.glob(".incoming-*")):
        time.sleep(0.005)
    time.sleep(0.05)
    _kill(proc)
    with database.session() as s:
        rows = s.execute(select(Dataset)).scalars().all()
    leftovers = sorted(p.name for p in folder.iterdir())
    print("after kill: datasets", len(rows), "files", leftovers)
    if rows:  # the import finished just before the kill: it is complete
        assert leftovers == [Path(rows[0].stored_path).name]
    else:
        assert all(p.startswith(".incoming-") or p.endswith(".csv") for p in leftovers)
    rep = val.recover(database, ALICE, orphan_grace=__import__("datetime").timedelta(0))
    with database.session() as s:
        known = {Path(d.stored_path).name for d in s.execute(select(Dataset)).scalars()}
    assert sorted(p.name for p in folder.iterdir()) == sorted(known)
    assert not rows or not rep.removed_orphans
    ds = val.import_dataset(database, ALICE, big, "claims")  # the import can simply be done again
    assert ds.rows == n and ds.stored_path.is_file()
    _assert_consistent(database)
