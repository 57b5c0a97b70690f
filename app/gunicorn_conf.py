"""gunicorn settings for production: ``gunicorn -c python:app.gunicorn_conf wsgi:app`` (``make serve``).

Every value can be changed with the usual ``GUNICORN_CMD_ARGS`` or by the environment variables below.
Both logs are JSON, one object a line (see ``app.logs``); the access log has no client address, no user
agent, no query string, and private tokens in paths replaced.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from app.logs import JsonFormatter, access_entry

bind = os.environ.get("ENDORRIN_BIND", "127.0.0.1:8000")
# The usual rule of thumb for synchronous workers: two per core, plus one.
workers = int(os.environ.get("ENDORRIN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Recycle workers now and then, with jitter so they do not all restart at once.
max_requests = int(os.environ.get("ENDORRIN_MAX_REQUESTS", 2000))
max_requests_jitter = max_requests // 10
# A receipt renders in well under a second; a request still running after 30 s is stuck.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request bodies are limited by the application (MAX_CONTENT_LENGTH); headers here.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# The application factory opens no connections, so forking after loading it is safe and saves memory.
preload_app = True

# Prometheus metrics from every worker process are kept in files here and added up at /metrics
# (prometheus_client's multiprocess mode). It must be set before the application is imported.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="endorrin-metrics-")


def on_starting(server: Any) -> None:
    # Counters of a previous run of the server must not be added to this one's.
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def pre_fork(server: Any, worker: Any) -> None:
    # Everything the loaded application holds (modules, templates, the app: some 185,000 objects) moves
    # to the collector's permanent generation: a worker's full collection then skips it (about 90 ms
    # each here, which staff saw as an occasional slow page), and does not write to pages it shares with
    # the master, which keeps them shared.
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class JsonLogger(Logger):
    """gunicorn's logger, writing JSON lines: the access log built by :func:`app.logs.access_entry`."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = str(resp.status).split(None, 1)[0]
        request_id = next((value for key, value in resp.headers if key.lower() == "x-request-id"), "")
        micros = request_time.seconds * 1_000_000 + request_time.microseconds
        line = access_entry(
            status, environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", ""), resp.sent, micros, request_id
        )
        self.access_log.info(line)


logger_class = JsonLogger
