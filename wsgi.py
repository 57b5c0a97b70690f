"""The WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from app import create_app

app = create_app()

#: the Celery application, configured from the same settings: ``celery -A wsgi:celery worker`` (``make worker``)
celery = app.extensions.get("celery")
