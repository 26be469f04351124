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


class IdempotencyRace(ServiceError):
    """Raised by a unit of work when another request committed the same idempotency key first."""


class ConcurrencyConflict(ServiceError):
    """Another transaction changed the same aggregate first; the caller may retry."""

    retryable = True


class DuplicateWebhookEvent(ServiceError):
    """A concurrent delivery of the same provider event committed first; acknowledge, don't apply twice."""


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
        #: the service's payment this error belongs to, when there is one
        self.payment_id: str | None = None


class PaymentDeclined(ProviderError):
    """The provider declined the payment (a card decline, an instrument declined). Never retried.

    ``code`` is the service's code (CARD_DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, …) and ``message``
    what the customer sees; ``decline_code`` keeps the provider's finer reason for support.
    """

    def __init__(
        self,
        provider: str,
        code: str,
        message: str,
        *,
        provider_code: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        super().__init__(provider, code, message, retryable=False, status=402, provider_code=provider_code)
        self.decline_code = decline_code


class PaymentConflict(ServiceError):
    """The order cannot take a new payment now (already paid, or a payment is in progress)."""

    def __init__(self, message: str, payment_id: str | None = None) -> None:
        super().__init__(message)
        self.payment_id = payment_id
