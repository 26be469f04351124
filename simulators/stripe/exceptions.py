"""Stripe's own error classes, each rendering Stripe's exact error body ``{"error": {...}}``.

Grouped like stripe-python's exception hierarchy (by what the caller should do): 400 ``InvalidRequestError``
(and its codes ``parameter_missing``, ``parameter_unknown``, ``payment_intent_unexpected_state``...), 401
``AuthenticationError``, 402 ``CardError``, 404 ``ResourceMissing``, 400 ``IdempotencyError``, 409
``IdempotencyKeyInUse``, 429 ``RateLimitError``, 5xx ``APIError``. Fields are emitted in the order Stripe
uses (alphabetical) and only when set; ``doc_url`` is derived from ``code`` as Stripe does
(``https://stripe.com/docs/error-codes/<code with dashes>``). Messages are quoted from real Stripe
responses where one was found (see ``docs/simulators/stripe.md``). Models raise these; responses render them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simulators.kernel.errors import ErrorResponse, ProviderError

if TYPE_CHECKING:
    from simulators.kernel.wsgi import SimRequest

DOC_URL = "https://stripe.com/docs/error-codes/"
REQUEST_LOG_URL = "https://dashboard.stripe.com/test/logs/"

# Real bodies: a missing key (captured Stripe answers and stripe-mock issue threads); a publishable key on a
# secret-key endpoint (same wording in several public fakes that recorded it).
NO_API_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using "
    "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication "
    "for details, or we can help at https://support.stripe.com/."
)
PUBLISHABLE_KEY_FORBIDDEN = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
    "list of your API keys at https://dashboard.stripe.com/account/apikeys."
)


def doc_url(code: str) -> str:
    """Stripe's documentation URL for an error ``code``."""
    return DOC_URL + code.replace("_", "-")


class StripeError(ProviderError):
    """Base of every Stripe API error; renders ``{"error": {...}}`` with Stripe's field order."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        status: int | None = None,
        charge: str | None = None,
        payment_intent: Mapping[str, Any] | None = None,
        payment_method: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        with_doc_url: bool = True,
    ) -> None:
        super().__init__(message, status)
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.charge = charge
        self.payment_intent = payment_intent
        self.payment_method = payment_method
        self.headers: dict[str, str] = dict(headers or {})
        self.request_id: str | None = None
        self.with_doc_url = with_doc_url and code is not None

    def to_dict(self) -> dict[str, Any]:
        """The inner ``error`` object (``api_errors`` in Stripe's OpenAPI spec)."""
        body: dict[str, Any] = {}
        if self.charge is not None:
            body["charge"] = self.charge
        if self.code is not None:
            body["code"] = self.code
        if self.decline_code is not None:
            body["decline_code"] = self.decline_code
        if self.with_doc_url and self.code is not None:
            body["doc_url"] = doc_url(self.code)
        body["message"] = self.message
        if self.param is not None:
            body["param"] = self.param
        if self.payment_intent is not None:
            body["payment_intent"] = self.payment_intent
        if self.payment_method is not None:
            body["payment_method"] = self.payment_method
        if self.request_id is not None:
            body["request_log_url"] = f"{REQUEST_LOG_URL}{self.request_id}"
        body["type"] = self.type
        return body

    def body(self) -> bytes:
        """The serialised response body."""
        return json.dumps({"error": self.to_dict()}).encode()

    def to_response(self) -> ErrorResponse:
        return ErrorResponse(self.body(), "application/json", dict(self.headers))

    def render(self, request: SimRequest | None = None) -> ErrorResponse:
        """The body for ``request``: ``request_log_url`` names its ``Request-Id``, as Stripe's do."""
        if request is not None:
            self.request_id = request.request_id
        return self.to_response()


class InvalidRequestError(StripeError):
    """400 ``invalid_request_error``: the request is wrong; fix it before retrying."""


class AuthenticationError(StripeError):
    """401: missing, malformed or unknown API key (Stripe types it ``invalid_request_error``)."""

    status = 401


class PermissionDenied(StripeError):
    """403: the key may not do this."""

    status = 403


class CardError(StripeError):
    """402 ``card_error``: the card was declined or its details are wrong."""

    status = 402
    type = "card_error"


class ResourceMissing(InvalidRequestError):
    """404 ``resource_missing``: ``No such <kind>: '<id>'``."""

    status = 404

    def __init__(self, kind: str, object_id: str, param: str | None = "id", status: int = 404) -> None:
        super().__init__(
            f"No such {kind}: '{object_id}'", code="resource_missing", param=param, status=status
        )


class IdempotencyError(StripeError):
    """400 ``idempotency_error``: a key reused with other parameters or on another endpoint."""

    type = "idempotency_error"


class IdempotencyKeyInUse(StripeError):
    """409: another request with the same key is still running (retry later)."""

    status = 409


class RateLimitError(StripeError):
    """429 ``rate_limit``."""

    status = 429


class APIError(StripeError):
    """5xx ``api_error``: Stripe's side failed."""

    status = 500
    type = "api_error"


# -- constructors for the common shapes ----------------------------------------------------------------------
def parameter_missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_unknown(param: str) -> InvalidRequestError:
    return InvalidRequestError(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def invalid_integer(param: str, value: Any) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)


def invalid_boolean(param: str, value: Any) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid boolean: {value}", param=param)


def invalid_enum(param: str, value: Any, allowed: tuple[str, ...]) -> InvalidRequestError:
    choices = ", ".join(allowed[:-1]) + f", or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    return InvalidRequestError(f"Invalid {param}: must be one of {choices}", param=param)


def invalid_type(param: str, expected: str) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid {expected}: {param}", param=param)


def empty_string(param: str) -> InvalidRequestError:
    """Stripe refuses ``param=`` (an empty string) for parameters that cannot be unset."""
    return InvalidRequestError(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or "
        "supply a non-empty value.",
        code="parameter_invalid_empty",
        param=param,
    )


def unexpected_state(message: str, intent: Mapping[str, Any] | None) -> InvalidRequestError:
    """400 ``payment_intent_unexpected_state`` with the PaymentIntent embedded, as Stripe sends it."""
    return InvalidRequestError(message, code="payment_intent_unexpected_state", payment_intent=intent)


def type_not_activated(type_: str, param: str) -> InvalidRequestError:
    """400 for a payment method type the account has not activated (the simulated account has cards only)."""
    return InvalidRequestError(
        f'The payment method type "{type_}" is invalid. Please ensure the provided type is activated in your '
        "dashboard (https://dashboard.stripe.com/account/payments/settings) and your account is enabled for "
        "any preview features that you are trying to use.",
        param=param,
    )


def unrecognized_url(method: str, path: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Unrecognized request URL ({method}: {path}). If you are trying to list objects, remove the "
        "trailing "
        "slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) "
        "identifier in "
        "your code. Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        status=404,
    )


def masked_key(key: str) -> str:
    """``sk_test_****************abcd``: how Stripe echoes an invalid key (prefix and last four kept)."""
    prefix, _, rest = key.rpartition("_")
    head = prefix + "_" if prefix else ""
    if len(rest) <= 4:
        return head + "*" * len(rest)
    return head + "*" * (len(rest) - 4) + rest[-4:]


def invalid_api_key(key: str) -> AuthenticationError:
    return AuthenticationError(f"Invalid API Key provided: {masked_key(key)}")


def no_api_key() -> AuthenticationError:
    return AuthenticationError(NO_API_KEY)


def publishable_key_forbidden() -> AuthenticationError:
    return AuthenticationError(PUBLISHABLE_KEY_FORBIDDEN)


# -- bodies for kernel faults (a status with no body of its own) ---------------------------------------------
_LOCK_TIMEOUT = (
    "This object cannot be accessed right now because another API request or Stripe process is currently "
    "accessing it. If you see this error intermittently, retry the request. If you see this error frequently "
    "and are making multiple concurrent requests to a single object, make your requests serially or at a "
    "lower rate."
)


def error_for_status(status: int) -> StripeError:
    """What Stripe answers for a bare ``status`` (fault injection, routing errors).

    ``Stripe-Should-Retry``: stripe-python's ``_should_retry`` says Stripe sends it ``false`` on most 500s
    ("our idempotency framework would typically replay it anyway") and ``true`` on lock timeouts; a 429
    carries
    ``Retry-After`` and never ``false`` (stripe-node PR #692: "if Retry-After is set, Stripe-Should-Retry
    should not be set to false"), so it is left out and the SDK does not retry a 429. 502/503/504 come from
    Stripe's edge before the API ran, so no header either: the SDK falls back to retrying any status >= 500.
    """
    if status == 429:
        return RateLimitError(
            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    if status == 409:
        return InvalidRequestError(
            _LOCK_TIMEOUT, code="lock_timeout", status=409, headers={"Stripe-Should-Retry": "true"}
        )
    if status == 401:
        return no_api_key()
    if status == 402:
        return CardError("Your card was declined.", code="card_declined", decline_code="generic_decline")
    if status == 403:
        return PermissionDenied("The provided key does not have the required permissions for this endpoint.")
    if status == 404:
        return InvalidRequestError("Not Found", status=404)
    if status == 500:
        return APIError("An unknown error occurred", headers={"Stripe-Should-Retry": "false"})
    if status >= 500:
        return APIError("Stripe is temporarily unavailable. Please try again later.", status=status)
    return InvalidRequestError("Invalid request", status=status)
