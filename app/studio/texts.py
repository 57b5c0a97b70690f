"""What the studio calls things, in the communicator's language: field types, their settings and how
each is edited, the states of an e-service, and every problem a draft can have."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext, ngettext

from eservices.fields.file import KINDS

TYPE_NAMES: Mapping[str, Any] = {
    "text": lazy_gettext("Short text"),
    "textarea": lazy_gettext("Long text"),
    "choice": lazy_gettext("One choice among options"),
    "multichoice": lazy_gettext("Several choices among options"),
    "yesno": lazy_gettext("Yes or no"),
    "date": lazy_gettext("Date"),
    "number": lazy_gettext("Number"),
    "email": lazy_gettext("Email address"),
    "phone": lazy_gettext("Phone number"),
    "personnummer": lazy_gettext("Personal identity number"),
    "postnummer": lazy_gettext("Postcode"),
    "file": lazy_gettext("File upload"),
    "consent": lazy_gettext("Consent (a box to tick)"),
    "info": lazy_gettext("Information text (asks nothing)"),
}

STATE_NAMES: Mapping[str, Any] = {
    "draft_only": lazy_gettext("Draft, never published"),
    "published": lazy_gettext("Published"),
    "changed": lazy_gettext("Published, with unpublished changes"),
    "closed": lazy_gettext("Closed"),
    "archived": lazy_gettext("Archived"),
}


@dataclass(frozen=True)
class Setting:
    """How one type-specific setting is edited: ``kind`` is int, number, date_limit, text, line, flag,
    choice, kinds or date_field; ``choices`` for choice."""

    key: str
    label: Any
    kind: str
    hint: Any = None
    choices: tuple[tuple[str, Any], ...] = ()


AUTOCOMPLETE = (
    ("", lazy_gettext("(the default for this type of question)")),
    ("name", lazy_gettext("Full name")),
    ("given-name", lazy_gettext("First name")),
    ("family-name", lazy_gettext("Last name")),
    ("email", lazy_gettext("Email address")),
    ("tel", lazy_gettext("Phone number")),
    ("street-address", lazy_gettext("Street address")),
    ("postal-code", lazy_gettext("Postcode")),
    ("address-level2", lazy_gettext("Town")),
    ("organization", lazy_gettext("Organisation")),
)
_MIN_LENGTH = Setting("min_length", lazy_gettext("Fewest characters"), "int")
_AUTOCOMPLETE = Setting(
    "autocomplete",
    lazy_gettext("Filled in by the browser as"),
    "choice",
    lazy_gettext("Lets the resident's browser offer what it knows, which helps many people with disabilities."),
    AUTOCOMPLETE,
)
_DATE_LIMIT = lazy_gettext(
    "A date as YYYY-MM-DD, or today, today+14, today-30 for a date relative to the day of filling in."
)

#: For each field type, its settings in the order they are shown; a test checks these cover the registry.
SETTINGS: Mapping[str, tuple[Setting, ...]] = {
    "text": (
        Setting("max_length", lazy_gettext("Most characters"), "int", lazy_gettext("Default 200.")),
        _MIN_LENGTH,
        _AUTOCOMPLETE,
    ),
    "textarea": (
        Setting("max_length", lazy_gettext("Most characters"), "int", lazy_gettext("Default 4000.")),
        _MIN_LENGTH,
        Setting("rows", lazy_gettext("Height in lines"), "int", lazy_gettext("Default 6.")),
    ),
    "choice": (
        Setting(
            "widget",
            lazy_gettext("Shown as"),
            "choice",
            None,
            (("radio", lazy_gettext("Radio buttons")), ("select", lazy_gettext("A drop-down list (for long lists)"))),
        ),
    ),
    "multichoice": (
        Setting("min_choices", lazy_gettext("Fewest boxes to tick"), "int"),
        Setting("max_choices", lazy_gettext("Most boxes to tick"), "int"),
    ),
    "yesno": (),
    "date": (
        Setting("min", lazy_gettext("Earliest date"), "date_limit", _DATE_LIMIT),
        Setting("max", lazy_gettext("Latest date"), "date_limit", _DATE_LIMIT),
        Setting("after", lazy_gettext("Must be later than the date in"), "date_field"),
        Setting("not_before", lazy_gettext("May not be earlier than the date in"), "date_field"),
    ),
    "number": (
        Setting("min", lazy_gettext("Smallest number"), "number"),
        Setting("max", lazy_gettext("Largest number"), "number"),
        Setting("decimals", lazy_gettext("Decimals allowed"), "int", lazy_gettext("0 for whole numbers.")),
        Setting("unit", lazy_gettext("Unit shown after the box"), "line", lazy_gettext("For example kr or m².")),
    ),
    "email": (_AUTOCOMPLETE,),
    "phone": (_AUTOCOMPLETE,),
    "personnummer": (
        Setting("samordningsnummer", lazy_gettext("Also accept a co-ordination number (samordningsnummer)"), "flag"),
    ),
    "postnummer": (_AUTOCOMPLETE,),
    "file": (
        Setting("accept", lazy_gettext("Kinds of file allowed"), "kinds"),
        Setting(
            "max_size_mb", lazy_gettext("Largest file in megabytes"), "number", lazy_gettext("At most 50. Default 10.")
        ),
    ),
    "consent": (Setting("notice", lazy_gettext("What the resident agrees to"), "text"),),
    "info": (
        Setting("text", lazy_gettext("Text"), "text", lazy_gettext("A blank line starts a new paragraph.")),
        Setting(
            "style",
            lazy_gettext("Style"),
            "choice",
            None,
            (("plain", lazy_gettext("Plain")), ("important", lazy_gettext("Important (framed)"))),
        ),
    ),
}

FILE_KINDS = tuple(KINDS)

#: What the diff calls each thing that can change.
DIFF_KEYS: Mapping[str, Any] = {
    "title": lazy_gettext("Title"),
    "description": lazy_gettext("Description"),
    "category": lazy_gettext("Category"),
    "keywords": lazy_gettext("Search words"),
    "unit": lazy_gettext("Unit"),
    "anonymous": lazy_gettext("Anonymous"),
    "contact": lazy_gettext("Contact details"),
    "next_steps": lazy_gettext("What happens next"),
    "easy_read": lazy_gettext("Easy-to-read Swedish"),
    "retention_years": lazy_gettext("Cases kept (years)"),
    "intro": lazy_gettext("Introduction"),
    "show_when": lazy_gettext("Condition"),
    "position": lazy_gettext("Position"),
    "page": lazy_gettext("Page"),
    "type": lazy_gettext("Type"),
    "label": lazy_gettext("Question"),
    "help": lazy_gettext("Help text"),
    "required": lazy_gettext("Required"),
    "options": lazy_gettext("Options"),
}

PROBLEMS: Mapping[str, Any] = {
    "swedish_required": lazy_gettext("Write the Swedish text."),
    "not_localized": lazy_gettext("The text is not stored correctly. Write it again."),
    "bad_language": lazy_gettext("A translation has an unknown language code."),
    "not_text": lazy_gettext("The text is not stored correctly. Write it again."),
    "unknown_key": lazy_gettext("The setting %(key)s does not exist. Remove it or import the file again."),
    "not_a_form": lazy_gettext("The file does not describe an e-service."),
    "not_yaml": lazy_gettext("The file is not valid YAML (%(where)s)."),
    "bad_slug": lazy_gettext("The web address may only hold lower-case letters a–z, digits and hyphens."),
    "not_boolean": lazy_gettext("Choose yes or no."),
    "no_pages": lazy_gettext("Add at least one page."),
    "no_unit": lazy_gettext("Choose the unit that handles the cases."),
    "bad_keywords": lazy_gettext("The search words are not stored correctly. Write them again."),
    "bad_condition": lazy_gettext("The condition is not complete. Choose it again."),
    "condition_unknown_field": lazy_gettext(
        "The condition looks at the question %(field)s, which no longer comes before this one. "
        "Choose another condition or move the question."
    ),
    "condition_on_info": lazy_gettext("The condition looks at %(field)s, which asks nothing. Choose another."),
    "condition_unknown_answer": lazy_gettext(
        "The condition looks for the answer %(answer)s, which the question %(field)s no longer has."
    ),
    "not_a_page": lazy_gettext("The page is not stored correctly."),
    "bad_name": lazy_gettext("The technical name may only hold lower-case letters a–z, digits and _, first a letter."),
    "duplicate_page": lazy_gettext("Another page already has the technical name %(name)s."),
    "empty_page": lazy_gettext("The page has no questions. Add a question or remove the page."),
    "not_a_field": lazy_gettext("The question is not stored correctly."),
    "unknown_type": lazy_gettext("There is no type of question called %(type)s."),
    "duplicate_field": lazy_gettext("Another question already has the technical name %(name)s. Choose another."),
    "options_not_allowed": lazy_gettext("This type of question has no options."),
    "unknown_date_field": lazy_gettext("Choose a date question that comes before this one."),
    "no_options": lazy_gettext("Add at least one option."),
    "bad_option": lazy_gettext("An option is not stored correctly."),
    "duplicate_option": lazy_gettext("Two options have the same value %(value)s."),
    "bad_setting": lazy_gettext("Choose one of the settings offered."),
    "bad_date_limit": lazy_gettext("Write a date as YYYY-MM-DD, or today, today+14 or today-30."),
    "min_above_max": lazy_gettext("The lowest limit is higher than the highest."),
    "bad_file_size": lazy_gettext("Write a size above 0 and at most 50 megabytes."),
    "bad_count": lazy_gettext("Write a whole number of at least 1."),
    "too_few_options": lazy_gettext("More boxes must be ticked than there are options (%(count)s)."),
    "not_a_number": lazy_gettext("Write a number."),
    "bad_decimals": lazy_gettext("Write a whole number from 0 to 6."),
    "bad_retention": lazy_gettext("Write a whole number of years from 1 to 100."),
    "too_many_pages": lazy_gettext("An e-service can have at most %(limit)s pages."),
    "too_many_fields": lazy_gettext("An e-service can have at most %(limit)s questions in all."),
    "too_many_options": lazy_gettext("A question can have at most %(limit)s options."),
    "yaml_alias": lazy_gettext("The file uses YAML aliases (*name) at %(where)s. Write each text out in full."),
    "too_large": lazy_gettext("The e-service is too large: at most 1 MB."),
}


def problem_text(message: Any) -> str:
    """A draft problem in the interface language; its English text when it carries no known code."""
    code = getattr(message, "code", None)
    if code in PROBLEMS:
        params = {key: value for key, value in getattr(message, "params", {}).items()}
        return str(PROBLEMS[code]) % params if params else str(PROBLEMS[code])
    return str(message)


STUDIO_ERRORS: Mapping[str, Any] = {
    "bad_slug": lazy_gettext("The web address may only hold lower-case letters a–z, digits and hyphens."),
    "slug_taken": lazy_gettext("The web address %(slug)s is already used by another e-service."),
    "has_draft": lazy_gettext("The e-service already has a draft. Publish or discard it first."),
    "no_draft": lazy_gettext("The e-service has no draft."),
    "only_draft": lazy_gettext("The draft is all the e-service has. Archive the e-service instead."),
    "slug_changed": lazy_gettext("The draft's web address differs from the e-service's."),
    "no_version": lazy_gettext("There is no such version."),
    "not_published": lazy_gettext("The e-service is not published."),
    "period_reversed": lazy_gettext("The first day of the open period is after the last."),
    "unit_not_allowed": lazy_gettext("You may not edit e-services of the unit %(unit)s."),
}


def studio_error_text(code: str, params: Mapping[str, Any]) -> str:
    if code == "has_problems":
        return ngettext(
            "The draft has %(num)d problem to put right before it can be published.",
            "The draft has %(num)d problems to put right before it can be published.",
            int(params.get("count", 0)),
        )
    text = STUDIO_ERRORS.get(code)
    if text is None:
        return code
    return str(text) % params if params else str(text)
