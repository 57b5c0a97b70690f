"""Residents' pages: the catalog, filling an e-service, review, receipt and following a case."""

from typing import Any

from flask import Blueprint, current_app, has_request_context

from app.i18n import current_language

bp = Blueprint("resident", __name__, url_prefix="/")


@bp.url_defaults
def keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """Links carry the language when it is not Swedish, so a link a resident shares opens in that language."""
    if "lang" in values or not has_request_context():
        return
    language = current_language()
    if language != current_app.config["DEFAULT_LOCALE"]:
        values["lang"] = language


from app.resident import routes  # noqa: E402,F401 - routes attach themselves to bp
