"""PayPal Orders v2 over ``requests`` (PayPal's SDK hard-codes its hosts; house rule 8).

- **OAuth 2.0 client credentials.** The access token is cached and shared by every thread (one lock; a
  single refresh even when many requests find it stale), refreshed ``TOKEN_REFRESH_MARGIN`` seconds
  before ``expires_in`` ends, and refreshed once more when a call answers 401 ``invalid_token``.
- **The seed's retry policy** (``ProviderCall``): connection errors, 429 and 5xx are retried; every
  create/capture/refund carries ``PayPal-Request-Id`` (the same on every attempt), so a retry never
  creates a second order or capture.
- **Errors** become service errors by PayPal ``issue``: INSTRUMENT_DECLINED and its kin are declines
  with a customer message; ORDER_NOT_APPROVED is a conflict; the rest is PAYMENT_ERROR.
- ``PAYPAL_ENVIRONMENT`` (sandbox | live) picks the official host unless ``PAYPAL_BASE_URL`` overrides it.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import requests

from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.domain.payments import PaymentProvider, PaymentStatus
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import PaymentRequest, ProviderPayment, RefundResult
from reference_service.service_layer.errors import PaymentConflict, PaymentDeclined, ProviderError

PROVIDER = "paypal"
TOKEN_REFRESH_MARGIN = 300.0  # seconds before expiry; tokens live 9 h (expires_in 32400)

#: OAuth 2.0 error codes (RFC 6749 §5.2): about the service's own credentials, never the caller's request
AUTH_ISSUES = frozenset(
    {"invalid_client", "invalid_request", "invalid_grant", "unauthorized_client", "invalid_token"}
)
#: PayPal ``issue`` → (service code, customer message); a decline is never retried
DECLINES = {
    "INSTRUMENT_DECLINED": (
        "INSTRUMENT_DECLINED",
        "Your PayPal payment method was declined, please choose another way to pay",
    ),
    "TRANSACTION_REFUSED": (
        "TRANSACTION_REFUSED",
        "PayPal refused this payment, please choose another way to pay",
    ),
    "PAYER_CANNOT_PAY": (
        "PAYER_CANNOT_PAY",
        "This PayPal account cannot pay for the order, please use another",
    ),
    "PAYER_ACCOUNT_RESTRICTED": (
        "PAYER_CANNOT_PAY",
        "This PayPal account cannot pay for the order, please use another",
    ),
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED": (
        "TOO_MANY_ATTEMPTS",
        "Too many payment attempts, please start the checkout again",
    ),
    "CARD_EXPIRED": ("EXPIRED_CARD", "Card has expired, please use a valid card"),
}
PAYMENT_ERROR = "Payment processing issue, please contact customer service"


class PayPalHTTPError(Exception):
    """A non-2xx answer from PayPal, with its parsed body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers
        issue = (
            (body.get("details") or [{}])[0].get("issue") if isinstance(body.get("details"), list) else None
        )
        self.issue: str | None = issue or body.get("error")
        details = body.get("details")
        first = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
        #: PayPal's human description of the first issue (no secrets: it names fields and rules)
        self.description: str | None = first.get("description") or body.get("message")
        super().__init__(f"PayPal {status} {body.get('name') or body.get('error')}: {self.issue}")


def classify(exc: BaseException) -> str:
    if isinstance(exc, requests.RequestException):
        return "network_error"
    if isinstance(exc, PayPalHTTPError):
        if exc.issue in DECLINES:
            return "declined"
        if exc.status == 429:
            return "rate_limited"
        return "server_error" if exc.status >= 500 else "client_error"
    return "network_error"


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, requests.RequestException):
        return True
    return isinstance(exc, PayPalHTTPError) and (exc.status == 429 or exc.status >= 500)


def retry_after(exc: BaseException) -> float | None:
    value = exc.headers.get("Retry-After") if isinstance(exc, PayPalHTTPError) else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def to_service_error(exc: Exception) -> ProviderError | PaymentConflict:
    if isinstance(exc, PayPalHTTPError):
        if exc.issue in DECLINES:
            code, message = DECLINES[exc.issue]
            return PaymentDeclined(PROVIDER, code, message, provider_code=exc.issue)
        if exc.issue == "ORDER_NOT_APPROVED":
            return PaymentConflict(
                "The buyer has not approved this PayPal order yet; send them to approve_url"
            )
        if exc.status == 429:
            return ProviderError(
                PROVIDER,
                "RATE_LIMITED",
                "Too many requests, please try again later",
                retryable=True,
                status=503,
                provider_code=exc.issue,
            )
        if exc.status in (400, 422) and exc.issue not in AUTH_ISSUES:
            # PayPal refused the request's content (INVALID_REQUEST / UNPROCESSABLE_ENTITY): the caller's
            # to change, with PayPal's issue code and its description
            return ProviderError(
                PROVIDER,
                "PAYMENT_REQUEST_REJECTED",
                exc.description or f"PayPal refused the request: {exc.issue}",
                status=422,
                provider_code=exc.issue,
            )
        transient = exc.status >= 500
        return ProviderError(
            PROVIDER,
            "PAYMENT_ERROR",
            PAYMENT_ERROR,
            retryable=transient,
            status=503 if transient else 502,
            provider_code=exc.issue,
        )
    return ProviderError(PROVIDER, "PAYMENT_ERROR", PAYMENT_ERROR, retryable=True, status=503)


def to_value(amount: int, currency: str) -> str:
    """Minor units → PayPal's decimal string with the currency's ISO 4217 exponent (JPY has none)."""
    import iso4217

    exponent = iso4217.Currency(currency).exponent or 0
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


_ORDER_STATUS = {
    "CREATED": PaymentStatus.REQUIRES_ACTION,
    "SAVED": PaymentStatus.REQUIRES_ACTION,
    "PAYER_ACTION_REQUIRED": PaymentStatus.REQUIRES_ACTION,
    "APPROVED": PaymentStatus.AUTHORIZED,
    "VOIDED": PaymentStatus.CANCELED,
}
_CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "PENDING": PaymentStatus.PROCESSING,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
    "REFUNDED": PaymentStatus.SUCCEEDED,
    "PARTIALLY_REFUNDED": PaymentStatus.SUCCEEDED,
}


def first_capture(order: dict[str, Any]) -> dict[str, Any] | None:
    for unit in order.get("purchase_units") or []:
        captures = (unit.get("payments") or {}).get("captures") or []
        if captures:
            capture: dict[str, Any] = captures[0]
            return capture
    return None


def map_order(order: dict[str, Any]) -> ProviderPayment:
    raw = str(order.get("status", ""))
    status = _ORDER_STATUS.get(raw, PaymentStatus.PROCESSING)
    failure_code = failure_message = None
    capture = first_capture(order)
    if raw == "COMPLETED" or capture is not None:
        capture_status = str((capture or {}).get("status", "COMPLETED"))
        status = _CAPTURE_STATUS.get(capture_status, PaymentStatus.PROCESSING)
        if status == PaymentStatus.FAILED:
            failure_code, failure_message = DECLINES["INSTRUMENT_DECLINED"]
    approve = next(
        (link["href"] for link in order.get("links") or [] if link.get("rel") in ("approve", "payer-action")),
        None,
    )
    units = order.get("purchase_units") or [{}]
    return ProviderPayment(
        provider_ref=str(order["id"]),
        status=status,
        approve_url=approve,
        payment_id=units[0].get("custom_id"),
        failure_code=failure_code,
        failure_message=failure_message,
        raw_status=raw,
    )


class PayPalGateway:
    """``PaymentGateway`` for PayPal. Inspect its traffic in the simulator's journal (``/_sim/journal``)."""

    provider = PaymentProvider.PAYPAL

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        retry: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self.base = settings.paypal_api_base
        self._client_id = settings.paypal_client_id
        self._secret = settings.paypal_client_secret.get_secret_value()
        self._timeout = settings.provider_timeout_seconds
        self._negative_testing = settings.paypal_negative_testing_enabled
        self._http = session or requests.Session()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self._call = ProviderCall(PROVIDER, metrics, retry, ErrorPolicy(classify, retryable, retry_after))

    # -- OAuth --------------------------------------------------------------------------------------
    def access_token(self, *, rejected: str | None = None) -> str:
        """The cached token, refreshed when it is about to expire or when PayPal ``rejected`` it.

        After a 401, only the first thread whose token was rejected refreshes; the others find a new
        token already cached.
        """
        with self._lock:
            fresh = self._token is not None and time.monotonic() < self._token_expires - TOKEN_REFRESH_MARGIN
            if fresh and self._token is not None and self._token != rejected:
                return self._token
            body = self._call(
                "oauth_token",
                lambda: self._send(
                    "POST",
                    "/v1/oauth2/token",
                    auth=(self._client_id, self._secret),
                    data={"grant_type": "client_credentials"},
                    json_body=None,
                    token=None,
                ),
            )
            self._token = str(body["access_token"])
            self._token_expires = time.monotonic() + float(body.get("expires_in", 32400))
            return self._token

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        resp = self._http.request(
            method,
            self.base + path,
            json=json_body,
            data=data,
            auth=auth,
            headers=all_headers,
            timeout=self._timeout,
        )
        try:
            body: dict[str, Any] = resp.json() if resp.content else {}
        except ValueError:
            body = {"name": "MALFORMED_RESPONSE", "message": resp.text[:200]}
        if resp.status_code >= 400:
            raise PayPalHTTPError(resp.status_code, body, dict(resp.headers))
        return body

    def _api(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """An authenticated call: one token refresh on 401 invalid_token, then the retry policy."""

        def attempt() -> dict[str, Any]:
            token = self.access_token()
            try:
                return self._send(method, path, token=token, json_body=json_body, headers=headers)
            except PayPalHTTPError as exc:
                if exc.status != 401:
                    raise
                fresh = self.access_token(rejected=token)
                return self._send(method, path, token=fresh, json_body=json_body, headers=headers)

        try:
            return self._call(operation, attempt)
        except (PayPalHTTPError, requests.RequestException) as exc:
            raise to_service_error(exc) from exc

    # -- PaymentGateway -----------------------------------------------------------------------------
    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        unit: dict[str, Any] = {
            "reference_id": request.order_id,
            "custom_id": request.payment_id,
            "invoice_id": request.payment_id,
            "description": request.description,
            "amount": {
                "currency_code": request.currency,
                "value": to_value(request.amount, request.currency),
            },
        }
        body: dict[str, Any] = {"intent": "CAPTURE", "purchase_units": [unit]}
        if request.return_url or request.cancel_url:
            body["application_context"] = {
                k: v for k, v in (("return_url", request.return_url), ("cancel_url", request.cancel_url)) if v
            }
        order = self._api(
            "create_order",
            "POST",
            "/v2/checkout/orders",
            json_body=body,
            headers={"PayPal-Request-Id": request.idempotency_key, "Prefer": "return=representation"},
        )
        return map_order(order)

    def retrieve_payment(self, provider_ref: str) -> ProviderPayment:
        return map_order(self._api("get_order", "GET", f"/v2/checkout/orders/{provider_ref}"))

    def capture_payment(
        self, provider_ref: str, idempotency_key: str, *, mock_response: str | None = None
    ) -> ProviderPayment:
        headers = {"PayPal-Request-Id": idempotency_key, "Prefer": "return=representation"}
        if mock_response is not None:
            if not self._negative_testing:
                raise ValueError("PayPal negative testing is only allowed in the sandbox")
            headers["PayPal-Mock-Response"] = mock_response  # sandbox negative testing
        try:
            order = self._api(
                "capture_order",
                "POST",
                f"/v2/checkout/orders/{provider_ref}/capture",
                json_body={},
                headers=headers,
            )
        except ProviderError as exc:
            if exc.provider_code == "ORDER_ALREADY_CAPTURED":  # a lost answer to our own earlier capture
                return self.retrieve_payment(provider_ref)
            raise
        return map_order(order)

    def cancel_payment(self, provider_ref: str, idempotency_key: str) -> ProviderPayment:
        # Orders v2 has no cancel: an unapproved order simply expires. Report it cancelled locally.
        return ProviderPayment(provider_ref, PaymentStatus.CANCELED, raw_status="ABANDONED")

    def refund_payment(self, provider_ref: str, amount: int | None, idempotency_key: str) -> RefundResult:
        order = self._api("get_order", "GET", f"/v2/checkout/orders/{provider_ref}")
        capture = first_capture(order)
        if capture is None:
            raise ProviderError(PROVIDER, "PAYMENT_ERROR", "There is no capture to refund", status=409)
        body: dict[str, Any] = {}
        if amount is not None:
            currency = capture["amount"]["currency_code"]
            body["amount"] = {"currency_code": currency, "value": to_value(amount, currency)}
        refund = self._api(
            "refund_capture",
            "POST",
            f"/v2/payments/captures/{capture['id']}/refund",
            json_body=body,
            headers={"PayPal-Request-Id": idempotency_key, "Prefer": "return=representation"},
        )
        value = refund.get("amount") or capture["amount"]
        exponent = Decimal(to_value(1, value["currency_code"])).as_tuple().exponent
        minor = int(Decimal(value["value"]).scaleb(-int(exponent)))
        return RefundResult(
            str(refund["id"]), minor, refund.get("status") == "COMPLETED", str(refund.get("status"))
        )

    def verify_webhook_signature(self, fields: dict[str, Any]) -> bool:
        """PayPal's postback verification (``POST /v1/notifications/verify-webhook-signature``)."""
        body = self._api(
            "verify_webhook_signature", "POST", "/v1/notifications/verify-webhook-signature", json_body=fields
        )
        return body.get("verification_status") == "SUCCESS"

    def check_health(self) -> dict[str, Any]:
        self._call(
            "health",
            lambda: self._send("GET", "/v1/notifications/webhooks", token=self.access_token()),
            retry=False,
        )
        return {"api_base": self.base}
