"""Validation against Twilio's official OpenAPI 3.0 spec (a copy of the Messages subset of twilio-oai
``twilio_api_v2010.json`` in ``specs/``). Instances are checked with ``OAS30Validator``, the OAS 3.0
format checker, and a checker for Twilio's ``date-time-rfc-2822`` format."""

from __future__ import annotations

import email.utils
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_FILE = Path(__file__).with_name("specs") / "api_v2010-messages-subset.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_FILE.read_text("utf-8"))
    return data


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers.update(oas30_format_checker.checkers)

    @checker.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
    def _rfc2822(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return email.utils.parsedate_to_datetime(value) is not None and value.endswith("+0000")

    return checker


def violations(path: str, method: str, status: int, body: Any) -> list[str]:
    """Every schema violation of ``body`` as the response of ``method path`` with ``status``."""
    content = spec()["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
    schema = {**content["schema"], "components": spec()["components"]}
    validator = OAS30Validator(schema, format_checker=_format_checker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
