"""Stripe webhooks: the signer, the retry schedule, emission, and ``/v1/webhook_endpoints`` on the kernel's
registry.

**Emission** (:func:`emit`): every event the models record is sent here, to the kernel dispatcher, once per
endpoint of the account that subscribes to its type; the body is the event pretty-printed as Stripe
delivers it (:meth:`~simulators.stripe.models_store.Event.payload`).

**Signature** (docs "Check the webhook signatures"; stripe-python ``WebhookSignature``): ``Stripe-Signature:
t=<unix>,v1=<hex>`` with no spaces, ``v1`` = HMAC-SHA256 keyed by the whole ``whsec_...`` secret over
``"{t}.{raw body}"``. ``t`` is the simulated time of *each attempt* (a retry is signed afresh). Test-mode
deliveries also carry a ``v0`` scheme that no secret verifies; receivers must ignore it (on by default,
``v0_signature`` in ``/_sim/stripe/config``). Headers as captured from Stripe: ``Content-Type:
application/json; charset=utf-8``, ``User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)``.
:func:`sign` is the exact inverse of ``stripe.Webhook.construct_event``.

**Retries** (:data:`RETRY_SCHEDULE`): Stripe retries a live-mode delivery "for up to three days with an
exponential back off". The schedule doubles from 5 minutes (5, 10, 20 ... 1280 minutes: 9 retries within
42.6 h) and adds a last attempt at exactly 72 h after the first, so a receiver that is down for a weekend
still gets the event and one that is down longer sees it in ``GET /v1/events?delivery_success=false``.
The kernel divides it by ``time_scale`` and runs due retries at once when ``/_sim/clock`` advances.
(Stripe's sandbox retries fewer times over a few hours; the live schedule is the one integrations must
survive, so it is used for test keys too.)

**Endpoints**: ``POST/GET/DELETE /v1/webhook_endpoints`` store kernel :class:`WebhookEndpoint` objects for the
caller's account, so they also show at ``/_sim/webhooks/endpoints`` and survive ``/_sim/reset`` (kernel
design). The Stripe-only fields (description, metadata, api_version) are kept beside them here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.kernel.webhooks import Delivery, EndpointRegistry, WebhookEndpoint, WebhookTarget
from simulators.stripe import resources
from simulators.stripe.exceptions import InvalidRequestError, ResourceMissing, parameter_missing
from simulators.stripe.models_store import API_VERSION, Event

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

_FIRST = 300.0
RETRY_SCHEDULE: tuple[float, ...] = (*(_FIRST * 2**n for n in range(9)), 259_200.0 - _FIRST * (2**9 - 1))
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
CONTENT_TYPE = "application/json; charset=utf-8"
_V0_KEY = b"whsec_stripe_simulator_test_mode_v0"  # not any endpoint's secret: v0 never verifies

# Event types an endpoint may subscribe to (the families this simulator emits, and their siblings that a
# Stripe account can subscribe to), plus "*". Stripe rejects other names.
KNOWN_EVENT_TYPES = frozenset(
    """payment_intent.amount_capturable_updated payment_intent.canceled payment_intent.created
    payment_intent.partially_funded payment_intent.payment_failed payment_intent.processing
    payment_intent.requires_action payment_intent.succeeded charge.captured charge.expired charge.failed
    charge.pending charge.refunded charge.succeeded charge.updated charge.dispute.closed
    charge.dispute.created
    charge.dispute.funds_reinstated charge.dispute.funds_withdrawn charge.dispute.updated
    charge.refund.updated
    refund.created refund.updated refund.failed payment_method.attached payment_method.automatically_updated
    payment_method.detached payment_method.updated customer.created customer.updated customer.deleted
    checkout.session.completed checkout.session.expired checkout.session.async_payment_failed
    checkout.session.async_payment_succeeded setup_intent.created setup_intent.succeeded
    setup_intent.setup_failed setup_intent.requires_action setup_intent.canceled invoice.paid
    invoice.payment_failed invoice.payment_succeeded invoice.created invoice.finalized
    customer.subscription.created customer.subscription.updated customer.subscription.deleted
    balance.available payout.paid payout.failed radar.early_fraud_warning.created review.opened
    review.closed""".split()
)


def emit(runtime: SimulatorRuntime, account: str | None, event: Event) -> None:
    """Queue ``event``'s deliveries to the account's subscribed endpoints (``pending_webhooks`` counts
    them)."""
    endpoints = runtime.endpoints.for_event(account, event.type)
    if endpoints:
        event.pending_webhooks = len(endpoints)
        runtime.webhooks.publish(account, event.type, event.payload(), event_id=event.id)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed by the whole secret (``whsec_`` included)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes, *, v0: bool = False) -> str:
    """The ``Stripe-Signature`` header value for one attempt."""
    header = f"t={timestamp},v1={signature(secret, timestamp, body)}"
    if v0:
        fake = hmac.new(_V0_KEY, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        header += f",v0={fake}"
    return header


class StripeSigner:
    """The kernel :class:`~simulators.kernel.webhooks.Signer` for Stripe deliveries."""

    def __init__(self, v0: Callable[[], bool]) -> None:
        self._v0 = v0

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """Headers for this attempt: a fresh ``t``, Stripe's content type and user agent."""
        return {
            "Content-Type": CONTENT_TYPE,
            "User-Agent": USER_AGENT,
            "Cache-Control": "no-cache",
            "Accept": "*/*; q=0.5, application/xml",
            "Stripe-Signature": sign(target.secret or "", int(timestamp), body, v0=self._v0()),
        }


@dataclass
class EndpointExtras:
    """The Stripe fields of an endpoint that the kernel's :class:`WebhookEndpoint` does not model."""

    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    api_version: str | None = None


_URL = re.compile(r"^https?://[^\s/]+")


class WebhookEndpoints:
    """``/v1/webhook_endpoints`` for one simulator, backed by the kernel's :class:`EndpointRegistry`."""

    def __init__(
        self,
        registry: EndpointRegistry,
        new_id: Callable[[], str],
        new_secret: Callable[[], str],
        now: Callable[[], float],
    ) -> None:
        self.registry = registry
        self._new_id = new_id
        self._new_secret = new_secret
        self._now = now
        self._extras: dict[str, EndpointExtras] = {}
        self._lock = threading.Lock()

    def _view(self, ep: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
        extra = self._extras.get(ep.id, EndpointExtras())
        return resources.webhook_endpoint(
            ep.id,
            url=ep.url,
            enabled_events=ep.events,
            created=int(ep.created),
            enabled=ep.enabled,
            description=extra.description,
            metadata=extra.metadata,
            api_version=extra.api_version,
            secret=secret,
        )

    @staticmethod
    def _check(url: str | None, events: list[str] | None) -> None:
        if url is not None and not _URL.match(url):
            raise InvalidRequestError(
                "Invalid URL: URL must be publicly accessible. Consider using a tool like "
                "the Stripe CLI to test webhooks locally: https://github.com/stripe/stripe-cli",
                param="url",
            )
        for i, name in enumerate(events or ()):
            if name != "*" and name not in KNOWN_EVENT_TYPES:
                raise InvalidRequestError(
                    f"Invalid enabled_events[{i}]: must be one of {', '.join(sorted(KNOWN_EVENT_TYPES))}, "
                    "or *",
                    param=f"enabled_events[{i}]",
                )
        if events is not None and not events:
            raise InvalidRequestError("Invalid array", param="enabled_events")

    def create(self, account: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
        """Register an endpoint; the answer is the only one that shows ``secret``."""
        if params.get("url") is None:
            raise parameter_missing("url")
        if params.get("enabled_events") is None:
            raise parameter_missing("enabled_events")
        self._check(params["url"], params["enabled_events"])
        secret = self._new_secret()
        ep = WebhookEndpoint(
            id=self._new_id(),
            account=account,
            url=params["url"],
            secret=secret,
            events=tuple(params["enabled_events"]),
            created=self._now(),
        )
        with self._lock:
            self._extras[ep.id] = EndpointExtras(
                params.get("description"),
                dict(params.get("metadata") or {}),
                params.get("api_version") or API_VERSION if "api_version" in params else None,
            )
        self.registry.add(ep)
        return self._view(ep, secret)

    def get(self, account: str | None, we_id: str) -> WebhookEndpoint:
        ep = self.registry.get(we_id, account, any_account=False)
        if ep is None:
            raise ResourceMissing("webhook_endpoint", we_id, "webhook_endpoint")
        return ep

    def retrieve(self, account: str | None, we_id: str) -> dict[str, Any]:
        return self._view(self.get(account, we_id))

    def update(self, account: str | None, we_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/webhook_endpoints/{id}``: url, enabled_events, disabled, description, metadata."""
        ep = self.get(account, we_id)
        self._check(params.get("url"), params.get("enabled_events"))
        if params.get("url") is not None:
            ep.url = params["url"]
        if params.get("enabled_events") is not None:
            ep.events = tuple(params["enabled_events"])
        if params.get("disabled") is not None:
            ep.enabled = not params["disabled"]
        with self._lock:
            extra = self._extras.setdefault(ep.id, EndpointExtras())
            if "description" in params:
                extra.description = params["description"]
            if params.get("metadata") is not None:
                merged = {} if not params["metadata"] else dict(extra.metadata)
                for k, v in params["metadata"].items():
                    if v == "":
                        merged.pop(k, None)
                    else:
                        merged[k] = v
                extra.metadata = merged
        return self._view(ep)

    def delete(self, account: str | None, we_id: str) -> dict[str, Any]:
        ep = self.get(account, we_id)
        self.registry.remove(ep.id)
        with self._lock:
            self._extras.pop(ep.id, None)
        return resources.deleted(ep.id, "webhook_endpoint")

    def prune(self) -> None:
        """Forget the Stripe fields of endpoints the kernel no longer has (``/_sim/reset`` without
        ``keep_endpoints``)."""
        with self._lock:
            for we_id in [k for k in self._extras if self.registry.get(k) is None]:
                del self._extras[we_id]

    def list(self, account: str | None) -> list[dict[str, Any]]:
        """The account's endpoints, newest first (the caller paginates)."""
        items = [self._view(ep) for ep in self.registry.find(account)]
        items.sort(key=lambda d: d["created"], reverse=True)
        return items
