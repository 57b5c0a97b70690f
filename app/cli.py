"""Flask commands: ``flask --app wsgi db upgrade``, ``forms load``, ``drafts purge``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

from app.mail import deliver_due
from app.services import eservices as eservice_service
from app.services import filing
from eservices.schema import DefinitionError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

db_cli = AppGroup("db", help="The database schema (Alembic migrations).")
forms_cli = AppGroup("forms", help="The bundled e-services in forms/.")
drafts_cli = AppGroup("drafts", help="Residents' unsent drafts.")
outbox_cli = AppGroup("outbox", help="Mail waiting to be delivered.")


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (``base`` for empty)."""
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@forms_cli.command("load")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None)
def forms_load(directory: Path | None) -> None:
    """Publish every forms/*.yaml that is new or changed; nothing is stored if any file is wrong."""
    directory = directory or Path(current_app.config["FORMS_DIR"])
    session = current_app.extensions["db_sessionmaker"]()
    try:
        report = eservice_service.load_bundled(session, directory.glob("*.yaml"), datetime.now(UTC))
        session.commit()
    except DefinitionError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    finally:
        session.close()
    click.echo(
        f"E-services: {len(report.created)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged."
    )


@drafts_cli.command("purge")
def drafts_purge() -> None:
    """Delete drafts past their expiry date."""
    session = current_app.extensions["db_sessionmaker"]()
    with session.begin():
        count = filing.purge_expired_drafts(session, datetime.now(UTC))
    click.echo(f"{count} expired draft(s) deleted.")


@outbox_cli.command("deliver")
def outbox_deliver() -> None:
    """Deliver what is due, once."""
    sent, failed = deliver_due(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"{sent} sent, {failed} failed (will be retried).")


@outbox_cli.command("work")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes when idle.")
def outbox_work(interval: float) -> None:
    """Deliver mail until stopped (Ctrl-C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo("Delivering the outbox; Ctrl-C stops.")
    while True:
        sent, failed = deliver_due(app)
        if sent or failed:
            click.echo(f"{sent} sent, {failed} failed (will be retried).")
        else:
            time.sleep(interval)


def register_cli(app: Flask) -> None:
    for group in (db_cli, forms_cli, drafts_cli, outbox_cli):
        app.cli.add_command(group)
