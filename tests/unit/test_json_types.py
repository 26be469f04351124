"""The JSON value types behind ``/openapi.json``: whole numbers, whitespace that every regex engine agrees
on, and text the service can store (no U+0000), so a schema-valid request is never refused."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from reference_service.json_types import NO_NUL, NOT_BLANK, WHITESPACE, Stored, Text, json_number

#: ECMAScript's \\s (WhiteSpace and LineTerminator, ECMA-262 §12.2-12.3): what a JavaScript client uses
ECMASCRIPT_SPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
)
ECMASCRIPT_SPACE += "\u2028\u2029\u202f\u205f\u3000\ufeff"


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Text
    stored: Stored = ""
    short: Annotated[Text, StringConstraints(max_length=3)] = "x"


def test_whitespace_names_every_space_of_python_and_ecmascript() -> None:
    klass = re.compile(f"[{WHITESPACE}]")
    python = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert [c for c in python if not klass.fullmatch(c)] == []
    assert [c for c in ECMASCRIPT_SPACE if not klass.fullmatch(c)] == []


@pytest.mark.parametrize(
    ("literal", "value"),
    [("2.0", 2), ("1e2", 100), ("-0.0", 0), ("12345678901234567.0", 12345678901234567), ("2.5", 2.5)],
)
def test_whole_json_numbers_are_integers(literal: str, value: float) -> None:
    parsed = json_number(literal)
    assert parsed == value and type(parsed) is type(value)


def test_a_huge_exponent_stays_a_float() -> None:
    assert json_number("1e999999999") == float("inf")


@pytest.mark.parametrize("text", [" a ", "\x1fa", "a\u3000"])
def test_text_with_something_visible_is_stored_stripped(text: str) -> None:
    assert Note.model_validate({"text": text}).text.strip() == "a"
    assert re.search(NOT_BLANK, text)


@pytest.mark.parametrize("text", ["", " ", "\x1f\x1c", "\u3000\ufeff", "a\x00b"])
def test_blank_text_or_a_nul_is_refused_as_the_schema_says(text: str) -> None:
    with pytest.raises(ValidationError):
        Note.model_validate({"text": text})
    assert not re.search(NOT_BLANK, text)


def test_stored_text_refuses_nul_only() -> None:
    assert Note.model_validate({"text": "a", "stored": " \n\t"}).stored == " \n\t"
    with pytest.raises(ValidationError):
        Note.model_validate({"text": "a", "stored": "a\x00"})
    assert not re.search(NO_NUL, "a\x00")
