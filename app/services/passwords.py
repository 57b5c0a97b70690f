"""What a staff password must be: long enough, and not one of the passwords everybody tries first.

Length and a list of common passwords, not character classes (NIST SP 800-63B, OWASP ASVS 6.2): "Sommar2024!"
passes every class rule and falls to the first guesses; a long phrase of plain words does not.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
#: argon2 hashes any length, but a megabyte of password is an attack on the CPU, not a password
MAX_LENGTH = 1000
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")

TOO_SHORT = "password_too_short"
TOO_LONG = "password_too_long"
TOO_COMMON = "password_common"


@cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def problem_with(password: str) -> str | None:
    """Why ``password`` may not be used (``TOO_SHORT``, ``TOO_LONG``, ``TOO_COMMON``), or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if password.strip().lower() in _common():
        return TOO_COMMON
    return None
