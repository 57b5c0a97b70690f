"""Flask commands: ``flask --app wsgi db upgrade``, ``forms load``, ``drafts purge``."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import pyotp
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import blobs, worker
from app.config import PREFIX, Defaults, advice_for, problems_of
from app.mail import deliver_due
from app.models import Attachment, DraftFile, Receipt, RoleGrant, Unit, User
from app.services import accounts, audit, filing, mfa, passwords, studio
from app.services import eservices as eservice_service
from eservices.schema import DefinitionError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

db_cli = AppGroup("db", help="The database schema (Alembic migrations).")
forms_cli = AppGroup("forms", help="The bundled e-services in forms/.")
drafts_cli = AppGroup("drafts", help="Residents' unsent drafts.")
outbox_cli = AppGroup("outbox", help="Mail waiting to be delivered.")
users_cli = AppGroup("users", help="Staff accounts and their roles.")
files_cli = AppGroup("files", help="Where the bytes of uploaded files and receipts are kept (FILE_STORE).")
jobs_cli = AppGroup("jobs", help="Scheduled work (Celery beat runs it when Redis is configured).")
bench_cli = AppGroup("bench", help="Data for the benchmarks in bench/ (never on a production database).")


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
    for slug in report.kept:
        click.echo(f"  {slug}: the file changed, but a draft is open in the studio; publish or discard it first.")


@forms_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the imported draft at once.")
def forms_import(path: Path, publish: bool) -> None:
    """Import a definition file as the draft of its e-service (new or existing), as the studio does."""
    now = datetime.now(UTC)
    session = current_app.extensions["db_sessionmaker"]()
    try:
        data = studio.parse_yaml(path.read_text(encoding="utf-8"), str(path))
        draft = studio.import_definition(
            session, data, str(path), actor=None, now=now, allowed_units=None, actor_label="flask forms import"
        )
        if publish:
            studio.publish(session, draft.eservice, None, now, actor_label="flask forms import")
        session.commit()
    except DefinitionError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    except studio.StudioError as error:
        session.rollback()
        raise click.ClickException(f"{path}: {error.code} {error.params or ''}".rstrip()) from None
    finally:
        session.close()
    click.echo(f"{path}: {'published' if publish else 'imported as a draft'}.")


@forms_cli.command("export")
@click.argument("slug")
@click.option("--version", "number", type=int, default=None, help="A version number; default the published one.")
@click.option("--draft", is_flag=True, help="The draft instead of a published version.")
def forms_export(slug: str, number: int | None, draft: bool) -> None:
    """Print an e-service's definition as YAML, in the format of forms/."""
    session = current_app.extensions["db_sessionmaker"]()
    try:
        eservice = studio.find(session, slug)
        if eservice is None:
            raise click.ClickException(f"no e-service {slug!r}")
        if draft:
            chosen = studio.draft_of(eservice)
        elif number is not None:
            chosen = studio.version(eservice, number)
        else:
            chosen = studio.published_of(eservice) or next(iter(studio.numbered(eservice)), None)
        if chosen is None:
            raise click.ClickException(f"{slug}: no such version")
        click.echo(studio.export_yaml(chosen.definition), nl=False)
    finally:
        session.close()


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


@jobs_cli.command("run")
def jobs_run() -> None:
    """Run the scheduled jobs once: mail due, missing receipts, expired drafts, old mail text, unreferenced files
    in the file store, and on SQLite the query planner's statistics (for cron)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sent, failed = deliver_due(app)
    click.echo(f"Mail: {sent} sent, {failed} failed (will be retried).")
    click.echo(f"Receipts rendered: {worker.render_missing_receipts(app)}.")
    click.echo(f"Expired drafts deleted: {worker.purge_expired_drafts(app)}.")
    click.echo(f"Delivered mail texts erased: {worker.erase_old_mail_text(app)}.")
    click.echo(f"Unreferenced files deleted from the file store: {worker.delete_unreferenced_files(app)}.")
    if worker.refresh_query_statistics(app):
        click.echo("Query planner statistics refreshed.")


@files_cli.command("move-to-store")
@click.option("--batch", default=200, show_default=True, help="Rows per transaction.")
def files_move_to_store(batch: int) -> None:
    """Move the bytes of files and receipts kept in the database into the configured FILE_STORE."""
    if current_app.extensions["blobs"] is None:
        raise click.ClickException(f"{PREFIX}FILE_STORE is database: set it to filesystem or s3 first")
    moved = 0
    for model in (DraftFile, Attachment, Receipt):
        while True:
            with _session() as session, session.begin():
                rows = session.scalars(
                    select(model).where(model.storage_key.is_(None)).order_by(model.id).limit(batch)
                ).all()
                for row in rows:
                    assert row.content is not None
                    for column, value in blobs.keep(session, row.content).items():
                        setattr(row, column, value)
            moved += len(rows)
            if len(rows) < batch:
                break
    click.echo(f"{moved} file(s) and receipt(s) moved to the file store.")


def _session() -> Session:
    session: Session = current_app.extensions["db_sessionmaker"]()
    return session


#: what the password rules' codes mean, for the person at the terminal
PASSWORD_PROBLEMS = {
    passwords.TOO_SHORT: f"the password must be at least {passwords.MIN_LENGTH} characters long",
    passwords.TOO_LONG: f"the password must be at most {passwords.MAX_LENGTH} characters long",
    passwords.TOO_COMMON: "the password is one of the most common passwords; choose another (a few words will do)",
}


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="", help="Full name (default: the email address).")
@click.option("--role", type=click.Choice(RoleGrant.ROLES), required=True)
@click.option("--unit", "unit_key", default=None, help="Unit short name; not for administrators.")
@click.option("--password", default=None, help="Default: a random password, printed once.")
def users_create(email: str, name: str, role: str, unit_key: str | None, password: str | None) -> None:
    """Create a user with one role (more roles: `users grant`)."""
    now = datetime.now(UTC)
    with _session() as session, session.begin():
        unit = None
        if unit_key:
            unit = session.scalar(select(Unit).where(Unit.key == unit_key))
            if unit is None:
                raise click.ClickException(
                    f"No unit {unit_key!r}. Units: {', '.join(session.scalars(select(Unit.key)))}"
                )
        chosen = password or accounts.random_password()
        try:
            user = accounts.create_user(session, email, name, chosen, now)
            accounts.grant(session, user, role, unit, now)
        except accounts.AccountError as error:
            reason = PASSWORD_PROBLEMS.get(str(error), str(error))
            raise click.ClickException(f"Cannot create the user: {reason}") from None
        audit.record(session, audit.USER_CREATED, now, actor_label="cli", user=user.email, role=role, unit=unit_key)
    click.echo(f"Created {user.email} ({role}{' in ' + unit_key if unit_key else ''}).")
    if password is None:
        click.echo(f"Password (shown once): {chosen}")


@users_cli.command("grant")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(RoleGrant.ROLES), required=True)
@click.option("--unit", "unit_key", default=None)
def users_grant(email: str, role: str, unit_key: str | None) -> None:
    """Give an existing user a role (in a unit)."""
    now = datetime.now(UTC)
    with _session() as session, session.begin():
        user = session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
        unit = session.scalar(select(Unit).where(Unit.key == unit_key)) if unit_key else None
        if user is None or (unit_key and unit is None):
            raise click.ClickException("No such user or unit.")
        try:
            accounts.grant(session, user, role, unit, now)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        audit.record(session, audit.ROLE_GRANTED, now, actor_label="cli", user=user.email, role=role, unit=unit_key)
    click.echo(f"{email}: {role}{' in ' + unit_key if unit_key else ''}.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def users_deactivate(email: str) -> None:
    """Deactivate a user and end all their sessions."""
    now = datetime.now(UTC)
    with _session() as session, session.begin():
        user = session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
        if user is None:
            raise click.ClickException("No such user.")
        accounts.set_active(session, user, False, now)
        audit.record(session, audit.USER_DEACTIVATED, now, actor_label="cli", user=user.email)
    click.echo(f"{email} is deactivated and signed out everywhere.")


@users_cli.command("reset-mfa")
@click.option("--email", required=True)
def users_reset_mfa(email: str) -> None:
    """Forget a user's authenticator app and recovery codes and end their sessions; they set it up again at
    their next sign-in. For the last administrator, who has nobody to ask in the web interface.
    """
    now = datetime.now(UTC)
    with _session() as session, session.begin():
        user = session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
        if user is None:
            raise click.ClickException("No such user.")
        mfa.reset(session, user, now)
        audit.record(session, audit.MFA_RESET, now, actor_label="cli", user=user.email)
    click.echo(f"{email}: two-step sign-in reset; it is set up again at the next sign-in.")


@users_cli.command("bootstrap-admin")
@click.option("--email", default="admin@grums.se", show_default=True)
def users_bootstrap_admin(email: str) -> None:
    """Create the first administrator, with a random password printed once; does nothing if one exists."""
    now = datetime.now(UTC)
    with _session() as session, session.begin():
        if session.scalar(select(RoleGrant).where(RoleGrant.role == RoleGrant.ADMIN).limit(1)) is not None:
            return
        password = accounts.random_password()
        try:
            user = accounts.create_user(session, email, "Administratör", password, now)
        except accounts.AccountError:
            raise click.ClickException(
                f"{email} already belongs to a user who is not an administrator. "
                "Give that user the role (`users grant --role admin`) or choose another address with --email."
            ) from None
        accounts.grant(session, user, RoleGrant.ADMIN, None, now)
        audit.record(session, audit.USER_CREATED, now, actor_label="cli", user=user.email, role="admin")
    click.echo("=" * 64)
    click.echo("The first administrator was created. Sign in at /auth/login with")
    click.echo(f"  email:    {email}")
    click.echo(f"  password: {password}")
    click.echo("The password is shown only this once.")
    click.echo("=" * 64)


SECRET_SETTINGS = {"SECRET_KEY", "SMTP_PASSWORD", "METRICS_TOKEN", "S3_SECRET_ACCESS_KEY"}


@click.command("check-config")
@with_appcontext
def check_config() -> None:
    """Print the settings in force (secrets masked) and anything wrong or unwise about them."""
    config = current_app.config
    for key in sorted(k for k in dir(Defaults) if k.isupper()):
        value = config.get(key)
        shown = ("(set)" if value else "(not set)") if key in SECRET_SETTINGS else repr(value)
        if key in {"DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI"}:
            shown = repr(re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", str(value)))
        click.echo(f"{PREFIX}{key} = {shown}")
    for advice in advice_for(config):
        click.echo(f"advice: {advice}")
    problems = problems_of(config)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("The configuration is usable.")


@bench_cli.command("seed")
@click.option(
    "--cases",
    "count",
    type=click.IntRange(min=0),
    required=True,
    help="How many cases to add (0: only the bench staff account).",
)
@click.option("--seed", "random_seed", type=int, default=1, help="Random seed, for the same cases every time.")
@click.option("--staff-password", envvar="ENDORRIN_BENCH_STAFF_PASSWORD", default=None)
@click.option(
    "--staff-totp-secret",
    envvar="ENDORRIN_BENCH_STAFF_TOTP_SECRET",
    default=None,
    help="The bench staff's authenticator key (base32); default: a new one, printed once.",
)
def bench_seed(count: int, random_seed: int, staff_password: str | None, staff_totp_secret: str | None) -> None:
    """Add COUNT synthetic cases across the bundled e-services, and a bench staff account in every unit."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Refusing to fill a production database with synthetic cases.")
    from app.seeding import BENCH_STAFF_EMAIL, seed_cases  # only this command needs the seeding code

    password = staff_password or accounts.random_password()
    totp_secret = staff_totp_secret or pyotp.random_base32()
    started = time.monotonic()

    def progress(done: int) -> None:
        elapsed = time.monotonic() - started
        click.echo(f"{done} cases ({done / elapsed:,.0f} per second)", err=True)

    added = seed_cases(
        current_app.extensions["db_engine"],
        count,
        prefix=current_app.config["REFERENCE_PREFIX"],
        now=datetime.now(UTC),
        staff_password=password,
        staff_totp_secret=totp_secret,
        seed=random_seed,
        progress=progress,
    )
    click.echo(f"Added {added} cases in {time.monotonic() - started:.0f} s. Staff: {BENCH_STAFF_EMAIL}")
    if staff_password is None:
        click.echo(f"Password: {password}")
    if staff_totp_secret is None:
        click.echo(f"Authenticator key: {totp_secret}")


def register_cli(app: Flask) -> None:
    for group in (db_cli, forms_cli, drafts_cli, outbox_cli, users_cli, jobs_cli, files_cli, bench_cli):
        app.cli.add_command(group)
    app.cli.add_command(check_config)
