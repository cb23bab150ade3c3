"""Persistence: SQLAlchemy models, the engine for SQLite (embedded default) or PostgreSQL, Alembic migrations."""
