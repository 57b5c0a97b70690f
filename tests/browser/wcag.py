"""The machine checks of WCAG 2.1 AA: axe-core in the page, the Nu Html Checker on the HTML as served.

axe-core and vnu.jar come from npm (package.json; `make browser-deps` installs them into node_modules/).
axe runs where the browser rendered the page, so contrast, names and roles are judged as a visitor meets
them. The Nu Html Checker starts a Java VM, which costs seconds, so the pages are validated together in
one run per test module (see conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: the rules of WCAG 2.0 and 2.1, levels A and AA: what the Swedish law requires
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per element that fails a rule: the rule, what it asks, the element's selector."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"{violation['id']}: {violation['help']} – {target} ({violation['helpUrl']})")
    return "\n".join(lines)


@dataclass
class Axe:
    """Runs axe-core on pages. ``replay`` is a page with scripts on, for pages whose own context has them off."""

    replay: Page
    source: str
    #: documents already checked, as :func:`_shape` keys: the keyboard journey shows the same pages as the
    #: mouse journey, and checking them again would only cost time
    passed: set[str] = field(default_factory=set)

    def violations(self, page: Page, scripts: bool = True) -> list[dict[str, Any]]:
        """The WCAG A/AA violations on what ``page`` shows now; ``scripts``: whether that page runs scripts."""
        size = page.viewport_size or {}
        key = f"{scripts} {size.get('width')} {_shape(page.content())}"
        if key in self.passed:
            return []
        target = page if scripts else self._replayed(page)
        if not target.evaluate("() => typeof window.axe !== 'undefined'"):
            target.evaluate(self.source)  # evaluated over the DevTools protocol: the page's CSP does not apply
        result = target.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        if not result["violations"]:
            self.passed.add(key)
        return list(result["violations"])

    def _replayed(self, page: Page) -> Page:
        """The same document (as it is in ``page`` now) shown in the replay page with scripts blocked.

        A page whose scripts are off cannot run axe itself. The replay serves the document at the same
        address, so styles and images load as they did; our own scripts are refused, so the page looks as
        it did without them.
        """
        html = page.content()
        size = page.viewport_size
        if size:
            self.replay.set_viewport_size(size)

        def route(route: Route) -> None:
            if route.request.resource_type == "document":
                route.fulfill(body=html, content_type="text/html; charset=utf-8")
            elif route.request.resource_type == "script":
                route.abort()
            else:
                route.continue_()

        self.replay.route("**/*", route)
        try:
            self.replay.goto(page.url)
        finally:
            self.replay.unroute("**/*", route)
        return self.replay


_TOKENS = re.compile(r"[A-Za-z0-9_-]{32,}")
_NUMBERS = re.compile(r"\d+")


def _shape(html: str) -> str:
    """``html`` without what differs between two showings of the same page: tokens, numbers, times."""
    return hashlib.sha256(_NUMBERS.sub("0", _TOKENS.sub("T", html)).encode()).hexdigest()


@dataclass
class NuError:
    path: str
    line: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.path} line {self.line}: {self.message} [{self.extract.strip()}]"


def validate_html(pages: list[tuple[str, bytes]]) -> list[NuError]:
    """Errors the Nu Html Checker finds in ``pages`` (path, HTML), all in one run of vnu.jar."""
    java = shutil.which("java")
    assert java, "Java is needed for the Nu Html Checker (Debian: apt-get install default-jre-headless)"
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `make browser-deps`"
    if not pages:
        return []
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        names = {}
        for number, (path, body) in enumerate(pages):
            file = Path(folder) / f"page-{number:04d}.html"
            file.write_bytes(body)
            names[file.as_uri()] = path
        run = subprocess.run(
            [java, "-Xss1024k", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--exit-zero-always", folder],
            capture_output=True,
            check=True,
            timeout=300,
        )
    messages = json.loads(run.stdout)["messages"]
    return [
        NuError(
            path=_page_path(names, message.get("url", "")),
            line=int(message.get("lastLine", 0)),
            message=message["message"],
            extract=message.get("extract", ""),
        )
        for message in messages
        if message["type"] in {"error", "non-document-error"}
    ]


def _page_path(names: dict[str, str], url: str) -> str:
    for uri, path in names.items():
        if url.replace("file:///", "file:/") == uri.replace("file:///", "file:/"):
            return path
    return url
