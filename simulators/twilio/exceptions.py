"""Twilio's REST errors: each class renders Twilio's exact JSON body.

Every Twilio API error has the body ``{"code": 21211, "message": "...", "more_info":
"https://www.twilio.com/docs/errors/21211", "status": 400}`` (twilio-oai, and what
``twilio.base.version.Version.exception`` parses into ``TwilioRestException(status, uri, msg, code)``).
The classes group errors by what a caller should do: fix the request (:class:`TwilioValidationError`),
fix credentials (:class:`TwilioAuthenticationError`), look elsewhere (:class:`TwilioNotFoundError`),
back off (:class:`TwilioRateLimitError`) or retry later (:class:`TwilioServerError`). Message wording is
Twilio's, from its error dictionary (twilio.com/docs/api/errors/<code>).
"""

from __future__ import annotations

from http import HTTPStatus

from simulators.kernel.errors import ErrorResponse, ProviderError

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def error_body(code: int, message: str, status: int) -> dict[str, object]:
    """Twilio's error JSON, keys in Twilio's order."""
    return {"code": code, "message": message, "more_info": MORE_INFO.format(code=code), "status": status}


class TwilioError(ProviderError):
    """Base class: a Twilio error code, message and HTTP status."""

    status = 400
    default_code = 20001

    def __init__(self, message: str, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message, status)
        self.code = code if code is not None else self.default_code

    def headers(self) -> dict[str, str]:
        """Extra response headers."""
        return {}

    def to_response(self) -> ErrorResponse:
        """``{code, message, more_info, status}`` as JSON."""
        return ErrorResponse.json(error_body(self.code, self.message, self.status), self.headers())


class TwilioValidationError(TwilioError):
    """400: the request is invalid (missing or bad parameters, magic numbers); do not retry as is."""

    status = 400


class TwilioAuthenticationError(TwilioError):
    """401 / 20003: unknown AccountSid, wrong AuthToken, or an AccountSid in the URL that is not the
    authenticated one ("Using subaccount credentials to access the main account", error 20003)."""

    status = 401
    default_code = 20003

    def __init__(self) -> None:
        super().__init__("Authenticate", 20003, 401)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="Twilio API"'}


class TwilioForbiddenError(TwilioError):
    """403: e.g. 20008, a resource that test credentials cannot read."""

    status = 403
    default_code = 20403


class TwilioNotFoundError(TwilioError):
    """404 / 20404: ``The requested resource <path> was not found``."""

    status = 404
    default_code = 20404

    def __init__(self, path: str = "") -> None:
        where = f" {path}" if path else ""
        super().__init__(f"The requested resource{where} was not found", 20404, 404)


class TwilioRateLimitError(TwilioError):
    """429 / 20429: back off and retry (the kernel's rate_limit fault adds ``Retry-After``)."""

    status = 429
    default_code = 20429

    def __init__(self) -> None:
        super().__init__("Too Many Requests", 20429, 429)


class TwilioServerError(TwilioError):
    """5xx: Twilio-side failure (20500 Internal Server Error, 20503 Service Unavailable); retryable."""

    status = 500
    default_code = 20500


def for_status(status: int, path: str | None = None) -> TwilioError:
    """The error Twilio answers with a bare HTTP ``status`` (faults, routing errors)."""
    if status == 401:
        return TwilioAuthenticationError()
    if status == 404:
        return TwilioNotFoundError(path or "")
    if status == 429:
        return TwilioRateLimitError()
    if status == 405:
        return TwilioValidationError("Method not allowed", 20004, 405)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status >= 500:
        return TwilioServerError(phrase, 20000 + status if status in (500, 503) else 20500, status)
    return TwilioError(phrase, 20000 + status if 400 <= status < 500 else 20001, status)


# -- the create-message validation errors (codes from the reference, wording from Twilio) ---------------
def missing_to() -> TwilioValidationError:
    return TwilioValidationError("A 'To' phone number is required.", 21604)


def missing_from() -> TwilioValidationError:
    return TwilioValidationError("A 'From' phone number is required.", 21603)


def missing_body() -> TwilioValidationError:
    return TwilioValidationError("Message body is required.", 21602)


def body_too_long() -> TwilioValidationError:
    return TwilioValidationError("The concatenated message body exceeds the 1600 character limit.", 21617)


def invalid_to(to: str) -> TwilioValidationError:
    return TwilioValidationError(f"The 'To' number {to} is not a valid phone number.", 21211)


def invalid_from(from_: str) -> TwilioValidationError:
    return TwilioValidationError(
        f"The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID.", 21212
    )


def from_not_owned(from_: str) -> TwilioValidationError:
    return TwilioValidationError(
        f"The 'From' phone number provided ({from_}) is not a valid message-capable Twilio phone number "
        "for this destination/account.",
        21606,
    )


def from_queue_full() -> TwilioValidationError:
    return TwilioValidationError(
        "This 'From' number has exceeded the maximum number of queued messages", 21611
    )


def cannot_route(to: str, from_: str | None) -> TwilioValidationError:
    return TwilioValidationError(
        f"The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: "
        f"{from_ or ''} via SMS.",
        21612,
    )


def region_not_enabled(to: str) -> TwilioValidationError:
    return TwilioValidationError(
        f"Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
        21408,
    )


def unsubscribed() -> TwilioValidationError:
    return TwilioValidationError("Attempt to send to unsubscribed recipient", 21610)


def not_mobile() -> TwilioValidationError:
    return TwilioValidationError("'To' number is not a valid mobile number", 21614)


def invalid_status_callback(url: str) -> TwilioValidationError:
    return TwilioValidationError(f"The StatusCallback URL {url} is not a valid URL.", 21609)


def invalid_validity_period(value: str) -> TwilioValidationError:
    """21624 (twilio.com/docs/api/errors/21624): "Validity period can only be set to integers between 1 and
    36,000 seconds"."""
    return TwilioValidationError(f"Invalid validity period value: {value}", 21624)


def invalid_application_sid(sid: str) -> TwilioValidationError:
    """21218 "Invalid ApplicationSid" (twilio.com/docs/api/errors/21218)."""
    return TwilioValidationError(f"Invalid ApplicationSid: {sid}", 21218)


def invalid_content_sid(sid: str) -> TwilioValidationError:
    """21655 "The ContentSid is Invalid": not ``^HX[0-9a-fA-F]{32}$`` (twilio.com/docs/api/errors/21655)."""
    return TwilioValidationError(f"The ContentSid {sid} is Invalid", 21655)


def invalid_parameter(name: str, value: str) -> TwilioValidationError:
    """400 / 20001 for a parameter of the wrong type or outside its values, where Twilio documents no code
    of its own for the parameter (the code the simulator already answers for a bad ``DateSent``)."""
    return TwilioValidationError(f"Invalid value for {name}: {value}", 20001)


def invalid_messaging_service(sid: str) -> TwilioValidationError:
    return TwilioValidationError(f"The Messaging Service Sid {sid} is invalid.", 21701)


def too_many_media() -> TwilioValidationError:
    return TwilioValidationError("Number of media files exceeds allowed limit", 21623)


def invalid_media_url(url: str) -> TwilioValidationError:
    return TwilioValidationError(f"The media URL {url} is invalid.", 21620)


def invalid_update() -> TwilioValidationError:
    return TwilioValidationError("Parameters are not valid", 30400)


def cannot_cancel() -> TwilioValidationError:
    return TwilioValidationError("This message cannot be canceled", 30409)


def test_credentials_forbidden() -> TwilioForbiddenError:
    return TwilioForbiddenError("Resource not accessible with Test Account Credentials", 20008)
