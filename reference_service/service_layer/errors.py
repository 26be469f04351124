"""Service-layer errors. Each maps to one problem+json type in ``entrypoints/errors.py``."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class for errors the service layer raises on purpose."""


class NotFound(ServiceError):
    def __init__(self, resource: str, resource_id: str) -> None:
        super().__init__(f"{resource} {resource_id!r} does not exist")
        self.resource = resource
        self.resource_id = resource_id


class IdempotencyKeyReused(ServiceError):
    """The same Idempotency-Key was sent with a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used with a different request; "
            "use a new key for a different request"
        )
        self.key = key


class ConcurrencyConflict(ServiceError):
    """Another transaction changed the same aggregate first; the caller may retry."""

    retryable = True


class ProviderError(ServiceError):
    """A call to an external provider failed. ``retryable`` says whether trying again may help.

    ``code`` is the service's own stable code (e.g. CARD_DECLINED), ``message`` is safe to show a
    customer, and ``provider`` names who failed. Adapters raise it; they never leak SDK exceptions.
    """

    def __init__(
        self,
        provider: str,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        status: int = 502,
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code
        self.message = message
        self.retryable = retryable
        self.status = status
        self.provider_code = provider_code
