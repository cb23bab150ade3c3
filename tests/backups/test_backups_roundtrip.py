"""Backups restore a working system, across databases (KZ164-27, SECP-DATA).

SQLite → SQLite, SQLite → PostgreSQL and PostgreSQL → SQLite (the PostgreSQL cases run when
AKTUAR_TEST_DATABASE_URL is set): every row of every table and every stored file comes back identical, the
audit trail verifies, the restore itself is audited in the restored system, and the restored system keeps working.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backups_support import (
    IT_ADMIN,
    T0,
    TRICKY,
    audit_rows,
    data_files,
    decrypted,
    dump,
    escrow_keys,
    new_sqlite_target,
    populate,
    sqlite_db,
)
from sqlalchemy import select

from aktuar.security import audit, backups
from aktuar.store import migrate
from aktuar.store import models as m
from aktuar.store.db import Database

KEY = bytes.fromhex("5f" * 16 + "a3" * 16)


def _assert_same_system(before: dict, source: Database, target: Database, source_files: dict[str, bytes]) -> None:
    """``before``: the source's rows when the backup was made (its backup.create record comes after)."""
    after = dump(target)
    assert set(before) == set(after)
    populated = [t for t, rows in before.items() if rows]
    for table in ("users", "user_roles", "recovery_codes", "service_accounts", "api_tokens", "settings",
                  "audit_events", "audit_checkpoints", "methodologies", "datasets", "runs", "run_inputs",
                  "run_results"):
        assert table in populated, table
    for table, rows in before.items():
        if table in ("audit_events", "audit_checkpoints"):
            # the restored system continues the trail: the source's records first, unchanged, then the restore's
            assert after[table][: len(rows)] == rows, table
        else:
            assert after[table] == rows, table
    restored_actions = [r.action for r in audit_rows(target)][len(before["audit_events"]):]
    assert restored_actions[0] == "backup.restore"
    assert data_files(target.settings.data_dir) == source_files  # byte-identical
    journal_src = (source.settings.data_dir / "audit" / "checkpoints.jsonl").read_bytes()
    assert (target.settings.data_dir / "audit" / "checkpoints.jsonl").read_bytes().startswith(journal_src)


def _assert_working(target: Database) -> None:
    """The restored system accepts new work: ids continue (sequences reset on PostgreSQL), audit appends."""
    with target.session() as s:
        u = m.User(username="after.restore", full_name="New", created_at=datetime.now(UTC))
        s.add(u)
        s.flush()
        assert u.id == 3
        r = m.RecoveryCode(user_id=u.id, code_hash="$argon2id$new")
        s.add(r)
        s.flush()
        assert r.id == 3
        audit.record(s, IT_ADMIN, "account", "user.create", object="after.restore")
    assert backups.verify_audit_chain(target)[0] is True


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
def test_sqlite_backup_restores_into_empty_database(database, tmp_path: Path) -> None:
    """SQLite → the `database` fixture (SQLite, and PostgreSQL when configured): a migrated empty database."""
    source = sqlite_db(tmp_path / "source")
    try:
        files = populate(source)
        before = dump(source)
        info = backups.create_backup(source, IT_ADMIN, tmp_path / "backups", KEY, T0)
        assert info.path.name == "aktuar-backup-20260331T184512Z.akbackup"
        assert info.tables["users"] == 2 and info.tables["run_results"] == 7
        # datasets/, methodology/, the audit checkpoint journal and the audit public key (not secret)
        assert info.files == 4 and info.excluded == []
        escrow_keys(source, database.settings.data_dir)
        from aktuar.services import valuation

        with database.engine.begin() as conn:  # guards that refuse results of a run that is not running
            valuation.install_result_triggers(conn)
        res = backups.restore_backup(info.path, KEY, database, IT_ADMIN)
        assert res.audit_verified is True, res.audit_message
        assert res.tables == info.tables and res.files == info.files
        assert res.schema_revision == migrate.head(database.engine)
        _assert_same_system(before, source, database, files)
        restore_event = audit_rows(database, "backup.restore")[-1]
        details = json.loads(restore_event.details)
        assert restore_event.actor == "it.admin" and restore_event.outcome == "success"
        assert details["source"]["dialect"] == "sqlite" and details["sha256"] == info.sha256
        _assert_working(database)
    finally:
        source.dispose()


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
def test_backup_restores_into_new_sqlite_data_directory(database, tmp_path: Path) -> None:
    """The `database` fixture (SQLite, and PostgreSQL when configured) → a new SQLite data directory."""
    files = populate(database)
    before = dump(database)
    info = backups.create_backup(database, IT_ADMIN, tmp_path / "backups", KEY, T0)
    _, manifest = decrypted(info.path, KEY)
    assert manifest["schema_revision"] == migrate.current(database.engine)
    assert manifest["aktuar_version"] and manifest["created_at"] == T0.isoformat(timespec="microseconds")
    assert all(len(x["sha256"]) == 64 for x in manifest["members"])
    assert manifest["counts"]["tables"]["audit_events"] == len(before["audit_events"])  # + its own record after

    new_dir = tmp_path / "restored"
    escrow_keys(database, new_dir)
    res = backups.restore_backup(info.path, KEY, new_sqlite_target(new_dir), IT_ADMIN, audit_db=database)
    assert res.audit_verified is True, res.audit_message
    target = Database(new_sqlite_target(new_dir))
    try:
        _assert_same_system(before, database, target, files)
        _assert_working(target)
    finally:
        target.dispose()
    # the system the restore was run from records it too
    assert audit_rows(database, "backup.restore")[-1].outcome == "success"


@pytest.mark.req("KZ164-27")
def test_restore_without_the_secret_keys_still_verifies_the_trail(tmp_path: Path) -> None:
    """keys/ is never in a backup; the audit public keys are (audit/public_keys), so the signed checkpoints of the
    restored trail verify without the private key; the result says to bring the escrowed secret keys."""
    source = sqlite_db(tmp_path / "source")
    try:
        populate(source)
        info = backups.create_backup(source, IT_ADMIN, tmp_path / "backups", KEY, T0)
    finally:
        source.dispose()
    res = backups.restore_backup(info.path, KEY, new_sqlite_target(tmp_path / "new"), IT_ADMIN)
    assert res.audit_verified is True, res.audit_message
    assert not (tmp_path / "new" / "keys").exists()
    assert any("keys/secrets.key" in n for n in res.notes)


@pytest.mark.req("KZ164-27")
def test_backup_is_a_consistent_snapshot(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user created while the backup is being written (after the first table) is not in it: one snapshot."""
    populate(database)
    real = backups._export_table
    calls: list[str] = []

    def export_then_write(conn, table, w):  # type: ignore[no-untyped-def]
        n = real(conn, table, w)
        if not calls:
            with database.session() as s:  # another connection commits meanwhile
                s.add(m.User(id=10, username="late", full_name="Late", created_at=T0))
                audit.record(s, IT_ADMIN, "account", "user.create", object="late")
        calls.append(table.name)
        return n

    monkeypatch.setattr(backups, "_export_table", export_then_write)
    info = backups.create_backup(database, IT_ADMIN, tmp_path / "backups", KEY, T0)
    assert calls.index("users") > 0
    assert info.tables["users"] == 2  # the committed "late" user is not in the snapshot
    content, _ = decrypted(info.path, KEY)
    assert b'"late"' not in content
    with database.session() as s:
        assert s.execute(select(m.User).where(m.User.username == "late")).scalar_one()


@pytest.mark.req("KZ164-27")
def test_dialect_neutral_typed_rows(tmp_path: Path) -> None:
    """Tables are JSON lines typed by a column list, so any database can load them."""
    source = sqlite_db(tmp_path / "source")
    try:
        populate(source)
        info = backups.create_backup(source, IT_ADMIN, tmp_path / "b", KEY, T0)
    finally:
        source.dispose()
    metas: dict[str, dict] = {}
    rows: dict[str, list] = {}

    class Grab(backups._Handler):
        def begin(self, meta):  # type: ignore[no-untyped-def]
            self.name = meta["name"]
            metas[self.name] = meta
            rows[self.name] = []

        def data(self, payload):  # type: ignore[no-untyped-def]
            rows[self.name].append(payload)

    backups._read(info.path, KEY, Grab())
    users = metas["db/users.jsonl"]
    types = {c["name"]: c["type"] for c in users["columns"]}
    assert types["created_at"] == "datetime" and types["mfa_secret"] == "binary"
    assert types["mfa_enabled"] == "boolean" and types["id"] == "integer" and types["full_name"] == "string"
    first = json.loads(b"".join(rows["db/users.jsonl"]).splitlines()[0])
    row = dict(zip([c["name"] for c in users["columns"]], first, strict=True))
    assert row["created_at"] == "2026-03-31T18:45:12.123456+00:00" and row["position"] == TRICKY
    results = [json.loads(x) for x in b"".join(rows["db/run_results.jsonl"]).splitlines()]
    cols = [c["name"] for c in metas["db/run_results.jsonl"]["columns"]]
    assert "inf" in [dict(zip(cols, r, strict=True))["value"] for r in results]
    assert metas["db/methodologies.jsonl"]["columns"][[c["name"] for c in metas["db/methodologies.jsonl"]
                                                       ["columns"]].index("submitted_at")]["type"] == "date"
    assert not any(n.startswith("files/keys") for n in metas)


def _triggers(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            q = ("SELECT DISTINCT trigger_name FROM information_schema.triggers "
                 "WHERE event_object_schema = current_schema() ORDER BY 1")
        else:
            q = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
        return [r[0] for r in conn.exec_driver_sql(q)]


@pytest.mark.req("KZ164-27")
@pytest.mark.req("KZ84-AUTO")
def test_restored_runs_reproduce_bit_for_bit_and_guards_stay(database, tmp_path: Path) -> None:
    """A real approved valuation run (imported dataset, coordinated methodology, prepared → reviewed → approved)
    restored into a new SQLite system re-runs to the same results; the restore loads the approved run's results
    and the append-only audit rows past the database's guard triggers, which are active again afterwards."""
    import csv
    from datetime import date

    from aktuar.security.context import Actor
    from aktuar.services import methodology as meth
    from aktuar.services import valuation as val

    alice = Actor("alice", frozenset({"actuary"}), user_id=11, source="test")
    bob = Actor("bob", frozenset({"actuary"}), user_id=12, source="test")
    carol = Actor("carol", frozenset({"chief_actuary"}), user_id=13, source="test")
    ref = json.loads((Path(__file__).resolve().parents[1] / "reference" / "data" / "mack1993_taylor_ashe.json")
                     .read_text())["triangle"]
    src_csv = tmp_path / "taylor_ashe.csv"
    with open(src_csv, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *ref["development"]])
        for o, row in zip(ref["origin"], ref["values"], strict=True):
            w.writerow([o, *["" if v is None else repr(float(v)) for v in row]])
    with database.engine.begin() as conn:
        val.install_result_triggers(conn)  # the run guards (frozen into a migration by the lead)
    m_ = meth.create(database, alice, "IBNR", "1.0", parameters={"default": {"method": "mack"}},
                     description="Mack")
    meth.submit(database, carol, m_.id, date(2026, 1, 10))
    meth.coordinate(database, carol, m_.id, date(2026, 2, 1), "ARDFM 12-3/456")
    ds = val.import_dataset(database, alice, src_csv, "triangle")
    run = val.prepare_run(database, alice, date(2025, 12, 31), None, m_.id, {"triangle": ds.id})
    val.review(database, bob, run.id)
    val.approve(database, carol, run.id)
    guards = _triggers(database)
    assert guards  # audit append-only and run guards

    info = backups.create_backup(database, IT_ADMIN, tmp_path / "backups", KEY)
    new_dir = tmp_path / "restored"
    escrow_keys(database, new_dir)
    with pytest.raises(backups.BackupError, match="not empty"):  # the source itself is never a target
        backups.restore_backup(info.path, KEY, database, IT_ADMIN)
    target = sqlite_db(new_dir)  # a new, migrated system with every guard in place before the restore
    try:
        with target.engine.begin() as conn:
            val.install_result_triggers(conn)
        before_restore = _triggers(target)
        if database.engine.dialect.name == "sqlite":
            assert before_restore == guards
        res = backups.restore_backup(info.path, KEY, target, IT_ADMIN)
        assert res.audit_verified is True, res.audit_message
        assert _triggers(target) == before_restore
        rep = val.reproduce_run(target, carol, run.id)
        assert rep.identical and not rep.tampered, rep.explanation
        from sqlalchemy.exc import DBAPIError

        with pytest.raises(DBAPIError, match="append-only"):  # the audit guard is active again
            with target.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
        with pytest.raises(DBAPIError, match="immutable"):  # and so is the approved run's
            with target.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE run_results SET value = 0")
    finally:
        target.dispose()
