"""Backups as an attacker and a failing disk would try them (KZ164-27, SECP-DATA).

A tampered backup (a flipped byte anywhere, a truncated file, swapped or foreign chunks, extra data, a wrong key)
is refused with a clear message and nothing is restored; a full disk leaves the previous backups intact and no
partial file; a non-empty target is never overwritten; the key never appears in a backup; only the IT
administrator may manage backups, and refusals are audited.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backups_support import (
    IT_ADMIN,
    T0,
    audit_rows,
    chunk_offsets,
    decrypted,
    dump,
    new_sqlite_target,
    populate,
    sqlite_db,
)

from aktuar.security import backups, rbac
from aktuar.security.context import Actor
from aktuar.store import models as m
from aktuar.store.db import Database

KEY = bytes(range(101, 133))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A populated SQLite system and one backup of it in small chunks (so that there are several)."""
    root = tmp_path_factory.mktemp("made")
    db = sqlite_db(root / "source")
    try:
        populate(db, big_file=20_000)
        info = backups.create_backup(db, IT_ADMIN, root / "backups", KEY, T0, chunk_size=4096)
        second = backups.create_backup(db, IT_ADMIN, root / "other", KEY, T0, chunk_size=4096)
    finally:
        db.dispose()
    assert len(chunk_offsets(info.path)) >= 5
    yield info.path, second.path


def _flip(raw: bytearray, at: int) -> None:
    raw[at] ^= 0x01


def _flip_ciphertext(path: Path, raw: bytearray, other: Path) -> None:
    off, ln = chunk_offsets(path)[2]
    _flip(raw, off + ln // 2)


def _flip_tag(path: Path, raw: bytearray, other: Path) -> None:
    off, ln = chunk_offsets(path)[0]
    _flip(raw, off + ln - 1)


def _flip_header(path: Path, raw: bytearray, other: Path) -> None:
    i = raw.index(b'"created_at":"2026-03-31T18:45:12') + len(b'"created_at":"2026-03-31T18:45:1')
    raw[i] = ord("3")  # a plausible other time: the header is authenticated with every chunk


def _flip_final_flag(path: Path, raw: bytearray, other: Path) -> None:
    off, _ = chunk_offsets(path)[1]
    raw[off + 4] = 1  # claim that chunk 1 is the last: the rest would be silently dropped


def _truncate_at_chunk(path: Path, raw: bytearray, other: Path) -> None:
    off, _ = chunk_offsets(path)[-1]
    del raw[off:]


def _truncate_inside_chunk(path: Path, raw: bytearray, other: Path) -> None:
    off, ln = chunk_offsets(path)[-2]
    del raw[off + ln // 2:]


def _swap_chunks(path: Path, raw: bytearray, other: Path) -> None:
    (a, la), (b, lb) = chunk_offsets(path)[1:3]
    assert la == lb
    raw[a:a + la], raw[b:b + lb] = raw[b:b + lb], raw[a:a + la]


def _drop_chunk(path: Path, raw: bytearray, other: Path) -> None:
    off, ln = chunk_offsets(path)[1]
    del raw[off:off + ln]


def _foreign_chunk(path: Path, raw: bytearray, other: Path) -> None:
    """Chunk 1 replaced by chunk 1 of another backup made with the same key."""
    off, ln = chunk_offsets(path)[1]
    o_off, o_ln = chunk_offsets(other)[1]
    raw[off:off + ln] = other.read_bytes()[o_off:o_off + o_ln]


def _append(path: Path, raw: bytearray, other: Path) -> None:
    raw += b"\x00\x00\x00\x10\x00" + b"A" * 16


def _other_header(path: Path, raw: bytearray, other: Path) -> None:
    """The header of another backup (same key) put in front of this backup's chunks."""
    o = other.read_bytes()
    first_self, first_other = chunk_offsets(path)[0][0], chunk_offsets(other)[0][0]
    raw[:first_self] = o[:first_other]


ATTACKS: dict[str, tuple[Callable[[Path, bytearray, Path], None], str]] = {
    "flip-ciphertext": (_flip_ciphertext, "chunk 2 does not authenticate"),
    "flip-tag": (_flip_tag, "chunk 0 does not authenticate"),
    "flip-header": (_flip_header, "does not authenticate"),
    "flip-final-flag": (_flip_final_flag, "chunk 1 does not authenticate"),
    "truncate-at-chunk": (_truncate_at_chunk, "truncated"),
    "truncate-inside-chunk": (_truncate_inside_chunk, "truncated"),
    "swap-chunks": (_swap_chunks, "chunk 1 does not authenticate"),
    "drop-chunk": (_drop_chunk, "chunk 1 does not authenticate"),
    "foreign-chunk": (_foreign_chunk, "chunk 1 does not authenticate"),
    "append-data": (_append, "after its final chunk"),
    "other-header": (_other_header, "chunk 0 does not authenticate"),
}


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_tampered_backup_is_refused_and_nothing_restored(made, tmp_path: Path, attack: str) -> None:
    original, other = made
    change, expected = ATTACKS[attack]
    raw = bytearray(original.read_bytes())
    change(original, raw, other)
    bad = tmp_path / original.name
    bad.write_bytes(bytes(raw))

    res = backups.verify_backup(bad, KEY)
    assert not res.ok and expected in res.message, res.message
    target = tmp_path / "new"
    with pytest.raises(backups.BackupError, match="nothing was restored") as exc:
        backups.restore_backup(bad, KEY, new_sqlite_target(target), IT_ADMIN)
    assert expected in str(exc.value)
    assert not target.exists()


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
def test_tampered_backup_leaves_an_empty_database_empty(made, database, tmp_path: Path) -> None:
    """Into the `database` fixture (SQLite and PostgreSQL): still empty, and the refusal is audited where the
    restore was run from."""
    original, other = made
    raw = bytearray(original.read_bytes())
    _swap_chunks(original, raw, other)
    bad = tmp_path / "swapped.akbackup"
    bad.write_bytes(bytes(raw))
    audit_home = sqlite_db(tmp_path / "home")
    try:
        with pytest.raises(backups.BackupError, match="does not authenticate"):
            backups.restore_backup(bad, KEY, database, IT_ADMIN, audit_db=audit_home)
        assert all(not rows for rows in dump(database).values())
        refusal = audit_rows(audit_home, "backup.restore")[-1]
        assert refusal.outcome == "failure" and "does not authenticate" in refusal.details
    finally:
        audit_home.dispose()


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
def test_wrong_key_is_named_as_such(made, tmp_path: Path) -> None:
    original, _ = made
    wrong = bytes(32)
    res = backups.verify_backup(original, wrong)
    assert not res.ok
    assert "different key" in res.message and backups.key_id(KEY) in res.message
    assert backups.key_id(wrong) in res.message
    with pytest.raises(backups.BackupError, match="different key"):
        backups.restore_backup(original, wrong, new_sqlite_target(tmp_path / "new"), IT_ADMIN)
    assert not (tmp_path / "new").exists()
    assert backups.verify_backup(original, KEY).ok


@pytest.mark.req("KZ164-27")
def test_failure_during_restore_rolls_everything_back(made, tmp_path: Path, monkeypatch) -> None:
    """A failure late in the restore (after rows were loaded and files staged) leaves nothing behind."""
    original, _ = made
    real_reset = backups._reset_sequences

    def fail(conn, md):  # type: ignore[no-untyped-def]
        real_reset(conn, md)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(backups, "_reset_sequences", fail)
    target = tmp_path / "new"
    with pytest.raises(backups.BackupError, match="nothing was restored"):
        backups.restore_backup(original, KEY, new_sqlite_target(target), IT_ADMIN)
    left = Database(new_sqlite_target(target))
    try:
        assert all(not rows for rows in dump(left).values())
    finally:
        left.dispose()
    assert sorted(p.name for p in target.iterdir()) == ["aktuar.sqlite3"]  # no files, no staging directory


@pytest.mark.req("KZ164-27")
def test_disk_full_keeps_previous_backups_and_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    db = sqlite_db(tmp_path / "source")
    try:
        populate(db, big_file=30_000)
        dest = tmp_path / "backups"
        previous = backups.create_backup(db, IT_ADMIN, dest, KEY, T0, chunk_size=4096)
        before = {p.name: p.read_bytes() for p in dest.iterdir()}
        real = backups._write_bytes
        calls = {"n": 0}

        def full_disk(fh, data):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 4:  # header and two chunks written, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            real(fh, data)

        monkeypatch.setattr(backups, "_write_bytes", full_disk)
        later = T0.replace(hour=19)
        with pytest.raises(backups.BackupError) as exc:
            backups.create_backup(db, IT_ADMIN, dest, KEY, later, chunk_size=4096)
        message = str(exc.value)
        assert "no space left on device" in message and "previous backups are intact" in message
        assert "Traceback" not in message
        assert calls["n"] == 4
        assert {p.name: p.read_bytes() for p in dest.iterdir()} == before  # no partial file, old one unchanged
        assert backups.verify_backup(previous.path, KEY).ok
        failure = audit_rows(db, "backup.create")[-1]
        assert failure.outcome == "failure" and "no space left" in json.loads(failure.details)["error"]

        monkeypatch.setattr(backups, "_write_bytes", real)
        again = backups.create_backup(db, IT_ADMIN, dest, KEY, later, chunk_size=4096)
        assert backups.verify_backup(again.path, KEY).ok
        assert sorted(p.name for p in dest.iterdir()) == sorted([previous.path.name, again.path.name])
    finally:
        db.dispose()


@pytest.mark.req("KZ164-27")
def test_two_backups_in_the_same_second_never_overwrite(tmp_path: Path) -> None:
    db = sqlite_db(tmp_path / "source")
    try:
        populate(db)
        a = backups.create_backup(db, IT_ADMIN, tmp_path / "b", KEY, T0)
        b = backups.create_backup(db, IT_ADMIN, tmp_path / "b", KEY, T0)
        assert a.path != b.path and a.path.exists() and b.path.exists()
        assert backups.verify_backup(a.path, KEY).ok and backups.verify_backup(b.path, KEY).ok
    finally:
        db.dispose()


@pytest.mark.req("KZ164-27")
def test_restore_into_non_empty_target_is_refused(made, database, tmp_path: Path) -> None:
    original, _ = made
    with database.session() as s:
        s.add(m.Setting(key="site", value='"Almaty"', changed_by="x", changed_at=T0))
    before = dump(database)
    with pytest.raises(backups.BackupError, match=r"not empty \(table settings has rows\)"):
        backups.restore_backup(original, KEY, database, IT_ADMIN)
    assert dump(database) == before

    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")
    with pytest.raises(backups.BackupError, match="data directory .* is not empty"):
        backups.restore_backup(original, KEY, new_sqlite_target(used), IT_ADMIN)
    assert sorted(p.name for p in used.iterdir()) == ["notes.txt"]


@pytest.mark.req("KZ164-27")
@pytest.mark.req("SECP-DATA")
def test_key_never_in_backup(tmp_path: Path, monkeypatch) -> None:
    """Neither the backup key (raw, hex, base64 — even from a key file kept in the data directory or a file that
    holds it) nor the files of keys/ are in the backup file or in its decrypted content."""
    db = sqlite_db(tmp_path / "source")
    try:
        populate(db)
        data_dir = db.settings.data_dir
        key_file = data_dir / "backup.key"
        key_id = backups.generate_key_file(key_file)
        key = backups.load_key(key_file)
        assert key_id == backups.key_id(key)
        (data_dir / "datasets" / "pasted.txt").write_text("the key is " + base64.b64encode(key).decode())
        monkeypatch.setenv(backups.KEY_FILE_ENV, str(key_file))
        info = backups.create_backup(db, IT_ADMIN, tmp_path / "backups", backups.load_key(), T0,
                                     key_file=key_file)
        assert "datasets/pasted.txt (contains the backup key)" in info.excluded
        content, manifest = decrypted(info.path, key)
        names = [x["name"] for x in manifest["members"]]
        assert "files/backup.key" not in names and not any(n.startswith("files/keys/") for n in names)
        secrets = [p.read_bytes() for p in (data_dir / "keys").rglob("*") if p.is_file()]
        assert len(secrets) >= 2  # the two-factor secrets key and the audit signing key (+ its public key)
        needles = [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key),
                   base64.b64encode(key).rstrip(b"="), base64.urlsafe_b64encode(key).rstrip(b"=")]
        needles += [s for s in secrets if b"PUBLIC KEY" not in s]
        raw = info.path.read_bytes()
        for n in needles:
            assert n not in content
            assert n not in raw
        header = json.loads(raw[len(backups.MAGIC) + 4: len(backups.MAGIC) + 4 + int.from_bytes(
            raw[len(backups.MAGIC): len(backups.MAGIC) + 4], "big")])
        assert header["key_id"] == key_id and key.hex() not in json.dumps(header)
        assert hashlib.sha256(raw).hexdigest() == info.sha256
    finally:
        db.dispose()


@pytest.mark.req("KZ164-27")
@pytest.mark.req("KZ164-22")
@pytest.mark.parametrize("roles", [{"actuary"}, {"is_officer"}, {"chief_actuary"}, {"internal_auditor"}, set()])
def test_only_it_admin_manages_backups_and_refusals_are_audited(database, tmp_path: Path, roles) -> None:
    intruder = Actor("mallory", frozenset(roles), user_id=7, source="cli host=evil")
    populate(database)
    good = backups.create_backup(database, IT_ADMIN, tmp_path / "ok", KEY, T0)
    operations = {
        "backup.create": lambda: backups.create_backup(database, intruder, tmp_path / "b", KEY, T0),
        "backup.verify": lambda: backups.verify_backup(good.path, KEY, db=database, actor=intruder),
        "backup.restore": lambda: backups.restore_backup(good.path, KEY, new_sqlite_target(tmp_path / "n"),
                                                         intruder, audit_db=database),
        "backup.list": lambda: backups.list_backups(database, intruder, tmp_path / "ok"),
        "backup.prune": lambda: backups.prune_backups(database, intruder, tmp_path / "ok", 1),
        "backup.schedule": lambda: backups.set_schedule(database, intruder, interval_seconds=3600,
                                                        destination=tmp_path / "b", retention=3),
    }
    for action, op in operations.items():
        with pytest.raises(rbac.PermissionDenied):
            op()
        refusal = audit_rows(database, action)[-1]
        assert (refusal.actor, refusal.outcome, refusal.source) == ("mallory", "failure", "cli host=evil")
        assert json.loads(refusal.details)["reason"] == "permission denied"
    assert not (tmp_path / "b").exists() and not (tmp_path / "n").exists()
    assert [p.name for p in (tmp_path / "ok").iterdir()] == [good.path.name]
    assert backups.get_schedule(database) is None


@pytest.mark.req("SECP-DATA")
def test_keys_are_parsed_strictly(tmp_path: Path) -> None:
    key = os.urandom(32)
    assert backups.parse_key(key.hex()) == key
    assert backups.parse_key(base64.b64encode(key).decode() + "\n") == key
    assert backups.parse_key(base64.urlsafe_b64encode(key).rstrip(b"=")) == key
    assert backups.parse_key(key) == key
    for bad in ("", "abc", "00" * 31, "zz" * 32, base64.b64encode(os.urandom(24)).decode()):
        with pytest.raises(backups.BackupError, match="32 bytes"):
            backups.parse_key(bad)
    with pytest.raises(backups.BackupError, match="no backup key"):
        backups.load_key(environ={})
    assert backups.load_key(environ={backups.KEY_ENV: key.hex()}) == key
    with pytest.raises(backups.BackupError, match="cannot be read"):
        backups.load_key(environ={backups.KEY_FILE_ENV: str(tmp_path / "missing.key")})
    kf = tmp_path / "k.key"
    backups.generate_key_file(kf)
    assert oct(kf.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(backups.BackupError, match="never overwritten"):
        backups.generate_key_file(kf)
    with pytest.raises(backups.BackupError, match="32 bytes"):
        backups.parse_key(b"correct horse battery staple 123")  # 32 typed characters are not a key


@pytest.mark.req("KZ164-27")
def test_backup_of_an_unknown_schema_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A backup made by a newer aktuar (a schema revision this one does not know) is refused before anything is
    touched, and says which version to use."""
    db = sqlite_db(tmp_path / "source")
    try:
        populate(db)
        monkeypatch.setattr(backups, "_revision", lambda conn: "0999")
        info = backups.create_backup(db, IT_ADMIN, tmp_path / "b", KEY, T0)
    finally:
        db.dispose()
    monkeypatch.undo()
    target = sqlite_db(tmp_path / "target")
    try:
        with pytest.raises(backups.BackupError, match="schema revision 0999, unknown to this aktuar"):
            backups.restore_backup(info.path, KEY, target, IT_ADMIN)
        assert all(not rows for rows in dump(target).values())
    finally:
        target.dispose()
    with pytest.raises(backups.BackupError, match="unknown to this aktuar"):
        backups.restore_backup(info.path, KEY, new_sqlite_target(tmp_path / "new"), IT_ADMIN)
    assert not (tmp_path / "new").exists()


@pytest.mark.req("KZ164-27")
def test_failure_after_the_commit_keeps_the_restored_system_and_says_so(made, tmp_path: Path, monkeypatch) -> None:
    """If the final upgrade to the newest schema fails, the restored data and files stay and the message says
    what to do (it never claims that nothing was restored)."""
    from aktuar.services import system

    original, _ = made

    def broken(db, actor):  # type: ignore[no-untyped-def]
        raise RuntimeError("migration server gone")

    monkeypatch.setattr(system, "upgrade", broken)
    target = tmp_path / "new"
    with pytest.raises(backups.BackupError) as exc:
        backups.restore_backup(original, KEY, new_sqlite_target(target), IT_ADMIN)
    assert "was restored into" in str(exc.value) and "aktuar db upgrade" in str(exc.value)
    assert "nothing was restored" not in str(exc.value)
    restored = Database(new_sqlite_target(target))
    try:
        assert len(dump(restored)["users"]) == 2
    finally:
        restored.dispose()
    assert (target / "datasets" / "big.bin").stat().st_size == 20_000
