"""Catch up on provider events the service missed: ``genai-demo reconcile stripe|logistics``.

Stripe keeps events it could not deliver; ``GET /v1/events?delivery_success=false&types[]=…`` lists
them (docs: "process undelivered events"). Each one goes through exactly the path a webhook takes:
translated, deduplicated in the webhook inbox, applied in one transaction, so running the command twice,
or while webhooks still arrive, applies each event at most once. Afterwards the outbox relay is drained
so the reactions (refunds, published events) happen before the command exits.

The carrier keeps no list of undelivered events, so ``reconcile logistics`` asks it about every open
delivery instead (``LogisticsProvider.track_delivery``) and applies what it says as a missed webhook would
have been: the same ``ApplyTrackingUpdate``, under the event id ``reconcile:<tracking number>:<status>``,
so running it twice applies each status once, and a webhook arriving later for the same status is only a
``duplicate-state``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from reference_service.adapters.stripe_events import HANDLED, translate
from reference_service.bootstrap import Container
from reference_service.domain import commands
from reference_service.domain.delivery_commands import ApplyTrackingUpdate


class UndeliveredEvents(Protocol):
    def undelivered_events(self, types: list[str], limit: int = 100) -> list[dict[str, Any]]: ...


def reconcile_stripe(
    container: Container, source: UndeliveredEvents, limit: int = 1000, echo: Callable[[str], None] = print
) -> Counter[str]:
    """Apply every undelivered Stripe event of a handled type; return how many ended in each outcome."""
    outcomes: Counter[str] = Counter()
    events = source.undelivered_events(sorted(HANDLED), limit)
    echo(f"{len(events)} undelivered Stripe event(s)")
    for raw in events:
        event = translate(raw)
        outcome = container.bus.handle(commands.ApplyPaymentEvent(event)).outcome
        outcomes[outcome] += 1
        echo(f"  {event.event_id}  {event.event_type:<40} {outcome}")
    container.relay.drain()
    return outcomes


def reconcile_logistics(
    container: Container, limit: int = 1000, echo: Callable[[str], None] = print
) -> Counter[str]:
    """Apply the carrier's current status of every open delivery; return how many ended in each outcome."""
    outcomes: Counter[str] = Counter()
    provider = container.deliveries.provider
    with container.read_uow() as uow:
        open_ = [
            (d.id, d.tracking_number, d.carrier) for d in uow.deliveries.open(limit) if d.tracking_number
        ]
    echo(f"{len(open_)} open deliver{'y' if len(open_) == 1 else 'ies'}")
    for delivery_id, tracking_number, carrier in open_:
        assert tracking_number is not None
        info = provider.track_delivery(tracking_number, carrier)
        receipt = container.bus.handle(
            ApplyTrackingUpdate(
                provider=provider.name,
                event_id=f"reconcile:{tracking_number}:{info.provider_status}",
                event_type="reconcile",
                tracking_number=tracking_number,
                provider_status=info.provider_status,
                status=info.status,
                source="reconcile",
                est_delivery_at=info.est_delivery_at,
            )
        )
        outcomes[receipt.outcome] += 1
        echo(f"  {delivery_id}  {info.provider_status:<20} {receipt.outcome}")
    container.relay.drain()
    return outcomes
