"""schemathesis against the Stripe simulator, with Stripe's official spec (the PaymentIntents, Events and
Refunds subset) as the schema.

Requests carry ``Authorization: Bearer sk_test_...`` as stripe-python sends it. A case whose path id was
generated valid is sent to a live object made just before (a PaymentIntent, one authorized for incremental
authorization for ``increment_authorization``, a refund of a succeeded payment, an event), so the operation's
own rules run rather than a 404. What is checked, and how to run
longer: :mod:`tests.simulators.fuzz`. Allowed deviations: :data:`DEVIATIONS`, explained in
``docs/simulators/stripe.md``; operations of the spec the simulator does not serve: :data:`NOT_SIMULATED`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from schemathesis import Case

from simulators.stripe.urls import API_ROUTES
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

from .stripe.schemas import SPEC

KEY = "sk_test_fuzz0000000000000000000000"
DOCS = Path(__file__).parents[2] / "docs" / "simulators" / "stripe.md"
DEVIATIONS = (URI_TOO_LONG,)
# Spec operations the simulator does not serve (listed in docs/simulators/stripe.md): none.
NOT_SIMULATED: set[tuple[str, str]] = set()

schema = load_spec(SPEC, API_ROUTES)


def _post(url: str, path: str, data: dict[str, str]) -> dict[str, Any]:
    resp = requests.post(url + path, data=data, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    resp.raise_for_status()
    out: dict[str, Any] = resp.json()
    return out


def _intent(url: str) -> str:
    return str(_post(url, "/v1/payment_intents", {"amount": "2000", "currency": "usd"})["id"])


def _incremental(url: str) -> str:
    """An authorized Visa payment that asked for incremental authorization (``requires_capture``)."""
    params = {
        "amount": "2000",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "payment_method_types[0]": "card",
        "payment_method_options[card][request_incremental_authorization]": "if_available",
        "capture_method": "manual",
        "confirm": "true",
    }
    return str(_post(url, "/v1/payment_intents", params)["id"])


def _refund(url: str) -> str:
    paid = {"amount": "2000", "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"}
    intent = _post(url, "/v1/payment_intents", {**paid, "automatic_payment_methods[enabled]": "false"})
    return str(_post(url, "/v1/refunds", {"payment_intent": intent["id"]})["id"])


def _event(url: str) -> str:
    _intent(url)
    events = requests.get(url + "/v1/events?limit=1", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    return str(events.json()["data"][0]["id"])


LIVE: dict[str, Callable[[str], str]] = {"intent": _intent, "refund": _refund, "id": _event}
# Operations whose rules only run on an intent in a given state get one made for them.
LIVE_FOR: dict[str, Callable[[str], str]] = {
    "/v1/payment_intents/{intent}/increment_authorization": _incremental
}


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_stripe_answers_as_its_spec_says(case: Case, stripe_sim: RunningSimulator) -> None:
    if path_is_positive(case):
        for name in case.path_parameters or {}:
            if name in LIVE:
                make = LIVE_FOR.get(case.operation.path, LIVE[name])
                case.path_parameters[name] = make(stripe_sim.url)
    headers = {"Authorization": f"Bearer {KEY}"} if authenticated(case) else None
    response = case.call(base_url=stripe_sim.url, headers=headers, timeout=10)
    verify(case, response, DEVIATIONS)


def test_unserved_spec_operations_are_the_documented_ones() -> None:
    """Every operation of the spec subset is fuzzed, but for the ones listed as not simulated."""
    assert unserved(SPEC, API_ROUTES) == NOT_SIMULATED


def test_deviations_are_documented() -> None:
    """The deviations allowed here are exactly those ``docs/simulators/stripe.md`` explains."""
    assert {d.name for d in DEVIATIONS} == documented_deviations(DOCS)
