"""Stripe through the official SDK (``stripe.StripeClient`` with ``base_addresses`` from settings).

The SDK's own retries are off (``max_network_retries=0``): the service applies the seed's policy
itself (``ProviderCall``: 3 attempts, backoff with jitter, ``Retry-After`` honoured) and retries only
connection errors, 409, 429 and 5xx, unless ``Stripe-Should-Retry`` says otherwise. A card decline is
never retried. Every POST carries the payment's idempotency key, the same on every attempt, so a retry
can never charge twice.

Errors are mapped exactly as the seed's ``StripeErrorHandler``: ``card_declined`` → CARD_DECLINED,
``insufficient_funds`` → INSUFFICIENT_FUNDS, ``expired_card`` → EXPIRED_CARD, ``rate_limit`` →
RATE_LIMITED (retryable), anything else → PAYMENT_ERROR, each with the seed's customer message. Stripe
reports insufficient funds as ``code=card_declined, decline_code=insufficient_funds``, so the decline
code is consulted first.
"""

from __future__ import annotations

from typing import Any

import stripe

from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.domain.payments import PaymentProvider, PaymentStatus
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import PaymentRequest, ProviderPayment, RefundResult
from reference_service.service_layer.errors import PaymentDeclined, ProviderError

PROVIDER = "stripe"

#: the seed's StripeErrorHandler: service code and customer message per Stripe code
SEED_MESSAGES = {
    "CARD_DECLINED": "Your card was declined, please try another payment method",
    "INSUFFICIENT_FUNDS": "Insufficient funds, please check your account",
    "EXPIRED_CARD": "Card has expired, please use a valid card",
    "RATE_LIMITED": "Too many requests, please try again later",
    "PAYMENT_ERROR": "Payment processing issue, please contact customer service",
}


def seed_code(code: str | None, decline_code: str | None) -> str:
    """The seed's error code for a Stripe ``code`` / ``decline_code`` pair."""
    if decline_code == "insufficient_funds" or code == "insufficient_funds":
        return "INSUFFICIENT_FUNDS"
    if code == "expired_card" or decline_code == "expired_card":
        return "EXPIRED_CARD"
    if code == "card_declined":
        return "CARD_DECLINED"
    if code == "rate_limit":
        return "RATE_LIMITED"
    return "PAYMENT_ERROR"


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(exc, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def classify(exc: BaseException) -> str:
    if isinstance(exc, stripe.APIConnectionError):
        return "network_error"
    if isinstance(exc, stripe.CardError):
        return "declined"
    status = getattr(exc, "http_status", None) or 0
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "client_error" if status else "network_error"


def retryable(exc: BaseException) -> bool:
    """Connection errors, 409, 429 and 5xx; ``Stripe-Should-Retry`` wins when present; never a decline."""
    if isinstance(exc, stripe.CardError) or not isinstance(exc, stripe.StripeError):
        return False
    should = _header(exc, "Stripe-Should-Retry")
    if should is not None:
        return should.lower() == "true"
    if isinstance(exc, stripe.APIConnectionError):
        return True
    status = exc.http_status or 0
    return status in (409, 429) or status >= 500


def retry_after(exc: BaseException) -> float | None:
    value = _header(exc, "Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def to_service_error(exc: stripe.StripeError) -> ProviderError:
    """Translate an SDK exception into the service's error (the seed's mapping)."""
    error = getattr(exc, "error", None)
    code = exc.code or getattr(error, "code", None)
    decline_code = getattr(error, "decline_code", None)
    if isinstance(exc, stripe.RateLimitError) or exc.http_status == 429:
        code = "rate_limit"
    service_code = seed_code(code, decline_code)
    message = SEED_MESSAGES[service_code]
    if isinstance(exc, stripe.CardError):
        return PaymentDeclined(PROVIDER, service_code, message, provider_code=code, decline_code=decline_code)
    if service_code == "RATE_LIMITED":
        return ProviderError(PROVIDER, service_code, message, retryable=True, status=503, provider_code=code)
    if isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 400:
        # the request's content was refused (an amount, a currency, a payment method): the caller's to
        # change, with Stripe's own reason, which names a parameter and never holds a secret
        return ProviderError(
            PROVIDER,
            "PAYMENT_REQUEST_REJECTED",
            exc.user_message or message,
            status=422,
            provider_code=code or "invalid_request",
        )
    transient = isinstance(exc, stripe.APIConnectionError) or (exc.http_status or 0) >= 500
    return ProviderError(
        PROVIDER,
        "PAYMENT_ERROR",
        message,
        retryable=transient,
        status=503 if transient else 502,
        provider_code=code,
    )


_STATUS = {
    "requires_payment_method": PaymentStatus.REQUIRES_ACTION,
    "requires_confirmation": PaymentStatus.REQUIRES_ACTION,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}


def map_intent(intent: Any) -> ProviderPayment:
    """A PaymentIntent (SDK object or webhook dict) as the service's ``ProviderPayment``."""
    if hasattr(intent, "to_dict"):  # stripe-python 16 objects are not dicts
        intent = intent.to_dict()
    raw = str(intent["status"])
    status = _STATUS.get(raw, PaymentStatus.PROCESSING)
    error = intent.get("last_payment_error") if hasattr(intent, "get") else None
    failure_code = failure_message = None
    if raw == "requires_payment_method" and error:
        status = PaymentStatus.FAILED
        failure_code = seed_code(error.get("code"), error.get("decline_code"))
        failure_message = SEED_MESSAGES[failure_code]
    next_action = intent.get("next_action")
    return ProviderPayment(
        provider_ref=str(intent["id"]),
        status=status,
        client_secret=intent.get("client_secret"),
        next_action=dict(next_action) if next_action else None,
        failure_code=failure_code,
        failure_message=failure_message,
        amount_received=int(intent.get("amount_received") or 0),
        raw_status=raw,
        payment_id=(intent.get("metadata") or {}).get("payment_id"),
    )


class StripeGateway:
    """``PaymentGateway`` for Stripe. Inspect its traffic in the simulator's journal (``/_sim/journal``)."""

    provider = PaymentProvider.STRIPE

    def __init__(self, settings: Settings, metrics: ServiceMetrics, retry: RetryPolicy) -> None:
        if settings.stripe_ca_bundle:  # the SDK's documented CA option is process-wide
            stripe.ca_bundle_path = settings.stripe_ca_bundle
        self._client = stripe.StripeClient(
            settings.stripe_secret_key.get_secret_value(),
            base_addresses={"api": settings.stripe_api_base},
            stripe_version=settings.stripe_api_version,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.provider_timeout_seconds),
        )
        self._api_base = settings.stripe_api_base
        self._api_version = settings.stripe_api_version
        self._call = ProviderCall(PROVIDER, metrics, retry, ErrorPolicy(classify, retryable, retry_after))

    def _run(self, operation: str, fn: Any, *, retry: bool = True) -> Any:
        try:
            return self._call(operation, fn, retry=retry)
        except stripe.StripeError as exc:
            raise to_service_error(exc) from exc

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        params: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "description": request.description,
            # card only: the 2023-08-16 automatic-payment-methods default would demand a return_url
            "payment_method_types": ["card"],
            "metadata": {"order_id": request.order_id, "payment_id": request.payment_id},
        }
        if request.payment_method:
            params.update(payment_method=request.payment_method, confirm=True)
            if request.return_url:
                params["return_url"] = request.return_url
        intent = self._run(
            "create_payment_intent",
            lambda: self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            ),
        )
        return map_intent(intent)

    def retrieve_payment(self, provider_ref: str) -> ProviderPayment:
        return map_intent(
            self._run(
                "retrieve_payment_intent", lambda: self._client.v1.payment_intents.retrieve(provider_ref)
            )
        )

    def capture_payment(
        self, provider_ref: str, idempotency_key: str, *, mock_response: str | None = None
    ) -> ProviderPayment:
        return map_intent(
            self._run(
                "capture_payment_intent",
                lambda: self._client.v1.payment_intents.capture(
                    provider_ref, options={"idempotency_key": idempotency_key}
                ),
            )
        )

    def cancel_payment(self, provider_ref: str, idempotency_key: str) -> ProviderPayment:
        return map_intent(
            self._run(
                "cancel_payment_intent",
                lambda: self._client.v1.payment_intents.cancel(
                    provider_ref,
                    params={"cancellation_reason": "requested_by_customer"},
                    options={"idempotency_key": idempotency_key},
                ),
            )
        )

    def refund_payment(self, provider_ref: str, amount: int | None, idempotency_key: str) -> RefundResult:
        params: dict[str, Any] = {"payment_intent": provider_ref, "reason": "requested_by_customer"}
        if amount is not None:
            params["amount"] = amount
        refund = self._run(
            "create_refund",
            lambda: self._client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
        )
        return RefundResult(
            str(refund["id"]), int(refund["amount"]), refund["status"] == "succeeded", str(refund["status"])
        )

    def undelivered_events(self, types: list[str], limit: int = 100) -> list[dict[str, Any]]:
        """Events Stripe could not deliver (``GET /v1/events?delivery_success=false``), oldest first."""
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"delivery_success": False, "types": types, "limit": min(limit, 100)}
        while True:
            page = self._run("list_events", lambda p=dict(params): self._client.v1.events.list(params=p))
            events.extend(e.to_dict() for e in page.data)
            if not page.has_more or len(events) >= limit:
                break
            params["starting_after"] = page.data[-1].id
        events.sort(key=lambda e: (e.get("created", 0), e.get("id", "")))
        return events[:limit]

    def check_health(self) -> dict[str, Any]:
        self._run("health", lambda: self._client.v1.payment_intents.list(params={"limit": 1}), retry=False)
        return {"api_base": self._api_base, "api_version": self._api_version}
