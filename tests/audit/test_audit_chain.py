"""Tamper evidence of the audit trail, tried as an attacker (KZ164-30, KZ164-43): the database refuses UPDATE and
DELETE; a database administrator who drops the triggers and edits, deletes, inserts or reorders rows is named
by ``verify``, and even one who recomputes every hash is caught by the signed checkpoints."""

from __future__ import annotations

import json
import os
import stat

import pytest
from audit_helpers import (
    ACTUARY,
    ISO,
    drop_triggers,
    fill,
    insert_row,
    kinds,
    rehash,
    rehash_from,
    row,
    shift,
    sql,
    sqlite,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from aktuar.security import audit, keys
from aktuar.security.rbac import PermissionDenied
from aktuar.store.models import AuditCheckpoint, AuditEvent, AuditMaintenance

pytestmark = [pytest.mark.req("KZ164-30"), pytest.mark.req("KZ164-43")]


def verify(db):  # noqa: ANN001, ANN201
    return audit.verify_db(db)


# ------------------------------------------------------------------------------------------ database refuses
def test_database_refuses_update_and_delete_of_audit_rows(database) -> None:
    fill(database, 3)
    audit.checkpoint(database, ISO)
    attempts = [
        "UPDATE audit_events SET actor = 'someone else' WHERE seq = 2",
        "UPDATE audit_events SET outcome = 'success'",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_events",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
    ]
    if not sqlite(database):
        attempts += ["TRUNCATE audit_events", "TRUNCATE audit_checkpoints"]
    for statement in attempts:
        with pytest.raises(sa_exc.DBAPIError, match="append-only"):
            sql(database, statement)
    # through the ORM as well
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), database.session() as s:
        s.get(AuditEvent, 1).details = '{"rows": 999}'
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), database.session() as s:
        s.delete(s.get(AuditEvent, 3))
    with database.session() as s:
        assert s.scalar(select(AuditEvent.details).where(AuditEvent.seq == 1)) == '{"rows":0}'
        assert len(s.execute(select(AuditEvent)).all()) == 4
    assert verify(database).ok


def test_maintenance_row_only_unlocks_records_up_to_its_seq(database) -> None:
    fill(database, 5)
    with pytest.raises(sa_exc.DBAPIError, match="append-only"), database.session() as s:
        s.add(AuditMaintenance(up_to_seq=2, purpose="attack", started_at=audit.utc(row(database, 1).at)))
        s.flush()
        s.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    with database.session() as s:
        assert s.query(AuditEvent).count() == 5 and s.query(AuditMaintenance).count() == 0


def test_committed_maintenance_row_is_reported(database) -> None:
    fill(database, 2)
    with database.session() as s:
        s.add(AuditMaintenance(up_to_seq=1, purpose="left open", started_at=audit.utc(row(database, 1).at)))
    rep = verify(database)
    assert not rep.ok and (None, "maintenance") in kinds(rep)


# --------------------------------------------------------------------------------- a DBA without triggers
def test_clean_chain_verifies(database) -> None:
    fill(database, 12)
    rep = verify(database)
    assert rep.ok, rep.problems
    assert (rep.records, rep.first_seq, rep.last_seq) == (12, 1, 12)


@pytest.mark.req("SECP-MON")
def test_changed_record_is_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 4")
    rep = verify(database)
    assert kinds(rep) == {(4, "changed")}
    assert "record #4 was changed" in rep.problems[0].message


def test_changed_record_with_recomputed_hash_is_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET actor = 'petrov' WHERE seq = 6")
    rehash(database, 6)
    assert kinds(verify(database)) == {(6, "changed")}


def test_deleted_record_is_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    sql(database, "DELETE FROM audit_events WHERE seq IN (5, 6)")
    rep = verify(database)
    assert kinds(rep) == {(5, "deleted")}
    assert "#5–#6" in rep.problems[0].message


def test_deleted_record_with_renumbering_is_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    sql(database, "DELETE FROM audit_events WHERE seq = 3")
    shift(database, 4, -1)
    rep = verify(database)
    assert kinds(rep) == {(3, "deleted")}
    assert "renumbered" in rep.problems[0].message


def test_deleted_first_and_last_records(database) -> None:
    fill(database, 10)
    audit.checkpoint(database, ISO)  # record 11, signed
    drop_triggers(database)
    sql(database, "DELETE FROM audit_events WHERE seq IN (1, 10, 11)")
    rep = verify(database)
    assert kinds(rep) == {(1, "deleted"), (11, "deleted")}
    assert "#10–#11" in next(p.message for p in rep.problems if p.seq == 11)  # the signed checkpoint says so


def test_inserted_record_is_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    shift(database, 5, 1)  # make room at #5 and put a forged, correctly hashed record there
    prev = row(database, 4).hash
    forged = row(database, 6)
    payload = {**audit.record_payload(forged), "seq": 5, "action": "approve", "object": "run 7"}
    insert_row(database, seq=5, at=forged.at, actor="petrov", actor_id=None, source="cli", category="business",
               action="approve", object="run 7", outcome="success", details=forged.details, prev_hash=prev,
               hash=audit.chain_hash(prev, {**payload, "actor": "petrov", "actor_id": None, "source": "cli"}))
    rep = verify(database)
    assert kinds(rep) == {(5, "inserted")}


def test_inserted_record_without_valid_hash_is_named(database) -> None:
    fill(database, 8)
    drop_triggers(database)
    shift(database, 3, 1)
    forged = row(database, 4)
    insert_row(database, seq=3, at=forged.at, actor="petrov", actor_id=None, source="cli", category="business",
               action="approve", object="run 7", outcome="success", details="{}", prev_hash="f" * 64,
               hash="e" * 64)
    assert kinds(verify(database)) == {(3, "inserted")}


def test_record_appended_as_a_fork_is_named(database) -> None:
    fill(database, 6)
    drop_triggers(database)
    donor = row(database, 6)
    prev = row(database, 3).hash  # claims to follow #3, although #4 already does
    fields = dict(at=donor.at, actor="petrov", actor_id=None, source="cli", category="business", action="approve",
                  object="run 7", outcome="success", details="{}")
    payload = {**audit.record_payload(donor), **{k: v for k, v in fields.items() if k != "at"}, "seq": 7}
    insert_row(database, seq=7, prev_hash=prev, hash=audit.chain_hash(prev, payload), **fields)
    rep = verify(database)
    assert kinds(rep) == {(7, "inserted")}
    assert "already follows" in rep.problems[0].message


def test_reordered_records_are_named(database) -> None:
    fill(database, 10)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET seq = -1 WHERE seq = 4")
    sql(database, "UPDATE audit_events SET seq = 4 WHERE seq = 5")
    sql(database, "UPDATE audit_events SET seq = 5 WHERE seq = -1")
    rep = verify(database)
    assert kinds(rep) == {(4, "reordered"), (5, "reordered")}
    assert "written as #5" in next(p.message for p in rep.problems if p.seq == 4)


# ----------------------------------------------------------------------------------------- signed checkpoints
def test_rewrite_with_recomputed_hashes_is_caught_by_the_signed_checkpoint(database) -> None:
    fill(database, 9)
    cp = audit.checkpoint(database, ISO)  # record 10 is the checkpoint request, signed
    assert cp.seq == 10
    fill(database, 3)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET details = :d WHERE seq = 3", d='{"rows":1000}')
    rehash_from(database, 3)  # the chain alone is consistent again
    rep = verify(database)
    assert not rep.ok
    assert kinds(rep) == {(10, "rewritten")}
    assert "#1–#10" in rep.problems[0].message


def test_deleting_the_checkpoints_as_well_is_caught_by_the_journal(database) -> None:
    fill(database, 9)
    audit.checkpoint(database, ISO)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
    rehash_from(database, 2)
    sql(database, "DELETE FROM audit_checkpoints")
    rep = verify(database)
    assert {(10, "checkpoint"), (10, "rewritten")} <= kinds(rep)


def test_forged_checkpoint_is_refused(database) -> None:
    fill(database, 4)
    drop_triggers(database)
    sql(database, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
    rehash_from(database, 2)
    attacker = Ed25519PrivateKey.generate()
    kid = keys.key_id(attacker.public_key())
    last = row(database, 4)
    import base64
    from datetime import UTC, datetime

    at = datetime.now(UTC)
    sig = base64.b64encode(attacker.sign(audit.checkpoint_message(4, last.hash, at, kid, None))).decode()
    with database.session() as s:
        s.add(AuditCheckpoint(seq=4, hash=last.hash, at=at, key_id=kid, signature=sig))
    rep = verify(database)
    assert (4, "checkpoint") in kinds(rep)
    assert "not a trusted audit key" in rep.problems[0].message


def test_altered_checkpoint_signature_does_not_verify(database) -> None:
    fill(database, 4)
    audit.checkpoint(database, ISO)
    drop_triggers(database)
    sql(database, "UPDATE audit_checkpoints SET seq = 3")
    rep = verify(database)
    assert (3, "checkpoint") in kinds(rep)


def test_automatic_checkpoint_every_n_records(database) -> None:
    audit.set_setting(database, ISO, "audit.checkpoint_every", 5)
    fill(database, 14)  # the setting change is record 1
    with database.session() as s:
        assert [c.seq for c in s.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars()] == [5, 10, 15]
    key = database.settings.data_dir / keys.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    lines = (database.settings.data_dir / audit.JOURNAL).read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [5, 10, 15]
    rep = verify(database)
    assert rep.ok and rep.checkpoints == 3 and rep.journal_entries == 3


def test_rolled_back_checkpoint_is_not_journaled(database) -> None:
    audit.set_setting(database, ISO, "audit.checkpoint_every", 3)
    with pytest.raises(RuntimeError), database.session() as s:
        for _ in range(3):
            audit.record(s, ACTUARY, "business", "import")
        raise RuntimeError("the operation fails after its audit records")
    assert not (database.settings.data_dir / audit.JOURNAL).exists()
    fill(database, 2)
    assert verify(database).ok


def test_verify_with_explicit_public_keys(database) -> None:
    fill(database, 2)
    audit.checkpoint(database, ISO)
    pub = database.settings.data_dir / keys.PUBLIC_DIR
    (pem,) = pub.glob("*.pem")
    assert audit.verify_db(database, public_keys=[pem]).ok
    other = Ed25519PrivateKey.generate().public_key()
    rep = audit.verify_db(database, public_keys=[other])
    assert [p.kind for p in rep.problems] == ["checkpoint"]


def test_checkpoint_needs_permission_and_refusal_is_audited(database) -> None:
    with pytest.raises(PermissionDenied):
        audit.checkpoint(database, ACTUARY)
    with database.session() as s:
        e = s.execute(select(AuditEvent)).scalar_one()
        assert (e.actor, e.action, e.outcome) == ("ivanov", "audit.checkpoint", "failure")
        assert s.query(AuditCheckpoint).count() == 0


def test_key_file_from_environment_and_permission_check(database, tmp_path, monkeypatch) -> None:
    key = tmp_path / "secret" / "audit.pem"
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(key))
    with pytest.raises(keys.AuditKeyError, match="does not exist"):
        keys.load_signer(database.settings.data_dir)
    key.parent.mkdir()
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        keys.serialization.Encoding.PEM, keys.serialization.PrivateFormat.PKCS8, keys.serialization.NoEncryption()))
    os.chmod(key, 0o644)
    with pytest.raises(keys.AuditKeyError, match="chmod 600"):
        audit.checkpoint(database, ISO)
    os.chmod(key, 0o600)
    cp = audit.checkpoint(database, ISO)
    assert cp.key_id == keys.load_signer(database.settings.data_dir).key_id
    assert audit.verify_db(database).ok


def test_an_edit_of_any_field_of_any_record_is_named(database) -> None:
    from datetime import UTC, datetime

    edits = {"at": datetime(2020, 1, 1, tzinfo=UTC), "actor": "petrov", "actor_id": 99, "source": "web 1.2.3.4",
             "category": "auth", "action": "approve", "object": "run 1", "outcome": "failure", "details": "{}",
             "prev_hash": "a" * 64, "hash": "b" * 64}
    fill(database, 2 * len(edits) + 1)
    drop_triggers(database)
    targets = {}
    for i, (col, value) in enumerate(edits.items()):
        seq = 2 + 2 * i
        sql(database, f"UPDATE audit_events SET {col} = :v WHERE seq = :s", v=value, s=seq)
        targets[seq] = col
    rep = verify(database)
    assert kinds(rep) == {(seq, "changed") for seq in targets}, (targets, rep.problems)


def test_checkpoints_verify_without_the_private_key(database, tmp_path) -> None:
    """A restored data directory holds the public keys (audit/public_keys), never the private signing key."""
    fill(database, 3)
    audit.checkpoint(database, ISO)
    private = database.settings.data_dir / keys.KEY_FILE
    private.rename(tmp_path / "escrowed.pem")
    rep = verify(database)
    assert rep.ok and rep.checkpoints == 1
    for pem in (database.settings.data_dir / keys.PUBLIC_DIR).glob("*.pem"):
        pem.unlink()
    assert [p.kind for p in verify(database).problems] == ["checkpoint"]
