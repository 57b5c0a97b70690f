"""Problems found in a form definition, as text a developer reads and as a code the studio translates.

The loader reports ``(path, message)`` pairs in English for people who write YAML. The studio shows the
same problems to communicators in their own language, so every message is a :class:`Problem`: still a
plain ``str`` (the English text), with a stable ``code`` and the ``params`` a translation needs.
"""

from __future__ import annotations

from typing import Any


class Problem(str):
    """An English problem message that also carries ``code`` and ``params`` for translation."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, text: str, **params: Any) -> Problem:
        problem = super().__new__(cls, text)
        problem.code = code
        problem.params = params
        return problem
