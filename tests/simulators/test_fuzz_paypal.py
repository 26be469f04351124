"""schemathesis against the PayPal simulator, with PayPal's official Orders v2 spec as the schema.

Requests carry ``Authorization: Bearer <token>`` from ``POST /v1/oauth2/token`` with the lab app's client
credentials, as every PayPal SDK does. A case whose order ``id`` was generated valid is sent to a live order
created just before (captured for ``/track``, with the capture's id in a valid body; with a tracker for the
tracker PATCH), so every operation runs its own rules rather than a 404; each case
gets its own ``PayPal-Request-Id`` (one shared example value would turn every later create into a replay of
the first). What is checked, and how to run longer: :mod:`tests.simulators.fuzz`. Allowed deviations:
:data:`DEVIATIONS`, explained in ``docs/simulators/paypal.md``; operations the simulator does not serve:
:data:`NOT_SIMULATED`.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.core.failures import Failure

from simulators.paypal.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from simulators.paypal.urls import API_ROUTES
from simulators.testing import RunningSimulator
from tests.simulators.fuzz import (
    URI_TOO_LONG,
    Deviation,
    authenticated,
    body_is_positive,
    documented_deviations,
    load_spec,
    path_is_positive,
    unserved,
    verify,
)

from .paypal.spec import SPECS

SPEC = SPECS / "checkout_orders_v2.json"
DOCS = Path(__file__).parents[2] / "docs" / "simulators" / "paypal.md"
TRACK = "/v2/checkout/orders/{id}/track"
TRACKER = "/v2/checkout/orders/{id}/trackers/{tracker_id}"


def _malformed_json_on_track(case: Case, response: Response, failure: Failure) -> bool:
    """A body that is not JSON is 400 ``MALFORMED_REQUEST_JSON`` on every Orders v2 write operation; the
    spec lists it for all of them but ``/track``."""
    if case.operation.path != TRACK or response.status_code != 400:
        return False
    try:
        details = response.json().get("details") or [{}]
    except ValueError:
        return False
    return [d.get("issue") for d in details] == ["MALFORMED_REQUEST_JSON"]


MALFORMED_JSON_ON_TRACK = Deviation(
    "malformed-json-on-track",
    "a body that is not JSON is 400 MALFORMED_REQUEST_JSON on /track too",
    _malformed_json_on_track,
)
DEVIATIONS = (URI_TOO_LONG, MALFORMED_JSON_ON_TRACK)
# Spec operations the simulator does not serve (listed in docs/simulators/paypal.md): none.
NOT_SIMULATED: set[tuple[str, str]] = set()
_TOKENS: dict[str, str] = {}
_REQUEST_IDS = itertools.count(1)

schema = load_spec(SPEC, API_ROUTES)


def _token(url: str) -> str:
    if url not in _TOKENS:
        resp = requests.post(
            url + "/v1/oauth2/token",
            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        resp.raise_for_status()
        _TOKENS[url] = str(resp.json()["access_token"])
    return _TOKENS[url]


def _call(url: str, token: str, path: str, body: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "PayPal-Request-Id": f"live-{next(_REQUEST_IDS)}"}
    resp = requests.post(url + path, json=body, headers=headers, timeout=10)
    resp.raise_for_status()
    out: dict[str, Any] = resp.json()
    return out


def _order(url: str, token: str, **extra: Any) -> str:
    unit = {"amount": {"currency_code": "USD", "value": "10.00"}}
    return str(
        _call(url, token, "/v2/checkout/orders", {"intent": "CAPTURE", "purchase_units": [unit], **extra})[
            "id"
        ]
    )


def _captured(url: str, token: str) -> tuple[str, str]:
    """A COMPLETED order (card, captured) and its capture id: what tracking needs."""
    card = {"number": "4111111111111111", "expiry": "2035-12"}
    order_id = _order(url, token, payment_source={"card": card})
    captured = _call(url, token, f"/v2/checkout/orders/{order_id}/capture", {})
    return order_id, str(captured["purchase_units"][0]["payments"]["captures"][0]["id"])


def _tracked(url: str, token: str) -> tuple[str, str]:
    """A captured order with one tracker, and the tracker's id."""
    order_id, capture_id = _captured(url, token)
    tracked = _call(url, token, f"/v2/checkout/orders/{order_id}/track", {"capture_id": capture_id})
    return order_id, str(tracked["purchase_units"][0]["shipping"]["trackers"][0]["id"])


def _live(case: Case, url: str, token: str) -> None:
    """Aim a case whose ids were generated valid at live objects: a tracker's order and id, a captured
    order (and, in a valid body, its capture id) for ``/track``, a fresh order otherwise."""
    params = case.path_parameters or {}
    if "id" not in params or not path_is_positive(case):
        return
    if case.operation.path == TRACKER:
        params["id"], params["tracker_id"] = _tracked(url, token)
    elif case.operation.path == TRACK:
        params["id"], capture_id = _captured(url, token)
        if isinstance(case.body, dict) and "capture_id" in case.body and body_is_positive(case):
            case.body["capture_id"] = capture_id
    else:
        params["id"] = _order(url, token)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_paypal_answers_as_its_spec_says(case: Case, paypal_sim: RunningSimulator) -> None:
    token = _token(paypal_sim.url)
    _live(case, paypal_sim.url, token)
    if case.headers and "PayPal-Request-Id" in case.headers:
        case.headers["PayPal-Request-Id"] = f"fuzz-{next(_REQUEST_IDS)}"
    headers = {"Authorization": f"Bearer {token}"} if authenticated(case) else None
    response = case.call(base_url=paypal_sim.url, headers=headers, timeout=10)
    verify(case, response, DEVIATIONS)


def test_unserved_spec_operations_are_the_documented_ones() -> None:
    """Every operation of the Orders spec is fuzzed, but for the ones listed as not simulated."""
    assert unserved(SPEC, API_ROUTES) == NOT_SIMULATED


def test_deviations_are_documented() -> None:
    """The deviations allowed here are exactly those ``docs/simulators/paypal.md`` explains."""
    assert {d.name for d in DEVIATIONS} == documented_deviations(DOCS)
