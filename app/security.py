"""Request protection shared by every blueprint: CSRF tokens on every POST, and security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# Scripts, styles, fonts and images come from static/ only; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Private links (/case/<token>, /resume/<token>) are in the path: never send them on to other sites.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_csrf(app: Flask) -> None:
    app.before_request(refuse_malformed_requests)  # before the CSRF check: see refuse_malformed_requests
    csrf.init_app(app)


#: The only endpoints that take files; a file sent anywhere else is refused before any form reads it.
FILE_ENDPOINTS = {"resident.page", "resident.follow", "resident.verify", "studio.import_file", "studio.preview_page"}


def refuse_malformed_requests() -> None:
    """Refuse what no page of ours sends: NUL characters (PostgreSQL cannot store them), form parts
    without a name, and files where no file is asked for. Runs before the CSRF check, which trips on
    nameless parts.
    """
    if "\x00" in request.path or any("\x00" in key + value for key, value in request.args.items(multi=True)):
        abort(400)
    if request.method == "POST":
        if any(not key for key in request.form) or any(not key for key in request.files):
            abort(400)
        if any("\x00" in key + value for key, value in request.form.items(multi=True)):
            abort(400)
        if request.files and request.endpoint not in FILE_ENDPOINTS:
            abort(400)


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/static/"):
            # Pages carry personal data or private links: no copies in shared or browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
