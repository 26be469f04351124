"""Order use cases against fakes: idempotent create, replay, key reuse, cancel, not found."""

from __future__ import annotations

import pytest

from reference_service.domain import commands
from reference_service.domain.errors import IllegalTransition
from reference_service.domain.events import OrderCancelled, OrderCreated
from reference_service.service_layer.errors import IdempotencyKeyReused, NotFound
from reference_service.service_layer.handlers import orders
from tests.fakes import FakeDatabase, FixedClock, SequentialIds


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


def create(db: FakeDatabase, cmd: commands.CreateOrder) -> orders.HandlerResult:
    return orders.create_order(cmd, uow_factory=db, clock=FixedClock(), ids=SequentialIds())


def test_create_commits_order_and_its_event_together(db: FakeDatabase) -> None:
    result = create(db, create_cmd())
    assert result.status == 201 and not result.replayed
    assert result.body["total_amount"] == 250
    assert list(db.orders) == [result.body["id"]]
    [event] = db.outbox
    assert isinstance(event, OrderCreated) and event.order_id == result.body["id"]
    assert db.commits == 1


def test_same_key_same_request_replays_first_result_without_a_second_order(db: FakeDatabase) -> None:
    first = orders.create_order(
        create_cmd("k", "fp1"), uow_factory=db, clock=FixedClock(), ids=SequentialIds()
    )
    again = orders.create_order(
        create_cmd("k", "fp1"), uow_factory=db, clock=FixedClock(), ids=SequentialIds()
    )
    assert again.replayed and again.status == 201 and again.body == first.body
    assert len(db.orders) == 1 and len(db.outbox) == 1


def test_same_key_different_request_is_rejected_and_changes_nothing(db: FakeDatabase) -> None:
    create(db, create_cmd("k", "fp1"))
    with pytest.raises(IdempotencyKeyReused):
        create(db, create_cmd("k", "fp2", qty=2))
    assert len(db.orders) == 1 and db.commits == 1


def test_cancel_records_event_and_cancel_twice_is_illegal(db: FakeDatabase) -> None:
    order_id = create(db, create_cmd()).body["id"]
    result = orders.cancel_order(commands.CancelOrder(order_id, "dup"), uow_factory=db, clock=FixedClock())
    assert result.body["status"] == "CANCELLED" and result.body["cancellation_reason"] == "dup"
    assert isinstance(db.outbox[-1], OrderCancelled)
    with pytest.raises(IllegalTransition):
        orders.cancel_order(commands.CancelOrder(order_id), uow_factory=db, clock=FixedClock())
    assert db.commits == 2


def test_cancel_unknown_order_is_not_found(db: FakeDatabase) -> None:
    with pytest.raises(NotFound) as err:
        orders.cancel_order(commands.CancelOrder("ord_nope"), uow_factory=db, clock=FixedClock())
    assert err.value.resource_id == "ord_nope"
