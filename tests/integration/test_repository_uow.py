"""Repository, unit of work and outbox on a real database: SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from reference_service.adapters.orm import OutboxRow
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain import commands
from reference_service.domain.orders import LineItem, Order, OrderStatus
from reference_service.ports import StoredResponse
from reference_service.service_layer.errors import ConcurrencyConflict, IdempotencyRace
from reference_service.service_layer.outcomes import Created, Replayed
from tests.fakes import FailingPublisher, FixedClock, SequentialIds


@pytest.fixture
def c(database_url: str) -> Iterator[Container]:
    container = bootstrap(
        load_settings(database_url=database_url, outbox_relay_enabled=False), ids=SequentialIds()
    )
    yield container
    container.close()


def new_order(order_id: str, customer: str = "cus_1") -> Order:
    return Order.create(
        order_id, customer, "USD", [LineItem("A", "Apple", 2, 150), LineItem("B", "Pear", 1, 75)]
    )


def outbox_rows(c: Container) -> list[OutboxRow]:
    with c.write_sessions() as s:
        return list(s.scalars(sa.select(OutboxRow).order_by(OutboxRow.id)))


def test_add_and_get_round_trip_every_field(c: Container) -> None:
    order = new_order("ord_1")
    order.metadata = {"channel": "web"}
    with c.uow() as uow:
        uow.orders.add(order)
        uow.commit()
    with c.read_uow() as uow:
        loaded = uow.orders.get("ord_1")
    assert loaded is not None
    assert loaded.items == order.items and loaded.total.amount == 375
    assert (loaded.status, loaded.metadata, loaded.version) == (OrderStatus.CREATED, {"channel": "web"}, 1)
    assert loaded.created_at == order.created_at and loaded.created_at.tzinfo is not None


def test_events_are_written_to_the_outbox_in_the_same_transaction(c: Container) -> None:
    with c.uow() as uow:
        uow.orders.add(new_order("ord_1"))
        uow.commit()
    [row] = outbox_rows(c)
    assert (row.event_type, row.aggregate_id, row.dispatched_at) == ("order.created", "ord_1", None)
    assert row.payload["total_amount"] == 375


def test_leaving_without_commit_writes_neither_state_nor_events(c: Container) -> None:
    with c.uow() as uow:
        uow.orders.add(new_order("ord_1"))
    with c.read_uow() as uow:
        assert uow.orders.get("ord_1") is None
    assert outbox_rows(c) == []


def test_a_failed_commit_writes_nothing(c: Container) -> None:
    with c.uow() as uow:
        uow.orders.add(new_order("ord_1"))
        uow.commit()
    with pytest.raises(sa.exc.IntegrityError), c.uow() as uow:
        uow.orders.add(new_order("ord_1"))  # duplicate primary key
        uow.commit()
    assert len(outbox_rows(c)) == 1


def test_concurrent_change_is_detected_by_the_version_check(c: Container) -> None:
    with c.uow() as uow:
        uow.orders.add(new_order("ord_1"))
        uow.commit()
    with c.uow() as uow:
        order = uow.orders.get("ord_1")
        assert order is not None
        # another writer commits a change after we loaded version 1 (same effect on both backends)
        uow.session.execute(
            sa.text("UPDATE orders SET version = version + 1, status = 'PENDING_PAYMENT' WHERE id = 'ord_1'")
        )
        order.cancel("too late")
        with pytest.raises(ConcurrencyConflict):
            uow.commit()
    assert len(outbox_rows(c)) == 1  # only the create's event: the conflicting change wrote nothing


@pytest.mark.postgres
def test_two_sessions_racing_on_postgres_one_wins(postgres_url: str) -> None:
    c = bootstrap(load_settings(database_url=postgres_url, outbox_relay_enabled=False))
    try:
        with c.uow() as uow:
            uow.orders.add(new_order("ord_1"))
            uow.commit()
        first, second = c.uow(), c.uow()
        with first, second:
            a, b = first.orders.get("ord_1"), second.orders.get("ord_1")
            assert a is not None and b is not None
            a.cancel("first")
            first.commit()
            b.transition_to(OrderStatus.PENDING_PAYMENT)
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with c.read_uow() as uow:
            final = uow.orders.get("ord_1")
        assert final is not None and final.status is OrderStatus.CANCELLED and final.version == 2
    finally:
        c.close()


def test_racing_idempotency_keys_raise_idempotency_race(c: Container) -> None:
    stored = StoredResponse("fp", 201, {"id": "x"})
    with c.uow() as uow:
        uow.idempotency.put("orders.create", "k1", stored)
        uow.commit()
    with pytest.raises(IdempotencyRace), c.uow() as uow:
        uow.idempotency.put("orders.create", "k1", stored)
        uow.commit()


def test_parallel_creates_with_one_key_make_one_order(c: Container) -> None:
    cmd = commands.CreateOrder(
        "cus_1",
        "USD",
        (commands.LineItemSpec("A", "a", 1, 500),),
        idempotency_key="same",
        request_fingerprint="fp",
    )
    results: list[tuple[str, object]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            outcome = c.bus.handle(cmd)
            if isinstance(outcome, Created):
                results.append(("created", outcome.value.id))
            else:
                assert isinstance(outcome, Replayed)
                results.append(("replayed", outcome.response.body["id"]))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({order_id for _, order_id in results}) == 1
    assert sorted(kind for kind, _ in results) == ["created"] + ["replayed"] * 5
    with c.read_uow() as uow:
        assert len(uow.orders.list(100).items) == 1


def test_list_pages_newest_first_with_filters(c: Container) -> None:
    with c.uow() as uow:
        for n in range(1, 8):
            uow.orders.add(new_order(f"ord_{n:03d}", "vip" if n % 2 else "cus"))
        uow.commit()
    with c.read_uow() as uow:
        page1 = uow.orders.list(3)
        page2 = uow.orders.list(3, starting_after=page1.items[-1].id)
        page3 = uow.orders.list(3, starting_after=page2.items[-1].id)
        vip = uow.orders.list(10, customer_ref="vip")
        cancelled = uow.orders.list(10, status=OrderStatus.CANCELLED)
    assert [o.id for o in page1.items] == ["ord_007", "ord_006", "ord_005"] and page1.has_more
    assert [o.id for o in page2.items] == ["ord_004", "ord_003", "ord_002"] and page2.has_more
    assert [o.id for o in page3.items] == ["ord_001"] and not page3.has_more
    assert [o.id for o in vip.items] == ["ord_007", "ord_005", "ord_003", "ord_001"]
    assert cancelled.items == []


def test_relay_dispatches_from_the_real_table_and_survives_a_crash(database_url: str) -> None:
    """An event committed before the process 'dies' is dispatched by the next process's relay."""
    settings = load_settings(database_url=database_url, outbox_relay_enabled=False)
    first = bootstrap(settings, ids=SequentialIds())
    first.bus.handle(commands.CreateOrder("cus", "USD", (commands.LineItemSpec("A", "a", 1, 500),)))
    first.close()  # crash between commit and dispatch: nothing was relayed
    publisher = FailingPublisher(failures=1)
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
    second = bootstrap(settings, publisher=publisher, run_migrations=False, clock=clock)
    try:
        second.relay.drain()  # first attempt fails (broker down), is scheduled for retry
        assert publisher.published == []
        assert second.relay.drain() == 0  # backing off
        clock.advance(second.relay.base_backoff)
        second.relay.drain()
        assert [e.event_type for e in publisher.published] == ["order.created"]
        assert second.relay.store.stats() == {"pending": 0, "dead": 0}
        [row] = outbox_rows(second)
        assert (
            row.attempts == 1 and row.dispatched_at is not None and row.handled_by == ["inventory.reserve"]
        )  # only a failure records who succeeded (the in-process inventory handler, not the publisher)
    finally:
        second.close()


def test_relays_claiming_at_once_each_get_their_own_records(c: Container) -> None:
    """Three relays claim the same table concurrently: every record goes to exactly one of them, in id
    order within each claim, and its lease names that relay (PostgreSQL skips rows another claim holds)."""
    for n in range(30):
        c.bus.handle(commands.CreateOrder(f"cus_{n}", "USD", (commands.LineItemSpec("A", "a", 1, 500),)))
    store = c.relay.store
    now = datetime.now(UTC) + timedelta(seconds=1)
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(3)

    def relay(owner: str) -> None:
        start.wait()
        got = claimed.setdefault(owner, [])
        while batch := store.claim(owner, 4, now, 30):
            assert [r.id for r in batch] == sorted(r.id for r in batch)
            got.extend(r.id for r in batch)

    threads = [threading.Thread(target=relay, args=(f"relay-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    ids = [i for got in claimed.values() for i in got]
    rows = outbox_rows(c)
    assert sorted(ids) == [r.id for r in rows] and len(rows) == 30
    owners = {i: owner for owner, got in claimed.items() for i in got}
    assert all(r.lease_owner == owners[r.id] for r in rows)
    assert store.claim("late", 10, now, 30) == []  # every lease still holds


def test_a_claim_and_its_dispatch_mark_are_one_statement_each(c: Container) -> None:
    """The relay's claim is one ``UPDATE ... RETURNING`` and its dispatch mark one ``UPDATE`` (on
    PostgreSQL autocommitted, so no BEGIN and COMMIT around them either)."""
    c.bus.handle(commands.CreateOrder("cus_1", "USD", (commands.LineItemSpec("A", "a", 1, 500),)))
    statements: list[str] = []
    sa.event.listen(c.engines.write, "before_cursor_execute", lambda *a: statements.append(a[2]))
    now = datetime.now(UTC) + timedelta(seconds=1)
    [record] = c.relay.store.claim("relay-1", 10, now, 30)
    c.relay.store.mark_dispatched_many([record.id], now)
    outbox = [s for s in statements if "outbox" in s]
    assert len(outbox) == 2 and outbox[1] == statements[-1]
    assert outbox[0].startswith("UPDATE outbox SET lease_owner") and "RETURNING" in outbox[0]
    assert outbox[1].startswith("UPDATE outbox SET dispatched_at")
    if c.engines.write.dialect.name == "postgresql":
        assert statements == outbox and "SKIP LOCKED" in outbox[0]
