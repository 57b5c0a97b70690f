"""Request protection shared by every blueprint: CSRF tokens on every POST."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_csrf(app: Flask) -> None:
    csrf.init_app(app)
