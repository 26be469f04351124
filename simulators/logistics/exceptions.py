"""EasyPost's API errors: each class renders EasyPost's exact JSON body.

Every EasyPost error has the body ``{"error": {"code": "...", "message": "...", "errors": [...]}}``
(easypost-python's cassettes, e.g. ``test_error.yaml``: 422 ``PARAMETER.REQUIRED`` with
``errors: [{"field": "shipment", "message": "cannot be blank"}]``;
``test_address_verify_invalid_address.yaml``: 422 ``ADDRESS.VERIFY.FAILURE`` whose ``errors`` carry
``code``/``field``/``message``/``suggestion``).
The SDK (``easypost.requestor.Requestor.handle_api_error``) picks the exception class from the HTTP status
alone (401 ``UnauthorizedError``, 404 ``NotFoundError``, 422 ``InvalidRequestError``, 429
``RateLimitError``, 500 ``InternalServerError``, 503 ``ServiceUnavailableError``...) and reads ``code`` and
``errors`` from the body, so the status and the body are what must be right.

Codes whose wording is not in a public recording are marked as the simulator's choice where they are
defined.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from simulators.kernel.errors import ErrorResponse, ProviderError


def error_body(code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """EasyPost's error JSON, keys in EasyPost's order."""
    return {"error": {"code": code, "message": message, "errors": list(errors or [])}}


class EasyPostError(ProviderError):
    """Base class: an EasyPost error code, message, field errors and HTTP status."""

    status = 422
    default_code = "PARAMETER.INVALID"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, status)
        self.code = code or self.default_code
        self.errors = list(errors or [])
        self.extra_headers = dict(headers or {})

    def to_response(self) -> ErrorResponse:
        """``{"error": {code, message, errors}}`` as JSON."""
        return ErrorResponse.json(error_body(self.code, self.message, self.errors), self.extra_headers)


class InvalidRequest(EasyPostError):
    """422: the request breaks a rule (missing or invalid parameter, wrong state); fix it, do not retry."""

    status = 422


class Unauthorized(EasyPostError):
    """401: no API key, or one the simulator does not accept."""

    status = 401
    default_code = "APIKEY.REQUIRED"

    def __init__(self, message: str = "Missing or invalid API key.") -> None:
        super().__init__(message, "APIKEY.REQUIRED", status=401)


class NotFound(EasyPostError):
    """404: no such object for this API key (or no such URL)."""

    status = 404
    default_code = "NOT_FOUND"

    def __init__(self, message: str = "The requested resource could not be found.") -> None:
        super().__init__(message, "NOT_FOUND", status=404)


class RateLimited(EasyPostError):
    """429: back off. EasyPost sends ``X-Ratelimit-Limit`` and ``X-Ratelimit-Remaining`` (the simulator's
    choice of values: its limit is a fault rule, so it reports 0 remaining of 5 per second)."""

    status = 429
    default_code = "RATE_LIMITED"

    def __init__(self) -> None:
        super().__init__(
            "You have exceeded the rate limit for this endpoint. Please try again later.",
            "RATE_LIMITED",
            status=429,
            headers={"X-Ratelimit-Limit": "5", "X-Ratelimit-Remaining": "0", "Retry-After": "1"},
        )


class ServerError(EasyPostError):
    """5xx: EasyPost-side failure; retryable."""

    status = 500
    default_code = "INTERNAL_SERVER_ERROR"


def for_status(status: int) -> EasyPostError:
    """The error EasyPost answers with a bare HTTP ``status`` (faults, unknown URLs, crashes)."""
    if status == 401:
        return Unauthorized()
    if status == 404:
        return NotFound()
    if status == 429:
        return RateLimited()
    if status == 405:
        return EasyPostError("The requested method is not allowed.", "METHOD.NOT_ALLOWED", status=405)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status == 503:
        return ServerError("The service is temporarily unavailable.", "SERVICE.UNAVAILABLE", status=503)
    if status >= 500:
        return ServerError(f"{phrase}.", "INTERNAL_SERVER_ERROR", status=status)
    return EasyPostError(f"{phrase}.", "BAD_REQUEST" if status == 400 else "PARAMETER.INVALID", status=status)


# -- the errors the models raise (codes of the recordings; others marked as the simulator's choice) -------
def required(field: str) -> InvalidRequest:
    """422 ``PARAMETER.REQUIRED`` naming ``field`` (cassette ``test_error.yaml``)."""
    return InvalidRequest(
        "Missing required parameter.", "PARAMETER.REQUIRED", [{"field": field, "message": "cannot be blank"}]
    )


def invalid(field: str, message: str) -> InvalidRequest:
    """422 ``PARAMETER.INVALID`` naming ``field``."""
    return InvalidRequest("Invalid parameter.", "PARAMETER.INVALID", [{"field": field, "message": message}])


def verify_failure(errors: list[dict[str, Any]]) -> InvalidRequest:
    """422 ``ADDRESS.VERIFY.FAILURE`` with the verification's errors (``verify_strict``, ``GET …/verify``,
    ``create_and_verify``; cassette ``test_address_verify_invalid_address.yaml``)."""
    return InvalidRequest("Unable to verify address.", "ADDRESS.VERIFY.FAILURE", errors)


def postage_exists() -> InvalidRequest:
    """422: buying a shipment that already has a label (EasyPost's ``SHIPMENT.POSTAGE.EXISTS``)."""
    return InvalidRequest("Postage already exists for this shipment.", "SHIPMENT.POSTAGE.EXISTS")


def rate_not_found(rate_id: str) -> InvalidRequest:
    """422: the rate is not one of this shipment's (code: the simulator's choice)."""
    return InvalidRequest(
        f"Rate {rate_id} is not a rate of this shipment.",
        "SHIPMENT.RATE.INVALID",
        [{"field": "rate.id", "message": "is not a rate of this shipment"}],
    )


def not_purchased() -> InvalidRequest:
    """422: refunding a shipment that has no label (code: the simulator's choice)."""
    return InvalidRequest("This shipment has not been purchased.", "SHIPMENT.REFUND.UNAVAILABLE")


def refund_unavailable(status: str) -> InvalidRequest:
    """422: the label was used (the carrier scanned it) or is already refunded; only an unused label can be
    refunded (EasyPost's refund policy; code: the simulator's choice)."""
    return InvalidRequest(
        f"Unable to refund this shipment: its label is no longer unused (tracker status {status}).",
        "SHIPMENT.REFUND.UNAVAILABLE",
    )
