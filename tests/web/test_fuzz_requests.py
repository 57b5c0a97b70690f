"""The request fuzzer: Hypothesis sends malformed requests to every route of the application (from
``app.url_map``) as a visitor, as a resident with a draft, and as a signed-in case officer and administrator:
unknown fields, wrong types, huge values, odd encodings, broken multipart, JSON where forms are expected, path
values of the wrong kind. No answer is a 500, and a refused request (4xx) stores nothing.

``make test`` sends FUZZ_EXAMPLES requests per visitor (default 700: some two thousand in all); set the
environment variable higher (e.g. FUZZ_EXAMPLES=10000) for a longer hunt.
"""

from __future__ import annotations

import io
import json
import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from conftest import Resident, Staff
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Attachment,
    CaseEvent,
    DraftFile,
    NamedOfficer,
    Receipt,
    RecoveryCode,
    RoleGrant,
    Submission,
    Unit,
    User,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "700"))
SLUG = "begaran-om-allman-handling"
#: tables a refused request must leave as they were
GUARDED = (Submission, Attachment, CaseEvent, DraftFile, NamedOfficer, RecoveryCode, RoleGrant, Unit, User)
#: names the pages really use, so the fuzzer gets past "unknown field" often enough to reach deeper code
KNOWN_NAMES = [
    "csrf_token", "action", "version", "email", "password", "code", "text", "files", "assignee", "comment",
    "user", "change", "role", "unit", "key", "name", "active", "receipt", "website-address", "handling", "epost",
    "handling__remove", "lang:en", "reference",
]  # fmt: skip
ACTIONS = ["next", "back", "save", "submit", "lang:fi", "lang:xx", "protect", "unprotect", "name", "unname",
           "start", "decide", "close", "reopen", "", "💥"]  # fmt: skip

safe_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
odd_text = st.one_of(
    safe_text,
    st.sampled_from(["0", "-1", "2147483648", "1e309", "NaN", "null", "[]", "{}", "../../etc/passwd", "%00"]),
    st.sampled_from(["\x00", "a\x00b", "\u202e", "\ufeff", "ﷺ" * 50, "é" * 3000, "x" * 70_000]),
    st.integers().map(str),
)
value = st.one_of(odd_text, st.sampled_from(ACTIONS), st.lists(odd_text, max_size=3))
fields = st.dictionaries(st.one_of(st.sampled_from(KNOWN_NAMES), safe_text), value, max_size=6)
files = st.dictionaries(
    st.one_of(st.sampled_from(["files", "receipt", "handling", "bild", ""]), safe_text),
    st.tuples(st.binary(max_size=300), st.one_of(st.just("a.pdf"), st.just(""), safe_text)),
    max_size=2,
)


def _routes(app: Flask) -> list[tuple[str, list[str], list[str]]]:
    """(rule, its argument names, its methods of GET/POST) for every route but the static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        found.append((rule.rule, sorted(rule.arguments), methods))
    return sorted(found)


def _url(rule: str, real: dict[str, str], wrong: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        return quote(wrong.get(name, real.get(name, "x")), safe="")

    return re.sub(r"<([^>]+)>", fill, rule)


def _counts(app: Flask) -> tuple[int, ...]:
    """Rows in every guarded table, and cases without a receipt (a half-stored filing), in one query."""
    counts = [select(func.count()).select_from(model).scalar_subquery() for model in GUARDED]
    unreceipted = (
        select(func.count())
        .select_from(Submission)
        .where(~select(Receipt.id).where(Receipt.submission_id == Submission.id).exists())
        .scalar_subquery()
    )
    with app.extensions["db_sessionmaker"]() as session:
        return tuple(session.execute(select(*counts, unreceipted)).one())


@pytest.fixture
def fuzz_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzzer sends thousands of requests from one address: rate limits would answer most of them."""
    for setting in (
        "RATELIMIT_SIGN_IN",
        "RATELIMIT_SUBMISSIONS",
        "RATELIMIT_DRAFT_SAVES",
        "RATELIMIT_ACCOUNT_FAILURES",
    ):
        monkeypatch.setitem(app.config, setting, "1000000 per minute")


def _real_values(app: Flask, db: Session, make_submission, login_as) -> tuple[dict[str, str], Staff, Resident]:
    reference, follow_url = make_submission()
    staff = login_as(["staff", "admin"], "kommunledning")
    resident = Resident(app.test_client())
    resident.start(SLUG)
    return (
        {
            "slug": SLUG,
            "number": "1",
            "reference": reference,
            "token": follow_url.rsplit("/", 1)[1],
            "file_id": "1",
            "user_id": str(staff.user.id),
            "grant_id": "1",
        },
        staff,
        resident,
    )


def _fuzz(app: Flask, browser: Any, csrf: str, real: dict[str, str], data: st.DataObject, skip: set[str]) -> None:
    routes = [route for route in _routes(app) if route[0] not in skip]
    rule, arguments, methods = data.draw(st.sampled_from(routes), label="route")
    method = data.draw(st.sampled_from(methods), label="method")
    wrong = data.draw(st.dictionaries(st.sampled_from(arguments or ["none"]), odd_text.filter(bool), max_size=1))
    url = _url(rule, real, wrong)
    query = data.draw(st.dictionaries(st.sampled_from(["lang", "next", "q", "after", "status", "from"]), odd_text))
    body = data.draw(fields, label="fields")
    if data.draw(st.booleans(), label="with csrf"):
        body["csrf_token"] = csrf
    kind = data.draw(st.sampled_from(["form", "multipart", "json", "raw"]), label="encoding")
    kwargs: dict[str, Any] = {"query_string": {k: v for k, v in query.items() if "\x00" not in k}}
    if method == "POST":
        if kind == "form":
            kwargs["data"] = body
        elif kind == "multipart":
            attached = {name: (io.BytesIO(content), filename) for name, (content, filename) in data.draw(files).items()}
            kwargs["data"] = {**body, **attached}
            kwargs["content_type"] = "multipart/form-data"
        elif kind == "json":
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        else:
            kwargs["data"] = data.draw(st.binary(max_size=500), label="raw body")
            kwargs["content_type"] = data.draw(
                st.sampled_from(
                    ["application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
                     "text/plain; charset=utf-32", "application/x-www-form-urlencoded; charset=latin-1"]
                )
            )  # fmt: skip
    before = _counts(app) if method == "POST" else None
    response = browser.client.open(url, method=method, **kwargs)
    assert response.status_code < 500, (method, url, kind, response.status_code)
    if before is not None:
        after = _counts(app)
        assert after[-1] == 0, "a case was stored without its receipt"
        if response.status_code >= 400:
            assert after == before, (method, url, response.status_code)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


#: who sends the requests, and the page whose form gives them their CSRF token
SENDERS = {"visitor": "/auth/login", "resident with a draft": f"/e/{SLUG}/page/1", "officer and admin": "/staff/"}


@pytest.mark.parametrize("sender", list(SENDERS))
def test_no_route_fails_or_stores_half_whatever_is_sent(
    sender: str, app: Flask, db: Session, make_submission, login_as, fuzz_limits: None
) -> None:
    real, staff, resident = _real_values(app, db, make_submission, login_as)
    browser = {"visitor": Staff(app.test_client()), "resident with a draft": resident, "officer and admin": staff}[
        sender
    ]
    browser.get(SENDERS[sender])
    csrf = browser.token()
    # Signing the officer out would leave the rest of the run anonymous: that is the visitor's run.
    skip = {"/auth/logout"} if sender == "officer and admin" else set()

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _fuzz(app, browser, csrf, real, data, skip)

    run()
    if sender == "officer and admin":
        # Still signed in (the run may well have taken away their own roles, which an administrator may do).
        assert staff.raw("GET", "/auth/recovery-codes").status_code == 200, "the fuzzer signed the officer out"
