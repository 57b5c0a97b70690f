"""Configuration: defaults, then environment variables (prefix ``ENDORRIN_``), then ``instance/config.py``.

:func:`validate` refuses configurations that are unsafe outside development.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

PREFIX = "ENDORRIN_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
UNSAFE_KEYS = {"", "dev", "change-me", "secret"}


class Defaults:
    ENV = "development"
    SECRET_KEY = ""
    #: empty: an SQLite file in the instance folder
    DATABASE_URL = ""
    SQL_ECHO = False
    #: connections each process keeps open to PostgreSQL, and how many more it may open at a peak;
    #: the database must allow (pool + overflow) x processes on every machine, plus the workers
    DB_POOL_SIZE = 5
    DB_MAX_OVERFLOW = 5
    #: a statement running longer than this is cancelled by PostgreSQL (milliseconds; 0: no limit)
    DB_STATEMENT_TIMEOUT_MS = 30000
    #: empty: background work runs in the web process; a Redis URL: Celery workers do it (`make worker`)
    REDIS_URL = ""
    MUNICIPALITY_NAME = "Grums kommun"
    REFERENCE_PREFIX = "GRU"
    TIMEZONE = "Europe/Stockholm"
    #: interface languages offered, Swedish first; adding one is a catalog plus one entry here
    LANGUAGES = ["sv", "en", "fi", "ar", "fa", "so", "uk"]
    DEFAULT_LOCALE = "sv"
    DRAFT_TTL_DAYS = 30
    FORMS_DIR = str(PROJECT_ROOT / "forms")
    #: a whole request body; per-file limits are in each file field's definition
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    PUBLIC_BASE_URL = ""
    #: how many proxies in front of the application set X-Forwarded-* (0: none, trust nothing)
    TRUSTED_PROXIES = 0
    LOG_LEVEL = "INFO"
    #: json (one object a line, for a log collector) or text (for a developer's terminal)
    LOG_FORMAT = "json"
    #: /metrics answers a request with ``Authorization: Bearer <this>``, or from these addresses/networks
    #: (as the application sees them: behind a proxy, set TRUSTED_PROXIES); nobody when both are empty
    METRICS_TOKEN = ""
    METRICS_ALLOW: list[str] = []
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a resident may spend an evening on a form; the token lives with the session
    #: inline: deliver mail in the web process right after the commit; worker: `flask outbox work` does it
    MAIL_DELIVERY = "inline"
    MAIL_FROM = "Grums kommun <e-tjanster@grums.se>"
    #: empty: write mail as .eml files to MAIL_DIR (default instance/mail) instead of sending it
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_TIMEOUT = 10
    MAIL_DIR = ""
    #: staff sign-in sessions end after this long without a request, and this long after sign-in at most
    STAFF_SESSION_IDLE_MINUTES = 30
    STAFF_SESSION_MAX_HOURS = 12
    #: a half sign-in (password right, second factor not yet given) ends after this long
    MFA_PENDING_MINUTES = 10
    #: Redis (redis://host:6379/0): shared rate-limit counts for every process; empty: counted in memory
    REDIS_URL = ""
    #: where Flask-Limiter counts; empty: REDIS_URL when set, else memory://
    RATELIMIT_STORAGE_URI = ""
    RATELIMIT_KEY_PREFIX = "endorrin"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    #: sign-in posts (password and code) from one client address
    RATELIMIT_SIGN_IN = "30 per 10 minutes"
    #: failed passwords, and failed codes, for one account (whether it exists or not)
    RATELIMIT_ACCOUNT_FAILURES = "10 per 15 minutes"
    #: filed cases and replies from one client address (a library or school shares one address)
    RATELIMIT_SUBMISSIONS = "30 per hour"
    #: pages of answers saved from one client address
    RATELIMIT_DRAFT_SAVES = "600 per hour"
    #: a resident's form sent sooner than this after it was started is asked to be sent again (a script, surely)
    FORM_MIN_FILL_SECONDS = 4
    #: follow-the-case links stop working this many days after the case is closed
    FOLLOW_LINK_DAYS_AFTER_CLOSE = 90
    #: ClamAV's clamd for scanning uploads (tcp://host:3310 or unix:///run/clamav/clamd.ctl); empty: no scan
    CLAMD_URL = ""
    CLAMD_TIMEOUT = 30
    #: where the bytes of uploaded files and receipts are kept: database (in their rows), filesystem (a folder,
    #: shared by every machine) or s3 (an S3-compatible bucket); see app/blobs.py
    FILE_STORE = "database"
    #: filesystem: the folder; empty: instance/files
    FILE_STORE_PATH = ""
    S3_BUCKET = ""
    #: within the bucket, e.g. grums/ when several installations share one bucket
    S3_PREFIX = ""
    #: empty: AWS; otherwise the service's address, e.g. https://s3.example.se
    S3_ENDPOINT_URL = ""
    S3_REGION = ""
    #: empty: boto3 finds credentials itself (AWS_* variables, an instance role)
    S3_ACCESS_KEY_ID = ""
    S3_SECRET_ACCESS_KEY = ""
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_SECONDS = 30
    OUTBOX_STUCK_SECONDS = 600
    #: inline delivery: how often any request also looks for mail that is due (retries)
    OUTBOX_SWEEP_SECONDS = 60
    #: the text of delivered mail (it holds names and private links) is erased this long after delivery;
    #: who got what and when stays on the case
    OUTBOX_KEEP_BODY_DAYS = 30
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw) if raw.strip().startswith("[") else [part.strip() for part in raw.split(",") if part]
    return raw


def init_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Load configuration into ``app.config`` in order: defaults, environment, instance file, ``overrides``."""
    app.config.from_object(Defaults)
    for key in dir(Defaults):
        if key.isupper() and PREFIX + key in os.environ:
            app.config[key] = _coerce(os.environ[PREFIX + key], getattr(Defaults, key))
    if overrides is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "endorrin.sqlite3")
    if not app.config["SECRET_KEY"] and app.config["ENV"] == "development":
        app.config["SECRET_KEY"] = _development_key(Path(app.instance_path))
    app.config["SESSION_COOKIE_SECURE"] = app.config["ENV"] == "production"
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    validate(app.config)


def _development_key(instance: Path) -> str:
    # A key kept in the instance folder, so sessions survive a restart of `make run`; never used in
    # production, where validate() insists on a configured key.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete: ``problems`` says what to set, one problem each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def problems_of(config: Any) -> list[str]:
    """What is wrong with ``config``; for production, also what is unwise (in the same list)."""
    problems = []
    if config["ENV"] not in {"development", "testing", "production"}:
        problems.append(f"{PREFIX}ENV must be development, testing or production")
    if config["ENV"] == "production":
        key = config.get("SECRET_KEY") or ""
        if key in UNSAFE_KEYS or len(key) < 32:
            problems.append(f"{PREFIX}SECRET_KEY must be set to a random value of at least 32 characters")
    if config["LOG_FORMAT"] not in {"json", "text"}:
        problems.append(f"{PREFIX}LOG_FORMAT must be json or text")
    if config["REDIS_URL"] and not config["REDIS_URL"].startswith(("redis://", "rediss://", "unix://")):
        problems.append(f"{PREFIX}REDIS_URL must start with redis://, rediss:// or unix://")
    for entry in config["METRICS_ALLOW"]:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(f"{PREFIX}METRICS_ALLOW: {entry!r} is not an address or network")
    if config["FILE_STORE"] not in {"database", "filesystem", "s3"}:
        problems.append(f"{PREFIX}FILE_STORE must be database, filesystem or s3")
    if config["FILE_STORE"] == "s3" and not config["S3_BUCKET"]:
        problems.append(f"{PREFIX}S3_BUCKET must be set when {PREFIX}FILE_STORE is s3")
    if not config["LANGUAGES"] or config["LANGUAGES"][0] != config["DEFAULT_LOCALE"]:
        problems.append(f"{PREFIX}LANGUAGES must start with the default locale {config['DEFAULT_LOCALE']!r}")
    return problems


def advice_for(config: Any) -> list[str]:
    """Settings that work but that an operator of a production installation should look at."""
    advice = []
    if config["ENV"] == "production":
        if config["DATABASE_URL"].startswith("sqlite"):
            advice.append(f"{PREFIX}DATABASE_URL is SQLite: fine for one machine, use PostgreSQL for more")
        if not config["SMTP_HOST"]:
            advice.append(f"{PREFIX}SMTP_HOST is not set: mail is written to files, not sent")
        if not config["CLAMD_URL"]:
            advice.append(f"{PREFIX}CLAMD_URL is not set: uploaded files are not scanned for viruses")
        if not config["REDIS_URL"]:
            advice.append(f"{PREFIX}REDIS_URL is not set: rate limits are counted per process, not shared")
        if config["FILE_STORE"] == "filesystem":
            advice.append(
                f"{PREFIX}FILE_STORE is filesystem: with more than one machine, the folder must be one that all of "
                "them share, and it must be backed up with the database"
            )
        if not config["PUBLIC_BASE_URL"]:
            advice.append(f"{PREFIX}PUBLIC_BASE_URL is not set: links in mail use the address of each request")
        if not config["REDIS_URL"] and not config["DATABASE_URL"].startswith("sqlite"):
            advice.append(
                f"{PREFIX}REDIS_URL is not set: mail and scheduled jobs run inside the web processes, and "
                "rate limits are counted per process"
            )
    return advice


def validate(config: Any) -> None:
    """Raise :class:`ConfigError` for settings that must not reach production."""
    problems = problems_of(config)
    if problems:
        raise ConfigError(problems)
