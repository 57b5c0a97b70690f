"""Health checks for load balancers: /healthz (the process answers), /readyz (it can do its work)."""

from __future__ import annotations

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.cli import alembic_config


def register_health(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)


def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


def readyz() -> ResponseReturnValue:
    """200 when the database answers, its schema is the newest migration, and Redis and the file store (each
    if configured) answer."""
    problems = []
    engine = current_app.extensions["db_engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(current_app.config["DATABASE_URL"])).get_current_head()
        if current != head:
            problems.append(f"database at revision {current}, code expects {head}")
    except Exception as error:
        problems.append(f"database: {type(error).__name__}")
    if current_app.config["REDIS_URL"]:
        try:
            _redis().ping()
        except Exception as error:
            problems.append(f"redis: {type(error).__name__}")
    store = current_app.extensions["blobs"]
    if store is not None:
        try:
            store.check()
        except Exception as error:
            problems.append(f"file store ({store.kind}): {type(error).__name__}")
    if problems:
        return jsonify(status="unavailable", problems=problems), 503
    return jsonify(status="ok")


def _redis() -> redis.Redis:
    client = current_app.extensions.get("health_redis")
    if client is None:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        current_app.extensions["health_redis"] = client
    return client
