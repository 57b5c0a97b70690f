"""What an operator reads: JSON logs with a request id and no personal data, and /metrics for monitoring."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app import create_app
from app.logs import JsonFormatter, access_entry, redact

TOKEN = "kdjf83hKJH_skdjfh3487sdkjfhKJHDF-kjsdhf8734"


@pytest.fixture
def build(app: Flask, db: Session) -> Iterator[Any]:
    """``build(**settings)``: the application with some settings changed (on the same database)."""
    built: list[Flask] = []

    def make(**settings: Any) -> Flask:
        made = create_app({**app.config, **settings})
        built.append(made)
        return made

    yield make
    for made in built:
        made.extensions["db_engine"].dispose()


def test_every_answer_carries_a_request_id_and_a_proxy_may_set_it(build: Any) -> None:
    direct = build(TRUSTED_PROXIES=0).test_client()
    first, second = direct.get("/healthz"), direct.get("/healthz", headers={"X-Request-ID": "from-someone"})
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"] != "from-someone", (
        "without a trusted proxy a client cannot choose the id"
    )

    proxied = build(TRUSTED_PROXIES=1).test_client()
    assert proxied.get("/healthz", headers={"X-Request-ID": "lb-42.a"}).headers["X-Request-ID"] == "lb-42.a"
    odd = proxied.get("/healthz", headers={"X-Request-ID": 'two words "quoted" {json}'}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", odd), "an id that could forge log lines is replaced"


def test_log_lines_are_json_with_the_request_id_and_without_personal_data(build: Any) -> None:
    probed = build()
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    @probed.get("/_probe")
    def probe() -> str:
        logging.getLogger("app.probe").warning(
            "mail to anna.andersson@example.se about 19800101-1234 (link /case/%s?token=%s)", TOKEN, TOKEN
        )
        try:
            raise ValueError("refused: <bo@example.se>")
        except ValueError:
            logging.getLogger("app.probe").exception("failed")
        return "ok"

    handler = Keep()
    logging.getLogger("app.probe").addHandler(handler)
    try:
        response = probed.test_client().get("/_probe")
    finally:
        logging.getLogger("app.probe").removeHandler(handler)

    entries = [json.loads(line) for line in lines]
    assert [entry["request_id"] for entry in entries] == [response.headers["X-Request-ID"]] * 2
    assert entries[0]["level"] == "WARNING" and entries[0]["logger"] == "app.probe"
    assert entries[0]["message"] == "mail to [email] about [personnummer] (link /case/[token]?token=[token])"
    assert "ValueError: refused: <[email]>" in entries[1]["exception"]
    for line in lines:
        assert "@" not in line and "1234" not in line and TOKEN not in line


def test_redaction_leaves_ordinary_text_alone() -> None:
    assert (
        redact("GRU-2026-00012K delivered in 120 ms by worker 3") == "GRU-2026-00012K delivered in 120 ms by worker 3"
    )
    assert redact("ring 054-123 45 67") == "ring 054-123 45 67"
    assert redact("pnr 198001011234 and 800101+1234") == "pnr [personnummer] and [personnummer]"
    hex_token = "fc7a317141e1980010112346f740222f534d93aa"
    assert redact(f"/receipt/{hex_token}") == "/receipt/[token]", "digits inside a token are the token's"


def test_access_log_line_is_json_without_query_string_or_tokens() -> None:
    line = access_entry("200", "GET", f"/case/{TOKEN}/receipt.pdf", 5120, 12_345, "abc123")
    entry = json.loads(line)
    assert entry["path"] == "/case/[token]/receipt.pdf"
    assert (entry["status"], entry["bytes"], entry["duration_ms"], entry["request_id"]) == (200, 5120, 12.3, "abc123")
    assert set(entry) == {
        "time",
        "level",
        "logger",
        "method",
        "path",
        "status",
        "bytes",
        "duration_ms",
        "request_id",
        "pid",
    }


def scrape(client: Any, **kwargs: Any) -> dict[str, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    values = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_are_hidden_from_the_public(build: Any) -> None:
    closed = build(METRICS_TOKEN="", METRICS_ALLOW=[]).test_client()
    assert closed.get("/metrics").status_code == 404
    guarded = build(METRICS_TOKEN="s3cret-scrape-token", METRICS_ALLOW=["10.0.0.0/8"]).test_client()
    assert guarded.get("/metrics").status_code == 404, "127.0.0.1 is not in the allowed network"
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200
    assert guarded.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_metrics_count_requests_submissions_outbox_and_receipt_rendering(
    build: Any, make_submission: Any, mail_kept_in_outbox: None
) -> None:
    client = build(METRICS_ALLOW=["127.0.0.1"], MAIL_DELIVERY="worker").test_client()
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")
    make_submission()
    after = scrape(client)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert grew('endorrin_http_requests_total{endpoint="healthz",method="GET",status="200"}') == 2
    assert grew('endorrin_http_requests_total{endpoint="unmatched",method="GET",status="404"}') == 1
    assert grew('endorrin_http_request_duration_seconds_count{endpoint="healthz"}') == 2
    assert grew("endorrin_receipt_render_seconds_count") == 1
    assert after["endorrin_submissions_total"] == 1
    assert after['endorrin_outbox_messages{state="pending"}'] == 1
    assert after['endorrin_outbox_messages{state="failed"}'] == 0
    assert after["endorrin_outbox_oldest_waiting_seconds"] >= 0
    assert not any("/case/" in name for name in after), "no paths (with their tokens) as labels"
