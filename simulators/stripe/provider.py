"""``StripeProvider``: the Stripe simulator plugged into the kernel (``genai-demo sim stripe``, port 12111).

Composition root of the package: :meth:`StripeProvider.setup` builds the backend, the PaymentIntent and money
models, the idempotency layer, the webhook endpoints and the handlers; the route tables of ``urls.py`` say
where the kernel serves them. The kernel supplies
the clock, ids, journal, faults and the webhook dispatcher (signed by :class:`StripeSigner`, retried on
:data:`RETRY_SCHEDULE`). Point the official SDK at it with nothing but the base URL::

    client = stripe.StripeClient("sk_test_...", base_addresses={"api": "http://127.0.0.1:12111"})

Settings: ``STRIPE_SIM_*`` variables (:class:`~simulators.stripe.settings.StripeSettings`), then
``/_sim/stripe/config``. Docs: ``docs/simulators/stripe.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.kernel.errors import ErrorResponse
from simulators.kernel.journal import JournalEntry
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.webhooks import Attempt, Delivery
from simulators.kernel.wsgi import SimRequest
from simulators.stripe import urls
from simulators.stripe.api import StripeApi
from simulators.stripe.auth import KeyRing
from simulators.stripe.control import StripeControls
from simulators.stripe.exceptions import error_for_status
from simulators.stripe.magic import may_hold_card_data, redact_card_fields
from simulators.stripe.models import StripeBackend
from simulators.stripe.models_idempotency import IdempotencyLayer
from simulators.stripe.models_intents import PaymentIntents
from simulators.stripe.models_money import Money
from simulators.stripe.models_store import API_VERSION
from simulators.stripe.responses import StripeResponses
from simulators.stripe.settings import StripeSettings
from simulators.stripe.webhooks import RETRY_SCHEDULE, StripeSigner, WebhookEndpoints


class StripeProvider(SimulatorProvider):
    """A stateful Stripe (API 2023-10-16): PaymentIntents, PaymentMethods, Charges, Refunds, Disputes,
    Events and webhook endpoints, with test cards, 3DS, idempotency and signed, retried webhooks."""

    name = "stripe"
    description = "Stripe API 2023-10-16 (PaymentIntents, refunds, disputes, events, signed webhooks)"
    default_port = 12111
    request_id_header = "Request-Id"
    retry_schedule = RETRY_SCHEDULE
    webhook_content_type = "application/json; charset=utf-8"
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES

    def setup(self) -> None:
        self.start_settings = StripeSettings.from_env(self.env)
        rt = self.runtime
        self.keys = KeyRing()
        self.backend = StripeBackend(rt, self.start_settings)
        self.money = Money(self.backend)
        self.intents = PaymentIntents(self.backend, self.money)
        self.idempotency = IdempotencyLayer(rt.clock, self.start_settings.idempotency_ttl_s)
        self.endpoints = WebhookEndpoints(rt.endpoints, self.new_endpoint_id, self._new_secret, rt.clock.now)
        self.responses = StripeResponses(self.backend, self.intents, self.money, self.endpoints)
        self._install_journal_redaction()

    def _new_secret(self) -> str:
        return "whsec_" + self.runtime.ids.base62(32)

    def _install_journal_redaction(self) -> None:
        """Card numbers and CVCs never reach the journal: ``card[number]`` keeps its last four digits.

        The kernel records the raw body; wrapping this simulator's journal is the one place a provider can
        redact it (a kernel hook for body redaction would be the cleaner home for this)."""
        journal = self.runtime.journal
        record: Callable[[JournalEntry], None] = journal.record

        def redacting_record(entry: JournalEntry) -> None:
            if entry.body and may_hold_card_data(entry.body):
                entry.body = redact_card_fields(entry.body)
            record(entry)

        journal.record = redacting_record  # type: ignore[method-assign]

    def apply_settings(self, settings: StripeSettings) -> None:
        """Install new settings (``/_sim/stripe/config``)."""
        self.backend.apply_settings(settings)
        self.idempotency.ttl = settings.idempotency_ttl_s

    def reset(self) -> None:
        """``POST /_sim/reset``: account state is emptied by the kernel; settings return to their start."""
        self.apply_settings(self.start_settings)
        self.endpoints.prune()

    # -- HTTP --------------------------------------------------------------------------------------------
    def build_api(self) -> StripeApi:
        """The kernel's API app with Stripe's pipeline (:class:`~simulators.stripe.api.StripeApi`)."""
        return StripeApi(
            self, self.backend, self.responses, self.idempotency, self.keys, self.runtime.stop_event
        )

    def account_for(self, request: SimRequest) -> str | None:
        return self.keys.for_request(request).account

    def error_response(self, status: int) -> ErrorResponse:
        return error_for_status(status).to_response()

    # -- webhooks ----------------------------------------------------------------------------------------
    def signer(self) -> StripeSigner:
        return StripeSigner(lambda: self.backend.settings.v0_signature)

    def new_webhook_secret(self) -> str | None:
        return self._new_secret()

    def on_delivery_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        """A 2xx from an endpoint lowers the event's ``pending_webhooks`` (chaos duplicates do not count)."""
        if attempt.ok and delivery.duplicate_of is None and delivery.target.endpoint_id is not None:
            self.backend.delivery_succeeded(delivery.account, delivery.event_id, delivery.target.endpoint_id)

    # -- control API -------------------------------------------------------------------------------------
    def control_handlers(self) -> StripeControls:
        """The handlers of ``urls.CONTROL_ROUTES`` (``/_sim/stripe/...``)."""
        return StripeControls(self)

    def health(self) -> dict[str, Any]:
        return {
            "stripe": {
                "api_version": API_VERSION,
                "accounts": len(self.backend.accounts),
                "settings": self.backend.settings.model_dump(),
            }
        }
