"""Webhook routes of the control API: ``/_sim/webhooks/...`` (endpoints, deliveries, redelivery, raw
test events, chaos). Registered on the kernel's control blueprint by
:func:`simulators.kernel.control.build_control_blueprint`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.control import int_arg, json_response, parse_body
from simulators.kernel.errors import BadRequest, NotFound
from simulators.kernel.webhooks import (
    ChaosSettings,
    DeliveryStatus,
    EndpointSpec,
    WebhookEndpoint,
    WebhookTarget,
)

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime


class EventSpec(BaseModel):
    """Body of ``POST /_sim/webhooks/events``: publish a raw event through the provider's signer."""

    model_config = ConfigDict(extra="forbid")
    event_type: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict)
    account: str | None = None
    event_id: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    content_type: str | None = None


def register_webhook_routes(bp: Blueprint, rt: SimulatorRuntime) -> None:
    provider = rt.provider

    @bp.get("/webhooks")
    def webhooks_index() -> Response:
        return json_response(
            {
                "endpoints": len(rt.endpoints),
                "deliveries": rt.webhooks.stats(),
                "chaos": rt.webhooks.chaos.model_dump(),
                "retry_schedule": list(provider.retry_schedule),
                "time_scale": rt.config.time_scale,
            }
        )

    @bp.get("/webhooks/endpoints")
    def endpoints_list() -> Response:
        if "account" in request.args:
            items = rt.endpoints.find(request.args["account"] or None)
        else:
            items = rt.endpoints.find(any_account=True)
        return json_response({"data": [e.to_json() for e in items]})

    @bp.post("/webhooks/endpoints")
    def endpoints_create() -> Response:
        spec = parse_body(EndpointSpec)
        endpoint = WebhookEndpoint(
            id=provider.new_endpoint_id(),
            account=spec.account,
            url=spec.url,
            secret=spec.secret if spec.secret is not None else provider.new_webhook_secret(),
            events=tuple(spec.events),
            created=rt.clock.now(),
            metadata=spec.metadata,
        )
        rt.endpoints.add(endpoint)
        return json_response(endpoint.to_json(), 201)

    @bp.get("/webhooks/endpoints/<endpoint_id>")
    def endpoints_get(endpoint_id: str) -> Response:
        ep = rt.endpoints.get(endpoint_id)
        if ep is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}")
        return json_response(ep.to_json())

    @bp.delete("/webhooks/endpoints/<endpoint_id>")
    def endpoints_delete(endpoint_id: str) -> Response:
        if rt.endpoints.remove(endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}")
        return json_response({"id": endpoint_id, "deleted": True})

    @bp.get("/webhooks/deliveries")
    def deliveries_list() -> Response:
        status = request.args.get("status") or None
        if status not in {None, "pending", "succeeded", "failed", "cancelled"}:
            raise BadRequest("query parameter 'status' must be pending, succeeded, failed or cancelled")
        kwargs: dict[str, Any] = {}
        if "account" in request.args:
            kwargs["account"] = request.args["account"] or None
        items = rt.webhooks.find(
            event_id=request.args.get("event_id") or None,
            event_type=request.args.get("event_type") or None,
            status=_status(status),
            endpoint_id=request.args.get("endpoint_id") or None,
            limit=int_arg("limit", 100, 1, 10_000),
            **kwargs,
        )
        return json_response({"data": rt.webhooks.to_json(items)})

    @bp.get("/webhooks/deliveries/<delivery_id>")
    def deliveries_get(delivery_id: str) -> Response:
        d = rt.webhooks.get(delivery_id)
        if d is None:
            raise NotFound(f"no webhook delivery {delivery_id!r}")
        return json_response(rt.webhooks.to_json([d])[0])

    @bp.post("/webhooks/deliveries/<delivery_id>/redeliver")
    def deliveries_redeliver(delivery_id: str) -> Response:
        d = rt.webhooks.redeliver(delivery_id)
        if d is None:
            raise NotFound(f"no webhook delivery {delivery_id!r}")
        return json_response(rt.webhooks.to_json([d])[0], 202)

    @bp.post("/webhooks/events")
    def events_publish() -> Response:
        spec = parse_body(EventSpec)
        ctype = spec.content_type or provider.webhook_content_type
        if ctype.startswith("application/x-www-form-urlencoded"):
            body = urlencode({k: str(v) for k, v in spec.payload.items()}).encode()
        else:
            body = json.dumps(spec.payload).encode()
        event_id = spec.event_id or rt.ids.prefixed("evt", 24)
        if spec.url:
            target = WebhookTarget(spec.url, None, None, spec.account)
            deliveries = [
                rt.webhooks.send(
                    target, body, event_id=event_id, event_type=spec.event_type, content_type=ctype
                )
            ]
        else:
            deliveries = rt.webhooks.publish(
                spec.account, spec.event_type, body, event_id=event_id, content_type=ctype
            )
        return json_response({"event_id": event_id, "data": rt.webhooks.to_json(deliveries)}, 202)

    @bp.get("/webhooks/chaos")
    def chaos_get() -> Response:
        return json_response(rt.webhooks.chaos.model_dump())

    @bp.post("/webhooks/chaos")
    def chaos_set() -> Response:
        return json_response(rt.webhooks.set_chaos(parse_body(ChaosSettings)).model_dump())

    @bp.delete("/webhooks/chaos")
    def chaos_clear() -> Response:
        return json_response(rt.webhooks.set_chaos(ChaosSettings()).model_dump())


def _status(value: str | None) -> DeliveryStatus | None:
    if value == "pending":
        return "pending"
    if value == "succeeded":
        return "succeeded"
    if value == "failed":
        return "failed"
    if value == "cancelled":
        return "cancelled"
    return None
