"""Logs: one JSON object a line, each with the request id, and never a resident's personal data.

The request id comes from ``X-Request-ID`` when a trusted proxy set it (``TRUSTED_PROXIES`` > 0), and is
made up otherwise; it is sent back in the response header, written in the access log, and carried into
background tasks (see ``app.worker``), so one search finds everything a request caused.

Personal data is kept out twice: messages are written without it, and :func:`redact` removes what still
looks like an email address, a personnummer or a private token from every line (an SMTP error, for one,
quotes the recipient's address).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

#: the request (or the task started by one) being served in this thread
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
EMAIL = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[A-Za-z]{2,}")
# 12 or 10 digits, with or without the separator: personnummer and samordningsnummer alike.
PERSONNUMMER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+]?\d{4}(?!\d)")
# Private links carry random tokens of 32 bytes (43 characters) or SHA-256 hex digests in the path.
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,}")


def redact(text: str) -> str:
    """``text`` without anything that looks like an email address, a personnummer or a private token."""
    # Tokens first: a hex token holds runs of digits that would otherwise be taken for a personnummer.
    text = TOKEN.sub("[token]", text)
    text = EMAIL.sub("[email]", text)
    return PERSONNUMMER.sub("[personnummer]", text)


def loggable_path(path: str) -> str:
    """A request path for a log: no query string, and tokens in private links replaced."""
    return redact(path.split("?", 1)[0])


def current_request_id() -> str | None:
    return request_id_var.get()


def access_entry(status: str, method: str, path: str, sent: int | None, micros: int, request_id: str) -> str:
    """One access-log line: what was asked, the answer, how long it took, and the request id."""
    return json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "method": method,
            "path": loggable_path(path),
            "status": int(status) if status.isdigit() else status,
            "bytes": sent,
            "duration_ms": round(micros / 1000, 1),
            "request_id": request_id,
            "pid": os.getpid(),
        },
        ensure_ascii=False,
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "json") -> None:
    """Send every log record to standard error, as JSON (or plain text for a developer's terminal).

    Installs one handler on the root logger; calling it again only changes the level and format.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "endorrin", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.endorrin = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.setLevel(level.upper())
    # WeasyPrint reports every step of every PDF at INFO; its warnings are what an operator needs.
    logging.getLogger("weasyprint").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("weasyprint.progress").setLevel(max(logging.WARNING, root.level))


def init_logging(app: Flask) -> None:
    """JSON logs with a request id on every line; the id is also returned as ``X-Request-ID``."""
    if not app.testing:
        # Tests keep pytest's own log capture; everything else logs as production does.
        configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    @app.before_request
    def take_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        trusted = app.config["TRUSTED_PROXIES"] > 0 and ACCEPTED_REQUEST_ID.fullmatch(given)
        g.request_id = given if trusted else uuid.uuid4().hex
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def send_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def forget_request_id(exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
