"""Localized text: content written by communicators, one string per language code.

Swedish (``sv``) is required and is the fallback for every other language. Interface strings that the
core needs (yes/no, error codes) are marked with :func:`N_` and translated by the caller's gettext.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

FALLBACK = "sv"

LocalizedText = Mapping[str, str]


def N_(message: str) -> str:
    """Mark ``message`` for extraction by Babel without translating it here."""
    return message


#: The regional variant whose formats (dates, numbers) a language uses: English as written in Europe
#: ("2 November 2026"), not in the United States.
FORMAT_LOCALES: Mapping[str, str] = {"en": "en_GB"}


def format_locale(language: str) -> str:
    """The Babel locale for formatting dates and numbers in ``language`` (``en`` -> ``en_GB``)."""
    code = language.replace("-", "_")
    return FORMAT_LOCALES.get(code, code)


def localize(text: LocalizedText | None, locale: str) -> str:
    """The text in ``locale`` (its language part), else in Swedish, else an empty string."""
    if not text:
        return ""
    language = locale.replace("-", "_").split("_")[0]
    return text.get(language) or text.get(FALLBACK) or ""


def language_used(text: LocalizedText | None, locale: str) -> str:
    """The language :func:`localize` takes ``text`` from for ``locale``: the locale's own, or Swedish."""
    language = locale.replace("-", "_").split("_")[0]
    return language if text and text.get(language) else FALLBACK


def direction(text: str) -> str:
    """``rtl`` or ``ltr``: the direction of the first letter with a strong direction (as ``dir="auto"`` does)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


#: Eastern Arabic and Persian digits, as Arabic and Persian keyboards type them, to the digits 0-9.
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def ascii_digits(text: str) -> str:
    """``text`` with Arabic-Indic and Persian digits written as 0-9; other characters unchanged."""
    return text.translate(ASCII_DIGITS)


def fold(value: str) -> str:
    """Lower-case ``value`` and strip diacritics, so ``Sophämtning`` and ``sophamtning`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
