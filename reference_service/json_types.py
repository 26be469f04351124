"""JSON value types for the pydantic models whose JSON Schema is a published contract (``/openapi.json``).

Each type validates exactly what its JSON Schema says, whichever regex engine reads the schema
(ECMAScript in clients, Rust in pydantic-core, Python in ``jsonschema``), so a request a client builds
from the schema is never refused for a rule the schema does not state:

- ``json_number``: JSON Schema's ``integer`` is any number with a zero fraction, so ``2.0`` and ``1e2``
  are integers (a strict pydantic ``int`` would refuse them): request bodies are decoded with it, so they
  arrive as ``int``; ``2.5``, ``"2"`` and ``true`` are still refused by an ``int`` field.
- ``WHITESPACE``: a regex class body naming every whitespace character of the three engines (they
  disagree: Python counts ``\\x1c``-``\\x1f``, ECMAScript ``\\ufeff``, Rust and Python ``\\x85``), for
  patterns that exclude whitespace without ``\\s``.
- ``Stored``: a string the service stores as text: no U+0000 (PostgreSQL's ``text`` and ``jsonb`` cannot
  hold it, so without this rule such a request would fail only on PostgreSQL).
- ``Text``: a stored string with at least one character that is not whitespace (stored stripped).

``parse_json`` is how every JSON body the service receives (requests and webhooks) is decoded: a body
nested deeper than the parser's recursion allows (``[[[[...``, a cheap way to make a server throw) is a
``ValueError`` like any other malformed JSON, so callers answer 400, not 500.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import StringConstraints

WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NO_NUL = r"^[^\x00]*$"
#: no U+0000, and at least one character that is neither whitespace nor U+0000
NOT_BLANK = rf"^[^\x00]*[^{WHITESPACE}\x00][^\x00]*$"


def json_number(literal: str) -> int | float:
    """A JSON number literal with a fraction or exponent (``json.loads(parse_float=...)``): an ``int``
    when its value is whole (exactly), else a ``float``. Beyond 1e308 it stays a float (``inf``), so a
    literal like ``1e999999999`` never becomes a huge integer."""
    value = Decimal(literal)
    if value.adjusted() <= 308 and value == value.to_integral_value():
        return int(value)
    return float(literal)


Stored = Annotated[str, StringConstraints(pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, pattern=NOT_BLANK)]


def parse_json(raw: str | bytes, **options: Any) -> Any:
    """``json.loads(raw, **options)``, with too-deep nesting reported as ``ValueError``."""
    try:
        return json.loads(raw, **options)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
