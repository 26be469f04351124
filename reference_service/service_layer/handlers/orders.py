"""Order use cases: create (idempotent) and cancel.

Each handler opens one unit of work, so an order, its idempotency record and its outbox events are
written in one transaction. A concurrent change to the same order (optimistic-lock conflict) is
retried a few times before it reaches the caller as ``ConcurrencyConflict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from reference_service.domain import commands
from reference_service.domain.orders import LineItem, Order
from reference_service.ports import Clock, IdGenerator, StoredResponse, UnitOfWorkFactory
from reference_service.service_layer.errors import ConcurrencyConflict, IdempotencyKeyReused, NotFound

CREATE_SCOPE = "orders.create"


class IdempotencyRace(Exception):
    """Raised by a unit of work when another request committed the same idempotency key first."""


@dataclass(frozen=True)
class HandlerResult:
    """What an API call returns: the body, its HTTP status and whether it is an idempotent replay."""

    body: dict[str, Any]
    status: int = 200
    replayed: bool = False


def _retry_conflicts() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(3), reraise=True
    )


def create_order(
    cmd: commands.CreateOrder, *, uow_factory: UnitOfWorkFactory, clock: Clock, ids: IdGenerator
) -> HandlerResult:
    """Create an order; with an idempotency key, replay the first result for the same request."""
    for attempt in Retrying(
        retry=retry_if_exception_type(IdempotencyRace), stop=stop_after_attempt(2), reraise=True
    ):
        with attempt:
            return _create_once(cmd, uow_factory=uow_factory, clock=clock, ids=ids)
    raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises


def _create_once(
    cmd: commands.CreateOrder, *, uow_factory: UnitOfWorkFactory, clock: Clock, ids: IdGenerator
) -> HandlerResult:
    key = cmd.idempotency_key
    with uow_factory() as uow:
        if key is not None:
            stored = uow.idempotency.get(CREATE_SCOPE, key)
            if stored is not None:
                if stored.request_fingerprint != cmd.request_fingerprint:
                    raise IdempotencyKeyReused(key)
                return HandlerResult(stored.body, stored.status_code, replayed=True)
        order = Order.create(
            order_id=ids.new_id("ord"),
            customer_ref=cmd.customer_ref,
            currency=cmd.currency,
            items=[LineItem(i.sku, i.name, i.quantity, i.unit_amount) for i in cmd.items],
            metadata=cmd.metadata,
            now=clock.now(),
            customer=cmd.customer,
        )
        uow.orders.add(order)
        body = order.to_dict()
        if key is not None:
            uow.idempotency.put(CREATE_SCOPE, key, StoredResponse(cmd.request_fingerprint or "", 201, body))
        uow.commit()
    return HandlerResult(body, 201)


def cancel_order(cmd: commands.CancelOrder, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> HandlerResult:
    """Cancel an order; cancelling twice, or after shipping, raises ``IllegalTransition``."""
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            order = uow.orders.get(cmd.order_id)
            if order is None:
                raise NotFound("order", cmd.order_id)
            order.cancel(cmd.reason, clock.now())
            uow.commit()
            return HandlerResult(order.to_dict())
    raise AssertionError("unreachable")  # pragma: no cover
