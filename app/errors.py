"""Error pages: every 4xx and 5xx gets a page in the resident's language, never a bare stack trace."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.blobs import BlobStoreError

log = logging.getLogger(__name__)

TITLES = {
    400: lazy_gettext("The request could not be understood"),
    403: lazy_gettext("You do not have access to this page"),
    404: lazy_gettext("The page could not be found"),
    405: lazy_gettext("The request could not be understood"),
    409: lazy_gettext("The e-service has changed"),
    410: lazy_gettext("The link no longer works"),
    413: lazy_gettext("What you sent is too large"),
    422: lazy_gettext("The request could not be understood"),
    429: lazy_gettext("Too many attempts in a short time"),
    500: lazy_gettext("Something went wrong on our side"),
    503: lazy_gettext("The service is unavailable for a moment"),
}
EXPLANATIONS = {
    400: lazy_gettext("Something in what your browser sent was wrong. Go back and try again."),
    403: lazy_gettext("If you think you should have access, contact the municipality."),
    404: lazy_gettext("Check that the address is correct. If you followed a link, it may be out of date."),
    405: lazy_gettext("Something in what your browser sent was wrong. Go back and try again."),
    409: lazy_gettext(
        "The e-service was updated while you were filling it in. Your earlier answers are kept. "
        "Open the e-service again and check your answers."
    ),
    410: lazy_gettext("The link has expired or has already been used. A saved draft is kept for a limited time only."),
    413: lazy_gettext("The files you sent are too large together. Send smaller files, or fewer at a time."),
    422: lazy_gettext("Something in what your browser sent was wrong. Go back and try again."),
    429: lazy_gettext(
        "For your security, we pause after many attempts from the same place. Wait a quarter of an hour and try again."
    ),
    500: lazy_gettext("The error has been logged. Nothing was filed. Try again in a while."),
    503: lazy_gettext(
        "We cannot reach the storage for files just now. What you saved earlier is kept. "
        "Go back and try again in a few minutes."
    ),
}
CSRF_EXPLANATION = lazy_gettext(
    "The page had been open too long, or your browser does not keep cookies. "
    "Go back, reload the page and send it again. If you saved a draft, use its link."
)


def render_error(code: int, explanation: str | None = None, title: str | None = None) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title or TITLES.get(code, TITLES[400] if code < 500 else TITLES[500]),
            explanation=explanation or EXPLANATIONS.get(code, EXPLANATIONS[400] if code < 500 else EXPLANATIONS[500]),
        ),
        code,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(400, str(CSRF_EXPLANATION))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return render_error(error.code or 500)

    @app.errorhandler(BlobStoreError)
    def file_store_error(error: BlobStoreError) -> tuple[str, int]:
        # The folder or bucket did not answer: nothing of this request is stored (its transaction is rolled
        # back), and the person is told to try again rather than shown an error of ours.
        log.error("file store: %s", error)
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return render_error(503)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str, int]:
        # The request's transaction may be broken; end it so the error page itself can use the database.
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return render_error(500)
