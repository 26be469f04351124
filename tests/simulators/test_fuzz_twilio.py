"""schemathesis against the Twilio simulator, with Twilio's official Messages spec as the schema.

Requests are authenticated as twilio-python does (HTTP Basic ``AccountSid:AuthToken``) and the path's
``AccountSid`` is the lab account's. A case whose ``Sid`` was generated valid is sent to a live message
created just before, so update, fetch and delete reach a real message rather than a 404. What is checked,
and how to run longer: :mod:`tests.simulators.fuzz`. Allowed deviations: :data:`DEVIATIONS`, explained in
``docs/simulators/twilio.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.core.failures import Failure
from schemathesis.openapi.checks import JsonSchemaError, UndefinedStatusCode

from simulators.testing import RunningSimulator
from simulators.twilio.urls import API_ROUTES
from tests.simulators.fuzz import (
    URI_TOO_LONG,
    Deviation,
    authenticated,
    documented_deviations,
    load_spec,
    path_is_positive,
    unserved,
    verify,
)

from .twilio.spec import SPEC_FILE

ACCOUNT = "AC00000000000000000000000000000000"
TOKEN = "genai-demo-twilio-token"
DOCS = Path(__file__).parents[2] / "docs" / "simulators" / "twilio.md"
URI_FIELDS = {"uri", "first_page_uri", "next_page_uri", "previous_page_uri", "media"}

schema = load_spec(SPEC_FILE, API_ROUTES, {"path.AccountSid": ACCOUNT})


def _twilio_error(_case: Case, response: Response, failure: Failure) -> bool:
    """An undocumented 4xx whose body is Twilio's error JSON ``{code, message, more_info, status}``."""
    if not isinstance(failure, UndefinedStatusCode) or not 400 <= response.status_code < 500:
        return False
    try:
        body: Any = json.loads(response.text)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), int)
        and isinstance(body.get("message"), str)
        and body.get("more_info") == f"https://www.twilio.com/docs/errors/{body['code']}"
        and body.get("status") == response.status_code
    )


def _relative_uri(_case: Case, _response: Response, failure: Failure) -> bool:
    """A ``format: uri`` failure on a URI field whose value is a path under ``/2010-04-01/``."""
    return (
        isinstance(failure, JsonSchemaError)
        and bool(failure.schema_path)
        and failure.schema_path[-1] == "format"
        and bool(failure.instance_path)
        and failure.instance_path[-1] in URI_FIELDS
        and isinstance(failure.instance, str)
        and failure.instance.startswith("/2010-04-01/Accounts/")
    )


DEVIATIONS = (
    URI_TOO_LONG,
    Deviation(
        "error-statuses", "the spec documents no error response; Twilio answers 4xx JSON", _twilio_error
    ),
    Deviation(
        "relative-uris", "uri fields are paths, as Twilio sends them, not absolute URIs", _relative_uri
    ),
)


def _live_message(url: str) -> str:
    """A new message of the lab account (its Sid)."""
    created = requests.post(
        f"{url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        auth=(ACCOUNT, TOKEN),
        data={"To": "+15558675310", "From": "+15005550006", "Body": "fuzz"},
        timeout=10,
    )
    created.raise_for_status()
    return str(created.json()["sid"])


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_twilio_answers_as_its_spec_says(case: Case, twilio_sim: RunningSimulator) -> None:
    if "Sid" in (case.path_parameters or {}) and path_is_positive(case):
        case.path_parameters["Sid"] = _live_message(twilio_sim.url)
    auth = (ACCOUNT, TOKEN) if authenticated(case) else None
    response = case.call(base_url=twilio_sim.url, auth=auth, timeout=10)
    verify(case, response, DEVIATIONS)


def test_every_spec_operation_is_served() -> None:
    """The simulator serves every operation of the Messages spec, so none is left out of the fuzz."""
    assert unserved(SPEC_FILE, API_ROUTES) == set()


def test_deviations_are_documented() -> None:
    """The deviations allowed here are exactly those ``docs/simulators/twilio.md`` explains."""
    assert {d.name for d in DEVIATIONS} == documented_deviations(DOCS)
