"""The store on both databases: migrations, the audit chain's append, settings from the environment."""

from __future__ import annotations

import pytest

from aktuar.security import audit
from aktuar.security.context import Actor
from aktuar.store.db import Settings, normalize_url
from aktuar.store.migrate import current, head
from aktuar.store.models import AuditEvent


def test_migrated_to_head(database) -> None:
    assert current(database.engine) == head(database.engine)


@pytest.mark.req("KZ164-30")
def test_audit_records_chain(database) -> None:
    actor = Actor("ivanov", frozenset({"actuary"}), user_id=1, source="test")
    with database.session() as s:
        a = audit.record(s, actor, "auth", "login", object="ivanov", outcome="success")
        b = audit.record(s, actor, "business", "import", object="claims.csv", details={"rows": 3})
    assert (a.seq, b.seq) == (1, 2)
    assert b.prev_hash == a.hash != audit.GENESIS
    with database.session() as s:
        rows = s.query(AuditEvent).order_by(AuditEvent.seq).all()
        assert [audit.chain_hash(r.prev_hash, audit.record_payload(r)) for r in rows] == [r.hash for r in rows]


def test_settings_from_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AKTUAR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AKTUAR_DATABASE_URL", raising=False)
    s = Settings.from_env()
    assert s.is_sqlite and s.database_url.endswith("aktuar.sqlite3")
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(Exception, match="unsupported"):
        normalize_url("mysql://x")
