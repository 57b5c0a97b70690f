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


def test_an_unsafe_configuration_is_refused_with_its_problems_not_a_traceback(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENDORRIN_")}
    env.update(ENDORRIN_ENV="production", ENDORRIN_FILE_STORE="s3", ENDORRIN_DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    flask = str(Path(sys.executable).with_name("flask"))
    result = subprocess.run(
        [flask, "--app", "wsgi", "check-config"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "problem: ENDORRIN_SECRET_KEY must be set" in result.stderr
    assert "problem: ENDORRIN_S3_BUCKET must be set when ENDORRIN_FILE_STORE is s3" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
