"""The studio: communicators build, translate, preview and publish e-services. Handläggare may look and
preview; which e-services each person may edit is decided per unit in the routes (see ``load_eservice``)."""

from flask import Blueprint

from app.auth.login import require

bp = Blueprint("studio", __name__, url_prefix="/studio")
bp.before_request(require("communicator", "staff", "admin"))

from app.studio import preview, routes  # noqa: E402,F401 - routes attach themselves to bp
