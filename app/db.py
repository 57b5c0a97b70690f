"""Persistence plumbing: the declarative base, column types, the engine, and one session per request.

Models import only the first half (Base, column types); the Flask wiring at the end is used by
``create_app`` and the routes.

Services take a session and never commit. The request commits once at its end when it succeeded
(see :func:`init_db`), and rolls back otherwise.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask import session as visit
from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python, whatever the database keeps (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: JSON that is JSONB on PostgreSQL (indexable, compact) and JSON text elsewhere.
JSONData = JSON().with_variant(JSONB(), "postgresql")


def declared_for(dialect: str, item: object) -> bool:
    """False for a schema item the models declare only for another database (``Index(...).ddl_if(dialect=...)``).

    Autogenerate and the schema test compare only what exists on the database at hand.
    """
    condition = getattr(item, "_ddl_if", None)  # where SQLAlchemy keeps what ddl_if() was given
    dialects = getattr(condition, "dialect", None)
    if dialects is None:
        return True
    return dialect == dialects if isinstance(dialects, str) else dialect in dialects


def utcnow() -> datetime:
    """Now, as an aware UTC datetime; used as a column default callable (never evaluated at import)."""
    return datetime.now(UTC)


def new_token() -> str:
    """A long random token for private links (resume a draft, follow a case): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


#: Execution option: this transaction will write, so on SQLite take the write lock when it begins.
WRITE_INTENT = "endorrin_write_intent"
#: Session info key: the request was marked read-only (see :func:`read_only`); a write raises.
READ_ONLY = "endorrin_read_only"


def make_engine(
    url: str, echo: bool = False, *, pool_size: int = 5, max_overflow: int = 5, statement_timeout_ms: int = 30000
) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and writer serialisation (see below).

    On PostgreSQL each process keeps ``pool_size`` connections (and opens up to ``max_overflow`` more at a
    peak); a statement running longer than ``statement_timeout_ms`` is cancelled by the server, so a stuck
    query frees its connection and the worker instead of holding them until gunicorn kills it.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            json_serializer=_json_dumps,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"options": f"-c statement_timeout={int(statement_timeout_ms)}"}
        if url.startswith("postgresql")
        else {},
    )


def _json_dumps(value: Any) -> str:
    # Letters as themselves ("ä", not "\u00e4"), so stored JSON reads as what residents wrote.
    return json.dumps(value, ensure_ascii=False)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and "upgrades" a reader to a writer, which fails at once with
    # "database is locked" when another connection wrote in between, whatever the busy timeout. A
    # transaction that means to write (every request's) takes the write lock at BEGIN IMMEDIATE and so
    # waits its turn instead; other readers (tests, reports) begin plainly and never block anyone. This
    # follows the recipe in SQLAlchemy's pysqlite documentation ("Serializable isolation / Savepoints").
    # XXX: requests on one SQLite file run one at a time; PostgreSQL is the answer for more traffic.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_INTENT, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


SessionFactory = Callable[[], Session]


class ReadOnlyViolation(RuntimeError):
    """A request of a view marked :func:`read_only` tried to write: a programming error, caught by the tests."""


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    @event.listens_for(factory, "before_flush")
    def refuse_flush(session: Session, flush_context: Any, instances: Any) -> None:
        if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
            raise ReadOnlyViolation("a read-only request changed rows: remove @read_only from its view")

    @event.listens_for(factory, "do_orm_execute")
    def refuse_statement(state: Any) -> None:
        if state.session.info.get(READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
            raise ReadOnlyViolation("a read-only request sent a write: remove @read_only from its view")

    return factory


View = TypeVar("View", bound=Callable[..., Any])


def read_only(view: View) -> View:
    """Mark a view whose GET (and HEAD) requests never write; put it right under the route decorator.

    On SQLite every other request takes the write lock when its transaction begins (see
    _configure_sqlite), so requests run one at a time, and a waiting one sleeps in SQLite's busy handler
    (1, 2, 5, 10... ms) while the other worker takes the lock again: under load, pages that only read
    waited up to a second. A read-only request begins plainly and reads its snapshot beside the writer
    (WAL). Only for visitors who are not signed in: a member of staff's request refreshes their session
    row. A write in such a request raises :class:`ReadOnlyViolation`, so a forgotten one fails the tests
    that open the page, instead of failing a resident's request now and then with "database is locked".
    """
    view.read_only = True  # type: ignore[attr-defined]
    return view


def _reads_only() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    # "_user_id" is where Flask-Login keeps the signed-in member of staff (app.auth.login).
    return getattr(view, "read_only", False) and request.method in ("GET", "HEAD") and "_user_id" not in visit


def init_db(app: Flask) -> None:
    """One engine per app, one session per request, committed once at the end of a successful request.

    A response below 400 commits; anything else (an error page, an exception) rolls back, so a request
    that fails half-way stores nothing.
    """
    engine = make_engine(
        app.config["DATABASE_URL"],
        echo=app.config["SQL_ECHO"],
        pool_size=app.config["DB_POOL_SIZE"],
        max_overflow=app.config["DB_MAX_OVERFLOW"],
        statement_timeout_ms=app.config["DB_STATEMENT_TIMEOUT_MS"],
    )
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = make_session_factory(engine)

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def close_on_error(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def get_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
        if _reads_only():
            g.db_session.info[READ_ONLY] = True
        else:
            # Requests read and then write in one transaction (a case view writes its audit row), so on
            # SQLite each takes the write lock when it begins and waits its turn; see _configure_sqlite.
            g.db_session.connection(execution_options={WRITE_INTENT: True})
    session: Session = g.db_session
    return session
