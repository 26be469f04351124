"""OAuth 2.0 errors of the identity simulator, rendered exactly as RFC 6749 §5.2 says.

A token request that fails answers ``{"error": "<code>", "error_description": "..."}`` with status 400,
except a failed client authentication: 401 ``invalid_client`` with ``WWW-Authenticate: Basic`` when the
client authenticated with HTTP Basic (§5.2: "MUST include the WWW-Authenticate response header field").
The classes group errors by what the caller should do: fix the request (:class:`InvalidRequest`,
:class:`UnsupportedGrantType`, :class:`InvalidScope`), fix its credentials (:class:`InvalidClient`,
:class:`InvalidGrant`, :class:`UnauthorizedClient`) or retry later (:class:`ServerError`,
:class:`TemporarilyUnavailable`). A bare status (a fault, an unknown URL) uses :func:`error_for_status`.
"""

from __future__ import annotations

from simulators.kernel.errors import ErrorResponse, ProviderError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(ProviderError):
    """Base class: an RFC 6749 error code, a description and the HTTP status."""

    status = 400
    code = "invalid_request"

    def __init__(self, description: str, status: int | None = None) -> None:
        super().__init__(description, status)

    def headers(self) -> dict[str, str]:
        """Extra response headers (token responses are never cached)."""
        return dict(NO_STORE)

    def to_response(self) -> ErrorResponse:
        """``{"error", "error_description"}`` as JSON."""
        return ErrorResponse.json({"error": self.code, "error_description": self.message}, self.headers())


class InvalidRequest(OAuthError):
    """400: a required parameter is missing, repeated or malformed."""

    code = "invalid_request"


class InvalidClient(OAuthError):
    """401: unknown client, wrong secret, or no client authentication (RFC 6749 §5.2)."""

    status = 401
    code = "invalid_client"

    def __init__(self, description: str, *, basic: bool = False) -> None:
        super().__init__(description)
        self.basic = basic

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.basic:
            headers["WWW-Authenticate"] = 'Basic realm="genai-demo-identity"'
        return headers


class InvalidGrant(OAuthError):
    """400: the resource owner's credentials are wrong (password grant)."""

    code = "invalid_grant"


class UnauthorizedClient(OAuthError):
    """400: the client may not use this grant type."""

    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    """400: the server does not know this ``grant_type``."""

    code = "unsupported_grant_type"


class InvalidScope(OAuthError):
    """400: a requested scope is unknown or beyond what the client or user may have."""

    code = "invalid_scope"


class ServerError(OAuthError):
    """500: the server failed (the body RFC 6749 gives for redirects, used here for a bare 500)."""

    status = 500
    code = "server_error"


class TemporarilyUnavailable(OAuthError):
    """503 (and 429 from a ``rate_limit`` fault): try again later."""

    status = 503
    code = "temporarily_unavailable"


class NotFoundError(OAuthError):
    """404: no such endpoint."""

    status = 404
    code = "not_found"


def error_for_status(status: int) -> OAuthError:
    """The error body for a bare ``status`` (faults, unknown URLs and methods, crashes)."""
    if status == 404:
        return NotFoundError("No such endpoint.")
    if status == 405:
        return InvalidRequest("Method not allowed on this endpoint.", 405)
    if status == 401:
        return InvalidClient("Client authentication failed.")
    if status in (429, 503):
        return TemporarilyUnavailable("The server is temporarily unavailable; retry later.", status)
    if status >= 500:
        return ServerError("The server encountered an unexpected condition.", status)
    return InvalidRequest("The request is invalid.", status)
