"""Retention of the audit trail (KZ164-31): online at least 3 months, archived to signed files kept at least a
year, never pruned before its retention ends, nothing evicted by volume; audit parameters and their refusals
are audited (KZ164-30(4))."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from audit_helpers import ACTUARY, ATTACKER, ISO, IT, drop_triggers, fill, kinds, old, sql
from sqlalchemy import func, select

from aktuar.errors import InputError
from aktuar.security import audit
from aktuar.security.rbac import PermissionDenied
from aktuar.store.models import AuditCheckpoint, AuditEvent, AuditMaintenance, Setting


def events(db, **where):  # noqa: ANN001, ANN003, ANN201
    with db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        for k, v in where.items():
            q = q.where(getattr(AuditEvent, k) == v)
        return list(s.execute(q).scalars())


# ------------------------------------------------------------------------------------------------- settings
@pytest.mark.req("KZ164-31")
@pytest.mark.req("KZ164-30")
def test_settings_below_the_legal_minimum_are_refused_and_audited(database) -> None:
    with database.session() as s:
        assert audit.get_settings(s) == audit.AuditSettings(92, 1, 1000)
    with pytest.raises(InputError, match=r"below the minimum of 92.*3 months.*paragraph 31.*choose 92 or more"):
        audit.set_setting(database, ISO, "audit.online_days", 30)
    with pytest.raises(InputError, match="at least 1 year"):
        audit.set_setting(database, ISO, "audit.archive_years", "0")
    with pytest.raises(InputError, match="whole number"):
        audit.set_setting(database, ISO, "audit.online_days", "ninety")
    with pytest.raises(InputError, match="unknown audit setting"):
        audit.set_setting(database, ISO, "audit.enabled", "0")
    with database.session() as s:
        assert audit.get_settings(s) == audit.AuditSettings(92, 1, 1000)
        assert s.query(Setting).count() == 0
    refusals = events(database, category="audit_config", outcome="failure")
    assert [(e.object, json.loads(e.details)["value"]) for e in refusals] == [
        ("audit.online_days", "30"), ("audit.archive_years", "0"), ("audit.online_days", "ninety"),
        ("audit.enabled", "0")]
    assert "below the minimum" in json.loads(refusals[0].details)["reason"]
    assert audit.verify_db(database).ok


@pytest.mark.req("KZ164-30")
def test_setting_change_is_audited_and_needs_the_is_officer(database) -> None:
    for who in (ACTUARY, IT):
        with pytest.raises(PermissionDenied):
            audit.set_setting(database, who, "audit.online_days", 365)
    cfg = audit.set_setting(database, ISO, "audit.online_days", 365)
    assert cfg.online_days == 365
    audit.set_setting(database, ISO, "audit.archive_years", 5)
    es = events(database, category="audit_config")
    assert [(e.actor, e.outcome) for e in es] == [("ivanov", "failure"), ("marat.it", "failure"),
                                                  ("saule.is", "success"), ("saule.is", "success")]
    assert json.loads(es[2].details) == {"from": 92, "to": 365}
    assert json.loads(es[0].details)["permission"] == "audit.configure"
    with database.session() as s:
        assert s.get(Setting, "audit.online_days").changed_by == "saule.is"


@pytest.mark.req("KZ164-31")
def test_a_value_below_the_minimum_written_outside_aktuar_is_not_applied(database) -> None:
    with database.session() as s:
        s.add(Setting(key="audit.online_days", value="7", changed_at=datetime.now(UTC)))
    fill(database, 3, start=old(30))
    assert audit.archive(database, IT) is None  # still 92 days
    assert len(events(database)) == 3


# -------------------------------------------------------------------------------------------------- archive
@pytest.mark.req("KZ164-31")
def test_archive_moves_only_records_past_online_retention_to_a_signed_file(database) -> None:
    fill(database, 5, start=old(200), category="business")
    fill(database, 3, start=old(100), category="auth")
    fill(database, 4, start=old(91), category="business")  # 91 days: still in its online period
    res = audit.archive(database, IT)
    assert res is not None and (res.first_seq, res.last_seq, res.count) == (1, 8, 8)
    assert res.path.parent == database.settings.data_dir / audit.ARCHIVE_DIR
    assert res.keep_until >= (datetime.now(UTC) + timedelta(days=365)).date()
    online = events(database)
    assert [e.seq for e in online] == [9, 10, 11, 12, 13]
    assert (online[-1].category, online[-1].action, online[-1].actor) == ("audit_config", "audit.archive", "marat.it")
    assert json.loads(online[-1].details)["count"] == 8
    rep = audit.verify_db(database)
    assert rep.ok, rep.problems
    assert (rep.archived_up_to, rep.archives, rep.records) == (8, 1, 5)
    arch = audit.verify_archive(res.path, data_dir=database.settings.data_dir)
    assert arch.ok and (arch.records, arch.first_seq, arch.last_seq) == (8, 1, 8)
    with database.session() as s:
        cp = s.execute(select(AuditCheckpoint).where(AuditCheckpoint.archive_file.is_not(None))).scalar_one()
        assert (cp.seq, cp.archive_file) == (8, res.path.name)
        assert s.query(AuditMaintenance).count() == 0
    assert audit.archive(database, IT) is None  # nothing more is due


@pytest.mark.req("KZ164-31")
def test_online_period_setting_is_honoured_and_the_clock_cannot_be_moved_forward(database) -> None:
    audit.set_setting(database, ISO, "audit.online_days", 180)
    fill(database, 4, start=old(150))
    assert audit.archive(database, IT) is None
    with pytest.raises(InputError, match="later than the system clock"):
        audit.archive(database, IT, now=datetime.now(UTC) + timedelta(days=400))
    assert len(events(database)) == 6  # setting + 4 + the refused archive attempt
    assert events(database)[-1].outcome == "failure"
    with pytest.raises(PermissionDenied):
        audit.archive(database, ACTUARY)


@pytest.mark.req("KZ164-31")
def test_chain_continues_across_several_archives(database) -> None:
    fill(database, 3, start=old(400))
    first = audit.archive(database, IT, now=old(300))  # an archiving run 300 days ago: its own record is #4
    assert first is not None and (first.first_seq, first.last_seq) == (1, 3)
    fill(database, 3, start=old(250))
    fill(database, 2)
    res = audit.archive(database, IT)
    assert res is not None and (res.first_seq, res.last_seq) == (4, 7)
    rep = audit.verify_db(database)
    assert rep.ok, rep.problems
    assert rep.archives == 2 and rep.archived_up_to == 7


@pytest.mark.req("KZ164-31")
def test_archiving_every_record_keeps_the_chain(database) -> None:
    fill(database, 3, start=old(120))
    with database.session() as s:
        s.add(Setting(key="audit.checkpoint_every", value="1000", changed_at=old(120)))
    res = audit.archive(database, IT)
    assert res is not None and res.last_seq == 3
    assert [e.seq for e in events(database)] == [4]  # the archive's own record, chained to the archived #3
    assert events(database)[0].prev_hash == res.checkpoint_hash
    fill(database, 2)
    assert audit.verify_db(database).ok


@pytest.mark.req("KZ164-31")
@pytest.mark.req("KZ164-43")
def test_tampered_archive_file_is_detected(database) -> None:
    fill(database, 6, start=old(120))
    res = audit.archive(database, IT)
    os.chmod(res.path, 0o640)
    text = res.path.read_text(encoding="utf-8")
    res.path.write_text(text.replace('"outcome":"success"', '"outcome":"failure"', 1), encoding="utf-8")
    arch = audit.verify_archive(res.path, data_dir=database.settings.data_dir)
    assert not arch.ok and (1, "changed") in kinds(arch)
    assert any("signed digest" in p.message for p in arch.problems)
    rep = audit.verify_db(database)
    assert not rep.ok and all(p.kind == "archive" for p in rep.problems)
    with pytest.raises(audit.AuditIntegrityError):
        audit.export(database, ISO, database.settings.data_dir.parent / "x.jsonl")


@pytest.mark.req("KZ164-31")
@pytest.mark.req("KZ164-43")
def test_deleting_old_records_outside_the_archive_path_is_detected(database) -> None:
    fill(database, 6, start=old(120))
    drop_triggers(database)
    sql(database, "DELETE FROM audit_events WHERE seq <= 3")  # pretend they were archived
    rep = audit.verify_db(database)
    assert kinds(rep) == {(1, "deleted")}
    assert "#1–#3" in rep.problems[0].message


@pytest.mark.req("KZ164-31")
def test_archive_refuses_a_chain_that_does_not_verify(database) -> None:
    fill(database, 6, start=old(120))
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET actor = 'x' WHERE seq = 2")
    with pytest.raises(audit.AuditIntegrityError, match="does not verify"):
        audit.archive(database, IT)
    refused = events(database)
    assert len(refused) == 7 and (refused[-1].action, refused[-1].outcome) == ("audit.archive", "failure")
    assert audit.archive_files(database.settings.data_dir) == []


@pytest.mark.req("KZ164-31")
def test_a_flood_of_failed_logins_cannot_evict_business_history(database) -> None:
    fill(database, 3, start=old(30), category="business")
    with database.session() as s:
        for i in range(5000):
            audit.record(s, ATTACKER, "auth", "login", object=f"user{i}", outcome="failure",
                         details={"reason": "bad password"})
    assert audit.archive(database, IT) is None  # volume never triggers removal
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 5003
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.category == "business")) == 3
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 5  # every 1000 records, signed
    rep = audit.verify_db(database)
    assert rep.ok and rep.records == 5003
