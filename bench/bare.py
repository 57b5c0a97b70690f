"""The baseline for pages under load: a bare Flask app returning a short string (``gunicorn bench.bare:app``)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hej!"
