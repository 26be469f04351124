"""The EasyPost API handlers: authenticate, parse, call the model, render EasyPost's JSON.

No state lives here. Each handler is named after its operation in ``urls.API_ROUTES``, receives the request
explicitly, authenticates the API key (:mod:`simulators.logistics.auth`, 401 otherwise), parses the body
(:mod:`simulators.logistics.validation`), calls :class:`~simulators.logistics.models.LogisticsBackend` and
answers with :mod:`simulators.logistics.resources`. Creates answer 201, as EasyPost does. The events a request
causes (``tracker.created``, ``shipment.purchased``) are sent through :class:`LogisticsWebhooks`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from simulators.kernel.api import Response
from simulators.kernel.wsgi import SimRequest
from simulators.logistics import resources
from simulators.logistics import validation as v
from simulators.logistics.auth import ApiKey, authenticate
from simulators.logistics.models import LogisticsBackend, Shipment
from simulators.logistics.webhooks import LogisticsWebhooks

# a 1x1 PNG: what a label URL serves (the label image itself is not simulated)
LABEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@dataclass
class Links:
    """The simulator's own base URL, as clients reach it (for ``label_url`` and ``public_url`` in events
    sent later from the timeline): the host of the latest API request."""

    base: str = ""


class LogisticsResponses:
    """The API handlers, one per operation of ``urls.API_ROUTES``."""

    def __init__(self, backend: LogisticsBackend, webhooks: LogisticsWebhooks, links: Links) -> None:
        self.backend = backend
        self.webhooks = webhooks
        self.links = links

    def _key(self, request: SimRequest) -> ApiKey:
        key = authenticate(request)
        self.links.base = request.host_url
        return key

    def _shipment_json(self, request: SimRequest, key: ApiKey, shipment: Shipment) -> dict[str, Any]:
        tracker = self.backend.tracker(key, shipment.tracker_id) if shipment.tracker_id else None
        return resources.shipment(shipment, tracker, request.host_url)

    # -- addresses -------------------------------------------------------------------------------------
    def create_address(self, request: SimRequest) -> Response:
        """``POST /v2/addresses`` (``verify``: with verifications; ``verify_strict``: 422 when it fails)."""
        key = self._key(request)
        data = v.body(request)
        fields = v.address_params(v.wrapped(data, "address"))
        verify = v.flag(data.get("verify")) or v.flag(v.wrapped(data, "address").get("verify"))
        strict = v.flag(data.get("verify_strict")) or v.flag(v.wrapped(data, "address").get("verify_strict"))
        address = self.backend.create_address(key, fields, verify=verify, strict=strict)
        return Response.json(resources.address(address), 201)

    def create_and_verify_address(self, request: SimRequest) -> Response:
        """``POST /v2/addresses/create_and_verify``: ``{"address": {...}}`` verified, or 422."""
        key = self._key(request)
        fields = v.address_params(v.wrapped(v.body(request), "address"))
        address = self.backend.create_address(key, fields, verify=True, strict=True)
        return Response.json({"address": resources.address(address)}, 201)

    def retrieve_address(self, request: SimRequest, address_id: str) -> Response:
        return Response.json(resources.address(self.backend.address(self._key(request), address_id)))

    def verify_address(self, request: SimRequest, address_id: str) -> Response:
        """``GET /v2/addresses/{id}/verify``: ``{"address": {...}}`` verified, or 422."""
        address = self.backend.verify_address(self._key(request), address_id)
        return Response.json({"address": resources.address(address)})

    def list_addresses(self, request: SimRequest) -> Response:
        page = self.backend.listing(self._key(request), "addresses", *v.page_params(request))
        return Response.json(resources.listing("addresses", page, resources.address))

    # -- shipments -------------------------------------------------------------------------------------
    def create_shipment(self, request: SimRequest) -> Response:
        """``POST /v2/shipments``: the shipment with a rate per carrier service."""
        key = self._key(request)
        shipment = self.backend.create_shipment(key, v.wrapped(v.body(request), "shipment"))
        return Response.json(self._shipment_json(request, key, shipment), 201)

    def retrieve_shipment(self, request: SimRequest, shipment_id: str) -> Response:
        key = self._key(request)
        return Response.json(self._shipment_json(request, key, self.backend.shipment(key, shipment_id)))

    def list_shipments(self, request: SimRequest) -> Response:
        key = self._key(request)
        page = self.backend.listing(key, "shipments", *v.page_params(request))
        return Response.json(
            resources.listing("shipments", page, lambda s: self._shipment_json(request, key, s))
        )

    def buy_shipment(self, request: SimRequest, shipment_id: str) -> Response:
        """``POST /v2/shipments/{id}/buy`` with ``{"rate": {"id"}}``: label, tracking code and tracker."""
        key = self._key(request)
        shipment = self.backend.buy(key, shipment_id, v.rate_id(v.body(request)), None)
        body = self._shipment_json(request, key, shipment)
        self.webhooks.emit(key.account, key.mode, "tracker.created", body["tracker"], {})
        self.webhooks.emit(key.account, key.mode, "shipment.purchased", body, {})
        return Response.json(body)

    def refund_shipment(self, request: SimRequest, shipment_id: str) -> Response:
        """``POST /v2/shipments/{id}/refund``: ``refund_status: submitted`` (422 once the label was used)."""
        key = self._key(request)
        shipment = self.backend.refund(key, shipment_id)
        return Response.json(self._shipment_json(request, key, shipment))

    def download_label(self, request: SimRequest, label_id: str) -> Response:
        """A label's image (a placeholder PNG; public, as EasyPost's label URLs are)."""
        return Response(LABEL_PNG, 200, "image/png")

    # -- trackers --------------------------------------------------------------------------------------
    def create_tracker(self, request: SimRequest) -> Response:
        """``POST /v2/trackers``: a new tracker (``tracker.created``), or the existing one for the code."""
        key = self._key(request)
        tracker, created = self.backend.create_tracker(key, *v.tracker_params(v.body(request)))
        body = resources.tracker(tracker, request.host_url)
        if created:
            self.webhooks.emit(key.account, key.mode, "tracker.created", body, {})
        return Response.json(body, 201 if created else 200)

    def retrieve_tracker(self, request: SimRequest, tracker_id: str) -> Response:
        key = self._key(request)
        return Response.json(resources.tracker(self.backend.tracker(key, tracker_id), request.host_url))

    def list_trackers(self, request: SimRequest) -> Response:
        key = self._key(request)
        page = self.backend.listing(key, "trackers", *v.page_params(request))
        code = request.query_value("tracking_code")
        items = [t for t in page.items if code is None or t.tracking_code == code]
        return Response.json(
            {"trackers": [resources.tracker(t, request.host_url) for t in items], "has_more": page.has_more}
        )

    # -- webhooks and events ---------------------------------------------------------------------------
    def create_webhook(self, request: SimRequest) -> Response:
        """``POST /v2/webhooks`` with ``{"webhook": {"url", "webhook_secret"?}}``."""
        key = self._key(request)
        endpoint = self.webhooks.create(key, *v.webhook_params(v.body(request)))
        return Response.json(resources.webhook(endpoint, key.mode), 201)

    def list_webhooks(self, request: SimRequest) -> Response:
        key = self._key(request)
        return Response.json({"webhooks": [resources.webhook(e, key.mode) for e in self.webhooks.all(key)]})

    def retrieve_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        key = self._key(request)
        return Response.json(resources.webhook(self.webhooks.get(key, webhook_id), key.mode))

    def update_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        """``PATCH /v2/webhooks/{id}``: re-enable; ``webhook_secret`` rotates the secret."""
        key = self._key(request)
        data = v.body(request)
        inner = data.get("webhook") if isinstance(data.get("webhook"), dict) else data
        secret = inner.get("webhook_secret") if isinstance(inner, dict) else None
        endpoint = self.webhooks.update(key, webhook_id, str(secret) if secret else None)
        return Response.json(resources.webhook(endpoint, key.mode))

    def delete_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        self.webhooks.delete(self._key(request), webhook_id)
        return Response.json({})

    def list_events(self, request: SimRequest) -> Response:
        page = self.backend.listing(self._key(request), "events", *v.page_params(request))
        return Response.json(resources.listing("events", page, resources.event))

    def retrieve_event(self, request: SimRequest, event_id: str) -> Response:
        return Response.json(resources.event(self.backend.event(self._key(request), event_id)))
