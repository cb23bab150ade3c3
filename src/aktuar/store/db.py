"""Database settings, engine and sessions.

``AKTUAR_DATA_DIR`` (default ``./aktuar-data``) holds the embedded SQLite database ``aktuar.sqlite3``, stored
input files and keys; ``AKTUAR_DATABASE_URL`` selects another database (PostgreSQL in production, e.g.
``postgresql+psycopg://user@host/db``; ``postgresql://`` is accepted and means psycopg 3).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from aktuar.errors import InputError


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike[str] | None = None, database_url: str | None = None) -> Settings:
        d = Path(data_dir or os.environ.get("AKTUAR_DATA_DIR") or "aktuar-data").resolve()
        url = database_url or os.environ.get("AKTUAR_DATABASE_URL") or f"sqlite:///{d / 'aktuar.sqlite3'}"
        return cls(data_dir=d, database_url=normalize_url(url))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalize_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg://")):
        raise InputError(f"unsupported database URL '{url.split(':', 1)[0]}:…': use sqlite:///path or postgresql://…")
    return url


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.database_url, future=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        return engine
    return create_engine(settings.database_url, future=True, pool_pre_ping=True)


class Database:
    """An engine and its session factory; ``session()`` is one transaction (commit on success, else rollback)."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.engine = engine or make_engine(self.settings)
        # session.info tells the audit trail where its signing key, checkpoint journal and archives are
        self._factory = sessionmaker(self.engine, expire_on_commit=False,
                                     info={"aktuar.data_dir": self.settings.data_dir})

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic ``upgrade head``)."""
        from aktuar.store.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
