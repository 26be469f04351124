"""The Payment aggregate: one attempt to pay one order through one provider.

An order may have several payments (a declined card, then another card); ``attempt`` numbers them per
order, and the provider idempotency key derives from ``(order_id, attempt)`` so a retried request can
never charge twice. ``PAYMENT_TRANSITIONS`` is the payment's status machine; provider webhooks move a
payment only forward (``can_transition_to``), so a late or out-of-order event is ignored, not applied.

Money is integer minor units plus an ISO 4217 code. No card data is ever held here: only the provider's
reference (``pi_…`` or a PayPal order id), status, and decline codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from reference_service.domain.errors import IllegalTransition
from reference_service.domain.events import Event


class PaymentProvider(StrEnum):
    STRIPE = "stripe"
    PAYPAL = "paypal"


class PaymentStatus(StrEnum):
    CREATED = "CREATED"  # recorded locally; the provider has not answered yet
    REQUIRES_ACTION = "REQUIRES_ACTION"  # the customer must act (3-D Secure, PayPal approval)
    PROCESSING = "PROCESSING"  # the provider is working on it
    AUTHORIZED = "AUTHORIZED"  # approved/authorised, waiting for capture
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    REFUND_PENDING = "REFUND_PENDING"
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"


P = PaymentStatus
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    P.CREATED: frozenset({P.REQUIRES_ACTION, P.PROCESSING, P.AUTHORIZED, P.SUCCEEDED, P.FAILED, P.CANCELED}),
    P.REQUIRES_ACTION: frozenset({P.PROCESSING, P.AUTHORIZED, P.SUCCEEDED, P.FAILED, P.CANCELED}),
    P.PROCESSING: frozenset({P.AUTHORIZED, P.SUCCEEDED, P.FAILED, P.CANCELED}),
    P.AUTHORIZED: frozenset({P.SUCCEEDED, P.FAILED, P.CANCELED}),
    P.SUCCEEDED: frozenset({P.REFUND_PENDING, P.REFUNDED, P.DISPUTED}),
    # a failed Stripe PaymentIntent can still be confirmed again and succeed; nothing else moves it
    P.FAILED: frozenset({P.SUCCEEDED, P.CANCELED}),
    P.CANCELED: frozenset(),
    P.REFUND_PENDING: frozenset({P.REFUNDED, P.DISPUTED}),
    P.REFUNDED: frozenset({P.DISPUTED}),
    P.DISPUTED: frozenset({P.REFUNDED}),
}
#: a payment in one of these can still end in success, so the order keeps waiting for it
OPEN_STATUSES = frozenset({P.CREATED, P.REQUIRES_ACTION, P.PROCESSING, P.AUTHORIZED})


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(Event):
    aggregate_type: ClassVar[str] = "payment"
    aggregate_id_field: ClassVar[str] = "payment_id"
    payment_id: str
    order_id: str
    provider: str


@dataclass(frozen=True, kw_only=True)
class PaymentCreated(PaymentEvent):
    name: ClassVar[str] = "payment.created"
    amount: int
    currency: str
    attempt: int


@dataclass(frozen=True, kw_only=True)
class PaymentStatusChanged(PaymentEvent):
    name: ClassVar[str] = "payment.status_changed"
    previous_status: str
    status: str
    failure_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(PaymentEvent):
    name: ClassVar[str] = "payment.succeeded"
    amount: int
    currency: str
    #: seconds from the payment's creation to success (feeds payment_processing_duration_seconds)
    duration_seconds: float


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(PaymentEvent):
    name: ClassVar[str] = "payment.failed"
    failure_code: str
    failure_message: str
    duration_seconds: float


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(PaymentEvent):
    name: ClassVar[str] = "payment.refunded"
    amount_refunded: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentDisputed(PaymentEvent):
    name: ClassVar[str] = "payment.disputed"
    dispute_id: str
    reason: str
    amount: int


@dataclass(eq=False)
class Payment:
    id: str
    order_id: str
    provider: PaymentProvider
    attempt: int
    amount: int
    currency: str
    status: PaymentStatus = PaymentStatus.CREATED
    provider_ref: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0
    dispute_id: str | None = None
    dispute_reason: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    completed_at: datetime | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def start(
        cls,
        payment_id: str,
        order_id: str,
        provider: PaymentProvider,
        attempt: int,
        amount: int,
        currency: str,
        now: datetime | None = None,
    ) -> Payment:
        moment = now or _now()
        payment = cls(
            payment_id, order_id, provider, attempt, amount, currency, created_at=moment, updated_at=moment
        )
        payment.events.append(
            PaymentCreated(
                payment_id=payment_id,
                order_id=order_id,
                provider=provider.value,
                amount=amount,
                currency=currency,
                attempt=attempt,
                occurred_at=moment,
            )
        )
        return payment

    @property
    def idempotency_key(self) -> str:
        """The provider idempotency key: stable for this order and attempt, so retries never double-charge."""
        return f"genai-demo-{self.order_id}-attempt-{self.attempt}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_transition_to(self, target: PaymentStatus) -> bool:
        return target == self.status or target in PAYMENT_TRANSITIONS[self.status]

    def _move(self, target: PaymentStatus, now: datetime | None) -> bool:
        """Apply ``target``; False when it is the current status (a duplicate), raise when illegal."""
        if target == self.status:
            return False
        if target not in PAYMENT_TRANSITIONS[self.status]:
            raise IllegalTransition("payment", self.id, self.status.value, target.value)
        previous = self.status
        self.status = target
        self.updated_at = now or _now()
        self.events.append(
            PaymentStatusChanged(
                payment_id=self.id,
                order_id=self.order_id,
                provider=self.provider.value,
                previous_status=previous.value,
                status=target.value,
                failure_code=self.failure_code,
                occurred_at=self.updated_at,
            )
        )
        return True

    def _elapsed(self) -> float:
        return max(0.0, (self.updated_at - self.created_at).total_seconds())

    def attach(self, provider_ref: str) -> None:
        """Remember the provider's id for this payment (``pi_…`` / PayPal order id)."""
        self.provider_ref = provider_ref

    def mark(self, target: PaymentStatus, now: datetime | None = None) -> bool:
        """Move to a non-final status such as REQUIRES_ACTION or PROCESSING."""
        return self._move(target, now)

    def succeed(self, now: datetime | None = None) -> bool:
        if not self._move(PaymentStatus.SUCCEEDED, now):
            return False
        self.completed_at = self.updated_at
        self.events.append(
            PaymentSucceeded(
                payment_id=self.id,
                order_id=self.order_id,
                provider=self.provider.value,
                amount=self.amount,
                currency=self.currency,
                duration_seconds=self._elapsed(),
                occurred_at=self.updated_at,
            )
        )
        return True

    def fail(self, code: str, message: str, now: datetime | None = None) -> bool:
        self.failure_code = code
        self.failure_message = message
        if not self._move(PaymentStatus.FAILED, now):
            return False
        self.completed_at = self.updated_at
        self.events.append(
            PaymentFailed(
                payment_id=self.id,
                order_id=self.order_id,
                provider=self.provider.value,
                failure_code=code,
                failure_message=message,
                duration_seconds=self._elapsed(),
                occurred_at=self.updated_at,
            )
        )
        return True

    def refund(self, amount_refunded: int, *, complete: bool, now: datetime | None = None) -> bool:
        """Record a refund: REFUND_PENDING while the provider works, REFUNDED when it confirms."""
        target = PaymentStatus.REFUNDED if complete else PaymentStatus.REFUND_PENDING
        self.amount_refunded = max(self.amount_refunded, amount_refunded)
        if not self._move(target, now):
            return False
        if complete:
            self.events.append(
                PaymentRefunded(
                    payment_id=self.id,
                    order_id=self.order_id,
                    provider=self.provider.value,
                    amount_refunded=self.amount_refunded,
                    currency=self.currency,
                    occurred_at=self.updated_at,
                )
            )
        return True

    def dispute(self, dispute_id: str, reason: str, amount: int, now: datetime | None = None) -> bool:
        self.dispute_id = dispute_id
        self.dispute_reason = reason
        if not self._move(PaymentStatus.DISPUTED, now):
            return False
        self.events.append(
            PaymentDisputed(
                payment_id=self.id,
                order_id=self.order_id,
                provider=self.provider.value,
                dispute_id=dispute_id,
                reason=reason,
                amount=amount,
                occurred_at=self.updated_at,
            )
        )
        return True


class PaymentEventKind(StrEnum):
    """What a provider event means for a payment, whatever the provider called it."""

    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # Stripe requires_capture, PayPal CHECKOUT.ORDER.APPROVED
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    IGNORED = "ignored"


@dataclass(frozen=True)
class ProviderPaymentEvent:
    """A provider webhook (or reconciled event) translated into provider-neutral terms."""

    provider: str
    event_id: str
    event_type: str
    kind: PaymentEventKind
    provider_ref: str | None = None
    payment_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0
    refund_complete: bool = False
    dispute_id: str | None = None
    dispute_reason: str | None = None
    dispute_amount: int = 0
    dispute_status: str | None = None
