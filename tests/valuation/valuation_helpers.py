"""Shared pieces of the valuation tests: actors, small synthetic inputs, a coordinated methodology."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np

from aktuar.security.context import Actor

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "data" / "mack1993_taylor_ashe.json"

ALICE = Actor("alice", frozenset({"actuary"}), user_id=1, source="test")
BOB = Actor("bob", frozenset({"actuary"}), user_id=2, source="test")
CAROL = Actor("carol", frozenset({"chief_actuary"}), user_id=3, source="test")
DAVE = Actor("dave", frozenset({"chief_actuary"}), user_id=4, source="test")
IRA = Actor("ira", frozenset({"independent_actuary"}), user_id=5, source="test")
EVE = Actor("eve", frozenset({"internal_auditor"}), user_id=6, source="test")
OTTO = Actor("otto", frozenset({"it_admin"}), user_id=7, source="test")

MACK = {"default": {"method": "mack"}}


def taylor_ashe() -> tuple[list[str], list[int], list[list[float | None]]]:
    d = json.loads(REFERENCE.read_text())["triangle"]
    return d["origin"], d["development"], d["values"]


def write_wide(path: Path, scale: float = 1.0) -> Path:
    origins, ages, values = taylor_ashe()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *ages])
        for o, row in zip(origins, values, strict=True):
            w.writerow([o, *["" if v is None else repr(float(v) * scale) for v in row]])
    return path


def write_long(path: Path, classes: dict[str, float], *, n_extra: int = 0, seed: int = 1) -> Path:
    """A long triangle with a ``class`` column: Taylor/Ashe scaled per class (+ ``n_extra`` random classes)."""
    origins, ages, values = taylor_ashe()
    rng = np.random.default_rng(seed)
    scales = dict(classes)
    for i in range(n_extra):
        scales[f"X{i:05d}"] = float(rng.uniform(0.5, 2.0))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["class", "origin", "development", "value"])
        for cls, k in scales.items():
            for o, row in zip(origins, values, strict=True):
                for a, v in zip(ages, row, strict=True):
                    if v is not None:
                        w.writerow([cls, o, a, repr(float(v) * k)])
    return path


def write_exposure(path: Path, classes: list[str], premium: float = 6_000_000.0) -> Path:
    origins, _, _ = taylor_ashe()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["class", "origin", "exposure"])
        for c in classes:
            for o in origins:
                w.writerow([c, o, premium])
    return path


def coordinated(db, name: str = "IBNR methodology", version: str = "1.0", params=None, document: Path | None = None):
    from aktuar.services import methodology as meth

    m = meth.create(db, ALICE, name, version, parameters=params or MACK, description="chain ladder with Mack s.e.",
                    document=document)
    meth.submit(db, CAROL, m.id, date(2026, 1, 10))
    return meth.coordinate(db, CAROL, m.id, date(2026, 2, 1), "ARDFM 12-3/456")


def audit_rows(db, action: str | None = None):
    from sqlalchemy import select

    from aktuar.store.models import AuditEvent

    with db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            q = q.where(AuditEvent.action == action)
        return list(s.execute(q).scalars())


def drop_result_guards(session) -> None:
    """What a database administrator must do before editing results by hand: drop the update guard of
    migration 0003 (the platform still detects the edit by the results' SHA-256)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER IF EXISTS run_results_no_update"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS run_results_guard ON run_results"))
