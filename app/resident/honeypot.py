"""Telling scripts from residents on the public forms without a captcha (which would hand residents to another
company and lock out people who use screen readers): a field people never see, and a least time to fill in.

The field is off screen, hidden from screen readers and skipped by the keyboard, and its label asks anyone who
does meet it to leave it empty. A script that fills every field, or files a whole form in a few seconds, gets
a calm page that asks it to check and send again: a person who trips it by accident loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

#: not a possible question name (those have no hyphen), and tempting to a script that fills in everything
FIELD = "website-address"


def tripped(form: Mapping[str, str]) -> bool:
    return bool(form.get(FIELD, "").strip())


def too_fast(started: datetime, now: datetime, least_seconds: int) -> bool:
    """Whether a form started at ``started`` is sent sooner than a person could have filled it in."""
    return now - started < timedelta(seconds=least_seconds)
