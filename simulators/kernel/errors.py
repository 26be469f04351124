"""Error types of the kernel and the base class for provider errors.

Two families, never mixed:

* :class:`ControlError` and subclasses are raised by the ``/_sim/`` control API and render as
  ``{"error": {"code": ..., "message": ..., "details": [...]}}`` with their HTTP status.
* :class:`ProviderError` is the base for a provider's own exception classes (Stripe's ``CardError``,
  PayPal's ``UNPROCESSABLE_ENTITY``...). Each subclass renders the provider's exact error body through
  :meth:`ProviderError.render` (with the request, for bodies that carry its id) or
  :meth:`ProviderError.to_response`. The kernel's one error path
  (:class:`~simulators.kernel.api.ProviderApi`) renders every error of a provider API with it; a bare
  status (an unknown URL, a crash) becomes a :class:`RenderedError` holding the provider's own body for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.kernel.wsgi import SimRequest


@dataclass(frozen=True)
class ErrorResponse:
    """A rendered error: raw body bytes, content type and extra headers."""

    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, headers: Mapping[str, str] | None = None) -> ErrorResponse:
        """Build from a JSON-serialisable payload."""
        return cls(json.dumps(payload).encode(), "application/json", dict(headers or {}))


class ControlError(Exception):
    """An error of the ``/_sim/`` control API (rendered as JSON with ``status``)."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_json(self) -> dict[str, Any]:
        """The JSON body ``{"error": {"code", "message", "details"}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(ControlError):
    """400: the control request body or query is invalid."""

    status = 400
    code = "invalid_request"


class NotFound(ControlError):
    """404: the control resource or route does not exist."""

    status = 404
    code = "not_found"


class Conflict(ControlError):
    """409: the control request conflicts with current state."""

    status = 409
    code = "conflict"


class ProviderError(Exception):
    """Base class for a provider's own errors; subclasses override :meth:`to_response`.

    The default renders ``{"error": {"message": ...}}``; real providers render their exact body.
    """

    status = 400

    def __init__(self, message: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def to_response(self) -> ErrorResponse:
        """Render the provider's error body for this error."""
        return ErrorResponse.json({"error": {"message": self.message, "status": self.status}})

    def render(self, request: SimRequest | None = None) -> ErrorResponse:
        """The body for ``request`` (providers whose bodies carry the request id override this)."""
        return self.to_response()


class RenderedError(ProviderError):
    """A provider error whose body is already rendered (the provider's answer to a bare status)."""

    def __init__(self, rendered: ErrorResponse, status: int) -> None:
        super().__init__(f"HTTP {status}", status)
        self.rendered = rendered

    def to_response(self) -> ErrorResponse:
        return self.rendered
