"""Builders of Stripe objects as API 2023-10-16 renders them (pure functions, no state, no I/O).

Charges, refunds, disputes and balance transactions are in :mod:`simulators.stripe.resources_money`.
Field sets follow Stripe's ``fixtures-2023-10-16.json`` (stripe-mock) and the 2023-08-16 OpenAPI schemas
(``id`` and ``object`` first, then alphabetical, as the live API sends them). Deliberate 2023-10-16 details:
a Charge no longer carries ``refunds`` unless expanded (changelog 2022-11-15 "deprecates charges auto
expand"), a PaymentIntent has ``latest_charge`` and no ``charges`` list, and a publishable key sees only the
PaymentIntent fields Stripe.js gets (:data:`PUBLISHABLE_INTENT_FIELDS`). The fidelity tests validate every
builder's output against the official schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulators.stripe.magic import CardProfile

# What Stripe.js may read of a PaymentIntent with a publishable key and the client secret (Stripe API
# reference, "Retrieve a PaymentIntent": "only a subset of properties will be returned").
PUBLISHABLE_INTENT_FIELDS = frozenset(
    "id object amount amount_details automatic_payment_methods canceled_at cancellation_reason "
    "capture_method "
    "client_secret confirmation_method created currency description last_payment_error livemode next_action "
    "payment_method payment_method_configuration_details payment_method_types processing receipt_email "
    "setup_future_usage shipping status".split()
)


def empty_address() -> dict[str, Any]:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def billing_details(given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``billing_details`` with every field present (nulls where not given)."""
    given = given or {}
    address = empty_address()
    if isinstance(given.get("address"), dict):
        address.update({k: v for k, v in given["address"].items() if k in address})
    return {
        "address": address,
        "email": given.get("email"),
        "name": given.get("name"),
        "phone": given.get("phone"),
    }


def shipping(given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A ``shipping`` object (``None`` stays ``None``)."""
    if given is None:
        return None
    address = empty_address()
    if isinstance(given.get("address"), dict):
        address.update({k: v for k, v in given["address"].items() if k in address})
    return {
        "address": address,
        "carrier": given.get("carrier"),
        "name": given.get("name"),
        "phone": given.get("phone"),
        "tracking_number": given.get("tracking_number"),
    }


def payment_method(
    pm_id: str,
    card: CardProfile,
    *,
    created: int,
    fingerprint: str,
    exp_month: int,
    exp_year: int,
    billing: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A ``payment_method`` of type card: brand, last4, expiry and fingerprint, never the number."""
    return {
        "id": pm_id,
        "object": "payment_method",
        "billing_details": billing_details(billing),
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": None},
            "country": card.country,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": None,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "type": "card",
    }


CARD_OPTION_KEYS = (
    "capture_method",
    "request_three_d_secure",
    "setup_future_usage",
    "request_incremental_authorization",
)


def merge_card_options(card_options: dict[str, Any], params: Mapping[str, Any]) -> None:
    """Copy the ``payment_method_options[card][...]`` the simulator acts on into the intent's
    ``payment_method_options.card`` (create, update and confirm all take them)."""
    given = (params.get("payment_method_options") or {}).get("card") or {}
    for key in CARD_OPTION_KEYS:
        if given.get(key) is not None:
            card_options[key] = given[key]


def payment_intent(
    pi_id: str,
    *,
    client_secret: str,
    amount: int,
    currency: str,
    created: int,
    capture_method: str,
    confirmation_method: str,
    automatic_payment_methods: dict[str, Any] | None,
    payment_method_types: list[str],
    pmc_id: str | None,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """A new ``payment_intent`` in ``requires_payment_method`` (the caller sets the rest)."""
    card_options: dict[str, Any] = {
        "installments": None,
        "mandate_options": None,
        "network": None,
        "request_three_d_secure": "automatic",
    }
    merge_card_options(card_options, params)
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": client_secret,
        "confirmation_method": confirmation_method,
        "created": created,
        "currency": currency,
        "customer": None,
        "description": params.get("description"),
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(params.get("metadata") or {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": (
            {"id": pmc_id, "parent": None} if automatic_payment_methods and pmc_id else None
        ),
        "payment_method_options": {"card": card_options},
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "review": None,
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": shipping(params.get("shipping")),
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": params.get("transfer_group"),
    }


def webhook_endpoint(
    we_id: str,
    *,
    url: str,
    enabled_events: Iterable[str],
    created: int,
    enabled: bool,
    description: str | None,
    metadata: Mapping[str, str],
    api_version: str | None,
    secret: str | None = None,
) -> dict[str, Any]:
    """A ``webhook_endpoint``; ``secret`` is only shown in the create response (as Stripe does)."""
    data: dict[str, Any] = {
        "id": we_id,
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": list(enabled_events),
        "livemode": False,
        "metadata": dict(metadata),
        "status": "enabled" if enabled else "disabled",
        "url": url,
    }
    if secret is not None:
        data["secret"] = secret
    return data


def list_object(data: list[Any], url: str, has_more: bool) -> dict[str, Any]:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def deleted(object_id: str, kind: str) -> dict[str, Any]:
    """What a DELETE answers."""
    return {"id": object_id, "object": kind, "deleted": True}


def publishable_view(intent: Mapping[str, Any]) -> dict[str, Any]:
    """The PaymentIntent as a publishable key sees it."""
    return {k: v for k, v in intent.items() if k in PUBLISHABLE_INTENT_FIELDS}
