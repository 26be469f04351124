"""Webhook handlers of the control API: ``/_sim/webhooks/...`` (endpoints, deliveries, redelivery, raw
test events, chaos), one method of :class:`WebhookControls` per route of
:data:`simulators.kernel.urls.CONTROL_ROUTES`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.control_app import int_arg, json_response
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
    from simulators.kernel.provider import SimulatorProvider


class EventSpec(BaseModel):
    """Body of ``POST /_sim/webhooks/events``: publish a raw event through the provider's signer."""

    model_config = ConfigDict(extra="forbid")
    event_type: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict)
    account: str | None = None
    event_id: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    content_type: str | None = None


class WebhookControls:
    """The webhook control handlers (``runtime`` and ``provider`` are set by the subclass)."""

    runtime: SimulatorRuntime
    provider: SimulatorProvider

    def webhooks_index(self) -> Response:
        rt = self.runtime
        return json_response(
            {
                "endpoints": len(rt.endpoints),
                "deliveries": rt.webhooks.stats(),
                "chaos": rt.webhooks.chaos.model_dump(),
                "retry_schedule": list(self.provider.retry_schedule),
                "time_scale": rt.config.time_scale,
            }
        )

    def endpoints_list(self) -> Response:
        if "account" in request.args:
            items = self.runtime.endpoints.find(request.args["account"] or None)
        else:
            items = self.runtime.endpoints.find(any_account=True)
        return json_response({"data": [e.to_json() for e in items]})

    def endpoints_create(self, body: EndpointSpec) -> Response:
        provider = self.provider
        endpoint = WebhookEndpoint(
            id=provider.new_endpoint_id(),
            account=body.account,
            url=body.url,
            secret=body.secret if body.secret is not None else provider.new_webhook_secret(),
            events=tuple(body.events),
            created=self.runtime.clock.now(),
            metadata=body.metadata,
        )
        self.runtime.endpoints.add(endpoint)
        return json_response(endpoint.to_json(), 201)

    def endpoints_get(self, endpoint_id: str) -> Response:
        endpoint = self.runtime.endpoints.get(endpoint_id)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}")
        return json_response(endpoint.to_json())

    def endpoints_delete(self, endpoint_id: str) -> Response:
        if self.runtime.endpoints.remove(endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}")
        return json_response({"id": endpoint_id, "deleted": True})

    def deliveries_list(self) -> Response:
        status = request.args.get("status") or None
        if status not in {None, "pending", "succeeded", "failed", "cancelled"}:
            raise BadRequest("query parameter 'status' must be pending, succeeded, failed or cancelled")
        kwargs: dict[str, Any] = {}
        if "account" in request.args:
            kwargs["account"] = request.args["account"] or None
        items = self.runtime.webhooks.find(
            event_id=request.args.get("event_id") or None,
            event_type=request.args.get("event_type") or None,
            status=_status(status),
            endpoint_id=request.args.get("endpoint_id") or None,
            limit=int_arg("limit", 100, 1, 10_000),
            **kwargs,
        )
        return json_response({"data": self.runtime.webhooks.to_json(items)})

    def deliveries_get(self, delivery_id: str) -> Response:
        delivery = self.runtime.webhooks.get(delivery_id)
        if delivery is None:
            raise NotFound(f"no webhook delivery {delivery_id!r}")
        return json_response(self.runtime.webhooks.to_json([delivery])[0])

    def deliveries_redeliver(self, delivery_id: str) -> Response:
        delivery = self.runtime.webhooks.redeliver(delivery_id)
        if delivery is None:
            raise NotFound(f"no webhook delivery {delivery_id!r}")
        return json_response(self.runtime.webhooks.to_json([delivery])[0], 202)

    def events_publish(self, body: EventSpec) -> Response:
        rt = self.runtime
        ctype = body.content_type or self.provider.webhook_content_type
        if ctype.startswith("application/x-www-form-urlencoded"):
            raw = urlencode({k: str(v) for k, v in body.payload.items()}).encode()
        else:
            raw = json.dumps(body.payload).encode()
        event_id = body.event_id or rt.ids.prefixed("evt", 24)
        if body.url:
            target = WebhookTarget(body.url, None, None, body.account)
            deliveries = [
                rt.webhooks.send(
                    target, raw, event_id=event_id, event_type=body.event_type, content_type=ctype
                )
            ]
        else:
            deliveries = rt.webhooks.publish(
                body.account, body.event_type, raw, event_id=event_id, content_type=ctype
            )
        return json_response({"event_id": event_id, "data": rt.webhooks.to_json(deliveries)}, 202)

    def chaos_get(self) -> Response:
        return json_response(self.runtime.webhooks.chaos.model_dump())

    def chaos_set(self, body: ChaosSettings) -> Response:
        return json_response(self.runtime.webhooks.set_chaos(body).model_dump())

    def chaos_clear(self) -> Response:
        return json_response(self.runtime.webhooks.set_chaos(ChaosSettings()).model_dump())


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
