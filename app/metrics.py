"""Prometheus metrics at ``/metrics``, for the operator's monitoring and never for the public.

Counted in each process: requests by endpoint, method and status, their duration, and the time a
receipt takes to render. Under gunicorn every worker writes its numbers to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``app.gunicorn_conf``) and a scrape adds them up, whichever worker
answers. Read from the database at each scrape, so the same from every process and machine: cases
filed, and the outbox by state (its backlog, its retries and its failures).

Access: a request with ``Authorization: Bearer <METRICS_TOKEN>`` or from an address in
``METRICS_ALLOW`` (default: this machine only); anyone else gets 404, as if there were nothing here.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app.models import OutboxMessage, Submission

log = logging.getLogger(__name__)
#: decided when the metrics below are made, as prometheus_client decides where they keep their values
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter("endorrin_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram(
    "endorrin_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RECEIPT_RENDER_SECONDS = Histogram(
    "endorrin_receipt_render_seconds",
    "Time to render one receipt PDF",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)


class DatabaseCollector(Collector):
    """Numbers that live in the database: cases filed, outbox messages by state, oldest waiting mail."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        try:
            yield from self._read()
        except Exception:
            # The process's own numbers are still worth having when the database does not answer.
            log.exception("metrics: the database could not be read")
            yield GaugeMetricFamily("endorrin_database_readable", "The database answered the scrape", value=0)
        else:
            yield GaugeMetricFamily("endorrin_database_readable", "The database answered the scrape", value=1)

    def _read(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        with self.app.extensions["db_sessionmaker"]() as session:
            submissions = session.scalar(select(func.count()).select_from(Submission)) or 0
            by_state = {
                state: count
                for state, count in session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            }
            retrying = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxMessage.PENDING, OutboxMessage.attempts > 0)
            )
            oldest = session.scalar(
                select(func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status.in_([OutboxMessage.PENDING, OutboxMessage.SENDING])
                )
            )
            session.rollback()
        yield CounterMetricFamily("endorrin_submissions", "Cases filed (all time)", value=submissions)
        states = GaugeMetricFamily("endorrin_outbox_messages", "Outbox messages by state", labels=["state"])
        for state in (OutboxMessage.PENDING, OutboxMessage.SENDING, OutboxMessage.SENT, OutboxMessage.FAILED):
            states.add_metric([state], by_state.get(state, 0))
        states.add_metric(["retrying"], retrying or 0)
        yield states
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "endorrin_outbox_oldest_waiting_seconds", "Age of the oldest mail not yet delivered", value=age
        )


def init_metrics(app: Flask) -> None:
    """Count every request, and answer /metrics for the monitoring system."""

    @app.before_request
    def start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        # The endpoint name, never the path: paths hold private tokens, and would be endless labels.
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        if started is not None and endpoint != "metrics":
            REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        return response

    app.add_url_rule("/metrics", "metrics", metrics)


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in current_app.config["METRICS_ALLOW"])


def metrics() -> Response:
    if not _allowed():
        abort(404)
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        counted = generate_latest(REGISTRY)
    stored = CollectorRegistry()
    stored.register(DatabaseCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return Response(counted + generate_latest(stored), content_type=CONTENT_TYPE_LATEST)
