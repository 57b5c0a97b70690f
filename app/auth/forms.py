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
