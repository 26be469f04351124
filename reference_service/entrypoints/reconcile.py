"""Catch up on provider events the service missed: ``genai-demo reconcile stripe``.

Stripe keeps events it could not deliver; ``GET /v1/events?delivery_success=false&types[]=…`` lists
them (docs: "process undelivered events"). Each one goes through exactly the path a webhook takes:
translated, deduplicated in the webhook inbox, applied in one transaction, so running the command twice,
or while webhooks still arrive, applies each event at most once. Afterwards the outbox relay is drained
so the reactions (refunds, published events) happen before the command exits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from reference_service.adapters.stripe_events import HANDLED, translate
from reference_service.bootstrap import Container
from reference_service.domain import commands


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
