"""``/api/v1/admin``: operator views of the lab. ``GET /api/v1/admin/events`` lists the domain events the
outbox relay most recently published (newest first; in-process publisher only), so a tester can see
that a change produced its events without a Kafka consumer. Needs ``events:read`` (support, admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.entrypoints.access import requires
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.api.spec import ApiSpec


class RecentEventsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=1000)] = 100
    type: Annotated[
        str | None, Field(max_length=100, description="Only this event type, e.g. order.created")
    ] = None


class PublishedEventOut(BaseModel):
    topic: str
    key: str
    event_type: str
    event_id: str
    payload: dict[str, Any]


class PublishedEventListOut(BaseModel):
    object: Literal["list"] = "list"
    publisher: str
    data: list[PublishedEventOut]


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")

    @spec.operation(
        bp,
        "/events",
        "GET",
        operation_id="listPublishedEvents",
        summary="Domain events recently published by the outbox relay",
        tags=["admin"],
        query=RecentEventsQuery,
        responses={200: (PublishedEventListOut, "Newest first")},
    )
    @requires(Permission.EVENTS_READ)
    def recent_events(query: RecentEventsQuery) -> Response:
        recent = getattr(container.publisher, "recent", None)
        events = recent(query.limit, query.type) if recent is not None else []
        data = [
            PublishedEventOut(
                topic=event.topic,
                key=event.key,
                event_type=event.event_type,
                event_id=event.event_id,
                payload=event.payload,
            )
            for event in events
        ]
        return render(PublishedEventListOut(publisher=container.publisher.name, data=data))

    return bp
