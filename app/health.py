"""Health checks for load balancers: /healthz (the process answers), /readyz (it can do its work)."""

from __future__ import annotations

import functools
import time

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app import blobs
from app.cli import alembic_config

#: seconds a file store's answer stands: a load balancer probes every few seconds, and each check writes
#: and reads an object (a paid request on S3, an fsync on a folder); a store that fails is seen within this
STORE_CHECK_SECONDS = 30


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
        head = _newest_migration(current_app.config["DATABASE_URL"])
        if current != head:
            problems.append(f"database at revision {current}, code expects {head}")
    except Exception as error:
        problems.append(f"database: {type(error).__name__}")
    if current_app.config["REDIS_URL"]:
        try:
            _redis().ping()
        except Exception as error:
            problems.append(f"redis: {type(error).__name__}")
    store_problem = _store_problem()
    if store_problem is not None:
        problems.append(store_problem)
    if problems:
        return jsonify(status="unavailable", problems=problems), 503
    return jsonify(status="ok")


def _redis() -> redis.Redis:
    client = current_app.extensions.get("health_redis")
    if client is None:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        current_app.extensions["health_redis"] = client
    return client


@functools.cache
def _newest_migration(database_url: str) -> str | None:
    """The head revision of the migrations this code ships (read from their files once per process)."""
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def _store_problem() -> str | None:
    """What is wrong with the file store (None: nothing, or no store), checked at most every STORE_CHECK_SECONDS."""
    store = current_app.extensions["blobs"]
    if store is None:
        return None
    checked, checked_at, problem = current_app.extensions.get("health_store", (None, 0.0, None))
    if checked is store and time.monotonic() - checked_at < STORE_CHECK_SECONDS:
        return problem
    try:
        blobs.check(store)
        problem = None
    except Exception as error:
        problem = f"file store ({store.kind}): {type(error).__name__}"
    current_app.extensions["health_store"] = (store, time.monotonic(), problem)
    return problem
