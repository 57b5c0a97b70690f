from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(), Length(max=1000)])


class CodeForm(FlaskForm):
    """The second factor: six digits from the app, or a recovery code."""

    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=64)])


class PasswordForm(FlaskForm):
    """A new password for the signed-in person; the rules are checked by the service (passwords.py)."""

    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired(), Length(max=1000)])
    new = PasswordField(
        lazy_gettext("New password"),
        description=lazy_gettext(
            "At least 12 characters. A few words in a row are easy to remember and hard to guess."
        ),
        validators=[DataRequired(), Length(max=1000)],
    )
    repeat = PasswordField(lazy_gettext("New password again"), validators=[DataRequired(), Length(max=1000)])
