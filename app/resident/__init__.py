"""Residents' pages: the catalog, filling an e-service, review, receipt and following a case."""

from flask import Blueprint

bp = Blueprint("resident", __name__, url_prefix="/")

from app.resident import routes  # noqa: E402,F401 - routes attach themselves to bp
