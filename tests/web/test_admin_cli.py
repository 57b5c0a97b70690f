"""The command line: creating users and the first administrator, each with a password printed once."""

from __future__ import annotations

import re

from conftest import Staff, reread
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, RoleGrant, User


def printed_password(output: str) -> str:
    match = re.search(r"[Pp]assword[^:]*:\s*(\S+)", output)
    assert match, output
    return match.group(1)


def test_users_create_prints_a_password_that_signs_in(app: Flask, db: Session, fast_passwords: None) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Hanna@Grums.se", "--name", "Hanna Handläggare", "--role", "staff",
              "--unit", "kommunledning"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    password = printed_password(result.output)
    assert len(password) >= 16

    reread(db)
    user = db.scalar(select(User).where(User.email == "hanna@grums.se"))
    assert user is not None and user.name == "Hanna Handläggare"
    assert [(g.role, g.unit.key) for g in user.grants] == [("staff", "kommunledning")]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user_created"))
    assert event.actor_label == "cli"
    assert event.data == {"user": "hanna@grums.se", "role": "staff", "unit": "kommunledning"}

    hanna = Staff(app.test_client())
    hanna.sign_in("hanna@grums.se", password)
    assert hanna.url == "/staff/"


def test_users_create_refuses_an_unknown_unit_a_taken_address_and_an_admin_with_a_unit(
    app: Flask, db: Session, fast_passwords: None
) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["users", "create", "--email", "a@grums.se", "--role", "staff", "--unit", "nope"])
    assert unknown.exit_code != 0 and "nope" in unknown.output
    runner.invoke(args=["users", "create", "--email", "b@grums.se", "--role", "staff", "--unit", "kommunledning"])
    taken = runner.invoke(
        args=["users", "create", "--email", "B@grums.se", "--role", "staff", "--unit", "kommunledning"]
    )
    assert taken.exit_code != 0 and "password" not in taken.output.lower()
    admin_in_unit = runner.invoke(
        args=["users", "create", "--email", "c@grums.se", "--role", "admin", "--unit", "kommunledning"]
    )
    assert admin_in_unit.exit_code != 0
    reread(db)
    assert list(db.scalars(select(User.email))) == ["b@grums.se"]


def test_bootstrap_admin_creates_one_administrator_once(app: Flask, db: Session, fast_passwords: None) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["users", "bootstrap-admin"])
    assert first.exit_code == 0, first.output
    password = printed_password(first.output)
    assert "admin@grums.se" in first.output

    second = runner.invoke(args=["users", "bootstrap-admin", "--email", "annan@grums.se"])
    assert second.exit_code == 0
    assert second.output == ""

    reread(db)
    assert db.scalar(select(func.count()).select_from(User)) == 1
    assert db.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.role == "admin")) == 1
    admin = Staff(app.test_client())
    admin.sign_in("admin@grums.se", password)
    assert admin.url == "/admin/"
    assert admin.raw("GET", "/admin/audit").status_code == 200


def test_users_deactivate_signs_the_user_out(app: Flask, db: Session, fast_passwords: None) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", "--email", "d@grums.se", "--role", "staff", "--unit", "kommunledning"]
    )
    officer = Staff(app.test_client())
    officer.sign_in("d@grums.se", printed_password(created.output))
    assert officer.raw("GET", "/staff/").status_code == 200
    result = runner.invoke(args=["users", "deactivate", "--email", "d@grums.se"])
    assert result.exit_code == 0
    assert officer.raw("GET", "/staff/").status_code == 302


def test_bootstrap_admin_explains_when_the_address_is_taken_by_a_non_administrator(
    app: Flask, db: Session, fast_passwords: None
) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "--email", "admin@grums.se", "--role", "staff", "--unit", "kommunledning"])
    result = runner.invoke(args=["users", "bootstrap-admin"])
    assert result.exit_code != 0
    # A message, not an unhandled AccountError with a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "admin@grums.se" in result.output
