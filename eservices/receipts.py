"""Receipts: a frozen snapshot -> HTML (sandboxed Jinja) -> an archival PDF/A-3a (WeasyPrint).

The receipt is rendered from the snapshot alone: primitive values, no database objects. The Jinja
environment is sandboxed and autoescaping, so a label written as ``<img src="file:///etc/passwd">``
shows as text. WeasyPrint may fetch only files below the static folder it is given (fonts, logo,
stylesheet); every other URL, ``file:`` or ``http:``, is refused without being opened.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from eservices.fields.file import format_size
from eservices.text import FALLBACK, N_, direction, format_locale, localize

PDF_VARIANT = "pdf/a-3a"
#: the receipt stylesheet, relative to the static folder
STYLESHEET = "css/receipt.css"
ANSWERS_ATTACHMENT = "answers.json"
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur", "ckb"})


# Translators: the page number at the foot of each receipt page; keep both placeholders.
PAGE_COUNTER = N_("Page %(page)s of %(pages)s")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    # No "<" or ">" either: the value goes inside a <style> element, which "</style>" would end.
    escaped = escaped.replace("<", "\\3c ").replace(">", "\\3e ")
    return f'"{escaped}"'


def page_counter_css(pattern: str) -> str:
    """A CSS ``content`` value from a translated pattern holding ``%(page)s`` and ``%(pages)s``."""
    marker = "\x00"
    parts = (pattern % {"page": marker + "page" + marker, "pages": marker + "pages" + marker}).split(marker)
    values = []
    for index, part in enumerate(parts):
        if index % 2:
            values.append(f"counter({part})")
        elif part:
            values.append(css_string(part))
    return " ".join(values)


def _moment(moment: datetime, locale: str) -> str:
    return f"{format_date(moment, 'long', locale=locale)} {format_time(moment, 'HH:mm', locale=locale)}"


class RefusedURL(ValueError):
    """A receipt tried to load something from outside the static folder."""


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files below ``root`` and refuses everything else.

    ``refused`` lists every URL that was asked for and refused, so tests (and logs) can see that
    nothing was fetched.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file"})
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith("file://"):
            self.refused.append(url)
            raise RefusedURL(url)
        path = Path(url.removeprefix("file://").split("?")[0].split("#")[0]).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise RefusedURL(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})


@dataclass(frozen=True)
class ReceiptContext:
    """What a receipt needs besides the snapshot; all of it comes from the caller."""

    municipality: str
    verification_code: str
    verify_url: str
    timezone: str = "Europe/Stockholm"


class ReceiptRenderer:
    """Renders receipts; build one per process and reuse it (the font configuration is shared).

    ``templates`` is the folder holding ``receipts/receipt.html``; ``static`` is the only folder the
    PDF may load files from. ``translations`` gives gettext/ngettext for a locale.
    """

    def __init__(
        self,
        templates: Path,
        static: Path,
        translations: Callable[[str], Any],
    ) -> None:
        self.static = static.resolve()
        self.templates = templates
        self.translations = translations
        # One sandboxed environment per locale, each with that locale's gettext installed, so renders in
        # different languages on different threads never see each other's translations.
        self._environments: dict[str, ImmutableSandboxedEnvironment] = {}
        self._translations: dict[str, Any] = {}
        self.font_config = FontConfiguration()
        # The stylesheet (and the @font-face rules in it) is parsed once per renderer, not per receipt.
        self.stylesheet = CSS(
            filename=str(self.static / STYLESHEET),
            url_fetcher=StaticOnlyFetcher(self.static),
            font_config=self.font_config,
        )

    def environment(self, locale: str) -> ImmutableSandboxedEnvironment:
        """The sandboxed, autoescaping environment for ``locale``."""
        environment = self._environments.get(locale)
        if environment is None:
            environment = ImmutableSandboxedEnvironment(
                loader=FileSystemLoader(str(self.templates)),
                autoescape=select_autoescape(default=True, default_for_string=True),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            translations = self.translations(locale)
            environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
            self._translations[locale] = translations
            self._environments[locale] = environment
        return environment

    def html(self, snapshot: Mapping[str, Any], context: ReceiptContext) -> str:
        """The receipt as HTML in the snapshot's locale."""
        locale = str(snapshot["locale"])
        received = datetime.fromisoformat(snapshot["submitted_at"]).astimezone(ZoneInfo(context.timezone))
        babel_locale = format_locale(locale)
        environment = self.environment(locale)
        template = environment.get_template("receipts/receipt.html")
        return template.render(
            lang=locale,
            dir="rtl" if locale.split("-")[0] in RIGHT_TO_LEFT else "ltr",
            snapshot=snapshot,
            text=lambda value: localize(value, locale),
            received=_moment(received, babel_locale),
            received_sv=_moment(received, FALLBACK),
            municipality=context.municipality,
            verification_code=context.verification_code,
            verify_url=context.verify_url,
            # A Latin address inside right-to-left text keeps its own direction.
            verify_link=Markup('<bdi dir="ltr">%s</bdi>') % context.verify_url,
            fallback=FALLBACK,
            # WeasyPrint does not isolate <bdi> by itself: each answer gets its direction spelled out.
            direction=direction,
            file_size=lambda size: format_size(size, babel_locale),
            # Already escaped for CSS (quotes, backslashes, < and >), so safe inside <style>.
            page_counter=Markup(page_counter_css(self._translations[locale].gettext(PAGE_COUNTER))),  # noqa: S704
            reference_css=Markup(css_string(str(snapshot["reference"]))),  # noqa: S704
        )

    def pdf(self, snapshot: Mapping[str, Any], context: ReceiptContext) -> bytes:
        """The receipt as a tagged PDF/A-3a with the answers embedded as JSON."""
        return self.pdf_from_html(self.html(snapshot, context), snapshot)

    def pdf_from_html(self, html: str, snapshot: Mapping[str, Any], fetcher: StaticOnlyFetcher | None = None) -> bytes:
        fetcher = fetcher or StaticOnlyFetcher(self.static)
        answers = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
        document = HTML(string=html, base_url=self.static.as_uri() + "/", url_fetcher=fetcher)
        stamp = datetime.fromisoformat(snapshot["submitted_at"])
        pdf = document.write_pdf(
            font_config=self.font_config,
            stylesheets=[self.stylesheet],
            pdf_variant=PDF_VARIANT,
            pdf_tags=True,
            pdf_identifier=str(snapshot["reference"]).encode("ascii"),
            custom_metadata=True,
            attachments=[
                Attachment(
                    string=answers,
                    name=ANSWERS_ATTACHMENT,
                    description="The filed answers (snapshot) as JSON",
                    created=stamp,
                    modified=stamp,
                    relationship="Data",
                    url_fetcher=fetcher,
                )
            ],
        )
        assert isinstance(pdf, bytes)
        return pdf
