"""System changes recorded as installed updates (KZ164-30(3)): schema migrations and new code versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from aktuar import __version__
from aktuar.security import audit
from aktuar.security.context import SYSTEM, Actor
from aktuar.store import migrate
from aktuar.store.db import Database
from aktuar.store.models import Setting

VERSION_KEY = "system.version"


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str | None
    version_before: str | None
    version_after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade(db: Database, actor: Actor = SYSTEM) -> UpgradeResult:
    """Migrate the database to the newest schema and record it (and a new code version) in the audit trail.

    A failed migration is audited as a failure and re-raised.
    """
    try:
        before, after = migrate.upgrade(db.engine)
    except Exception as exc:
        try:
            with db.session() as s:
                audit.record(s, actor, "change", "db.upgrade", object="schema", outcome="failure",
                             details={"error": type(exc).__name__, "message": str(exc)[:500]})
        except Exception:  # noqa: BLE001 - the schema may not even hold the audit table yet
            pass
        raise
    with db.session() as s:
        if before != after:
            audit.record(s, actor, "change", "db.upgrade", object="schema",
                         details={"from": before, "to": after})
        version_before = _record_version(s, actor)
    return UpgradeResult(before, after, version_before, __version__)


def record_version(db: Database, actor: Actor = SYSTEM) -> str | None:
    """Audit a change of the running aktuar version since the last start (returns the previous version)."""
    with db.session() as s:
        return _record_version(s, actor)


def _record_version(s, actor: Actor) -> str | None:  # type: ignore[no-untyped-def]
    row = s.get(Setting, VERSION_KEY)
    previous = json.loads(row.value) if row is not None else None
    if previous != __version__:
        audit.record(s, actor, "change", "version.installed", object="aktuar",
                     details={"from": previous, "to": __version__})
        if row is None:
            s.add(Setting(key=VERSION_KEY, value=json.dumps(__version__), changed_by=actor.username,
                          changed_at=datetime.now(UTC)))
        else:
            row.value = json.dumps(__version__)
            row.changed_by = actor.username
            row.changed_at = datetime.now(UTC)
    return previous
