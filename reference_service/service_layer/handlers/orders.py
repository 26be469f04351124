"""Order use cases: create (idempotent) and cancel.

Each handler opens one unit of work, so an order, its idempotency record and its outbox events are
written in one transaction. A concurrent change to the same order (optimistic-lock conflict) is
retried a few times before it reaches the caller as ``ConcurrencyConflict``.

``create_order`` answers ``Created(order)``, or ``Replayed(first answer)`` for an idempotency key seen
before with the same request. The first answer is what ``encode_answer`` (the HTTP layer's, handed in by
the composition root) makes of ``Created(order)``, stored in the same transaction as the order.
"""

from __future__ import annotations

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from reference_service.domain import commands
from reference_service.domain.orders import LineItem, Order
from reference_service.ports import Clock, IdGenerator, StoredResponse, UnitOfWorkFactory
from reference_service.service_layer.errors import (
    ConcurrencyConflict,
    IdempotencyKeyReused,
    IdempotencyRace,
    NotFound,
)
from reference_service.service_layer.outcomes import AnswerEncoder, Created, Replayed, Updated

CREATE_SCOPE = "orders.create"


def _retry_conflicts() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(3), reraise=True
    )


def create_order(
    cmd: commands.CreateOrder,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    encode_answer: AnswerEncoder,
) -> Created[Order] | Replayed:
    """Create an order; with an idempotency key, replay the first answer for the same request."""
    for attempt in Retrying(
        retry=retry_if_exception_type(IdempotencyRace), stop=stop_after_attempt(2), reraise=True
    ):
        with attempt:
            return _create_once(cmd, uow_factory, clock, ids, encode_answer)
    raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises


def _create_once(
    cmd: commands.CreateOrder,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    encode_answer: AnswerEncoder,
) -> Created[Order] | Replayed:
    key = cmd.idempotency_key
    with uow_factory() as uow:
        if key is not None:
            stored = uow.idempotency.get(CREATE_SCOPE, key)
            if stored is not None:
                if stored.request_fingerprint != cmd.request_fingerprint:
                    raise IdempotencyKeyReused(key)
                return Replayed(stored)
        order = Order.create(
            order_id=ids.new_id("ord"),
            customer_ref=cmd.customer_ref,
            currency=cmd.currency,
            items=[LineItem(i.sku, i.name, i.quantity, i.unit_amount) for i in cmd.items],
            metadata=cmd.metadata,
            now=clock.now(),
            customer=cmd.customer,
            shipping_address=cmd.shipping_address,
        )
        uow.orders.add(order)
        created = Created(order)
        if key is not None:
            status, body = encode_answer(created)
            uow.idempotency.put(
                CREATE_SCOPE, key, StoredResponse(cmd.request_fingerprint or "", status, body)
            )
        uow.commit()
    return created


def cancel_order(
    cmd: commands.CancelOrder, *, uow_factory: UnitOfWorkFactory, clock: Clock
) -> Updated[Order]:
    """Cancel an order; cancelling twice, or after shipping, raises ``IllegalTransition``."""
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            order = uow.orders.get(cmd.order_id)
            if order is None:
                raise NotFound("order", cmd.order_id)
            order.cancel(cmd.reason, clock.now())
            uow.commit()
            return Updated(order)
    raise AssertionError("unreachable")  # pragma: no cover
