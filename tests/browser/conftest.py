"""Browser tier: real Chromium (Debian's package, driven by Playwright) against a real server of the portal.

One server and one browser serve the whole tier (they are the slow parts); each test gets fresh browser
contexts (cookies, storage) from :func:`visitor`. Every HTML page the server sends during a test module is
validated by the Nu Html Checker when the module ends, in one run of vnu.jar.

Without Chromium the tier is skipped with a message saying how to install it; under CI (``CI`` set) a
missing browser fails instead, so the checks cannot silently disappear.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from portal import Portal, build_app, serve
from visitor import Visitor
from wcag import AXE_SOURCE, Axe, validate_html

#: Debian's Chromium runs as root in a container only without its sandbox; the rest keeps it from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what: str) -> None:
    message = f"{what} (`make browser-deps` installs it: apt-get install chromium, npm ci)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("portal")
    app = build_app(folder)
    server, recorder = serve(app)
    yield Portal(url=f"http://127.0.0.1:{server.server_port}", app=app, mail_dir=folder / "mail", recorder=recorder)
    server.shutdown()
    server.server_close()
    app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _missing("Chromium is not installed")
    if not AXE_SOURCE.exists():
        _missing("axe-core is not installed")
    chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def axe(browser: Browser) -> Iterator[Axe]:
    context = browser.new_context()
    yield Axe(replay=context.new_page(), source=AXE_SOURCE.read_text())
    context.close()


@pytest.fixture(scope="module", autouse=True)
def html_is_valid(portal: Portal) -> Iterator[None]:
    """When a module's tests are done, every page the server sent during them passes the Nu Html Checker."""
    portal.recorder.take()
    yield
    pages = portal.recorder.take()
    errors = validate_html(pages)
    assert not errors, f"the Nu Html Checker finds {len(errors)} errors in {len(pages)} pages:\n" + "\n".join(
        str(e) for e in errors
    )


@pytest.fixture
def visitor(browser: Browser, portal: Portal, axe: Axe) -> Iterator[Callable[..., Visitor]]:
    """``visitor(keyboard=False, scripts=True, width=1280, language=None)``: a new person at a new browser."""
    contexts = []

    def open_browser(
        keyboard: bool = False, scripts: bool = True, width: int = 1280, language: str | None = None
    ) -> Visitor:
        context = browser.new_context(
            java_script_enabled=scripts,
            viewport={"width": width, "height": 800},
            locale="sv-SE",
            accept_downloads=True,
            reduced_motion="reduce",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        person = Visitor(context.new_page(), portal.url, axe, keyboard=keyboard, scripts=scripts)
        if language:
            person.goto(f"/?lang={language}")
        return person

    yield open_browser
    for context in contexts:
        context.close()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Small files a resident has on their computer: a photo and a PDF."""
    from pypdf import PdfWriter

    photo = tmp_path / "lyktstolpe.png"
    photo.write_bytes(PNG)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = tmp_path / "intyg.pdf"
    with pdf.open("wb") as out:
        writer.write(out)
    return {"photo": photo, "pdf": pdf}


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Every journey comes from 127.0.0.1: rate-limit counts (memory) start from nothing in every test."""
    from app.throttle import limiter

    limiter.reset()
