"""Alembic environment: the engine comes from ``aktuar.store.migrate.config`` (or the URL option)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from aktuar.store.models import Base

target_metadata = Base.metadata
cfg = context.config
engine = cfg.attributes.get("engine") or create_engine(cfg.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
