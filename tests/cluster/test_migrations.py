"""The schema comes from the migrations alone: an empty PostgreSQL goes from the first revision to the newest
and all the way back down, as an operator's ``flask db upgrade`` / ``db downgrade`` does it."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from conftest import cluster_database_url, ensure_database, skip_without_postgres
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.db import Base


def test_an_empty_postgresql_migrates_from_the_first_revision_to_head_and_back_down() -> None:
    cluster_url = cluster_database_url()
    skip_without_postgres(cluster_url)
    assert cluster_url is not None
    parsed = make_url(cluster_url)
    url = parsed.set(database=f"{parsed.database}_migrations").render_as_string(hide_password=False)
    ensure_database(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    config = alembic_config(url)
    revisions = [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()][::-1]
    try:
        for revision in revisions:  # one step at a time, as an installation that upgraded every release did
            command.upgrade(config, revision)
        tables = set(inspect(engine).get_table_names())
        assert tables == {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"}
        for revision in [*revisions[-2::-1], "base"]:
            command.downgrade(config, revision)
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}, "downgrade leaves nothing behind"
        command.upgrade(config, "head")
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()
