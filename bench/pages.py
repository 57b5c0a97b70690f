"""Pages under load: the portal in gunicorn against a bare Flask app in gunicorn, in one run.

Both run with the production settings (``app/gunicorn_conf.py``, sync workers, access log on) and
``--workers`` workers (default 2) on loopback; wrk (Debian package ``wrk``) sends the load with
``--connections`` connections for ``--duration`` seconds per page, and each page is measured
``--rounds`` times, alternating with the baseline, so both see the same noise. The figures are the
medians of the rounds: requests per second (ratio to the bare app's) and p95 latency.

The pages: the catalog, a 20-question form page (a benchmark e-service from ``bench/forms/``, since no
bundled e-service asks twenty questions on one page), its review page, the submit POST, the receipt
page, the staff inbox and a case page. The GET pages are requested with one resident's (or one staff
member's) session cookie. Every submit POST files a different complete draft prepared beforehand over
HTTP (see ``wrk_submit.lua``): CSRF check, validation, the case, its receipt PDF and the outbox row all
happen as for a resident; nothing is skipped. If wrk sends more submits than drafts were prepared, the
extra ones land on an already filed draft (a cheap redirect), so the row says how many were real.

    .venv/bin/python -m bench.pages [--duration 8] [--rounds 3] [--drafts 800]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.seeding import BENCH_STAFF_EMAIL
from bench import databases
from bench.table import Row, median
from eservices.samples import sample_answers
from eservices.schema import load_file

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BENCH_FORM = HERE / "forms" / "bench-arrangemang-tjugo-fragor.yaml"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'name="version" (?:type="hidden" )?value="(\d+)"')
REPORT = re.compile(r"BENCH rps=([\d.]+) p95_ms=([\d.]+) requests=(\d+) bad_status=(\d+) socket_errors=(\d+)")
#: (figure, target share of the baseline's requests per second)
TARGETS = {
    "catalog": 0.5,
    "20-question form page": 0.5,
    "review page": None,
    "submit POST": 0.2,
    "receipt page": None,
    "staff inbox": 0.3,
    "case page": 0.3,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int):  # type: ignore[no-untyped-def]
    """``target`` (module:app) served by gunicorn with the production settings on a free loopback port."""
    port = free_port()
    env = {**env, "ENDORRIN_BIND": f"127.0.0.1:{port}", "ENDORRIN_WORKERS": str(workers)}
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", target],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn {target} did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


class Browser:
    """A cookie-keeping HTTP client for preparing sessions (urllib, following redirects)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.page = ""
        self.url = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            self.page, self.url = response.read().decode(), response.geturl()
        return self.page

    def post(self, path: str, fields: list[tuple[str, str]]) -> str:
        body = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as response:
            self.page, self.url = response.read().decode(), response.geturl()
        return self.page

    def token(self) -> str:
        found = CSRF.search(self.page)
        assert found, f"no CSRF token on {self.url}"
        return html.unescape(found.group(1))

    def version(self) -> str:
        found = VERSION.search(self.page)
        assert found, f"no form version on {self.url}"
        return found.group(1)

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def _answers() -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, value in sample_answers(load_file(BENCH_FORM), date.today()).items():
        fields.extend((name, item) for item in (value if isinstance(value, list) else [value]))
    return fields


def filled_draft(base: str, slug: str, answers: list[tuple[str, str]]) -> Browser:
    """A resident who answered every question of ``slug`` and stands on its review page."""
    browser = Browser(base)
    browser.get(f"/e/{slug}")
    browser.post(f"/e/{slug}/start", [("csrf_token", browser.token())])
    fields = [("csrf_token", browser.token()), ("version", browser.version()), ("action", "next"), *answers]
    browser.post(f"/e/{slug}/page/1", fields)
    assert browser.url.endswith("/review"), f"the bench form was not accepted: {browser.url}"
    return browser


@dataclass
class Page:
    name: str
    url: str
    cookie: str = ""
    script: str = "wrk_report.lua"
    env: dict[str, str] | None = None


def wrk(page: Page, duration: int, connections: int) -> tuple[float, float, int, int]:
    """(requests per second, p95 ms, requests, bad responses) of ``page`` under load."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(HERE / page.script)]
    if page.cookie:
        command += ["-H", f"Cookie: {page.cookie}"]
    output = subprocess.run(  # noqa: S603 - our own command line
        [*command, page.url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(page.env or {})},
    ).stdout
    found = REPORT.search(output)
    assert found, f"wrk said: {output}"
    return float(found.group(1)), float(found.group(2)), int(found.group(3)), int(found.group(4)) + int(found.group(5))


def prepare_pages(base: str, drafts: int, work: Path, log: Callable[[str], None]) -> list[Page]:
    slug = load_file(BENCH_FORM).slug
    answers = _answers()
    resident = Browser(base)
    resident.get(f"/e/{slug}")
    resident.post(f"/e/{slug}/start", [("csrf_token", resident.token())])
    form_url = resident.url
    reviewer = filled_draft(base, slug, answers)
    filer = filled_draft(base, slug, answers)
    filer.post(f"/e/{slug}/review", [("csrf_token", filer.token()), ("version", filer.version()), ("action", "submit")])
    assert "/receipt/" in filer.url, f"filing did not reach the receipt: {filer.url}"
    staff = Browser(base)
    staff.get("/auth/login")
    staff.post(
        "/auth/login",
        [("csrf_token", staff.token()), ("email", BENCH_STAFF_EMAIL), ("password", databases.STAFF_PASSWORD)],
    )
    if "/auth/mfa" in staff.url:
        staff.post("/auth/mfa", [("csrf_token", staff.token()), ("code", databases.second_factor_code())])
    assert "/staff" in staff.url, f"the bench staff member could not sign in: {staff.url}"
    inbox = staff.get("/staff/")
    reference = re.search(r'href="/staff/cases/([A-Z0-9-]+)"', inbox)
    assert reference, "the inbox lists no case"

    log(f"  preparing {drafts} complete drafts for the submit POST ...")
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        ready = list(pool.map(lambda _: filled_draft(base, slug, answers), range(drafts)))
    log(f"  ... in {time.monotonic() - started:.0f} s")
    lines = [f"{b.cookie()}\t{b.token()}\t{b.version()}\t/e/{slug}/review" for b in ready]
    drafts_file = work / "drafts.tsv"
    drafts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [
        Page("catalog", base + "/"),
        Page("20-question form page", base + urllib.parse.urlparse(form_url).path, resident.cookie()),
        Page("review page", base + f"/e/{slug}/review", reviewer.cookie()),
        Page(
            "submit POST", base + f"/e/{slug}/review", script="wrk_submit.lua", env={"BENCH_DRAFTS": str(drafts_file)}
        ),
        Page("receipt page", filer.url, filer.cookie()),
        Page("staff inbox", base + "/staff/", staff.cookie()),
        Page("case page", base + f"/staff/cases/{reference.group(1)}", staff.cookie()),
    ]


def run(
    base_url: str,
    duration: int,
    rounds: int,
    drafts: int,
    connections: int,
    workers: int,
    log: Callable[[str], None] = print,
) -> list[Row]:
    url = databases.derived_url(base_url, "pages")
    databases.prepare(url, 1000)
    env = databases.environment(url)
    subprocess.run(  # noqa: S603 - our own command line
        [*databases.FLASK, "forms", "load", "--dir", str(BENCH_FORM.parent)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # ENV stays "development": production marks the session cookie Secure, which no client sends over the
    # plain HTTP of loopback. Nothing else on these pages differs between the two.
    results: dict[str, list[tuple[float, float, int, int]]] = {}
    baseline: list[tuple[float, float, int, int]] = []
    with tempfile.TemporaryDirectory() as work, gunicorn("wsgi:app", env, workers) as app_base:
        pages = prepare_pages(app_base, drafts * rounds, Path(work), log)
        with gunicorn("bench.bare:app", env, workers) as bare_base:
            for index in range(rounds):
                log(f"  round {index + 1} of {rounds}")
                for page in pages:
                    baseline.append(wrk(Page("bare", bare_base + "/"), duration, connections))
                    results.setdefault(page.name, []).append(wrk(page, duration, connections))
    bare_rps = median([r[0] for r in baseline])
    bare_p95 = median([r[1] for r in baseline])
    rows = []
    for name, measured in results.items():
        bad = sum(r[3] for r in measured)
        note = f"p95 {median([r[1] for r in measured]):.0f} ms (bare {bare_p95:.1f} ms)"
        if name == "submit POST":
            sent = sum(r[2] for r in measured)
            note += f"; {min(sent, drafts * rounds)} of {sent} filed new cases"
        if bad:
            note += f"; {bad} failed responses"
        rows.append(
            Row(
                f"{name} (rps, {workers} workers)",
                median([r[0] for r in measured]),
                bare_rps,
                "req/s",
                TARGETS[name],
                higher_is_better=True,
                note=note,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=databases.default_base_url())
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drafts", type=int, default=800, help="complete drafts prepared per round for submit")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from bench.table import render

    print(render(run(args.database_url, args.duration, args.rounds, args.drafts, args.connections, args.workers)))


if __name__ == "__main__":
    main()
