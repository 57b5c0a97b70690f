"""Every piece of interface text comes through the catalogs.

A pseudo catalog wraps each message in ⟦ ⟧. The test walks the resident's, the staff's and the
administrator's pages with it and fails on any visible text that is neither wrapped nor content (what
communicators wrote in forms/, what the resident typed, names, numbers, dates).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import RECOVERY_CODE, ROOT, TOTP_SECRET, Resident, totp_now
from flask import Flask
from sqlalchemy.orm import Session

from app import create_app
from app.i18n import LANGUAGE_NAMES
from app.services import accounts
from eservices.fields.file import KINDS
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.validation import field_visible, prune

PSEUDO = "en"  # the pseudo catalog stands in for English; its formats (dates) are English too


def pseudo_catalog(directory: Path) -> None:
    # Extracted afresh from the code, so a string added without updating the catalogs is caught too.
    pot = directory / "messages.pot"
    subprocess.run(
        [Path(sys.executable).parent / "pybabel", "-q", "extract", "-F", "translations/babel.cfg",
         "-k", "lazy_gettext", "-k", "N_", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as source:
        template = read_po(source)
    catalog = Catalog(locale=PSEUDO)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalog.add(message.id, tuple(f"⟦{part}⟧" for part in message.id))
        else:
            catalog.add(message.id, f"⟦{message.id}⟧")
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as out:
        write_mo(out, catalog)


class Text(HTMLParser):
    """The visible text of a page: text nodes outside script and style."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def content_strings() -> set[str]:
    """Every text communicators wrote in forms/: whole, by paragraph and by line."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.add(value.strip())
            found.update(part.strip() for part in re.split(r"\n\n|\n", value) if part.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (ROOT / "forms").glob("*.yaml"):
        walk(dict(load_file(path).data))
    return found


CONTENT = {" ".join(text.split()) for text in content_strings()}
LOCALE = Locale.parse("en_GB")
CALENDAR = re.compile(
    r"\b(" + "|".join([*LOCALE.months["format"]["wide"].values(), *LOCALE.days["format"]["wide"].values()]) + r")\b"
)
NEUTRAL = re.compile(r"GRU-\d{4}-\d{5}[A-Z]|[\w.+-]+@[\w.-]+|https?://\S+|\b\d[\d\s:.,/-]*\b|\b(kB|MB)\b")


def leftovers(html: str, allowed: list[str]) -> list[str]:
    """Text nodes that are neither from the catalogs nor content nor neutral (numbers, dates, addresses)."""
    parser = Text()
    parser.feed(html)
    known = (
        CONTENT | set(allowed) | set(LANGUAGE_NAMES.values()) | {"Grums kommun", "Om e-tjänsterna på lättläst svenska"}
    )
    found = []

    def accepted(text: str) -> bool:
        if not text or text in known or text.strip(" ()") in known:
            return True
        if text.endswith("...") and any(item.startswith(text[:-3].rstrip()) for item in CONTENT):
            return True  # a description shortened in the catalog
        return not re.sub(r"[\s\W_]+", "", NEUTRAL.sub(" ", CALENDAR.sub(" ", text)))

    for node in parser.parts:
        while re.search(r"⟦[^⟦⟧]*⟧", node):  # messages may hold other messages: innermost first
            node = re.sub(r"⟦[^⟦⟧]*⟧", " ", node)
        whole = " ".join(node.split())
        if accepted(whole) or all(accepted(p.strip(" –·:")) for p in re.split(r"\s[–·/]\s", whole)):
            continue
        rest = " ".join(node.replace("Grums kommun", " ").split()).strip(" –·:")
        if accepted(rest):
            continue
        # Titles join content with " – " ("Page title – E-service – Grums kommun"), lists of answers with " / ":
        # check each part.
        found.extend(part for part in (p.strip(" –·:") for p in re.split(r"\s[–·/]\s", rest)) if not accepted(part))
    return found


@pytest.fixture
def pseudo_app(app: Flask, db: Session, tmp_path: Path) -> Iterator[Flask]:
    pseudo_catalog(tmp_path)
    pseudo = create_app({**app.config, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})
    yield pseudo
    pseudo.extensions["db_engine"].dispose()  # its own pool: closed here, not left to the garbage collector


def check(browser: Resident, url: str, extra: list[str], status: int = 200) -> None:
    response = browser.get(url + ("&" if "?" in url else "?") + f"lang={PSEUDO}")
    assert response.status_code == status, url
    found = leftovers(browser.html, extra)
    assert found == [], f"{url}: text not from the catalogs: {found}"


def test_every_page_speaks_only_through_the_catalogs(pseudo_app: Flask, db: Session) -> None:
    # What people typed or named (not interface text): answers, names, unit short names.
    typed = [
        "Anna Andersson", "Exempel", "Det här är ett exempel på ett längre svar.", "Det kan ha flera rader.",
        "exempel.pdf", "bilaga.pdf", "Hanna Handläggare", "admin@grums.se", "Administratör", "kommunledning",
        "samhallsbyggnad", "barn-och-utbildning", "socialforvaltningen",
    ]  # fmt: skip
    resident = Resident(pseudo_app.test_client())
    check(resident, "/", typed)
    check(resident, "/?q=sophamtning", typed)
    check(resident, "/?q=rymdraket", typed)
    check(resident, "/verify", typed)
    check(resident, "/e/finns-inte", typed, status=404)

    definition = load_file(ROOT / "forms" / "begaran-om-allman-handling.yaml")
    answers = sample_answers(definition, date.today())
    typed += [" ".join(value.split()) for value in answers.values() if isinstance(value, str)]
    check(resident, f"/e/{definition.slug}", typed)
    resident.post(f"/e/{definition.slug}/start?lang={PSEUDO}")
    resident.answer({}, action="next")  # every required question unanswered: the error summary
    assert 'class="error-summary"' in resident.html
    assert leftovers(resident.html, typed) == []
    while "/page/" in resident.url:
        index = int(resident.url.rsplit("/", 1)[1]) - 1
        kept = prune(definition, answers)
        data = {
            f.name: f.type.to_form(f.spec, answers[f.name])
            for f in definition.pages[index].fields
            if f.type.has_input and field_visible(f, kept)
        }
        resident.answer(data)
        assert leftovers(resident.html, typed) == [], resident.url
    assert resident.url.endswith("/review")
    resident.submit()
    assert leftovers(resident.html, typed) == []
    follow = resident.url.replace("/receipt/", "/case/")
    check(resident, follow, typed)

    now = datetime.now(UTC)
    session = pseudo_app.extensions["db_sessionmaker"]()
    from sqlalchemy import select

    from app.models import AuditEvent, Unit

    # Loading the bundled e-services is audited: data, written by the system, not interface text.
    loaded = session.scalars(select(AuditEvent).where(AuditEvent.actor_label == "forms load")).all()
    system_data = ["forms load"] + ["; ".join(f"{k}: {v}" for k, v in e.data.items()) for e in loaded]
    user = accounts.create_user(session, "hanna@grums.se", "Hanna Handläggare", "ett-langt-losenord-1", now)
    accounts.grant(session, user, "staff", session.scalar(select(Unit).where(Unit.key == "kommunledning")), now)
    accounts.grant(session, user, "admin", None, now)
    session.commit()
    session.close()
    staff = Resident(pseudo_app.test_client())
    check(staff, "/auth/login", typed)
    staff.post(f"/auth/login?lang={PSEUDO}", {"email": "hanna@grums.se", "password": "ett-langt-losenord-1"})
    assert staff.url == "/auth/mfa/enrol"
    secret = TOTP_SECRET.search(staff.html).group(1)
    check(staff, "/auth/mfa/enrol", [*typed, secret])
    staff.post(f"/auth/mfa/enrol?lang={PSEUDO}", {"code": totp_now(secret)})
    assert leftovers(staff.html, [*typed, *RECOVERY_CODE.findall(staff.html)]) == []
    check(staff, "/staff/", typed)
    reference = re.search(r"GRU-\d{4}-\d{5}[A-Z]", staff.html).group(0)
    check(staff, f"/staff/cases/{reference}", typed)
    for url in ("/admin/", "/admin/units", "/admin/users/new", "/admin/audit"):
        check(staff, url, [*typed, *system_data, "login", "case_viewed", "user_created", "second_factor: app"])


def test_the_studio_speaks_only_through_the_catalogs(pseudo_app: Flask, db: Session) -> None:
    session = pseudo_app.extensions["db_sessionmaker"]()
    accounts.grant(
        session, accounts.create_user(session, "kim@grums.se", "Kim Kommunikatör", "ett-langt-losenord-1",
                                      datetime.now(UTC)), "admin", None, datetime.now(UTC),
    )  # fmt: skip
    session.commit()
    session.close()
    # Technical names are data a communicator chose: field names, page keys, slugs, file kinds.
    names = ["Kim Kommunikatör", "kommunledning", "samhallsbyggnad", "barn-och-utbildning", "socialforvaltningen"]
    for path in (ROOT / "forms").glob("*.yaml"):
        data = load_file(path).data
        names += [data["slug"], f"/e/{data['slug']}"]
        for page in data["pages"]:
            names.append(page["key"])
            names += [item["name"] for item in page["fields"]]
    names += [kind.upper() for kind in KINDS]
    browser = Resident(pseudo_app.test_client())
    browser.get("/auth/login")
    browser.post(f"/auth/login?lang={PSEUDO}", {"email": "kim@grums.se", "password": "ett-langt-losenord-1"})
    browser.post(f"/auth/mfa/enrol?lang={PSEUDO}", {"code": totp_now(TOTP_SECRET.search(browser.html).group(1))})
    for url in ("/studio/", "/studio/?archived=1", "/studio/new", "/studio/import"):
        check(browser, url, names)
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        slug = path.stem
        check(browser, f"/studio/e/{slug}", names)
        browser.post(f"/studio/e/{slug}/draft", {})
        data = load_file(path).data
        urls = [
            f"/studio/e/{slug}", f"/studio/e/{slug}/settings", f"/studio/e/{slug}/translate/fi",
            f"/studio/e/{slug}/opening", f"/studio/e/{slug}/versions", f"/studio/e/{slug}/preview",
            *(f"/studio/e/{slug}/pages/{page['key']}" for page in data["pages"]),
            *(f"/studio/e/{slug}/fields/{item['name']}" for page in data["pages"] for item in page["fields"]),
        ]  # fmt: skip
        for url in urls:
            check(browser, url, names)
