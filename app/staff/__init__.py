"""Staff (handläggare): the inbox and case handling. Every route needs a staff role in some unit."""

from flask import Blueprint

from app.auth.login import require

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require("staff"))

from app.staff import routes  # noqa: E402,F401 - routes attach themselves to bp
