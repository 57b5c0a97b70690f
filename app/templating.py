"""Template filters and globals shared by every audience's pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date, format_time

from app.i18n import current_language
from eservices.text import localize


def localized(text: Any) -> str:
    """Content written by communicators (``{"sv": ..., "en": ...}``) in the current language."""
    return localize(text, current_language())


def local_datetime(value: datetime) -> str:
    """A moment as people in the installation's time zone read it: ``27 november 2026 14:05``."""
    return f"{format_date(value, 'long')} {format_time(value, 'HH:mm')}"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = lambda value: format_date(value, "long")
    app.jinja_env.globals["municipality"] = lambda: current_app.config["MUNICIPALITY_NAME"]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
