"""Event subscribers that publish domain events to the seed's topics."""

from __future__ import annotations

from reference_service.domain.events import Event
from reference_service.ports import EventPublisher, PendingDelivery, PublishedEvent

#: the name of the subscriber that publishes events (stored in the outbox's ``handled_by``)
PUBLISHER = "publisher"

#: topic per aggregate type, from the seed's ``kafka_configuration.topics`` (plus deliveries)
TOPICS = {
    "order": "order-events",
    "payment": "payment-events",
    "notification": "notification-events",
    "delivery": "delivery-events",
}


def topic_for(event: Event) -> str:
    return TOPICS.get(event.aggregate_type, f"{event.aggregate_type}-events")


def publish_event(event: Event, *, publisher: EventPublisher) -> PendingDelivery | None:
    """Publish ``event`` keyed by its aggregate id (so one order's events stay in order on a partition).

    Returns the publisher's pending delivery, which the outbox relay waits on before marking the record."""
    return publisher.publish(
        PublishedEvent(
            topic=topic_for(event),
            key=event.aggregate_id,
            event_type=event.name,
            event_id=event.event_id,
            payload=event.to_payload(),
        )
    )
