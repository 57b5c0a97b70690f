from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from eservices.fields import Context, FieldError
from eservices.fields.email import Email


def email_address(form: FlaskForm, field: StringField) -> None:
    """The same check residents' email answers get."""
    try:
        field.data = Email().parse({}, [field.data or ""], Context(today=date.today(), answers={}))
    except FieldError:
        raise ValidationError(lazy_gettext("Enter an email address in the form name@example.com.")) from None


ROLE_CHOICES = [
    SelectChoice("staff", lazy_gettext("Case officer")),
    SelectChoice("communicator", lazy_gettext("Communicator")),
    SelectChoice("admin", lazy_gettext("Administrator")),
]


class UnitForm(FlaskForm):
    key = StringField(
        lazy_gettext("Short name"),
        description=lazy_gettext("Lower-case letters, digits and hyphens, e.g. samhallsbyggnad"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
                message=lazy_gettext("Use only lower-case letters a–z, digits and hyphens, e.g. samhallsbyggnad."),
            ),
        ],
    )
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])


class UserForm(FlaskForm):
    email = EmailField(lazy_gettext("Email address"), validators=[DataRequired(), Length(max=254), email_address])
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES)
    unit = SelectField(lazy_gettext("Unit"), choices=[])


class GrantForm(FlaskForm):
    role = SelectField(lazy_gettext("Role"), choices=ROLE_CHOICES)
    unit = SelectField(lazy_gettext("Unit"), choices=[])
