"""JSON value types for the pydantic models whose JSON Schema is a published contract (``/openapi.json``).

Each type validates exactly what its JSON Schema says, whichever regex engine reads the schema
(ECMAScript in clients, Rust in pydantic-core, Python in ``jsonschema``), so a request a client builds
from the schema is never refused for a rule the schema does not state:

- ``WholeNumber``: JSON Schema's ``integer`` is any number with a zero fraction, so ``2.0`` is 2 (a
  strict pydantic ``int`` would refuse it); ``2.5``, ``"2"`` and ``true`` are still refused.
- ``WHITESPACE``: a regex class body naming every whitespace character of the three engines (they
  disagree: Python counts ``\\x1c``-``\\x1f``, ECMAScript ``\\ufeff``, Rust and Python ``\\x85``), for
  patterns that exclude whitespace without ``\\s``.
- ``Text``: a string with at least one character that is not whitespace (stored stripped).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NOT_BLANK = f"[^{WHITESPACE}]"


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NOT_BLANK)]
