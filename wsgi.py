"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # What is wrong, one problem a line, for the operator at the terminal or in the service's log; not a
    # traceback. (`flask --app wsgi check-config` shows the whole configuration once it can start.)
    problems = "\n".join(f"problem: {problem}" for problem in error.problems)
    sys.exit(f"En dörr in cannot start with this configuration:\n{problems}")

#: the Celery application, configured from the same settings: ``celery -A wsgi:celery worker`` (``make worker``)
celery = app.extensions.get("celery")
