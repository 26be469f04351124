"""PayPal's errors as exception classes that render PayPal's exact error bodies.

Three families, as PayPal has them:

* **REST v2** (Orders, Payments): ``{name, message, debug_id, details: [{field, value, location, issue,
  description}], links}`` with the name and message fixed by the status (``error_400`` ... ``error_503``
  in ``checkout_orders_v2.json``). :class:`InvalidRequest` (400), :class:`AuthenticationFailure` (401),
  :class:`ResourceNotFound` (404), :class:`UnprocessableEntity` (422) and the rest. A detail's
  ``description`` comes from the official spec for that operation and issue (``issues.json``, extracted
  from the spec's per-operation issue lists, so ``ORDER_NOT_APPROVED`` reads differently for capture and
  authorize exactly as PayPal's spec says).
* **REST v1** (Webhooks management): ``{name, message, debug_id, information_link, details: [{field,
  issue}]}`` (``error`` in ``notifications_webhooks_v1.json``), e.g. ``VALIDATION_ERROR`` "Invalid data
  provided" (PayPal-NET-SDK#293) and ``INVALID_RESOURCE_ID`` "Resource id is invalid" (PayPal-node-SDK#147).
* **OAuth**: ``{"error": ..., "error_description": ...}``: ``invalid_client`` (PayPal-PHP-SDK#916),
  ``invalid_token`` "Access Token not found in cache" (Checkout-Java-SDK#24), ``unsupported_grant_type``
  "Grant Type is NULL" (PayPal-Java-SDK#284).

``debug_id`` is the request's ``Paypal-Debug-Id`` (13 hex digits, as PayPal's): the kernel's one error path
renders every error with the request (:meth:`PayPalError.render`), so an error raised deep in a model and a
fault body rendered by the kernel both carry the id the client sees in the header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from simulators.kernel.errors import ErrorResponse, ProviderError

if TYPE_CHECKING:
    from simulators.kernel.wsgi import SimRequest

INFO_BASE = "https://developer.paypal.com/docs/api"


@cache
def _issue_table() -> dict[str, dict[str, dict[str, str]]]:
    raw = resources.files("simulators.paypal").joinpath("issues.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return {k: v for k, v in data.items() if not k.startswith("_")}


def describe(operation: str, issue: str) -> tuple[int, str] | None:
    """``(status, description)`` of ``issue`` for ``operation`` (``orders.capture``...) per the official
    spec, falling back to the other operations and to :data:`PAYMENTS_ISSUES`; ``None`` if unknown."""
    if operation.startswith("payments.") and issue in PAYMENTS_ISSUES:
        return PAYMENTS_ISSUES[issue]
    table = _issue_table()
    order = [operation, "orders", "orders.create", "orders.capture", "orders.authorize", "orders.patch"]
    for op in order:
        for status, issues in table.get(op, {}).items():
            if issue in issues:
                return int(status), issues[issue]
    return PAYMENTS_ISSUES.get(issue)


def listed(operation: str, status: int, issue: str) -> bool:
    """Whether the spec lists ``issue`` among ``operation``'s own ``status`` issues (``True`` when the spec
    has no list for that operation and status)."""
    own = _issue_table().get(operation, {}).get(str(status))
    return own is None or issue in own


# Payments v2 issues (not in the Orders spec): developer.paypal.com/api/payments/v2/errors/<issue>.
PAYMENTS_ISSUES: dict[str, tuple[int, str]] = {
    "CAPTURE_FULLY_REFUNDED": (422, "The capture has already been fully refunded."),
    "REFUND_AMOUNT_EXCEEDED": (
        422,
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded.",
    ),
    "REFUND_CAPTURE_CURRENCY_MISMATCH": (422, "Refund must be in the same currency as the capture."),
    "REFUND_NOT_ALLOWED": (422, "Refunds are allowed only on COMPLETED or PARTIALLY_REFUNDED captures."),
    "AUTHORIZATION_ALREADY_CAPTURED": (
        422,
        "Authorization has been previously captured and hence cannot be captured again.",
    ),
    "AUTHORIZATION_VOIDED": (422, "A voided authorization cannot be captured or reauthorized."),
    "AUTHORIZATION_DENIED": (422, "A denied authorization cannot be captured."),
    "MAX_CAPTURE_AMOUNT_EXCEEDED": (422, "Capture amount exceeds allowable limit."),
    "PREVIOUSLY_CAPTURED": (422, "Authorization has been previously captured and hence cannot be voided."),
    "PREVIOUSLY_VOIDED": (422, "Authorization has been previously voided and hence cannot be voided again."),
    "CURRENCY_MISMATCH": (422, "Currency of capture must be the same as currency of authorization."),
}


@dataclass(frozen=True)
class Detail:
    """One ``details[]`` entry; ``to_json`` keeps PayPal's field order and omits what is unset."""

    issue: str
    description: str | None = None
    field: str | None = None
    value: str | None = None
    location: str | None = "body"

    def to_json(self) -> dict[str, str]:
        """``{field, value, location, issue, description}`` without the unset keys."""
        out: dict[str, str] = {}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = self.value
        if self.field is not None and self.location is not None:
            out["location"] = self.location
        out["issue"] = self.issue
        if self.description is not None:
            out["description"] = self.description
        return out


def detail(
    operation: str, issue: str, field: str | None = None, value: Any = None, location: str | None = "body"
) -> Detail:
    """A detail whose description is the official one for ``operation``/``issue``."""
    found = describe(operation, issue)
    text = None if value is None else (value if isinstance(value, str) else json.dumps(value))
    return Detail(issue, found[1] if found else None, field, text, location)


class PayPalError(ProviderError):
    """A REST v2 error: ``{name, message, debug_id, details, links}`` with ``status``."""

    status = 500
    name = "INTERNAL_SERVER_ERROR"
    text = "An internal server error occurred."
    api: ClassVar[str] = "orders/v2"

    def __init__(self, *details: Detail, api: str | None = None) -> None:
        super().__init__(self.text, self.status)
        self.details = list(details)
        self.api_family = api or self.api
        self.links: list[dict[str, str]] = []  # links PayPal adds after the information_link (redirect)

    @property
    def issue(self) -> str | None:
        """The first detail's issue (what clients branch on)."""
        return self.details[0].issue if self.details else None

    def to_json(self, debug_id: str | None = None) -> dict[str, Any]:
        """The body PayPal sends."""
        body: dict[str, Any] = {"name": self.name}
        if self.details:
            body["details"] = [d.to_json() for d in self.details]
        body["message"] = self.text
        body["debug_id"] = debug_id or ""
        anchor = self.issue or self.name
        body["links"] = [
            {
                "href": f"{INFO_BASE}/{self.api_family}/#error-{anchor}",
                "rel": "information_link",
                "method": "GET",
            },
            *self.links,
        ]
        return body

    def to_response(self) -> ErrorResponse:
        """Rendered without a request (an empty ``debug_id``)."""
        return ErrorResponse.json(self.to_json())

    def render(self, request: SimRequest | None = None) -> ErrorResponse:
        """Rendered with the request's ``Paypal-Debug-Id`` as ``debug_id``."""
        return ErrorResponse.json(self.to_json(request.request_id if request is not None else None))


class InvalidRequest(PayPalError):
    """400 ``INVALID_REQUEST`` (schema and syntax errors)."""

    status = 400
    name = "INVALID_REQUEST"
    text = "Request is not well-formed, syntactically incorrect, or violates schema."


class AuthenticationFailure(PayPalError):
    """401 ``AUTHENTICATION_FAILURE`` (no Authorization header, or not a Bearer token)."""

    status = 401
    name = "AUTHENTICATION_FAILURE"
    text = "Authentication failed due to missing authorization header, or invalid authentication credentials."


class NotAuthorized(PayPalError):
    """403 ``NOT_AUTHORIZED``."""

    status = 403
    name = "NOT_AUTHORIZED"
    text = "Authorization failed due to insufficient permissions."


class ResourceNotFound(PayPalError):
    """404 ``RESOURCE_NOT_FOUND`` (detail ``INVALID_RESOURCE_ID`` when an id is unknown)."""

    status = 404
    name = "RESOURCE_NOT_FOUND"
    text = "The specified resource does not exist."


class MethodNotSupported(PayPalError):
    """405 ``METHOD_NOT_SUPPORTED`` (PayPal's REST error catalogue; not in the Orders spec)."""

    status = 405
    name = "METHOD_NOT_SUPPORTED"
    text = "The server does not implement the requested HTTP method."


class ResourceConflict(PayPalError):
    """409 ``RESOURCE_CONFLICT``."""

    status = 409
    name = "RESOURCE_CONFLICT"
    text = "The server has detected a conflict while processing this request."


class UnsupportedMediaType(PayPalError):
    """415 ``UNSUPPORTED_MEDIA_TYPE`` (a non-JSON body)."""

    status = 415
    name = "UNSUPPORTED_MEDIA_TYPE"
    text = "The server does not support the request payload's media type."


class UnprocessableEntity(PayPalError):
    """422 ``UNPROCESSABLE_ENTITY`` (business validation: ORDER_NOT_APPROVED, AMOUNT_MISMATCH...)."""

    status = 422
    name = "UNPROCESSABLE_ENTITY"
    text = (
        "The requested action could not be performed, semantically incorrect, or failed business validation."
    )


class RateLimitReached(PayPalError):
    """429 ``RATE_LIMIT_REACHED`` (PayPal's REST error catalogue)."""

    status = 429
    name = "RATE_LIMIT_REACHED"
    text = "Too many requests. Blocked due to rate limiting."


class InternalServerError(PayPalError):
    """500 ``INTERNAL_SERVER_ERROR``."""


class ServiceUnavailable(PayPalError):
    """503 ``SERVICE_UNAVAILABLE``."""

    status = 503
    name = "SERVICE_UNAVAILABLE"
    text = "Service Unavailable."


V2_ERRORS: dict[int, type[PayPalError]] = {
    cls.status: cls
    for cls in (
        InvalidRequest,
        AuthenticationFailure,
        NotAuthorized,
        ResourceNotFound,
        MethodNotSupported,
        ResourceConflict,
        UnsupportedMediaType,
        UnprocessableEntity,
        RateLimitReached,
        InternalServerError,
        ServiceUnavailable,
    )
}


def v2_error(operation: str, issue: str, field: str | None = None, value: Any = None) -> PayPalError:
    """The v2 error PayPal returns for ``issue`` on ``operation`` (status from the spec; 422 if unknown)."""
    found = describe(operation, issue)
    status = found[0] if found else 422
    cls = V2_ERRORS.get(status, UnprocessableEntity)
    api = "payments/v2" if operation.startswith("payments.") else "orders/v2"
    return cls(detail(operation, issue, field, value), api=api)


def not_found(operation: str, field: str, value: str) -> ResourceNotFound:
    """404 with ``INVALID_RESOURCE_ID`` for the path parameter ``field``."""
    api = "payments/v2" if operation.startswith("payments.") else "orders/v2"
    return ResourceNotFound(detail("orders", "INVALID_RESOURCE_ID", field, value, "path"), api=api)


# -- REST v1 (webhooks management) -------------------------------------------------------------------------
class NotificationsError(PayPalError):
    """A v1 error: ``{name, message, debug_id, information_link, details: [{field, issue}]}``."""

    status = 400
    name = "VALIDATION_ERROR"
    text = "Invalid data provided"

    def __init__(self, *details: Detail, message: str | None = None) -> None:
        super().__init__(*details, api="webhooks/v1")
        self.override = message

    def to_json(self, debug_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.details:
            body["details"] = [
                {"field": d.field, "issue": d.issue} if d.field else {"issue": d.issue} for d in self.details
            ]
        body["message"] = self.override or self.text
        body["information_link"] = f"{INFO_BASE}/webhooks/v1/#errors"
        body["debug_id"] = debug_id or ""
        return body


class ValidationError(NotificationsError):
    """400 ``VALIDATION_ERROR`` "Invalid data provided"."""


class InvalidResourceId(NotificationsError):
    """404 ``INVALID_RESOURCE_ID`` "Resource id is invalid" (unknown webhook or event)."""

    status = 404
    name = "INVALID_RESOURCE_ID"
    text = "Resource id is invalid"


class WebhookUrlAlreadyExists(NotificationsError):
    """400 ``WEBHOOK_URL_ALREADY_EXISTS``: the app already has a webhook with that URL."""

    name = "WEBHOOK_URL_ALREADY_EXISTS"
    text = "Webhook URL already exists"


class WebhookNumberLimitExceeded(NotificationsError):
    """400 ``WEBHOOK_NUMBER_LIMIT_EXCEEDED``: an app holds at most 10 webhooks."""

    name = "WEBHOOK_NUMBER_LIMIT_EXCEEDED"
    text = "Maximum number of webhooks exceeded"


class NotificationsAuthFailure(NotificationsError):
    """401 ``AUTHENTICATION_FAILURE`` on the v1 API."""

    status = 401
    name = "AUTHENTICATION_FAILURE"
    text = (
        "Authentication failed due to invalid authentication credentials or a missing Authorization header."
    )


# -- OAuth -------------------------------------------------------------------------------------------------
class OAuthError(ProviderError):
    """``{"error", "error_description"}`` as PayPal's OAuth server and token checks answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description, status)
        self.error = error
        self.description = description

    def to_response(self) -> ErrorResponse:
        return ErrorResponse.json({"error": self.error, "error_description": self.description})


def invalid_client() -> OAuthError:
    """401: unknown client id or wrong secret (PayPal-PHP-SDK#916)."""
    return OAuthError(401, "invalid_client", "Client Authentication failed")


def invalid_token() -> OAuthError:
    """401: a bearer token that is unknown or expired (Checkout-Java-SDK#24)."""
    return OAuthError(401, "invalid_token", "Access Token not found in cache")


def unsupported_grant_type(grant_type: str | None) -> OAuthError:
    """400: ``grant_type`` missing ("Grant Type is NULL", PayPal-Java-SDK#284) or not supported."""
    text = "Grant Type is NULL" if not grant_type else "unsupported grant_type"
    return OAuthError(400, "unsupported_grant_type", text)


def error_for_status(status: int, path: str = "") -> ProviderError:
    """The error PayPal would send for a bare ``status`` on ``path`` (fault injection, routing errors)."""
    if path.startswith("/v1/notifications"):
        err: NotificationsError = NotificationsError()
        err.status = status
        err.name = {404: "INVALID_RESOURCE_ID", 401: "AUTHENTICATION_FAILURE"}.get(
            status, V2_ERRORS.get(status, InternalServerError).name
        )
        err.text = {404: "Resource id is invalid"}.get(
            status, V2_ERRORS.get(status, InternalServerError).text
        )
        return err
    cls = V2_ERRORS.get(status)
    if cls is not None:
        return cls(api="payments/v2" if path.startswith("/v2/payments") else "orders/v2")
    generic = InternalServerError()
    generic.status = status
    return generic
