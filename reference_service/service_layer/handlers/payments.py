"""Payment use cases: start/resume a payment, capture it, apply provider events, refund on cancel.

Starting a payment is three short steps so that no database transaction is open during a provider
call: (1) record the payment attempt and move the order to PENDING_PAYMENT; (2) call the provider with
the attempt's idempotency key; (3) record what the provider said. If step 2 fails in a retryable way
(an outage), the attempt stays CREATED and the next request for the same order *resumes* it with the
same key, so the provider can never charge twice. A decline ends the attempt (FAILED) and moves the
order to PAYMENT_FAILED; the customer may then start a new attempt.

Provider events (webhooks, reconciliation) go through ``apply_payment_event``: deduplicated by event id
in the webhook inbox, written in the same transaction as their effect, and only ever moving a payment
or an order forward (a late or out-of-order event is recorded as ``stale`` and changes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from reference_service.domain import commands
from reference_service.domain.events import OrderCancelled
from reference_service.domain.orders import Order, OrderStatus
from reference_service.domain.payments import (
    Payment,
    PaymentEventKind,
    PaymentProvider,
    PaymentStatus,
    PaymentSucceeded,
    ProviderPaymentEvent,
)
from reference_service.ports import (
    Clock,
    DisputeRecord,
    IdGenerator,
    PaymentGateway,
    PaymentRequest,
    ProviderPayment,
    UnitOfWork,
    UnitOfWorkFactory,
)
from reference_service.service_layer.errors import (
    ConcurrencyConflict,
    DuplicateWebhookEvent,
    NotFound,
    PaymentConflict,
    PaymentDeclined,
    ProviderError,
)
from reference_service.service_layer.outcomes import Created, Receipt, StartedPayment, Updated

logger = logging.getLogger(__name__)
Gateways = Mapping[PaymentProvider, PaymentGateway]


def _retry_conflicts() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(4), reraise=True
    )


def _is_latest(payment: Payment, uow: UnitOfWork) -> bool:
    attempts = [p.attempt for p in uow.payments.for_order(payment.order_id)]
    return payment.attempt >= max(attempts, default=payment.attempt)


def apply_status(
    uow: UnitOfWork,
    payment: Payment,
    order: Order,
    status: PaymentStatus,
    now: datetime,
    *,
    failure_code: str | None = None,
    failure_message: str | None = None,
) -> str:
    """Move ``payment`` (and its order) to what the provider reported; returns ``applied`` or ``stale``."""
    if status == payment.status:
        return "duplicate-state"
    if not payment.can_transition_to(status):
        return "stale"
    if status == PaymentStatus.SUCCEEDED:
        payment.succeed(now)
        if order.can_transition_to(OrderStatus.PAID):
            order.transition_to(OrderStatus.PAID, f"payment {payment.id} succeeded", now)
    elif status == PaymentStatus.FAILED:
        payment.fail(failure_code or "PAYMENT_ERROR", failure_message or "payment failed", now)
        if _is_latest(payment, uow) and order.can_transition_to(OrderStatus.PAYMENT_FAILED):
            order.transition_to(OrderStatus.PAYMENT_FAILED, payment.failure_code, now)
    else:
        payment.mark(status, now)
    return "applied"


# -- start / capture ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    payment_id: str
    order_id: str
    amount: int
    currency: str
    idempotency_key: str


def _begin_attempt(
    cmd: commands.StartPayment,
    provider: PaymentProvider,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
) -> _Attempt:
    with uow_factory() as uow:
        order = uow.orders.get(cmd.order_id)
        if order is None or (cmd.owner is not None and order.customer_ref != cmd.owner):
            raise NotFound("order", cmd.order_id)
        payments = uow.payments.for_order(order.id)
        if order.status == OrderStatus.PAID or any(p.status == PaymentStatus.SUCCEEDED for p in payments):
            raise PaymentConflict(f"order {order.id} is already paid")
        resumable = next(
            (
                p
                for p in payments
                if p.status == PaymentStatus.CREATED and p.provider == provider and p.provider_ref is None
            ),
            None,
        )
        payment = resumable
        if payment is None:
            open_ = [p for p in payments if p.is_open]
            if open_:
                current = open_[-1]
                raise PaymentConflict(
                    f"payment {current.id} of order {order.id} is still in progress ({current.status.value})",
                    current.id,
                )
            order.transition_to(OrderStatus.PENDING_PAYMENT, "payment started", clock.now())
            payment = Payment.start(
                ids.new_id("pay"),
                order.id,
                provider,
                len(payments) + 1,
                order.total.amount,
                order.currency,
                clock.now(),
            )
            order.status_reason = f"payment {payment.id}"
            uow.payments.add(payment)
            uow.commit()
        return _Attempt(payment.id, order.id, payment.amount, payment.currency, payment.idempotency_key)


def _record_result(
    attempt: _Attempt, result: ProviderPayment, uow_factory: UnitOfWorkFactory, clock: Clock
) -> Payment:
    for retry in _retry_conflicts():
        with retry, uow_factory() as uow:
            payment = uow.payments.get(attempt.payment_id)
            order = uow.orders.get(attempt.order_id)
            assert payment is not None and order is not None
            if payment.provider_ref is None:
                payment.attach(result.provider_ref)
            apply_status(
                uow,
                payment,
                order,
                result.status,
                clock.now(),
                failure_code=result.failure_code,
                failure_message=result.failure_message,
            )
            uow.commit()
            return payment
    raise AssertionError("unreachable")  # pragma: no cover


def _record_failure(
    attempt: _Attempt, code: str, message: str, uow_factory: UnitOfWorkFactory, clock: Clock
) -> None:
    for retry in _retry_conflicts():
        with retry, uow_factory() as uow:
            payment = uow.payments.get(attempt.payment_id)
            order = uow.orders.get(attempt.order_id)
            assert payment is not None and order is not None
            apply_status(
                uow,
                payment,
                order,
                PaymentStatus.FAILED,
                clock.now(),
                failure_code=code,
                failure_message=message,
            )
            uow.commit()


def start_payment(
    cmd: commands.StartPayment,
    *,
    uow_factory: UnitOfWorkFactory,
    gateways: Gateways,
    clock: Clock,
    ids: IdGenerator,
) -> Created[StartedPayment]:
    """Create (or resume) the provider payment for an order; see the module docstring for the steps."""
    provider = PaymentProvider(cmd.provider)
    gateway = gateways[provider]
    attempt = _begin_attempt(cmd, provider, uow_factory, clock, ids)
    request = PaymentRequest(
        payment_id=attempt.payment_id,
        order_id=attempt.order_id,
        amount=attempt.amount,
        currency=attempt.currency,
        idempotency_key=attempt.idempotency_key,
        description=f"Order {attempt.order_id}",
        payment_method=cmd.payment_method,
        return_url=cmd.return_url,
        cancel_url=cmd.cancel_url,
    )
    try:
        result = gateway.create_payment(request)
    except PaymentDeclined as declined:
        _record_failure(attempt, declined.code, declined.message, uow_factory, clock)
        declined.payment_id = attempt.payment_id
        raise
    except ProviderError as error:
        error.payment_id = attempt.payment_id
        if not error.retryable:  # the attempt cannot be resumed with the same key: end it
            _record_failure(attempt, error.code, error.message, uow_factory, clock)
        raise
    payment = _record_result(attempt, result, uow_factory, clock)
    return Created(StartedPayment(payment, result.client_secret, result.approve_url, result.next_action))


def capture_payment(
    cmd: commands.CapturePayment, *, uow_factory: UnitOfWorkFactory, gateways: Gateways, clock: Clock
) -> Updated[Payment]:
    """Capture an approved/authorised payment (PayPal orders, Stripe manual capture)."""
    with uow_factory() as uow:
        payment = uow.payments.get(cmd.payment_id)
        if payment is None or payment.order_id != cmd.order_id:
            raise NotFound("payment", cmd.payment_id)
        if payment.provider_ref is None:
            raise PaymentConflict(f"payment {payment.id} has not reached the provider yet", payment.id)
        if payment.status == PaymentStatus.SUCCEEDED:
            return Updated(payment)
        attempt = _Attempt(
            payment.id, payment.order_id, payment.amount, payment.currency, payment.idempotency_key
        )
        provider_ref, provider = payment.provider_ref, payment.provider
    try:
        result = gateways[provider].capture_payment(
            provider_ref, f"capture-{attempt.payment_id}", mock_response=cmd.mock_response
        )
    except PaymentDeclined as declined:
        _record_failure(attempt, declined.code, declined.message, uow_factory, clock)
        declined.payment_id = attempt.payment_id
        raise
    captured = _record_result(attempt, result, uow_factory, clock)
    if result.status == PaymentStatus.FAILED:  # a declined capture (PayPal: 201 with the capture DECLINED)
        refusal = PaymentDeclined(
            provider.value,
            result.failure_code or "PAYMENT_ERROR",
            result.failure_message or "The payment was declined",
            provider_code=result.raw_status,
        )
        refusal.payment_id = attempt.payment_id
        raise refusal
    return Updated(captured)


# -- provider events ---------------------------------------------------------------------------------------


_STATUS_FOR_KIND = {
    PaymentEventKind.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    PaymentEventKind.PROCESSING: PaymentStatus.PROCESSING,
    PaymentEventKind.AUTHORIZED: PaymentStatus.AUTHORIZED,
    PaymentEventKind.SUCCEEDED: PaymentStatus.SUCCEEDED,
    PaymentEventKind.FAILED: PaymentStatus.FAILED,
    PaymentEventKind.CANCELED: PaymentStatus.CANCELED,
}


def _find_payment(uow: UnitOfWork, event: ProviderPaymentEvent) -> Payment | None:
    payment = uow.payments.get(event.payment_id) if event.payment_id else None
    if payment is None and event.provider_ref:
        payment = uow.payments.get_by_provider_ref(PaymentProvider(event.provider), event.provider_ref)
    if payment is not None and event.provider_ref and payment.provider_ref not in (None, event.provider_ref):
        return None  # metadata points at a payment that belongs to another provider object
    return payment


def _apply(uow: UnitOfWork, event: ProviderPaymentEvent, now: datetime) -> tuple[str, str | None]:
    if event.kind == PaymentEventKind.IGNORED:
        return "ignored", None
    payment = _find_payment(uow, event)
    if payment is None:
        return "unmatched", event.provider_ref
    order = uow.orders.get(payment.order_id)
    if order is None:  # pragma: no cover - a payment always references an existing order (foreign key)
        return "unmatched", payment.order_id
    if payment.provider_ref is None and event.provider_ref:
        payment.attach(event.provider_ref)
    if event.kind in _STATUS_FOR_KIND:
        outcome = apply_status(
            uow,
            payment,
            order,
            _STATUS_FOR_KIND[event.kind],
            now,
            failure_code=event.failure_code,
            failure_message=event.failure_message,
        )
        return outcome, payment.id
    if event.kind == PaymentEventKind.REFUNDED:
        # Stripe says whether the charge is fully refunded; PayPal only gives the amount
        complete = event.refund_complete or event.amount_refunded >= payment.amount
        target = PaymentStatus.REFUNDED if complete else PaymentStatus.REFUND_PENDING
        if not payment.can_transition_to(target) or payment.status == target:
            return "stale", payment.id
        payment.refund(event.amount_refunded, complete=complete, now=now)
        if complete and order.can_transition_to(OrderStatus.REFUNDED):
            order.transition_to(OrderStatus.REFUNDED, f"payment {payment.id} refunded", now)
        return "applied", payment.id
    if event.kind == PaymentEventKind.DISPUTED:
        dispute_id = event.dispute_id or event.event_id
        uow.payments.record_dispute(
            DisputeRecord(
                dispute_id,
                event.provider,
                payment.id,
                order.id,
                event.dispute_amount,
                payment.currency,
                event.dispute_reason or "general",
                event.dispute_status or "needs_response",
                now,
            )
        )
        if not payment.can_transition_to(PaymentStatus.DISPUTED) or payment.status == PaymentStatus.DISPUTED:
            return "stale", payment.id
        payment.dispute(dispute_id, event.dispute_reason or "general", event.dispute_amount, now)
        if order.can_transition_to(OrderStatus.DISPUTED):
            order.transition_to(OrderStatus.DISPUTED, event.dispute_reason, now)
        return "applied", payment.id
    raise ValueError(f"unhandled payment event kind {event.kind}")  # pragma: no cover - exhaustive enum


def _needs_lookup(uow: UnitOfWork, event: ProviderPaymentEvent) -> bool:
    """Whether ``event`` names a provider object the service has not recorded, so that only the provider
    can say which payment it belongs to (e.g. Stripe's ``charge.dispute.created`` can arrive before the
    service stored the PaymentIntent id)."""
    if event.kind == PaymentEventKind.IGNORED or not event.provider_ref:
        return False
    return _find_payment(uow, event) is None


def _lookup(event: ProviderPaymentEvent, gateways: Gateways) -> ProviderPaymentEvent:
    """``event`` with the payment id the provider object's own metadata names (outside any transaction; if
    the provider is unreachable the error propagates and the webhook is retried)."""
    gateway = gateways.get(PaymentProvider(event.provider))
    if gateway is None or not event.provider_ref:
        return event
    found = gateway.retrieve_payment(event.provider_ref)
    return replace(event, payment_id=found.payment_id) if found.payment_id else event


def _apply_once(
    event: ProviderPaymentEvent, uow_factory: UnitOfWorkFactory, clock: Clock, *, may_look_up: bool
) -> Receipt | None:
    """Apply ``event`` in one transaction (retried on a conflict); ``None``, with nothing written, when
    ``may_look_up`` and the event's payment must first be looked up at the provider."""
    for retry in _retry_conflicts():
        with retry, uow_factory() as uow:
            if uow.webhook_inbox.seen(event.provider, event.event_id):
                return Receipt("duplicate")
            if may_look_up and _needs_lookup(uow, event):
                return None
            outcome, detail = _apply(uow, event, clock.now())
            uow.webhook_inbox.record(event.provider, event.event_id, event.event_type, outcome, detail)
            try:
                uow.commit()
            except DuplicateWebhookEvent:
                return Receipt("duplicate")
            return Receipt(outcome)
    raise AssertionError("unreachable")  # pragma: no cover


def apply_payment_event(
    cmd: commands.ApplyPaymentEvent, *, uow_factory: UnitOfWorkFactory, clock: Clock, gateways: Gateways
) -> Receipt:
    """Apply a provider event at most once, in the transaction that records it in the webhook inbox.

    The outcome is ``applied``, ``duplicate``, ``duplicate-state``, ``stale``, ``unmatched`` or ``ignored``.
    An event whose payment the service cannot find by id or provider object is looked up at the provider
    (no transaction open during that call) and applied in a second transaction; the usual event needs one.
    """
    receipt = _apply_once(cmd.event, uow_factory, clock, may_look_up=True)
    if receipt is not None:
        return receipt
    looked_up = _apply_once(_lookup(cmd.event, gateways), uow_factory, clock, may_look_up=False)
    assert looked_up is not None, "without may_look_up the event is always applied"
    return looked_up


# -- reactions to order and payment events (run by the outbox relay) ---------------------------------------


def settle_cancelled_order(
    event: OrderCancelled, *, uow_factory: UnitOfWorkFactory, gateways: Gateways, clock: Clock
) -> None:
    """A cancelled order refunds what it paid and cancels payments still in flight at the provider."""
    with uow_factory() as uow:
        payments = [
            (p.id, p.provider, p.provider_ref, p.status) for p in uow.payments.for_order(event.order_id)
        ]
    for payment_id, provider, ref, status in payments:
        if ref is None:
            continue
        if status == PaymentStatus.SUCCEEDED:
            _refund(payment_id, provider, ref, uow_factory, gateways, clock)
        elif status in (PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED):
            _cancel_at_provider(payment_id, provider, ref, uow_factory, gateways, clock)


def refund_late_success(
    event: PaymentSucceeded, *, uow_factory: UnitOfWorkFactory, gateways: Gateways, clock: Clock
) -> None:
    """A payment that succeeds after its order was cancelled is refunded at once."""
    with uow_factory() as uow:
        # nearly every order is not cancelled: decide from its status column before loading anything
        if uow.orders.status(event.order_id) not in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            return
        payment = uow.payments.get(event.payment_id)
        if payment is None or payment.provider_ref is None:
            return
        ref, provider = payment.provider_ref, payment.provider
    _refund(event.payment_id, provider, ref, uow_factory, gateways, clock)


def _refund(
    payment_id: str,
    provider: PaymentProvider,
    ref: str,
    uow_factory: UnitOfWorkFactory,
    gateways: Gateways,
    clock: Clock,
) -> None:
    result = gateways[provider].refund_payment(ref, None, f"refund-{payment_id}")
    logger.info("refund %s requested for payment %s (%s)", result.refund_ref, payment_id, result.raw_status)
    for retry in _retry_conflicts():
        with retry, uow_factory() as uow:
            payment = uow.payments.get(payment_id)
            if (
                payment is not None
                and payment.can_transition_to(PaymentStatus.REFUND_PENDING)
                and payment.status == PaymentStatus.SUCCEEDED
            ):
                payment.refund(result.amount, complete=False, now=clock.now())
                uow.commit()


def _cancel_at_provider(
    payment_id: str,
    provider: PaymentProvider,
    ref: str,
    uow_factory: UnitOfWorkFactory,
    gateways: Gateways,
    clock: Clock,
) -> None:
    try:
        result = gateways[provider].cancel_payment(ref, f"cancel-{payment_id}")
    except ProviderError as error:
        if error.retryable:
            raise
        logger.info("payment %s could not be cancelled at %s: %s", payment_id, provider.value, error.code)
        return
    for retry in _retry_conflicts():
        with retry, uow_factory() as uow:
            payment = uow.payments.get(payment_id)
            order = uow.orders.get(payment.order_id) if payment else None
            if payment is not None and order is not None:
                apply_status(uow, payment, order, result.status, clock.now())
                uow.commit()
