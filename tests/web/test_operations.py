"""What an operator relies on: health checks, the configuration check, the proxy setting."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import ConfigError


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok"}


def test_not_ready_when_the_database_cannot_be_reached(app: Flask, tmp_path) -> None:
    broken = create_app({**app.config, "DATABASE_URL": "sqlite:///" + str(tmp_path / "missing" / "db.sqlite3")})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    broken.extensions["db_engine"].dispose()


def test_production_refuses_a_missing_or_weak_secret_key(app: Flask) -> None:
    for key in ("", "dev", "short-secret"):
        try:
            create_app({**app.config, "ENV": "production", "SECRET_KEY": key})
        except ConfigError as error:
            assert "SECRET_KEY" in str(error)
        else:
            raise AssertionError(f"started with SECRET_KEY={key!r}")


def test_check_config_masks_secrets_and_says_it_is_usable(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["check-config"])
    assert result.exit_code == 0, result.output
    assert "ENDORRIN_SECRET_KEY = (set)" in result.output
    assert app.config["SECRET_KEY"] not in result.output
    assert "The configuration is usable." in result.output


def test_behind_a_trusted_proxy_the_client_address_comes_from_the_proxy(app: Flask, db) -> None:
    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1})
    seen = {}

    @proxied.get("/_probe")
    def probe() -> str:
        from flask import request

        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    proxied.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.7", "scheme": "https"}
    proxied.extensions["db_engine"].dispose()
