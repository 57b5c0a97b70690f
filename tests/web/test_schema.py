"""The migrated schema is the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from app.db import Base, declared_for


def test_migrations_produce_exactly_the_models_schema(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        # Items declared for another database only (the PostgreSQL trigram index) are left out.
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda item, *rest: declared_for(engine.dialect.name, item),
            },
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_sqlite_runs_with_foreign_keys_and_wal(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
