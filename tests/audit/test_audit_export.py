"""Export of the audit trail for the internal auditor (KZ164-30): permission audit.read, filters, archived
records included, hashes re-checkable from JSON lines, spreadsheet formulas neutralised in CSV."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from audit_helpers import ACTUARY, ATTACKER, AUDITOR, IT, fill, old
from sqlalchemy import select

from aktuar.errors import InputError
from aktuar.security import audit
from aktuar.security.rbac import PermissionDenied
from aktuar.store.models import AuditEvent

pytestmark = pytest.mark.req("KZ164-30")


def test_internal_auditor_exports_json_lines_that_re_verify(database, tmp_path) -> None:
    fill(database, 4, start=old(10), category="business")
    fill(database, 2, start=old(5), category="auth")
    n = audit.export(database, AUDITOR, tmp_path / "trail.jsonl")
    assert n == 6
    rows = [json.loads(x) for x in (tmp_path / "trail.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]
    prev = audit.GENESIS
    for r in rows:  # the auditor can recompute the chain from the export alone
        payload = {k: r[k] for k in r if k not in ("prev_hash", "hash")}
        assert r["prev_hash"] == prev and audit.chain_hash(prev, payload) == r["hash"]
        prev = r["hash"]
    with database.session() as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
        assert (last.actor, last.action, json.loads(last.details)["records"]) == ("aigul.audit", "audit.export", 6)


def test_filters_by_time_and_category(database, tmp_path) -> None:
    fill(database, 3, start=old(20), category="business")
    fill(database, 3, start=old(10), category="auth")
    fill(database, 3, start=old(5), category="business")
    n = audit.export(database, AUDITOR, tmp_path / "a.csv", since=old(15).date(), until=old(1),
                     categories=["business"])
    assert n == 3
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [int(r["seq"]) for r in got] == [7, 8, 9] and {r["category"] for r in got} == {"business"}
    with pytest.raises(InputError, match="unknown audit category"):
        audit.export(database, AUDITOR, tmp_path / "b.csv", categories=["business'; DROP TABLE audit_events;--"])
    with pytest.raises(InputError, match="until"):
        audit.export(database, AUDITOR, tmp_path / "b.csv", since=old(1), until=old(1) - timedelta(days=1))
    with pytest.raises(InputError, match=".csv or .jsonl"):
        audit.export(database, AUDITOR, tmp_path / "b.xlsx")


def test_csv_neutralises_formulas_typed_by_an_attacker(database, tmp_path) -> None:
    with database.session() as s:
        audit.record(s, ATTACKER, "auth", "login", object="=cmd|' /C calc'!A0", outcome="failure")
    audit.export(database, AUDITOR, tmp_path / "t.csv")
    with open(tmp_path / "t.csv", encoding="utf-8", newline="") as fh:
        r = next(csv.DictReader(fh))
    assert r["actor"].startswith("'=") and r["object"].startswith("'=")


def test_export_needs_audit_read_and_refusal_is_audited(database, tmp_path) -> None:
    fill(database, 2)
    for who in (ACTUARY, IT):
        with pytest.raises(PermissionDenied):
            audit.export(database, who, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
    with database.session() as s:
        refused = s.execute(select(AuditEvent).where(AuditEvent.outcome == "failure")).scalars().all()
        assert [(e.actor, e.action) for e in refused] == [("ivanov", "audit.export"), ("marat.it", "audit.export")]


@pytest.mark.req("KZ164-31")
def test_export_includes_archived_records(database, tmp_path) -> None:
    fill(database, 4, start=old(150))
    fill(database, 2)
    audit.archive(database, IT)
    n = audit.export(database, AUDITOR, tmp_path / "all.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert n == 7 and [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert audit.export(database, AUDITOR, tmp_path / "online.jsonl", include_archives=False) == 4  # 5, 6, 7, 8
