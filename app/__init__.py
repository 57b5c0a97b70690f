"""The Flask application: ``create_app`` builds it from a readable list of steps and does nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.admin import bp as admin_bp
from app.auth import bp as auth_bp
from app.auth.login import init_login
from app.blobs import init_blobs
from app.cli import register_cli
from app.config import PROJECT_ROOT, init_config
from app.db import init_db
from app.errors import register_error_handlers
from app.health import register_health
from app.i18n import init_i18n
from app.logs import init_logging
from app.mail import init_mail
from app.metrics import init_metrics
from app.page_cache import init_page_cache
from app.receipts import init_receipts
from app.resident import bp as resident_bp
from app.security import init_csrf, init_security_headers
from app.staff import bp as staff_bp
from app.static_files import init_static_files
from app.studio import bp as studio_bp
from app.templating import init_templating
from app.throttle import init_throttle
from app.worker import init_worker


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides everything else (tests pass theirs here)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    init_config(app, config)
    init_logging(app)
    init_proxies(app)
    init_db(app)
    init_blobs(app)
    init_i18n(app)
    init_csrf(app)
    init_security_headers(app)
    init_throttle(app)
    init_login(app)
    init_receipts(app)
    init_mail(app)
    init_worker(app)
    init_templating(app)
    init_page_cache(app)
    init_static_files(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_health(app)
    init_metrics(app)
    register_cli(app)
    return app


def init_proxies(app: Flask) -> None:
    """Behind a load balancer, take the client's address and scheme from the trusted proxies' headers."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(resident_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(admin_bp)
