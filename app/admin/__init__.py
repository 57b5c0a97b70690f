"""Administrators: units, users, role grants and the audit log. Every route needs the admin role."""

from flask import Blueprint

from app.auth.login import require

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require("admin"))

from app.admin import routes  # noqa: E402,F401 - routes attach themselves to bp
