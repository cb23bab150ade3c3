"""Logging never breaks (KZ164-30): when the audit record cannot be written, the operation is refused and
rolled back with it — there is no effect without its audit record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from audit_helpers import ACTUARY, ISO, fill, sqlite
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from aktuar.security import audit, keys
from aktuar.store.models import AuditEvent, Setting

pytestmark = pytest.mark.req("KZ164-30")


def example_operation(db, name: str) -> None:  # noqa: ANN001
    """A small business operation following the convention: effect and audit record in one transaction."""
    with db.session() as s:
        s.add(Setting(key=f"example.{name}", value='"on"', changed_by=ACTUARY.username,
                      changed_at=datetime.now(UTC)))
        s.flush()
        audit.record(s, ACTUARY, "system_config", "example.enable", object=name)


def refuse_audit_inserts(db) -> None:  # noqa: ANN001
    """The audit table cannot be written (simulated storage failure)."""
    with db.engine.begin() as c:
        if sqlite(db):
            c.execute(text("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events "
                           "BEGIN SELECT RAISE(ABORT, 'audit storage unavailable'); END"))
        else:
            c.execute(text("CREATE FUNCTION audit_broken() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$"))
            c.execute(text("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events "
                           "FOR EACH ROW EXECUTE FUNCTION audit_broken()"))


def settings_keys(db) -> set[str]:  # noqa: ANN001
    with db.session() as s:
        return set(s.scalars(select(Setting.key)))


def test_operation_is_rolled_back_when_the_audit_table_refuses_the_record(database) -> None:
    example_operation(database, "a")
    refuse_audit_inserts(database)
    with pytest.raises(sa_exc.DBAPIError, match="audit storage unavailable"):
        example_operation(database, "b")
    assert settings_keys(database) == {"example.a"}
    with pytest.raises(sa_exc.DBAPIError, match="audit storage unavailable"):
        audit.set_setting(database, ISO, "audit.online_days", 120)
    assert "audit.online_days" not in settings_keys(database)


def test_operation_is_rolled_back_when_recording_raises(database, monkeypatch) -> None:
    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise OSError("no space left on device")

    monkeypatch.setattr(audit, "chain_hash", broken)
    with pytest.raises(OSError, match="no space"):
        example_operation(database, "c")
    monkeypatch.undo()
    assert settings_keys(database) == set()
    with database.session() as s:
        assert s.execute(select(AuditEvent)).first() is None


def test_operation_is_refused_when_its_checkpoint_cannot_be_signed(database, monkeypatch, tmp_path) -> None:
    audit.set_setting(database, ISO, "audit.checkpoint_every", 3)
    fill(database, 1)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "missing.pem"))  # the key is gone
    with pytest.raises(keys.AuditKeyError):
        example_operation(database, "d")  # would be record #3: needs a signed checkpoint
    assert settings_keys(database) == {"audit.checkpoint_every"}
    monkeypatch.delenv(keys.KEY_FILE_ENV)
    example_operation(database, "d")
    assert audit.verify_db(database).ok
