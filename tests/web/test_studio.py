"""The studio as communicators use it: build an e-service from nothing, translate, preview, publish, change
and republish it; what residents and earlier cases see; who may do what; bad input and two editors."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import reread, statements
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, EService, FormVersion, Submission, Unit
from app.services import studio
from eservices.fields import REGISTRY
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.validation import field_visible, prune

ROOT = Path(__file__).resolve().parents[2]
SLUG = "ansokan-om-lekplats"


def revision(html: str) -> str:
    found = re.search(r'name="revision" value="(\d+)"', html)
    assert found, "the page has no revision field"
    return found.group(1)


def flash_text(html: str) -> str:
    found = re.search(r'<div class="notification" role="status">(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def problems_on(html: str) -> list[str]:
    block = re.search(r'<div class="problems" id="problems">(.*?)</div>', html, re.S)
    if not block:
        return []
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    ]


class FormReader(HTMLParser):
    """The controls of every form on a page, with what a browser would send for each as the page stands."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.inside_form = False
        self.select: tuple[str, list[tuple[str, bool]]] | None = None  # name, (value, selected) per option
        self.option: dict[str, str | None] | None = None  # the open <option> while its text is read
        self.textarea: str | None = None  # the open <textarea>'s name while its text is read
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside_form = True
            self.forms.append([])
        elif not self.inside_form or "disabled" in found:
            return
        elif tag == "input" and found.get("name"):
            kind = (found.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in found:
                return
            self.forms[-1].append(
                (str(found["name"]), found.get("value") or ("on" if kind in ("checkbox", "radio") else ""))
            )
        elif tag == "select" and found.get("name"):
            self.select = (str(found["name"]), [])
        elif tag == "option" and self.select is not None:
            self.option, self.text = found, ""
        elif tag == "textarea" and found.get("name"):
            self.textarea, self.text = str(found["name"]), ""

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside_form = False
        elif tag == "option" and self.option is not None and self.select is not None:
            value = self.option.get("value")
            self.select[1].append((self.text.strip() if value is None else value, "selected" in self.option))
            self.option = None
        elif tag == "select" and self.select is not None:
            name, options = self.select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self.forms[-1].extend((name, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # a browser drops the one line break that may follow the opening tag
            self.forms[-1].append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None


def sent_by(html: str) -> dict[str, str | list[str]]:
    """What the page's edit form (the one that carries the draft's revision) sends when saved as it stands;
    a name sent more than once (check boxes) gives the list of its values."""
    reader = FormReader()
    reader.feed(html)
    [form] = [each for each in reader.forms if any(name == "revision" for name, _value in each)]
    sent: dict[str, str | list[str]] = {}
    for name, value in form:
        if name in sent:
            before = sent[name]
            sent[name] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            sent[name] = value
    return sent


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""

    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class Page(HTMLParser):
    """A page's elements in document order, each with its attributes and its text (that of its children too)."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def by_id(self, element_id: str) -> Element:
        [found] = [e for e in self.elements if e.attrs.get("id") == element_id]
        return found

    def named_text(self, element: Element, attribute: str) -> list[str]:
        """The texts of the elements that ``attribute`` (aria-describedby, aria-labelledby) points at."""
        ids = (element.attrs.get(attribute) or "").split()
        return [re.sub(r"\s+", " ", self.by_id(each).text).strip() for each in ids]


class Studio:
    """A communicator in the studio: helpers that press the studio's buttons."""

    def __init__(self, staff: Any, slug: str = SLUG) -> None:
        self.staff = staff
        self.slug = slug

    def overview(self) -> str:
        self.staff.get(f"/studio/e/{self.slug}")
        assert self.staff.page.status_code == 200
        return self.staff.html

    def op(self, op: str, **extra: str) -> Any:
        html = self.overview()
        return self.staff.post(f"/studio/e/{self.slug}/structure", {"op": op, "revision": revision(html), **extra})

    def add_field(self, page: str, type_name: str, label: str) -> str:
        self.op(f"add_field:{page}", **{f"type-{page}": type_name, f"label-{page}": label})
        assert self.staff.page.status_code == 200
        assert "/fields/" in self.staff.url, flash_text(self.staff.html)
        return self.staff.url.rsplit("/", 1)[1]

    def edit_field(self, field_name: str, **data: Any) -> Any:
        """Open the question's page and save its form as a browser would send it, with ``data`` changed."""
        self.staff.get(f"/studio/e/{self.slug}/fields/{field_name}")
        assert self.staff.page.status_code == 200
        form = {**sent_by(self.staff.html), "then": "back", **data}
        return self.staff.post(f"/studio/e/{self.slug}/fields/{field_name}", form)

    def publish(self) -> Any:
        html = self.overview()
        return self.staff.post(f"/studio/e/{self.slug}/publish", {"revision": revision(html)})


@pytest.fixture
def communicator(login_as: Any) -> Studio:
    return Studio(login_as("communicator", "kommunledning", name="Kim Kommunikatör"))


def create(studio_client: Studio, title: str = "Ansökan om lekplats", slug: str = SLUG) -> None:
    staff = studio_client.staff
    staff.get("/studio/new")
    unit = re.search(r'<option value="(\d+)">Kommunledningsförvaltningen', staff.html).group(1)
    staff.post("/studio/new", {"title": title, "slug": slug, "unit": unit})
    assert staff.url == f"/studio/e/{slug}", flash_text(staff.html)


def build_every_type(s: Studio) -> dict[str, str]:
    """A form with one question of every type, a condition, and the texts it needs; returns type -> name."""
    names = {}
    s.op("add_page", page_title="Kontakt")
    for type_name in REGISTRY:
        page = "sida_1" if type_name not in ("email", "phone", "postnummer") else "kontakt"
        names[type_name] = s.add_field(page, type_name, f"Fråga av typen {type_name}")
    s.edit_field(names["choice"], **{"option-0-label": "Gungor", "option-1-label": "Rutschkana", "option_count": "0"})
    s.edit_field(names["multichoice"], **{"option-0-label": "Sand", "option-1-label": "Gräs", "option_count": "0"})
    s.edit_field(names["consent"], **{"setting-notice": "Vi sparar dina uppgifter i två år."})
    s.edit_field(names["info"], **{"setting-text": "Läs detta först.", "setting-style": "important"})
    s.edit_field(names["file"], required="")
    s.edit_field(names["email"], show_when=f"{names['yesno']}=yes")
    assert s.staff.page.status_code == 200, "the condition was not saved"
    return names


def test_a_communicator_builds_translates_previews_publishes_and_a_resident_files_it(
    app: Flask, db: Session, communicator: Studio, resident: Any
) -> None:
    s = communicator
    create(s)
    html = s.overview()
    assert "Utkast, aldrig publicerad" in html
    # A new e-service has problems to put right, each named where it is.
    listed = problems_on(html)
    assert any("Sida 1" in p and "Sidan har inga frågor." in p for p in listed), listed

    names = build_every_type(s)
    s.staff.get(f"/studio/e/{SLUG}/settings")
    settings_page = s.staff.html
    s.staff.post(
        f"/studio/e/{SLUG}/settings",
        {
            "revision": revision(settings_page),
            "title": "Ansökan om lekplats",
            "description": "Ansök om en ny lekplats i ditt område.",
            "category": "Bygga, bo och miljö",
            "keywords": "gunga, lek",
            "unit": "kommunledning",
            "contact": "Kommunledningsförvaltningen, 0555-420 00",
            "next_steps": "Vi svarar inom fyra veckor.",
            "retention": "2",
            "easy_read": "",
        },
    )
    assert problems_on(s.overview()) == []

    # Translate everything into English, side by side with the Swedish.
    s.staff.get(f"/studio/e/{SLUG}/translate/en")
    page = s.staff.html
    assert "inte översatt" in page
    paths = re.findall(r'name="t-([^"]+)"', page)
    assert "title" in paths and "option:" + names["choice"] + ":rutschkana" in paths
    data = {f"t-{path}": f"EN {path}" for path in paths}
    data["t-title"] = "Application for a playground"
    s.staff.post(f"/studio/e/{SLUG}/translate/en", {"revision": revision(page), **data})
    assert "Alla texter är översatta." in s.staff.html
    assert re.search(r"English</bdi></a>:\s*klar", s.overview())

    # Preview in English: the same pages residents get, with validation, and nothing filed.
    s.staff.get(f"/studio/e/{SLUG}/preview?lang=en")
    assert "Preview." in s.staff.html and "Application for a playground" in s.staff.html
    s.staff.post(f"/studio/e/{SLUG}/preview/start")
    assert s.staff.url.endswith("/preview/page/1")
    s.staff.answer({})
    assert s.staff.page.status_code == 200 and "error-summary" in s.staff.html  # validation, as for residents
    cases_before = db.scalar(select(Submission.id).limit(1))
    assert cases_before is None

    s.staff.get(f"/studio/e/{SLUG}?lang=sv")  # back to Swedish: the language chosen stays for the session
    published = s.publish()
    assert "Version 1 är publicerad" in flash_text(published.get_data(as_text=True))
    reread(db)
    version = db.scalar(select(FormVersion).join(EService).where(EService.slug == SLUG))
    assert version is not None and version.status == "published" and version.published_by_id == s.staff.user.id
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "eservice_published")) is not None

    # A resident finds it in the catalog and files it.
    resident.get("/?q=lekplats")
    assert f"/e/{SLUG}" in resident.html
    resident.start(SLUG)
    answers = {
        names["text"]: "Anna",
        names["yesno"]: "yes",
        names["textarea"]: "En lekplats med gungor.",
        names["choice"]: "gungor",
        names["multichoice"]: ["sand"],
        names["date"]: "2027-01-02",
        names["number"]: "3",
        names["personnummer"]: "19121212-1212",
        names["consent"]: "yes",
    }
    resident.answer(answers)
    assert resident.url.endswith("/page/2"), re.findall(r'id="field-(\w+)-error"', resident.html)
    resident.answer({names["email"]: "anna@example.se", names["phone"]: "070-123 45 67", names["postnummer"]: "664 30"})
    assert resident.url.endswith("/review")
    resident.submit()
    reread(db)
    case = db.scalar(select(Submission).join(EService).where(EService.slug == SLUG))
    assert case is not None and case.form_version_id == version.id


def test_republishing_keeps_earlier_cases_and_residents_who_started_on_the_old_version(
    app: Flask, db: Session, communicator: Studio, resident: Any, login_as: Any
) -> None:
    s = communicator
    create(s)
    first = s.add_field("sida_1", "text", "Var ska lekplatsen ligga?")
    s.staff.get(f"/studio/e/{SLUG}/settings")
    s.staff.post(
        f"/studio/e/{SLUG}/settings",
        {
            "revision": revision(s.staff.html),
            "title": "Ansökan om lekplats",
            "description": "Ansök om en lekplats.",
            "category": "Bygga, bo och miljö",
            "unit": "kommunledning",
        },
    )
    s.publish()
    resident.start(SLUG)
    resident.answer({first: "Vid skolan"})
    resident.submit()
    reread(db)
    early = db.scalar(select(Submission).join(EService).where(EService.slug == SLUG))
    assert early is not None

    late = type(resident)(app.test_client())
    late.start(SLUG)  # begins on version 1

    # A new draft from the published version: the question is rewritten and another added.
    s.staff.get(f"/studio/e/{SLUG}")
    s.staff.post(f"/studio/e/{SLUG}/draft", {})
    s.edit_field(first, label="Vilken plats gäller det?")
    second = s.add_field("sida_1", "textarea", "Varför behövs den?")
    s.edit_field(second, required="")
    s.staff.get(f"/studio/e/{SLUG}/versions?from=1&to=draft")
    changes = s.staff.html
    assert "Vid skolan" not in changes
    assert "Var ska lekplatsen ligga?" in changes and "Vilken plats gäller det?" in changes and "tillagd" in changes
    assert "Version 2 är publicerad" in flash_text(s.publish().get_data(as_text=True))

    # The resident who started on version 1 finishes on it.
    late.answer({first: "Vid kyrkan"})
    late.submit()
    reread(db)
    cases = db.scalars(select(Submission).join(EService).where(EService.slug == SLUG).order_by(Submission.id)).all()
    versions = {v.number: v.id for v in db.scalars(select(FormVersion).join(EService).where(EService.slug == SLUG))}
    assert [c.form_version_id for c in cases] == [versions[1], versions[1]]
    # The earlier case still shows the earlier question to the handläggare.
    officer = login_as("staff", "kommunledning")
    officer.get(f"/staff/cases/{early.reference}")
    assert "Var ska lekplatsen ligga?" in officer.html and "Vilken plats gäller det?" not in officer.html
    # A new resident gets version 2.
    resident2 = type(resident)(app.test_client())
    resident2.start(SLUG)
    assert "Vilken plats gäller det?" in resident2.html and "Varför behövs den?" in resident2.html


def test_each_draft_problem_is_named_where_it_is_and_publishing_is_refused(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = communicator
    create(s)
    choice = s.add_field("sida_1", "choice", "Vilken sorts lekplats?")
    asks = s.add_field("sida_1", "yesno", "Vill du bli kontaktad?")
    depends = s.add_field("sida_1", "email", "E-post")
    s.edit_field(depends, show_when=f"{asks}=yes")
    s.op("add_page", page_title="Tom sida")
    s.op(f"field_remove:{asks}")  # the condition now points at a question that no longer exists
    html = s.overview()
    found = problems_on(html)
    texts = " | ".join(found)
    assert (
        "Frågan ”Vilken sorts lekplats?” på sida 1: Lägg till minst ett alternativ." in texts
    )  # choice with no options
    assert f"Villkoret gäller frågan {asks}, som inte längre kommer före den här." in texts
    assert "Sida 2 ”Tom sida”: Sidan har inga frågor." in texts
    assert "Om e-tjänsten: Beskrivning: Skriv den svenska texten." in texts  # description, category
    # Each problem links to where it is put right, and is shown there too.
    s.staff.get(f"/studio/e/{SLUG}/fields/{choice}")
    assert "Lägg till minst ett alternativ." in s.staff.html
    response = s.publish()
    reread(db)
    assert "fel som måste rättas innan det kan publiceras" in flash_text(response.get_data(as_text=True))
    assert (
        db.scalar(
            select(FormVersion).where(FormVersion.status == "published").join(EService).where(EService.slug == SLUG)
        )
        is None
    )
    # A duplicate technical name is refused where it is typed.
    other = s.add_field("sida_1", "text", "Namn")
    s.edit_field(other, name=choice)
    assert s.staff.page.status_code == 422 and "En annan fråga har redan det tekniska namnet" in s.staff.html


def test_two_communicators_editing_the_same_draft_the_later_is_told_and_loses_nothing(
    app: Flask, db: Session, communicator: Studio, login_as: Any
) -> None:
    s = communicator
    create(s)
    name = s.add_field("sida_1", "text", "Namn")
    other = Studio(login_as("communicator", "kommunledning", name="Olle Omvärld"))
    s.staff.get(f"/studio/e/{SLUG}/fields/{name}")
    stale = revision(s.staff.html)
    other.edit_field(name, label="Ditt namn")
    s.staff.post(
        f"/studio/e/{SLUG}/fields/{name}",
        {"revision": stale, "name": name, "type": "text", "label": "Förnamn och efternamn"},
    )
    assert s.staff.page.status_code == 409
    assert "Olle Omvärld sparade ändringar i utkastet" in s.staff.html
    assert 'value="Förnamn och efternamn"' in s.staff.html  # what was typed is still there
    s.staff.post(
        f"/studio/e/{SLUG}/fields/{name}",
        {
            "revision": revision(s.staff.html),
            "name": name,
            "type": "text",
            "label": "Förnamn och efternamn",
            "then": "back",
        },
    )
    reread(db)
    draft = studio.draft_of(db.scalar(select(EService).where(EService.slug == SLUG)))
    assert draft.definition["pages"][0]["fields"][0]["label"]["sv"] == "Förnamn och efternamn"


def test_crafted_posts_are_refused_or_harmless(app: Flask, db: Session, communicator: Studio, resident: Any) -> None:
    s = communicator
    create(s)
    html = s.overview()
    s.staff.post(
        f"/studio/e/{SLUG}/structure",
        {"op": "add_field:sida_1", "type-sida_1": "script", "label-sida_1": "x", "revision": revision(html)},
    )
    assert "Välj typ av fråga." in flash_text(s.staff.html)
    name = s.add_field("sida_1", "text", '<script>alert("x")</script>')
    s.edit_field(name, type="bogus")  # unknown type: the form keeps the old one
    s.edit_field(name, show_when=f"{name}=yes")  # a condition on itself (a loop) is not offered
    assert s.staff.page.status_code == 422 and "Välj ett av villkoren i listan." in s.staff.html
    s.overview()
    assert "<script>alert" not in s.staff.html, s.staff.html[s.staff.html.index("<script>alert") - 300 :][:500]
    assert "&lt;script&gt;" in s.staff.html
    # A form with 10,000 questions cannot be made: neither by import nor by adding.
    huge = {
        "slug": "jatte",
        "title": "Jätte",
        "description": "x",
        "category": "x",
        "unit": {"key": "kommunledning", "name": "Kommunledningsförvaltningen"},
        "pages": [
            {
                "key": "p",
                "title": "P",
                "fields": [{"name": f"f{i}", "type": "text", "label": "x"} for i in range(10000)],
            }
        ],
    }
    s.staff.get("/studio/import")
    s.staff.post("/studio/import", {"file": (io.BytesIO(yaml.safe_dump(huge).encode()), "jatte.yaml")})
    assert s.staff.page.status_code == 422 and "högst 400" in s.staff.html
    assert db.scalar(select(EService).where(EService.slug == "jatte")) is None


def test_access_only_communicators_of_the_unit_edit_staff_preview_residents_see_published(
    app: Flask, db: Session, communicator: Studio, login_as: Any, client: Any
) -> None:
    create(communicator)
    communicator.add_field("sida_1", "text", "Namn")
    outsider = login_as("communicator", "samhallsbyggnad")
    outsider.get(f"/studio/e/{SLUG}")
    assert outsider.page.status_code == 404
    officer = login_as("staff", "kommunledning")
    officer.get(f"/studio/e/{SLUG}/preview")
    assert officer.page.status_code == 200
    officer.get(f"/studio/e/{SLUG}/settings")
    assert officer.page.status_code == 403
    other_officer = login_as("staff", "samhallsbyggnad")
    other_officer.get(f"/studio/e/{SLUG}/preview")
    assert other_officer.page.status_code == 404
    assert client.get(f"/e/{SLUG}").status_code == 404  # a draft is not shown to residents
    assert client.get("/studio/").status_code == 302  # to sign in


def test_close_with_a_message_and_an_open_period_then_archive(
    app: Flask, db: Session, communicator: Studio, resident: Any
) -> None:
    # The communicator of kommunledning does not own samhällsbyggnad's e-services: the opening page is not
    # found for them (as for anyone outside the unit), and closing one through it does nothing.
    s = Studio(communicator.staff, "uppehall-i-sophamtning")
    s.staff.get("/studio/e/uppehall-i-sophamtning/opening")
    assert s.staff.page.status_code == 404
    s.staff.post(
        "/studio/e/uppehall-i-sophamtning/opening",
        {"closed": "yes", "message": "Stängt av fel förvaltning.", "open_from": "", "open_until": ""},
    )
    assert s.staff.page.status_code == 404
    resident.get("/e/uppehall-i-sophamtning")
    assert resident.page.status_code == 200 and "Stängt av fel förvaltning." not in resident.html
    assert "E-tjänsten är stängd just nu" not in resident.html
    s = Studio(communicator.staff, "synpunkter-och-klagomal")
    s.staff.get("/studio/e/synpunkter-och-klagomal/opening")
    s.staff.post(
        "/studio/e/synpunkter-och-klagomal/opening",
        {"closed": "yes", "message": "Stängt för underhåll till måndag.", "open_from": "", "open_until": ""},
    )
    resident.get("/e/synpunkter-och-klagomal")
    assert "E-tjänsten är stängd just nu" in resident.html
    assert "Stängt för underhåll till måndag." in resident.html
    resident.get("/")
    assert "/e/synpunkter-och-klagomal" not in resident.html
    s.staff.get("/studio/e/synpunkter-och-klagomal/opening")
    s.staff.post("/studio/e/synpunkter-och-klagomal/opening", {"open_from": "2099-05-01", "open_until": "2099-09-30"})
    resident.get("/e/synpunkter-och-klagomal")
    assert "E-tjänsten öppnar 1 maj 2099." in resident.html
    s.staff.get("/studio/e/synpunkter-och-klagomal/opening")
    s.staff.post("/studio/e/synpunkter-och-klagomal/opening", {"open_from": "2099-05-01", "open_until": "2099-04-01"})
    assert s.staff.page.status_code == 422
    s.staff.get("/studio/e/synpunkter-och-klagomal")
    s.staff.post("/studio/e/synpunkter-och-klagomal/archive", {})
    resident.get("/e/synpunkter-och-klagomal")
    assert resident.page.status_code == 404
    s.staff.get("/studio/")
    assert "synpunkter-och-klagomal" not in s.staff.html
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"eservice_closed", "eservice_opened", "eservice_archived"} <= actions


@pytest.mark.parametrize("path", sorted((ROOT / "forms").glob("*.yaml")), ids=lambda p: p.stem)
def test_export_then_import_gives_the_identical_definition(app: Flask, db: Session, path: Path, login_as: Any) -> None:
    slug = path.stem
    admin = login_as("admin")
    exported = admin.raw("GET", f"/studio/e/{slug}/export.yaml")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert yaml.safe_load(text) == load_file(path).data
    # Importing it back: a new draft identical to the published version, which is "no change".
    admin.get("/studio/import")
    admin.post("/studio/import", {"file": (io.BytesIO(text.encode()), f"{slug}.yaml")})
    assert admin.page.status_code == 200, admin.html[admin.html.find("error-summary") :][:1500]
    reread(db)
    eservice = db.scalar(select(EService).where(EService.slug == slug))
    draft, published = studio.draft_of(eservice), studio.published_of(eservice)
    assert draft is not None and published is not None
    assert draft.definition == published.definition and draft.definition_sha256 == published.definition_sha256


def test_import_names_the_file_the_place_and_the_problem(app: Flask, db: Session, communicator: Studio) -> None:
    broken = (
        (ROOT / "forms" / "grumsinitiativ.yaml").read_text(encoding="utf-8").replace("type: textarea", "type: essay", 1)
    )
    broken = broken.replace("slug: grumsinitiativ", "slug: grumsinitiativ-kopia")
    communicator.staff.get("/studio/import")
    communicator.staff.post("/studio/import", {"file": (io.BytesIO(broken.encode()), "mitt-initiativ.yaml")})
    html = communicator.staff.html
    assert communicator.staff.page.status_code == 422
    assert "mitt-initiativ.yaml" in html and re.search(r"pages\[\d\]\.fields\[\d\]\.type", html)
    assert "Det finns ingen frågetyp som heter essay." in html


def test_cli_import_and_export(app: Flask, db: Session, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forms", "export", "grumsinitiativ"])
    assert result.exit_code == 0 and yaml.safe_load(result.output)["slug"] == "grumsinitiativ"
    data = yaml.safe_load(result.output)
    data["slug"] = "grumsinitiativ-2"
    target = tmp_path / "grumsinitiativ-2.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["forms", "import", str(target), "--publish"])
    assert result.exit_code == 0, result.output
    reread(db)
    assert studio.published_of(db.scalar(select(EService).where(EService.slug == "grumsinitiativ-2"))) is not None
    target.write_text("slug: [", encoding="utf-8")
    result = runner.invoke(args=["forms", "import", str(target)])
    assert result.exit_code != 0 and "not valid YAML" in result.output


def test_preview_sample_receipt_is_a_pdf_and_nothing_is_filed(app: Flask, db: Session, login_as: Any) -> None:
    admin = login_as("admin")
    slug = "synpunkter-och-klagomal"
    admin.get(f"/studio/e/{slug}/preview")
    admin.post(f"/studio/e/{slug}/preview/start")
    # Walk the preview with the sample answers, page by page, until the review page.
    definition = load_file(ROOT / "forms" / f"{slug}.yaml")
    visible = prune(definition, sample_answers(definition, date.today()))
    while "/preview/page/" in admin.url:
        index = int(admin.url.rsplit("/", 1)[1]) - 1
        data = {
            item.name: item.type.to_form(item.spec, visible[item.name])
            for item in definition.pages[index].fields
            if item.type.has_input and field_visible(item, visible) and item.name in visible
        }
        admin.answer(data)
        assert 'class="error-summary"' not in admin.html
    assert admin.url.endswith("/preview/review"), admin.html[:3000]
    admin.post(data={"action": "submit"})
    assert admin.url.endswith("/preview/done")
    pdf = admin.raw("GET", f"/studio/e/{slug}/preview/receipt.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "GRU-0000-00000X" in text
    assert db.scalar(select(Submission.id).limit(1)) is None


def test_every_field_type_and_every_setting_can_be_edited_in_the_studio() -> None:
    from app.studio.texts import SETTINGS, TYPE_NAMES

    assert set(TYPE_NAMES) == set(REGISTRY) == set(SETTINGS)
    for name, field_type in REGISTRY.items():
        assert {setting.key for setting in SETTINGS[name]} == set(field_type.settings), name


def test_a_previewed_draft_can_be_discarded_and_the_published_version_stays(
    app: Flask, db: Session, login_as: Any, resident: Any
) -> None:
    admin = Studio(login_as("admin"), "grumsinitiativ")
    admin.staff.get("/studio/e/grumsinitiativ")
    admin.staff.post("/studio/e/grumsinitiativ/draft", {})
    admin.staff.get("/studio/e/grumsinitiativ/preview")
    admin.staff.post("/studio/e/grumsinitiativ/preview/start")
    admin.staff.answer({})  # something typed in the preview
    admin.staff.get("/studio/e/grumsinitiativ")
    admin.staff.post("/studio/e/grumsinitiativ/discard", {})
    assert admin.staff.page.status_code == 200 and "Utkastet är borttaget." in flash_text(admin.staff.html)
    reread(db)
    eservice = db.scalar(select(EService).where(EService.slug == "grumsinitiativ"))
    assert studio.draft_of(eservice) is None and studio.published_of(eservice) is not None
    resident.start("grumsinitiativ")
    assert resident.url == "/e/grumsinitiativ/page/1"


def test_hostile_numbers_and_missing_revisions_change_nothing_and_never_fail(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = communicator
    create(s)
    name = s.add_field("sida_1", "number", "Hur många barn?")
    s.staff.get(f"/studio/e/{SLUG}/fields/{name}")
    current = revision(s.staff.html)
    base = {"name": name, "type": "number", "label": "Hur många barn?"}
    for extra in (
        {"revision": "²"},
        {"revision": current, "option_count": "²", "option-0-order": "²"},
        {"revision": current, "setting-decimals": "²"},
        {"revision": current, "setting-min": "1e5000"},
        {"revision": current, "setting-max": "-1e999999999"},
    ):
        response = s.staff.post(f"/studio/e/{SLUG}/fields/{name}", {**base, **extra})
        assert response.status_code in (200, 409, 422), extra  # saved with the nonsense ignored, or refused
    assert s.staff.raw("GET", f"/studio/e/{SLUG}/export.yaml?version=²").status_code < 500
    s.staff.get(f"/studio/e/{SLUG}")
    s.staff.post(f"/studio/e/{SLUG}/draft", {"from": "²"})
    assert s.staff.page.status_code == 200
    # A structural edit without the revision it was prepared against is not applied.
    s.staff.post(f"/studio/e/{SLUG}/structure", {"op": f"field_remove:{name}"})
    assert "sparade ändringar i utkastet" in flash_text(s.staff.html)
    reread(db)
    draft = studio.draft_of(db.scalar(select(EService).where(EService.slug == SLUG)))
    [item] = draft.definition["pages"][0]["fields"]
    assert item["name"] == name and "min" not in item and "max" not in item and "decimals" not in item


def test_an_import_with_yaml_aliases_is_refused_before_it_expands(
    app: Flask, db: Session, communicator: Studio
) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    communicator.staff.get("/studio/import")
    communicator.staff.post("/studio/import", {"file": (io.BytesIO(bomb.encode()), "bomb.yaml")})
    assert communicator.staff.page.status_code == 422
    assert "YAML-alias" in communicator.staff.html or "*name" in communicator.staff.html


def test_changing_a_question_to_a_file_upload_saves_with_the_types_defaults(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = communicator
    create(s)
    name = s.add_field("sida_1", "text", "Bifoga en ritning")
    s.edit_field(name, type="file", then="stay")
    assert s.staff.page.status_code == 200, re.findall(r'class="error-message"[^>]*>(.*?)</p>', s.staff.html, re.S)
    reread(db)
    draft = studio.draft_of(db.scalar(select(EService).where(EService.slug == SLUG)))
    item = draft.definition["pages"][0]["fields"][0]
    assert item["type"] == "file" and set(item["accept"]) == {"pdf", "jpeg", "png"}


def test_translations_typed_while_someone_removes_a_question_land_on_their_own_texts(
    app: Flask, db: Session, communicator: Studio, login_as: Any
) -> None:
    s = communicator
    create(s)
    first = s.add_field("sida_1", "text", "Förnamn")
    second = s.add_field("sida_1", "text", "Efternamn")
    s.staff.get(f"/studio/e/{SLUG}/translate/en")
    page = s.staff.html
    other = Studio(login_as("communicator", "kommunledning", name="Olle Omvärld"))
    other.op(f"field_remove:{first}")
    s.staff.post(f"/studio/e/{SLUG}/translate/en", {"revision": revision(page), f"t-field:{second}:label": "Last name"})
    assert s.staff.page.status_code == 409
    s.staff.post(
        f"/studio/e/{SLUG}/translate/en", {"revision": revision(s.staff.html), f"t-field:{second}:label": "Last name"}
    )
    reread(db)
    draft = studio.draft_of(db.scalar(select(EService).where(EService.slug == SLUG)))
    [item] = draft.definition["pages"][0]["fields"]
    assert item["name"] == second and item["label"] == {"sv": "Efternamn", "en": "Last name"}


def test_the_studio_list_and_the_new_page_send_as_many_queries_for_six_e_services_as_for_two(
    app: Flask, db: Session, login_as: Any, make_user: Any
) -> None:
    # Every e-service last changed by a different communicator: loading versions or editors one e-service at a
    # time (N+1) would show as more queries for more rows.
    staff = login_as("communicator", "socialforvaltningen")
    colleagues = [make_user(f"kommunikator.{n}@grums.se", "communicator", "socialforvaltningen") for n in range(6)]
    unit = db.scalar(select(Unit).where(Unit.key == "socialforvaltningen"))
    assert unit is not None

    def queries_with(count: int) -> dict[str, list[tuple[str, Any]]]:
        listed = len(studio.listing(db, {unit.id}, [], date.today()))
        for n in range(listed, count):
            studio.create(db, f"tjanst-{n}", f"Tjänst nummer {n}", unit, colleagues[n], datetime.now(UTC))
        db.commit()
        seen = {}
        for url in ("/studio/", "/studio/new"):
            with statements(app) as seen[url]:
                staff.get(url)
            assert staff.page.status_code == 200
        return seen

    few = queries_with(2)
    many = queries_with(6)
    staff.get("/studio/")
    assert all(f"Tjänst nummer {n}" in staff.html and f"Kommunikator {n}" in staff.html for n in range(1, 6))
    staff.get("/studio/new")
    assert all(f">Tjänst nummer {n}</option>" in staff.html for n in range(1, 6))
    for url, sent in many.items():
        assert len(sent) == len(few[url]), (url, [statement for statement, _parameters in sent])


def test_the_overview_buttons_move_copy_and_remove_and_come_back_to_what_they_changed(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = communicator
    create(s)
    s.op("add_page", page_title="Kontakt")
    s.add_field("sida_1", "text", "Namn")
    s.add_field("sida_1", "text", "Adress")

    def pressed(op: str) -> tuple[list[str], str]:
        """Press the button ``op``: the overview's pages and questions in order, and where the page scrolled to."""
        s.op(op)
        assert s.staff.page.status_code == 200 and s.staff.url == f"/studio/e/{SLUG}", op
        places = re.findall(r'<section class="studio-page" id="page-(\w+)"|<li id="field-(\w+)">', s.staff.html)
        return [page or f"  {name}" for page, name in places], s.staff.page.history[-1].location.partition("#")[2]

    assert pressed("field_down:namn") == (["sida_1", "  adress", "  namn", "kontakt"], "field-namn")
    assert pressed("field_up:namn") == (["sida_1", "  namn", "  adress", "kontakt"], "field-namn")
    assert pressed("page_down:sida_1") == (["kontakt", "sida_1", "  namn", "  adress"], "page-sida_1")
    assert pressed("page_up:sida_1") == (["sida_1", "  namn", "  adress", "kontakt"], "page-sida_1")
    assert pressed("field_copy:adress") == (["sida_1", "  namn", "  adress", "  adress_2", "kontakt"], "field-adress_2")
    assert pressed("page_copy:kontakt") == (
        ["sida_1", "  namn", "  adress", "  adress_2", "kontakt", "kontakt_2"],
        "page-kontakt_2",
    )
    assert pressed("page_remove:kontakt_2") == (["sida_1", "  namn", "  adress", "  adress_2", "kontakt"], "")
    assert pressed("field_remove:adress_2") == (["sida_1", "  namn", "  adress", "kontakt"], "")
    assert pressed("field_up:adress_2") == (["sida_1", "  namn", "  adress", "kontakt"], "")
    assert flash_text(s.staff.html) == "Sidan eller frågan finns inte längre. Någon kan ha tagit bort den."
    s.op("rename_page:kontakt")
    assert s.staff.page.status_code == 400


def test_wide_tables_scroll_in_a_region_the_keyboard_reaches_and_the_caption_names(
    app: Flask, db: Session, communicator: Studio
) -> None:
    def regions(url: str) -> list[tuple[str | None, str | None, list[str]]]:
        communicator.staff.get(url)
        page = Page(communicator.staff.html)
        return [
            (e.attrs.get("role"), e.attrs.get("tabindex"), page.named_text(e, "aria-labelledby"))
            for e in page.elements
            if "table-wrapper" in e.classes()
        ]

    assert regions("/studio/") == [("region", "0", ["E-tjänsterna med läge, översättningar och senaste ändring"])]
    assert regions("/studio/e/grumsinitiativ/versions") == [("region", "0", ["Publicerade versioner, nyaste först"])]


def test_a_screen_reader_hears_the_units_error_and_the_options_hint_on_every_option_row(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = communicator
    create(s)
    s.staff.get(f"/studio/e/{SLUG}/settings")
    s.staff.post(f"/studio/e/{SLUG}/settings", {**sent_by(s.staff.html), "unit": "ingen-sadan-enhet"})
    assert s.staff.page.status_code == 422
    page = Page(s.staff.html)
    unit = page.by_id("unit")
    assert page.named_text(unit, "aria-describedby") == ["Fel: Välj den förvaltning som handlägger ärendena."]
    assert unit.attrs.get("aria-invalid") == "true"

    hint = (
        "Skriv texten för varje alternativ på svenska. Tomma rader tas inte med. "
        "Ändra siffrorna om du vill ändra ordningen."
    )
    name = s.add_field("sida_1", "choice", "Vilken lekplats?")
    s.edit_field(name, **{"option-0-label": "Gungor", "option-1-label": "Rutschkana"})
    s.staff.get(f"/studio/e/{SLUG}/fields/{name}")
    page = Page(s.staff.html)
    rows = [e for e in page.elements if re.fullmatch(r"option-\d+-(order|label)", e.attrs.get("id") or "")]
    assert len(rows) == 2 * (2 + 5)  # two options and five empty rows for new ones, each with its order and text
    assert all(page.named_text(row, "aria-describedby") == [hint] for row in rows)

    # Too many options: every row is read out with the error as well.
    s.edit_field(name, option_count="301", **{f"option-{n}-label": f"Lekplats {n}" for n in range(301)})
    assert s.staff.page.status_code == 422
    page = Page(s.staff.html)
    rows = [e for e in page.elements if re.fullmatch(r"option-\d+-(order|label)", e.attrs.get("id") or "")]
    assert rows and all(
        page.named_text(row, "aria-describedby") == [hint, "Fel: En fråga kan ha högst 300 alternativ."] for row in rows
    )


def test_the_changes_between_versions_name_pages_by_title_and_options_by_label(
    app: Flask, db: Session, communicator: Studio
) -> None:
    s = Studio(communicator.staff, "synpunkter-och-klagomal")
    s.overview()
    s.staff.post("/studio/e/synpunkter-och-klagomal/draft", {})
    s.op("field_down:omrade")  # the last question of the first page goes to the top of the second
    s.edit_field("typ", **{"option-0-label": "Synpunkt eller idé"})
    s.staff.get("/studio/e/synpunkter-och-klagomal/versions?from=1&to=draft")
    page = Page(s.staff.html)
    changes = {
        re.sub(r"\s+", " ", e.text).strip()
        for e in page.elements
        if e.tag == "li" and not e.classes()  # a change's details, and (harmless here) the menus
    }
    assert "Sida: Vad vill du berätta? → Berätta" in changes
    [options] = [text for text in changes if text.startswith("Alternativ:")]
    before, after = options.removeprefix("Alternativ: ").split(" → ")
    assert before.startswith("En synpunkt") and after.startswith("Synpunkt eller idé")
    assert "Ett klagomål" in after and "klagomal" not in options  # labels, never the values stored
    assert "(" not in options  # the values did not change: nothing technical beside the labels
