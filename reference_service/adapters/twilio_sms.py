"""SMS through Twilio Programmable Messaging with the official ``twilio`` SDK.

The SDK talks to ``TWILIO_BASE_URL`` through ``client.api.base_url`` (the lab's simulator; Twilio's own
``https://api.twilio.com`` in production) and nothing else changes. Each message goes ``From``
``TWILIO_FROM_NUMBER`` with ``StatusCallback`` = ``{SERVICE_PUBLIC_URL}/api/v1/webhooks/twilio/status``,
so Twilio reports queued → sending → sent → delivered (or undelivered/failed with a 300xx code). The SDK's
own retries are off; ``ProviderCall`` applies the shared policy (``SMS_RETRY_MAX_ATTEMPTS``).

Errors (Twilio's error dictionary, twilio.com/docs/api/errors):

=====================================  =====================  ============================================
Twilio                                 service code           router
=====================================  =====================  ============================================
21211 invalid 'To'                     INVALID_NUMBER         permanent: ``SmsRecipientRejected``, no
21610 recipient unsubscribed (STOP)    RECIPIENT_OPTED_OUT    failover (another provider would fail too)
21614 'To' not SMS-capable             NOT_SMS_CAPABLE
20429 / HTTP 429                       RATE_LIMITED           transient: retried, then fail over
HTTP 5xx, timeouts, connection errors  SMS_PROVIDER_ERROR     transient: retried, then fail over
anything else (20003 auth, 21212 From,  SMS_PROVIDER_ERROR     this provider cannot send it: fail over
21408 region, 21612 routing...)
=====================================  =====================  ============================================

Inspect in the lab: ``GET <twilio simulator>/_sim/twilio/messages`` and ``/_sim/webhooks/deliveries``.
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.sms_providers import GuardedProvider, RegionFilter
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import SmsResult
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import SmsRecipientRejected

PROVIDER = "twilio"
STATUS_CALLBACK_PATH = "/api/v1/webhooks/twilio/status"
#: Twilio code → (service code, message) for recipients no provider can reach
PERMANENT = {
    21211: ("INVALID_NUMBER", "The phone number is not valid"),
    21610: ("RECIPIENT_OPTED_OUT", "The recipient has opted out of SMS (replied STOP)"),
    21614: ("NOT_SMS_CAPABLE", "The phone number cannot receive SMS"),
}
RATE_LIMIT_CODE = 20429


def _rest(exc: BaseException) -> TwilioRestException | None:
    return exc if isinstance(exc, TwilioRestException) else None


def classify(exc: BaseException) -> str:
    rest = _rest(exc)
    if rest is None:
        return "network_error"
    if rest.code in PERMANENT:
        return "declined"
    if rest.status == 429 or rest.code == RATE_LIMIT_CODE:
        return "rate_limited"
    return "server_error" if rest.status >= 500 else "client_error"


def retryable(exc: BaseException) -> bool:
    """Connection errors and timeouts, 429/20429 and 5xx."""
    if isinstance(exc, requests.RequestException):
        return True
    rest = _rest(exc)
    return rest is not None and (rest.status == 429 or rest.code == RATE_LIMIT_CODE or rest.status >= 500)


def retry_after(exc: BaseException) -> float | None:
    return None  # the SDK drops response headers from its exception


def to_service_error(exc: Exception) -> ProviderError:
    """Translate an SDK or HTTP error (table in the module docstring). Never holds the number."""
    rest = _rest(exc)
    if rest is not None and rest.code in PERMANENT:
        code, message = PERMANENT[rest.code]
        return SmsRecipientRejected(PROVIDER, code, message, provider_code=str(rest.code))
    if rest is not None and (rest.status == 429 or rest.code == RATE_LIMIT_CODE):
        return ProviderError(
            PROVIDER,
            "RATE_LIMITED",
            "Twilio is rate limiting SMS",
            retryable=True,
            status=503,
            provider_code=str(rest.code or 429),
        )
    transient = retryable(exc)
    provider_code = str(rest.code) if rest is not None and rest.code else None
    if rest is None:
        provider_code = "network"
    return ProviderError(
        PROVIDER,
        "SMS_PROVIDER_ERROR",
        "Twilio could not send the SMS",
        retryable=transient,
        status=503 if transient else 502,
        provider_code=provider_code,
    )


def build_client(settings: Settings, timeout: float) -> Client:
    """The official client pointed at ``TWILIO_BASE_URL`` (no SDK retries)."""
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=timeout),
    )
    client.api.base_url = settings.twilio_base_url
    return client


class TwilioProvider(GuardedProvider):
    """``SmsProvider`` through Twilio (see the module docstring)."""

    name = PROVIDER

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        client: Client | None = None,
    ) -> None:
        super().__init__(breaker, RegionFilter(settings.sms_twilio_regions))
        # built on the first SMS: pointing it at TWILIO_BASE_URL imports the SDK's whole API tree, a few
        # hundred milliseconds of every service start-up otherwise
        self._client = client
        self._settings = settings
        self._client_lock = threading.Lock()
        self._from = settings.twilio_from_number
        self.status_callback = settings.service_public_url + STATUS_CALLBACK_PATH
        self._call = ProviderCall(PROVIDER, metrics, retry, ErrorPolicy(classify, retryable, retry_after))

    @property
    def client(self) -> Client:
        """The official client (``build_client``), built on first use."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = build_client(self._settings, self._settings.sms_provider_timeout_seconds)
        return self._client

    def _create(self, phone: str, message: str) -> SmsResult:
        try:
            created: Any = self._call(
                "create_message",
                lambda: self.client.messages.create(
                    to=phone, from_=self._from, body=message, status_callback=self.status_callback
                ),
            )
        except (TwilioException, requests.RequestException) as exc:
            raise to_service_error(exc) from None
        return SmsResult(PROVIDER, str(created.sid), str(created.status or "queued"))

    def send(self, phone: str, message: str) -> SmsResult:
        return self.guarded(lambda: self._create(phone, message))
