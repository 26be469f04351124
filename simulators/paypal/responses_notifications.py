"""PayPal's Webhooks v1 API: registration, events, resend, simulate-event, verify-webhook-signature, certs.

Webhooks registered here are kernel endpoints of the app's account (so ``/_sim/webhooks/deliveries``
shows their deliveries); a webhook's ``id`` is the ``webhook_id`` its deliveries are signed for. PayPal's
limits apply: ten webhooks per app (``WEBHOOK_NUMBER_LIMIT_EXCEEDED``), one per URL
(``WEBHOOK_URL_ALREADY_EXISTS``). Unlike PayPal, ``http://`` URLs are accepted (a lab has no TLS).

``POST /v1/notifications/verify-webhook-signature`` answers truthfully: SUCCESS only if ``auth_algo`` is
``SHA256withRSA``, ``cert_url`` names this simulator's certificate, ``webhook_id`` is one of the caller's
webhooks, ``webhook_event`` is exactly an event this simulator sent to the app, and ``transmission_sig``
verifies over ``transmission_id|transmission_time|webhook_id|crc32(the bytes sent)``. Missing or malformed
fields are a 400 ``VALIDATION_ERROR`` (all fields are required by the spec). The spec's pattern for
``transmission_sig`` (``^(?!\\d+$)\\w+\\S+``) would reject the ~3 % of valid base64 signatures that start
with ``+`` or ``/``, so only its length is enforced.

``POST /v1/notifications/simulate-event`` sends a sample event of ``event_type`` (resource version 2.0) to
``webhook_id`` or ``url``, signed like any other; PayPal's sample events cannot be verified by postback,
this simulator's can (for ``url`` targets the signed webhook id is the literal ``WEBHOOK_ID``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from simulators.kernel.api import Response
from simulators.kernel.webhooks import WebhookEndpoint
from simulators.kernel.wsgi import SimRequest
from simulators.paypal import urls
from simulators.paypal.exceptions import (
    Detail,
    InvalidRequest,
    InvalidResourceId,
    NotificationsError,
    ValidationError,
    WebhookNumberLimitExceeded,
    WebhookUrlAlreadyExists,
)
from simulators.paypal.responses import PayPalHandlers
from simulators.paypal.validation_checks import parse_json
from simulators.paypal.webhooks import (
    EVENT_TYPES,
    MAX_WEBHOOKS_PER_APP,
    WEBHOOK_ID_PLACEHOLDER,
    StoredEvent,
    signed_message,
)
from simulators.paypal.webhooks_samples import SAMPLE_TYPES, sample_event
from simulators.paypal.webhooks_signing import AUTH_ALGO

ID_RE = re.compile(r"^[a-zA-Z0-9]+$")
EVENT_NAME_RE = re.compile(r"^[a-zA-Z0-9.]+$")
VERIFY_FIELDS = {
    "auth_algo": 100,
    "cert_url": 500,
    "transmission_id": 50,
    "transmission_sig": 500,
    "transmission_time": 100,
    "webhook_id": 50,
}


class MalformedRequest(NotificationsError):
    """400 ``MALFORMED_REQUEST``: the body is not the JSON the API expects."""

    name = "MALFORMED_REQUEST"
    text = "Incoming JSON request does not map to API request"


def _invalid(field: str, issue: str) -> ValidationError:
    return ValidationError(Detail(issue, field=field))


def _event_types(value: Any, field: str = "event_types") -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > 500:
        raise _invalid(field, "Required field cannot be blank" if not value else "Invalid event types")
    names: list[str] = []
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if name != "*" and name not in EVENT_TYPES:
            raise _invalid(f"{field}[{i}].name", "Invalid event name")
        names.append(str(name))
    return tuple(dict.fromkeys(names))


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid("url", "Required field cannot be blank")
    if not re.match(r"^https?://[^\s/]+", value) or len(value) > 2048:
        raise _invalid("url", "Not a valid webhook URL")
    return value


class NotificationsApi(PayPalHandlers):
    """``/v1/notifications/...`` handlers."""

    def _json(self, request: SimRequest) -> Any:
        try:
            return parse_json(request.body, "notifications", allow_empty=True)
        except InvalidRequest:
            raise MalformedRequest() from None

    def _object(self, request: SimRequest) -> dict[str, Any]:
        body = self._json(request)
        if not isinstance(body, dict):
            raise MalformedRequest()
        return body

    def _webhook(self, account: str, webhook_id: str) -> WebhookEndpoint:
        ep = self.provider.runtime.endpoints.get(webhook_id, account, any_account=False)
        if ep is None:
            raise InvalidResourceId()
        return ep

    def _webhook_json(self, request: SimRequest, ep: WebhookEndpoint) -> dict[str, Any]:
        href = urls.webhook_href(self.base_url(request), ep.id)
        types = [
            {"name": n, "description": "ALL" if n == "*" else EVENT_TYPES.get(n, n), "status": "ENABLED"}
            for n in ep.events
        ]
        return {
            "id": ep.id,
            "url": ep.url,
            "event_types": types,
            "links": [
                urls.link(href, "self"),
                urls.link(href, "update", "PATCH"),
                urls.link(href, "delete", "DELETE"),
            ],
        }

    # -- webhooks --------------------------------------------------------------------------------------
    def create_webhook(self, request: SimRequest) -> Response:
        """``POST /v1/notifications/webhooks`` ``{url, event_types: [{name}]}``: 201 with the ``id``."""
        account = self.account(request, v1=True)
        body = self._object(request)
        url, events = _url(body.get("url")), _event_types(body.get("event_types"))
        rt = self.provider.runtime
        mine = rt.endpoints.find(account)
        if any(ep.url == url for ep in mine):
            raise WebhookUrlAlreadyExists()
        if len(mine) >= MAX_WEBHOOKS_PER_APP:
            raise WebhookNumberLimitExceeded()
        ep = WebhookEndpoint(
            id=self.provider.new_endpoint_id(),
            account=account,
            url=url,
            secret=None,
            events=events,
            created=rt.clock.now(),
            metadata={"source": "paypal webhooks api"},
        )
        rt.endpoints.add(ep)
        return Response.json(self._webhook_json(request, ep), 201)

    def list_webhooks(self, request: SimRequest) -> Response:
        """``GET /v1/notifications/webhooks``: ``{webhooks: [...]}``."""
        account = self.account(request, v1=True)
        eps = self.provider.runtime.endpoints.find(account)
        return Response.json({"webhooks": [self._webhook_json(request, ep) for ep in eps]})

    def get_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        """``GET /v1/notifications/webhooks/{id}``."""
        return Response.json(
            self._webhook_json(request, self._webhook(self.account(request, v1=True), webhook_id))
        )

    def update_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        """``PATCH /v1/notifications/webhooks/{id}`` with ``replace`` of ``/url`` or ``/event_types``."""
        ep = self._webhook(self.account(request, v1=True), webhook_id)
        ops = self._json(request)
        if not isinstance(ops, list) or not ops:
            raise MalformedRequest()
        url, events = ep.url, ep.events
        for i, op in enumerate(ops):
            if (
                not isinstance(op, dict)
                or op.get("op") != "replace"
                or op.get("path") not in ("/url", "/event_types")
            ):
                raise _invalid(f"[{i}]", "Only replace of /url and /event_types is supported")
            if op["path"] == "/url":
                url = _url(op.get("value"))
            else:
                events = _event_types(op.get("value"), "value")
        ep.url, ep.events = url, events
        return Response.json(self._webhook_json(request, ep))

    def delete_webhook(self, request: SimRequest, webhook_id: str) -> Response:
        """``DELETE /v1/notifications/webhooks/{id}``: 204."""
        ep = self._webhook(self.account(request, v1=True), webhook_id)
        self.provider.runtime.endpoints.remove(ep.id)
        return Response.empty()

    def list_webhook_event_types(self, request: SimRequest, webhook_id: str) -> Response:
        """``GET /v1/notifications/webhooks/{id}/event-types``."""
        ep = self._webhook(self.account(request, v1=True), webhook_id)
        return Response.json({"event_types": self._webhook_json(request, ep)["event_types"]})

    def list_event_types(self, request: SimRequest) -> Response:
        """``GET /v1/notifications/webhooks-event-types``."""
        self.account(request, v1=True)
        types = [
            {"name": n, "description": d, "status": "ENABLED", "resource_versions": ["2.0"]}
            for n, d in EVENT_TYPES.items()
        ]
        return Response.json({"event_types": types})

    # -- events ----------------------------------------------------------------------------------------
    def _stored(self, account: str, event_id: str) -> StoredEvent:
        stored = self.provider.events[account].get(event_id)
        if stored is None:
            raise InvalidResourceId()
        return stored

    def list_events(self, request: SimRequest) -> Response:
        """``GET /v1/notifications/webhooks-events`` (``page_size``, ``event_type``, ``transaction_id``,
        ``start_time``, ``end_time``), newest first."""
        account = self.account(request, v1=True)
        arg = request.query_value
        try:
            size = int(arg("page_size") or 10)
            start = _time(arg("start_time"))
            end = _time(arg("end_time"))
        except ValueError:
            raise _invalid("query", "Invalid query parameter") from None
        found = self.provider.events[account].query(
            event_type=arg("event_type") or None,
            resource_id=arg("transaction_id") or None,
            start=start,
            end=end,
            limit=max(1, min(size, 300)),
        )
        return Response.json({"events": [e.event for e in found], "count": len(found), "links": []})

    def get_event(self, request: SimRequest, event_id: str) -> Response:
        """``GET /v1/notifications/webhooks-events/{id}``."""
        return Response.json(self._stored(self.account(request, v1=True), event_id).event)

    def resend_event(self, request: SimRequest, event_id: str) -> Response:
        """``POST /v1/notifications/webhooks-events/{id}/resend`` ``{webhook_ids?}``: 202."""
        account = self.account(request, v1=True)
        stored = self._stored(account, event_id)
        body = self._json(request) or {}
        if not isinstance(body, dict):
            raise MalformedRequest()
        ids = body.get("webhook_ids")
        rt = self.provider.runtime
        if ids is None:
            targets = list(rt.endpoints.for_event(account, stored.event_type))
        elif not isinstance(ids, list):
            raise _invalid("webhook_ids", "Invalid webhook ids")
        else:
            targets = [self._webhook(account, str(i)) for i in ids]
        self.provider.webhooks.resend(account, stored, targets, self.base_url(request))
        return Response.json(stored.event, 202)

    def simulate_event(self, request: SimRequest) -> Response:
        """``POST /v1/notifications/simulate-event`` ``{webhook_id | url, event_type, resource_version}``."""
        account = self.account(request, v1=True)
        body = self._object(request)
        event_type = body.get("event_type")
        if not isinstance(event_type, str) or not event_type:
            raise _invalid("event_type", "Required field cannot be blank")
        if len(event_type) > 50 or not EVENT_NAME_RE.match(event_type) or event_type not in SAMPLE_TYPES:
            raise _invalid("event_type", "Event type is not supported for simulation")
        if body.get("resource_version") not in (None, "2.0"):
            raise _invalid("resource_version", "Only resource version 2.0 is simulated")
        webhook_id, url = body.get("webhook_id"), body.get("url")
        if webhook_id is None and url is None:
            raise _invalid("webhook_id", "Either webhook_id or url is required")
        if webhook_id is not None:
            if not isinstance(webhook_id, str) or not ID_RE.match(webhook_id) or len(webhook_id) > 50:
                raise _invalid("webhook_id", "Invalid webhook id")
            ep = self._webhook(account, webhook_id)
            target_url, target_id = ep.url, ep.id
        else:
            target_url, target_id = _url(url), WEBHOOK_ID_PLACEHOLDER
        base = self.base_url(request)
        event = sample_event(event_type, self.provider, base)
        stored = self.provider.webhooks.simulate(account, target_url, target_id, event, base)
        return Response.json(stored.event, 202)

    # -- verification ----------------------------------------------------------------------------------
    def verify_webhook_signature(self, request: SimRequest) -> Response:
        """``POST /v1/notifications/verify-webhook-signature``: ``{verification_status: SUCCESS|FAILURE}``."""
        account = self.account(request, v1=True)
        body = self._object(request)
        details = []
        for name, limit in VERIFY_FIELDS.items():
            value = body.get(name)
            if value is None or value == "":
                details.append(Detail("Required field cannot be blank", field=name))
            elif not isinstance(value, str) or len(value) > limit:
                details.append(Detail("Invalid value", field=name))
        if not isinstance(body.get("webhook_event"), dict):
            details.append(Detail("Required field cannot be blank", field="webhook_event"))
        if not details:
            if not ID_RE.match(body["webhook_id"]) or not ID_RE.match(body["auth_algo"]):
                details.append(
                    Detail(
                        "Invalid value",
                        field="webhook_id" if not ID_RE.match(body["webhook_id"]) else "auth_algo",
                    )
                )
            try:
                _time(body["transmission_time"])
            except ValueError:
                details.append(Detail("Invalid value", field="transmission_time"))
        if details:
            raise ValidationError(*details, message="Invalid request - see details")
        ok = self._verify(account, body)
        return Response.json({"verification_status": "SUCCESS" if ok else "FAILURE"})

    def _verify(self, account: str, body: dict[str, Any]) -> bool:
        identity = self.provider.identity
        if body["auth_algo"] != AUTH_ALGO or urls.cert_id_of(body["cert_url"]) != identity.cert_id:
            return False
        if self.provider.runtime.endpoints.get(body["webhook_id"], account, any_account=False) is None:
            return False
        event = body["webhook_event"]
        stored = self.provider.events[account].get(str(event.get("id")))
        if stored is None or stored.event != event:
            return False
        message = signed_message(
            body["transmission_id"], body["transmission_time"], body["webhook_id"], stored.body
        )
        return identity.verify(message, body["transmission_sig"])

    # -- certificate -----------------------------------------------------------------------------------
    def get_cert(self, request: SimRequest, cert_id: str) -> Response:
        """``GET /v1/notifications/certs/{cert_id}``: the PEM certificate (no auth, as PayPal's)."""
        identity = self.provider.identity
        if cert_id != identity.cert_id:
            raise InvalidResourceId()
        return Response(identity.pem, 200, "application/x-pem-file")


def _time(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
