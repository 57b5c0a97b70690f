"""gunicorn settings for production: ``gunicorn -c python:app.gunicorn_conf wsgi:app`` (``make serve``).

Every value can be changed with the usual ``GUNICORN_CMD_ARGS`` or by environment variables below.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("ENDORRIN_BIND", "127.0.0.1:8000")
# The usual rule of thumb for synchronous workers: two per core, plus one.
workers = int(os.environ.get("ENDORRIN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Recycle workers now and then, with jitter so they do not all restart at once.
max_requests = 2000
max_requests_jitter = 200
# A receipt renders in well under a second; a request still running after 30 s is stuck.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request bodies are limited by the application (MAX_CONTENT_LENGTH); headers here.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s", "agent": "%(a)s"}'
)
# The application factory opens no connections, so forking after loading it is safe and saves memory.
preload_app = True
