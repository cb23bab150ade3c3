"""Shared pytest configuration.

Its presence puts ``tests/`` on ``sys.path`` (pytest's default "prepend" import mode inserts the directory of a
rootdir-level conftest), so test modules can import shared helpers such as ``helpers_chainladder``.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _backends() -> list[str]:
    out = ["sqlite"]
    if os.environ.get("AKTUAR_TEST_DATABASE_URL"):
        out.append("postgresql")
    return out


@pytest.fixture(params=_backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A migrated, empty aktuar database: SQLite in a temporary data directory, and PostgreSQL (the real server
    of ``AKTUAR_TEST_DATABASE_URL``) in a schema of its own that is dropped afterwards."""
    from sqlalchemy import create_engine, text

    from aktuar.store.db import Database, Settings, normalize_url

    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        db = Database(Settings.from_env(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'aktuar.sqlite3'}"))
        db.upgrade()
        yield db
        db.dispose()
        return
    url = normalize_url(os.environ["AKTUAR_TEST_DATABASE_URL"])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    db = Database(Settings(data_dir=data_dir, database_url=url), engine=engine)
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
