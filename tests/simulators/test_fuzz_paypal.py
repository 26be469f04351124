"""schemathesis against the PayPal simulator, with PayPal's official Orders v2 spec as the schema.

Requests carry ``Authorization: Bearer <token>`` from ``POST /v1/oauth2/token`` with the lab app's client
credentials, as every PayPal SDK does. A case whose order ``id`` was generated valid is sent to a live order
created just before, so capture, authorize, patch and get run their own rules rather than a 404; each case
gets its own ``PayPal-Request-Id`` (one shared example value would turn every later create into a replay of
the first). What is checked, and how to run longer: :mod:`tests.simulators.fuzz`. Allowed deviations:
:data:`DEVIATIONS`, explained in ``docs/simulators/paypal.md``; operations the simulator does not serve:
:data:`NOT_SIMULATED`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import requests
from hypothesis import HealthCheck, settings
from schemathesis import Case

from simulators.paypal.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from simulators.paypal.urls import API_ROUTES
from simulators.testing import RunningSimulator
from tests.simulators.fuzz import (
    URI_TOO_LONG,
    authenticated,
    documented_deviations,
    load_spec,
    path_is_positive,
    unserved,
    verify,
)

from .paypal.spec import SPECS

SPEC = SPECS / "checkout_orders_v2.json"
DOCS = Path(__file__).parents[2] / "docs" / "simulators" / "paypal.md"
DEVIATIONS = (URI_TOO_LONG,)
# Spec operations the simulator does not serve yet (listed in docs/simulators/paypal.md).
NOT_SIMULATED = {
    ("POST", "/v2/checkout/orders/{}/confirm-payment-source"),
    ("POST", "/v2/checkout/orders/{}/track"),
    ("PATCH", "/v2/checkout/orders/{}/trackers/{}"),
}
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


def _order(url: str, token: str) -> str:
    body = {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "10.00"}}]}
    resp = requests.post(
        url + "/v2/checkout/orders", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    resp.raise_for_status()
    return str(resp.json()["id"])


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_paypal_answers_as_its_spec_says(case: Case, paypal_sim: RunningSimulator) -> None:
    token = _token(paypal_sim.url)
    if "id" in (case.path_parameters or {}) and path_is_positive(case):
        case.path_parameters["id"] = _order(paypal_sim.url, token)
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
