"""The field types, one module each, in a registry keyed by type name.

Importing this package registers every type; :data:`REGISTRY` is then complete. Each type has a macro
of the same name in ``templates/macros/fields/`` (a test checks both sides).
"""

from eservices.fields import (  # noqa: F401 - imported to register the types
    choice,
    consent,
    date,
    email,
    file,
    info,
    multichoice,
    number,
    personnummer,
    phone,
    postnummer,
    text,
    textarea,
    yesno,
)
from eservices.fields.base import REGISTRY, Context, FieldError, FieldType, Upload

__all__ = ["REGISTRY", "Context", "FieldError", "FieldType", "Upload"]
