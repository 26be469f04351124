"""``genai-demo trigger stripe <event>``: what ``stripe trigger <event>`` does, against the simulator.

Like the Stripe CLI (``pkg/fixtures/triggers/*.json``), it makes the real API calls with the account's test
key through the official SDK, and the simulator then emits the event and its side-effect events to the
account's webhook endpoints. Fixtures (stripe-cli v1.50, ``pkg/fixtures/triggers``):

* ``payment_intent.succeeded``: create + confirm, 2000 usd, ``pm_card_visa``, shipping, description
  ``(created by Stripe CLI)``.
* ``payment_intent.payment_failed``: the same with ``pm_card_chargeDeclined`` (the 402 is the expected
  ``card_error``).
* ``payment_intent.requires_action``: ``pm_card_authenticationRequired``.
* ``charge.refunded``: a succeeded payment, then ``POST /v1/refunds`` for its charge.
* ``charge.dispute.created``: 100 usd cents, ``pm_card_createDisputeInquiry``.

Output mirrors the CLI: ``Setting up fixture for: ...``, ``Running fixture for: ...``, then
``Trigger succeeded! Check dashboard for event details.``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEFAULT_API_BASE = "http://127.0.0.1:12111"
DEFAULT_API_KEY = "sk_test_genaidemo0000000000000000"

_SHIPPING = {
    "name": "Jenny Rosen",
    "address": {
        "line1": "510 Townsend St",
        "postal_code": "94103",
        "city": "San Francisco",
        "state": "CA",
        "country": "US",
    },
}


def _payment(pm: str, amount: int = 2000) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": "usd",
        "confirm": True,
        "payment_method": pm,
        "payment_method_types": ["card"],
        "description": "(created by Stripe CLI)",
        "shipping": _SHIPPING,
    }


# event -> [(fixture name, path, params, expected error type or None)]
FIXTURES: dict[str, list[tuple[str, str, dict[str, Any], str | None]]] = {
    "payment_intent.succeeded": [("payment_intent", "/v1/payment_intents", _payment("pm_card_visa"), None)],
    "payment_intent.payment_failed": [
        ("payment_intent", "/v1/payment_intents", _payment("pm_card_chargeDeclined"), "card_error")
    ],
    "payment_intent.requires_action": [
        ("payment_intent", "/v1/payment_intents", _payment("pm_card_authenticationRequired"), None)
    ],
    "charge.refunded": [
        ("payment_intent", "/v1/payment_intents", _payment("pm_card_visa"), None),
        ("refund", "/v1/refunds", {"charge": "${payment_intent:latest_charge}"}, None),
    ],
    "charge.dispute.created": [
        ("payment_intent", "/v1/payment_intents", _payment("pm_card_createDisputeInquiry", 100), None)
    ],
}
EVENTS: tuple[str, ...] = tuple(FIXTURES)


def run_trigger(
    event: str, api_base: str, api_key: str, echo: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run ``event``'s fixture through the SDK; returns the created objects by fixture name."""
    import stripe

    if event not in FIXTURES:
        raise ValueError(f"unsupported event {event!r} (supported: {', '.join(EVENTS)})")
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base})
    created: dict[str, Any] = {}
    for name, _path, params, expected_error in FIXTURES[event]:
        echo(f"Setting up fixture for: {name}")
        resolved = {k: _resolve(v, created) for k, v in params.items()}
        echo(f"Running fixture for: {name}")
        fixture_params: Any = resolved
        obj: Any
        try:
            if name == "payment_intent":
                obj = client.v1.payment_intents.create(params=fixture_params)
            else:
                obj = client.v1.refunds.create(params=fixture_params)
        except stripe.StripeError as exc:
            if expected_error is None or exc.error is None or exc.error.type != expected_error:
                raise
            obj = exc.error.payment_intent
        created[name] = obj
        if obj is not None:
            echo(f"  {name} {obj['id']} ({getattr(obj, 'status', '')})")
    echo("Trigger succeeded! Check dashboard for event details.")
    return created


def _resolve(value: Any, created: dict[str, Any]) -> Any:
    """``${fixture:field}`` -> that field of an object an earlier fixture created (stripe-cli syntax)."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        fixture, _, field = value[2:-1].partition(":")
        return created[fixture][field]
    return value


@click.command("stripe")
@click.argument("event", type=click.Choice(EVENTS))
@click.option("--api-base", default=DEFAULT_API_BASE, show_default=True, help="The Stripe simulator's URL.")
@click.option(
    "--api-key",
    envvar="STRIPE_SECRET_KEY",
    default=DEFAULT_API_KEY,
    show_default=True,
    help="Secret key of the account (default: STRIPE_SECRET_KEY, else the lab's key).",
)
def stripe_trigger(event: str, api_base: str, api_key: str) -> None:
    """Trigger EVENT like `stripe trigger`: real API calls that make the simulator emit it."""
    import stripe

    try:
        run_trigger(event, api_base, api_key, click.echo)
    except stripe.StripeError as exc:
        raise click.ClickException(f"Trigger failed: {exc.user_message or exc}") from None
