"""Order use cases against fakes: idempotent create, replay, key reuse, cancel, not found."""

from __future__ import annotations

from typing import Any

import pytest

from reference_service.domain import commands
from reference_service.domain.errors import IllegalTransition
from reference_service.domain.events import OrderCancelled, OrderCreated
from reference_service.domain.orders import Order
from reference_service.service_layer.errors import IdempotencyKeyReused, NotFound
from reference_service.service_layer.handlers import orders
from reference_service.service_layer.outcomes import Created, Replayed, Updated
from tests.fakes import FakeDatabase, FixedClock, SequentialIds


def encode_answer(outcome: Created[Order]) -> tuple[int, dict[str, Any]]:
    """A stand-in for the HTTP layer's encoder: the service layer stores whatever it answers."""
    return 299, {"id": outcome.value.id, "total": outcome.value.total.amount}


def create_cmd(key: str | None = None, fp: str | None = None, qty: int = 1) -> commands.CreateOrder:
    return commands.CreateOrder(
        customer_ref="cus_1",
        currency="USD",
        items=(commands.LineItemSpec("A", "Apple", qty, 250),),
        idempotency_key=key,
        request_fingerprint=fp,
    )


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def create(db: FakeDatabase, cmd: commands.CreateOrder) -> Created[Order] | Replayed:
    return orders.create_order(
        cmd, uow_factory=db, clock=FixedClock(), ids=SequentialIds(), encode_answer=encode_answer
    )


def created(db: FakeDatabase, cmd: commands.CreateOrder) -> Order:
    outcome = create(db, cmd)
    assert isinstance(outcome, Created)
    return outcome.value


def test_create_commits_order_and_its_event_together(db: FakeDatabase) -> None:
    outcome = create(db, create_cmd())
    assert isinstance(outcome, Created) and not isinstance(outcome, Replayed)
    assert outcome.value.total.amount == 250
    assert list(db.orders) == [outcome.value.id]
    [event] = db.outbox
    assert isinstance(event, OrderCreated) and event.order_id == outcome.value.id
    assert db.commits == 1


def test_same_key_same_request_replays_first_result_without_a_second_order(db: FakeDatabase) -> None:
    first = created(db, create_cmd("k", "fp1"))
    again = create(db, create_cmd("k", "fp1"))
    assert isinstance(again, Replayed) and again.response.status_code == 299
    assert again.response.body == {"id": first.id, "total": 250}
    assert len(db.orders) == 1 and len(db.outbox) == 1


def test_same_key_different_request_is_rejected_and_changes_nothing(db: FakeDatabase) -> None:
    create(db, create_cmd("k", "fp1"))
    with pytest.raises(IdempotencyKeyReused):
        create(db, create_cmd("k", "fp2", qty=2))
    assert len(db.orders) == 1 and db.commits == 1


def test_cancel_records_event_and_cancel_twice_is_illegal(db: FakeDatabase) -> None:
    order_id = created(db, create_cmd()).id
    result = orders.cancel_order(commands.CancelOrder(order_id, "dup"), uow_factory=db, clock=FixedClock())
    assert isinstance(result, Updated)
    assert result.value.status == "CANCELLED" and result.value.cancellation_reason == "dup"
    assert isinstance(db.outbox[-1], OrderCancelled)
    with pytest.raises(IllegalTransition):
        orders.cancel_order(commands.CancelOrder(order_id), uow_factory=db, clock=FixedClock())
    assert db.commits == 2


def test_cancel_unknown_order_is_not_found(db: FakeDatabase) -> None:
    with pytest.raises(NotFound) as err:
        orders.cancel_order(commands.CancelOrder("ord_nope"), uow_factory=db, clock=FixedClock())
    assert err.value.resource_id == "ord_nope"
