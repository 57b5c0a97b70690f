"""Interface languages: which locale a request gets, and what templates need to switch language.

Order of choice: an explicit ``?lang=`` (remembered in the session), then the session, then the
browser's Accept-Language, then Swedish. A shared link carries ``?lang=`` and so opens in the language
it was shared in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from flask_babel import Babel, get_locale

from eservices.text import format_locale

#: Each language's name in itself, as the switch shows it.
LANGUAGE_NAMES: Mapping[str, str] = {
    "sv": "Svenska",
    "en": "English",
    "fi": "Suomi",
    "ar": "العربية",
    "fa": "فارسی",
    "so": "Soomaali",
    "uk": "Українська",
}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "ckb"})


def _chosen_language() -> str:
    offered = current_app.config["LANGUAGES"]
    explicit = request.args.get("lang")
    if explicit in offered:
        return str(explicit)
    remembered = session.get("lang")
    if remembered in offered:
        return str(remembered)
    return request.accept_languages.best_match(offered) or current_app.config["DEFAULT_LOCALE"]


def select_locale() -> str:
    language = _chosen_language()
    return format_locale(language)


def remember_explicit_choice() -> None:
    """Keep a ``?lang=`` choice for the rest of the visit."""
    explicit = request.args.get("lang")
    if explicit in current_app.config["LANGUAGES"] and session.get("lang") != explicit:
        session["lang"] = explicit


def current_language() -> str:
    """The interface language code of the request (``sv``, ``en``, ``ar``...), without region."""
    locale = get_locale()
    return str(locale.language) if locale is not None else current_app.config["DEFAULT_LOCALE"]


def url_in_language(code: str) -> str:
    """The current page's URL asking for language ``code``."""
    args = {key: value for key, value in request.args.items() if key != "lang"}
    args["lang"] = code
    return request.path + "?" + urlencode(args)


def template_context() -> dict[str, Any]:
    language = current_language()
    return {
        "current_language": language,
        "text_direction": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]],
        "url_in_language": url_in_language,
        "rtl_languages": RIGHT_TO_LEFT,
        "language_names": LANGUAGE_NAMES,
    }


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    app.before_request(remember_explicit_choice)
    app.context_processor(template_context)
