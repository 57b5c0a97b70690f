"""Template filters and globals shared by every audience's pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date, format_time
from markupsafe import Markup

from app.i18n import RIGHT_TO_LEFT, current_language
from eservices.text import language_used, localize


def localized(text: Any) -> str:
    """Content written by communicators (``{"sv": ..., "en": ...}``) in the current language."""
    return localize(text, current_language())


def lang_of(text: Any) -> Markup:
    """`` lang="sv" dir="ltr"`` for content written by communicators (``{"sv": ..., "en": ...}``) that is
    shown in Swedish because it has no translation into the page's language; nothing when it has.

    Screen readers then read it with a Swedish voice (WCAG 3.1.2, language of parts), and on an Arabic or
    Persian page its punctuation stays at the end of the sentence instead of jumping to the other side.
    """
    page = current_language()
    used = language_used(text, page)
    if used == page:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(used, "rtl" if used in RIGHT_TO_LEFT else "ltr")


def localized_part(text: Any) -> Markup:
    """Content written by communicators for a place inside a translated sentence: the text in the page's
    language, or its Swedish in a ``<span lang="sv" dir="ltr">`` (see :func:`lang_of`)."""
    attributes = lang_of(text)
    shown = localized(text)
    return Markup("<span{}>{}</span>").format(attributes, shown) if attributes else Markup.escape(shown)


def local_datetime(value: datetime) -> str:
    """A moment as people in the installation's time zone read it: ``27 november 2026 14:05``."""
    return f"{format_date(value, 'long')} {format_time(value, 'HH:mm')}"


def field_macros(field_type: str) -> Any:
    """The macros of one field type (``templates/macros/fields/<type>.html``), imported once per process.

    A ``{% import %}`` inside the loop over a page's questions costs Jinja a comparison of the page's
    globals with the macro file's on every question (about 0.1 ms each, a third of a twenty-question
    page); the module it returns is the same every time, as the macros see only globals, so it is kept.
    """
    return current_app.jinja_env.get_template(f"macros/fields/{field_type}.html").module


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["localized_part"] = localized_part
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = lambda value: format_date(value, "long")
    app.jinja_env.globals["field_macros"] = field_macros
    app.jinja_env.globals["lang_of"] = lang_of
    app.jinja_env.globals["municipality"] = lambda: current_app.config["MUNICIPALITY_NAME"]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
