"""EasyPost webhooks: the signer, the retry schedule, the Event envelope, the Webhook objects of
``/v2/webhooks``, and the one place events are sent from (:class:`LogisticsWebhooks`).

**Signature** (easypost-python 10, ``easypost.util.validate_webhook``): ``X-Hmac-Signature:
hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>``, keyed with the webhook's ``webhook_secret`` normalised
to NFKD and encoded as UTF-8. :class:`EasyPostSigner` is its exact inverse; a webhook created without a
secret is delivered unsigned (EasyPost sends the header only when a secret is set).

**Retries** (:data:`RETRY_SCHEDULE`): EasyPost delivers at least once and retries a failed delivery with
"progressive backoff" for up to 24 hours; the schedule below adds up to 85,680 s (23.8 h), divided by the
simulator's ``time_scale`` and run on the simulated clock. Deliveries: ``GET /_sim/webhooks/deliveries``;
duplicates and reordering: ``POST /_sim/webhooks/chaos``.

**Events**: ``tracker.created``, ``tracker.updated`` (``previous_attributes`` holds the status before) and
``shipment.purchased``, each an ``Event`` whose ``result`` is the whole object, kept for ``GET /v2/events``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simulators.kernel.webhooks import Delivery, WebhookEndpoint, WebhookTarget
from simulators.logistics import exceptions as exc
from simulators.logistics import resources
from simulators.logistics.auth import ApiKey
from simulators.logistics.models import Event, LogisticsBackend

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
USER_AGENT = "EasyPost WebHook Agent 1.0"
RETRY_SCHEDULE: tuple[float, ...] = (60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 28800)
MODE_KEY = "mode"


def signature(secret: str, body: bytes) -> str:
    """``hmac-sha256-hex=<hex>`` of ``body`` keyed with the NFKD-normalised ``secret``."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


class EasyPostSigner:
    """Kernel :class:`~simulators.kernel.webhooks.Signer`: ``X-Hmac-Signature`` with the target's secret."""

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if target.secret:
            headers[SIGNATURE_HEADER] = signature(target.secret, body)
        return headers


class LogisticsWebhooks:
    """Webhook objects (kept in the kernel's endpoint registry, so ``/_sim/webhooks/endpoints`` sees them)
    and events (recorded in the model, published through the kernel's dispatcher)."""

    def __init__(self, runtime: SimulatorRuntime, backend: LogisticsBackend) -> None:
        self.runtime = runtime
        self.backend = backend

    # -- /v2/webhooks ------------------------------------------------------------------------------------
    def create(self, key: ApiKey, url: str, secret: str | None) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            id=f"hook_{self.runtime.ids.hex(32)}",
            account=key.account,
            url=url,
            secret=secret,
            created=self.runtime.clock.now(),
            metadata={MODE_KEY: key.mode},
        )
        return self.runtime.endpoints.add(endpoint)

    def get(self, key: ApiKey, webhook_id: str) -> WebhookEndpoint:
        endpoint = self.runtime.endpoints.get(webhook_id, key.account, any_account=False)
        if endpoint is None:
            raise exc.NotFound()
        return endpoint

    def all(self, key: ApiKey) -> list[WebhookEndpoint]:
        return self.runtime.endpoints.find(key.account)

    def update(self, key: ApiKey, webhook_id: str, secret: str | None) -> WebhookEndpoint:
        """Re-enable a webhook, and rotate its secret when one is given (``PATCH /v2/webhooks/{id}``)."""
        endpoint = self.get(key, webhook_id)
        endpoint.enabled = True
        if secret:
            endpoint.secret = secret
        return self.runtime.endpoints.add(endpoint)

    def delete(self, key: ApiKey, webhook_id: str) -> None:
        self.runtime.endpoints.remove(self.get(key, webhook_id).id)

    # -- events ------------------------------------------------------------------------------------------
    def emit(
        self, account: str, mode: str, description: str, result: dict[str, Any], previous: dict[str, Any]
    ) -> Event:
        """Record the event and deliver it to every webhook of the account."""
        event = self.backend.record_event(account, mode, description, result, previous)
        urls = [e.url for e in self.runtime.endpoints.for_event(account, description)]
        body = json.dumps(resources.event(event, urls)).encode()
        self.runtime.webhooks.publish(account, description, body, event_id=event.id)
        log.debug("event %s (%s) to %d webhook(s)", event.id, description, len(urls))
        return event
