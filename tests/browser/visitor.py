"""A person at the browser: by mouse, or by keyboard alone, with or without scripts, at some width.

Journeys are written once against :class:`Visitor`; how a field is reached and a button pressed depends on
the visitor's ``keyboard`` setting. By keyboard, every element is reached with Tab from where focus is (so
an element the Tab order never reaches fails the journey), has to show where focus is, and is operated with
Enter, Space and the arrow keys only. After every page load the page is checked (:meth:`Visitor.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Download, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from wcag import Axe, describe_violations

#: more Tab presses than any of our pages has stops before the element a person is after
MAX_TABS = 120

FOCUS_VISIBLE = """el => {
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return outline || (style.boxShadow !== 'none' && style.boxShadow !== '');
}"""

#: the innermost elements that stick out of the viewport sideways, to say what to fix
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return (box.right > width + 1 || box.left < -1) && !el.closest('.table-wrapper, .visually-hidden, .skip-link');
  });
  return out.filter(el => !out.some(other => other !== el && el.contains(other)))
    .slice(0, 5)
    .map(el => `${el.tagName.toLowerCase()}.${el.className} ${el.textContent.trim().slice(0, 40)}`);
}"""

PAGE_FACTS = """() => ({
  h1: document.querySelectorAll('h1').length,
  main: document.querySelectorAll('main').length,
  lang: document.documentElement.lang,
  dir: document.documentElement.dir,
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  title: document.title,
  statement: document.querySelectorAll("footer a[href^='/tillganglighet']").length,
  positiveTabindex: [...document.querySelectorAll('[tabindex]')].filter(el => el.tabIndex > 0)
    .map(el => el.outerHTML.slice(0, 80)),
  looseRadios: [...document.querySelectorAll('input[type=radio]')]
    .filter(el => !el.closest('fieldset') || !el.closest('fieldset').querySelector('legend'))
    .map(el => el.name),
  smallTargets: [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea, summary')]
    // Hidden from people (a closed dialog, text for screen readers, the honeypot off screen) is no target.
    .filter(el => el.getClientRects().length && !el.closest('dialog:not([open]), .visually-hidden, [aria-hidden=true]'))
    // WCAG 2.5.8 leaves out links inside a sentence; a link alone in its paragraph or list item is a target.
    .filter(el => !(el.tagName === 'A' && el.parentElement.textContent.trim() !== el.textContent.trim()))
    .filter(el => { const box = el.getBoundingClientRect(); return box.width < 24 || box.height < 24; })
    .map(el => `${el.tagName.toLowerCase()}#${el.id} ${el.textContent.trim().slice(0, 30)}`),
})"""


@dataclass
class Visitor:
    page: Page
    base_url: str
    axe: Axe
    keyboard: bool = False
    scripts: bool = True
    checked: list[str] = field(default_factory=list)
    on_check: Callable[[Visitor], None] | None = None

    # --- where the visitor is -----------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The path of the page shown (without the query or a #fragment kept from an earlier link)."""
        return urlsplit(self.page.url).path

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).first.inner_text()

    def goto(self, path: str) -> None:
        """Type an address (or open a link from a mail) and land there."""
        self.page.goto(path if path.startswith("http") else self.base_url + path)
        self.check()

    # --- checks on every page ---------------------------------------------------------------------

    def check(self) -> None:
        """What every page must be: WCAG A/AA by axe, one h1 and one main, a language, no sideways scrolling."""
        facts = self.page.evaluate(PAGE_FACTS)
        where = f"{self.path} ({facts['title']})"
        assert facts["h1"] == 1, f"{where}: {facts['h1']} h1 elements"
        assert facts["main"] == 1, f"{where}: {facts['main']} main elements"
        assert facts["lang"], f"{where}: no lang on <html>"
        assert facts["statement"] == 1, f"{where}: the footer does not link to the accessibility statement"
        assert not facts["positiveTabindex"], (
            f"{where}: tabindex above 0 breaks the tab order: {facts['positiveTabindex']}"
        )
        assert not facts["looseRadios"], (
            f"{where}: radio buttons outside a fieldset with a legend: {facts['looseRadios']}"
        )
        assert not facts["smallTargets"], f"{where}: targets smaller than 24 × 24 px: {facts['smallTargets']}"
        assert facts["scrollWidth"] <= facts["clientWidth"], (
            f"{where}: scrolls sideways at {facts['clientWidth']} px ({facts['scrollWidth']} px wide); "
            f"too wide: {self.page.evaluate(TOO_WIDE)}"
        )
        violations = self.axe.violations(self.page, scripts=self.scripts)
        assert not violations, f"{where}: axe finds WCAG violations:\n{describe_violations(violations)}"
        self.checked.append(self.path)
        if self.on_check:
            self.on_check(self)

    # --- reaching things --------------------------------------------------------------------------

    def _focused(self, selector: str) -> bool:
        return bool(self.page.locator(selector).first.evaluate("el => el === document.activeElement"))

    def tab_to(self, selector: str) -> None:
        """Press Tab until ``selector`` has focus, and check that the focus can be seen."""
        for _ in range(MAX_TABS):
            if self._focused(selector):
                break
            self.page.keyboard.press("Tab")
        else:
            raise AssertionError(f"{self.path}: Tab never reaches {selector}")
        visible = self.page.locator(selector).first.evaluate(FOCUS_VISIBLE)
        assert visible, f"{self.path}: {selector} has focus but shows no focus indicator"

    # --- doing things -----------------------------------------------------------------------------

    def fill(self, selector: str, text: str) -> None:
        if self.keyboard:
            self.tab_to(selector)
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.press("Delete")
            self.page.keyboard.insert_text(text)
        else:
            self.page.locator(selector).fill(text)

    def choose(self, name: str, value: str) -> None:
        """Tick the radio button or check box ``name`` = ``value``."""
        selector = f"input[name='{name}'][value='{value}']"
        target = self.page.locator(selector)
        if not self.keyboard:
            # By its label, as a person clicks it: this also proves the label belongs to the input.
            self.page.locator(f"label[for='{target.get_attribute('id')}']").click()
        elif target.get_attribute("type") == "checkbox":
            self.tab_to(selector)
            self.page.keyboard.press("Space")
        else:
            self.tab_to(f"input[name='{name}']:focus, {selector}")
            for _ in range(20):
                if self._focused(selector):
                    break
                self.page.keyboard.press("ArrowDown")
            if not target.is_checked():
                self.page.keyboard.press("Space")
        assert target.is_checked(), f"{self.path}: {selector} is not chosen"

    def upload(self, selector: str, path: Path) -> None:
        if self.keyboard:
            self.tab_to(selector)
            # Space opens the file dialog; Chromium now and then drops the first key press on a file input
            # that has just taken focus, so a person (and this test) presses Enter when nothing opened.
            for key in ("Space", "Enter"):
                try:
                    with self.page.expect_file_chooser(timeout=5_000) as chooser:
                        self.page.keyboard.press(key)
                except PlaywrightTimeout:
                    continue
                chooser.value.set_files(path)
                return
            raise AssertionError(f"{self.path}: neither Space nor Enter opens the file dialog of {selector}")
        else:
            self.page.locator(selector).set_input_files(path)

    def press(self, selector: str) -> None:
        """Press a button or follow a link that leads to another page, then check that page."""
        target = self.page.locator(selector).first
        with self.page.expect_navigation():
            if self.keyboard:
                self.tab_to(selector)
                tag = target.evaluate("el => el.tagName")
                self.page.keyboard.press("Enter" if tag == "A" else "Space")
            else:
                target.click()
        self.check()

    def button(self, value: str) -> None:
        """Press the form's button with ``action`` = ``value`` (next, save, submit ...)."""
        self.press(f"button[name='action'][value='{value}']")

    def download(self, selector: str) -> bytes:
        target = self.page.locator(selector).first
        with self.page.expect_download() as waiting:
            if self.keyboard:
                self.tab_to(selector)
                self.page.keyboard.press("Enter")
            else:
                target.click()
        saved: Download = waiting.value
        return Path(saved.path()).read_bytes()

    def attribute(self, selector: str, name: str) -> Any:
        return self.page.locator(selector).first.get_attribute(name)
