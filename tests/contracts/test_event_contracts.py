"""Every domain event has a contract, its fields match the event class, and real published events
(orders and payments, through the outbox relay) satisfy ``events/envelope``."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient

import contracts
import reference_service.domain.notifications
import reference_service.domain.orders
import reference_service.domain.payments  # noqa: F401  (import every module that defines events)
from reference_service.bootstrap import Container
from reference_service.domain.events import Event


def event_classes() -> list[type[Event]]:
    found: list[type[Event]] = []
    pending = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.name != Event.name:  # intermediate bases (PaymentEvent) have no name of their own
            found.append(cls)
    return sorted(found, key=lambda c: c.name)


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.name)
def test_every_event_has_a_contract_with_exactly_its_fields(cls: type[Event]) -> None:
    name = f"events/{cls.name}"
    assert name in contracts.names("events/"), f"{cls.__name__} ({cls.name}) has no contract {name}"
    schema = contracts.schema(name)
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(cls)}
    envelope = contracts.schema("events/envelope")
    assert any(branch["if"]["properties"]["event_type"]["const"] == cls.name for branch in envelope["allOf"])


def test_published_order_and_payment_events_satisfy_the_envelope(
    client: FlaskClient, container: Container
) -> None:
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_ref": "cus_ev",
            "currency": "USD",
            "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 500}],
        },
    ).json
    assert (
        client.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"provider": "stripe", "payment_method": "pm_card_visa"},
        ).status_code
        == 201
    )
    client.post(f"/api/v1/orders/{order['id']}/cancel")
    container.relay.drain()
    published = client.get("/api/v1/admin/events", query_string={"limit": 1000}).json["data"]
    types = {e["event_type"] for e in published}
    assert {
        "order.created",
        "payment.created",
        "payment.succeeded",
        "payment.status_changed",
        "order.cancelled",
    } <= types
    for event in published:
        contracts.validate("events/envelope", event)
