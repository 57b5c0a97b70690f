"""The resident-facing text for the error codes that ``eservices`` returns, in the request's locale."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_decimal, gettext, lazy_gettext, ngettext

from app.i18n import current_language
from eservices.fields import FieldError
from eservices.text import localize

MESSAGES: Mapping[str, Any] = {
    "required": lazy_gettext("Answer this question."),
    "consent_required": lazy_gettext("Tick the box to continue."),
    "too_long": lazy_gettext("The answer can be at most %(max)s characters long. It is now %(length)s."),
    "too_short": lazy_gettext("The answer must be at least %(min)s characters long."),
    "invalid_email": lazy_gettext("Enter an email address in the form name@example.com."),
    "invalid_phone": lazy_gettext("Enter a Swedish phone number, for example 070-123 45 67."),
    "not_a_number": lazy_gettext("Enter a number, for example 25 000."),
    "whole_number_required": lazy_gettext("Enter a whole number, without decimals."),
    "number_too_small": lazy_gettext("The number must be at least %(min)s."),
    "number_too_large": lazy_gettext("The number can be at most %(max)s."),
    "invalid_date": lazy_gettext("Enter a date that exists, in the form YYYY-MM-DD."),
    "date_too_early": lazy_gettext("The date cannot be earlier than %(min)s."),
    "date_too_late": lazy_gettext("The date cannot be later than %(max)s."),
    "date_not_after": lazy_gettext("The date must be later than %(date)s (%(other)s)."),
    "date_before": lazy_gettext("The date cannot be earlier than %(date)s (%(other)s)."),
    "invalid_choice": lazy_gettext("Choose one of the options."),
    "invalid_personnummer": lazy_gettext(
        "Enter the personal identity number with 10 or 12 digits, for example YYYYMMDD-NNNN."
    ),
    "personnummer_date": lazy_gettext("The personal identity number contains a date that does not exist."),
    "personnummer_check_digit": lazy_gettext(
        "The personal identity number is not correct. Check the digits, especially the last four."
    ),
    "samordningsnummer_not_allowed": lazy_gettext(
        "A coordination number cannot be used here. Enter a personal identity number."
    ),
    "invalid_postnummer": lazy_gettext("Enter a postcode with five digits, for example 664 30."),
    "file_empty": lazy_gettext("The file is empty. Choose another file."),
    "file_too_large": lazy_gettext("The file is too large. It can be at most %(max_mb)s MB."),
    "file_type_not_allowed": lazy_gettext("The file is not of a kind we accept. You can upload %(allowed)s."),
    "invalid_file": lazy_gettext("The file could not be received. Try again."),
    "file_damaged": lazy_gettext("The file could not be read. It may be damaged. Choose another file."),
    "file_active_content": lazy_gettext(
        "The PDF file contains scripts, attached files or a password, which we cannot accept. "
        "Save it again as an ordinary PDF, for example with Print to PDF, and upload that."
    ),
    "file_infected": lazy_gettext(
        "Our virus check found something harmful in the file, so it was not received. "
        "Check your computer or phone for viruses and send a clean copy."
    ),
    "file_not_scanned": lazy_gettext(
        "The file could not be checked for viruses just now, so it was not received. Try again in a while."
    ),
}


def _shown(value: Any) -> Any:
    if isinstance(value, date):
        return format_date(value, format="long")
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return format_decimal(value)
    if isinstance(value, Mapping):
        return localize(value, current_language())
    return value


def message_for(error: FieldError) -> str:
    """The message for ``error`` in the current locale, parameters formatted for that locale."""
    params = {key: _shown(value) for key, value in error.params.items()}
    if error.code == "too_many_decimals":
        return ngettext(
            "Enter the number with at most %(num)d decimal.",
            "Enter the number with at most %(num)d decimals.",
            int(error.params["decimals"]),
        )
    if error.code == "too_few_choices":
        return ngettext("Choose at least %(num)d option.", "Choose at least %(num)d options.", int(error.params["min"]))
    if error.code == "too_many_choices":
        return ngettext("Choose at most %(num)d option.", "Choose at most %(num)d options.", int(error.params["max"]))
    message = MESSAGES.get(error.code)
    if message is None:
        return gettext("The answer could not be accepted.")
    return str(message) % params if params else str(message)
