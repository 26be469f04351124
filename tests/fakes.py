"""In-memory fakes for every port (house rule 3), for unit tests with no database or sockets."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from reference_service.adapters.event_publisher import InProcessEventPublisher
from reference_service.domain.events import Event
from reference_service.domain.orders import Order, OrderStatus
from reference_service.domain.payments import PaymentProvider, PaymentStatus
from reference_service.ports import (
    OutboxRecord,
    Page,
    PaymentRequest,
    ProviderPayment,
    PublishedEvent,
    RefundResult,
    StoredResponse,
)

FakeEventPublisher = InProcessEventPublisher  # already in-memory and bounded


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class SequentialIds:
    """``ord_000001``, ``ord_000002``… (sortable, like the real ULIDs)."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._n):06d}"


class FakeOrderRepository:
    def __init__(self, store: dict[str, Order]) -> None:
        self._store = store
        self.seen: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        self.seen[order.id] = order

    def get(self, order_id: str) -> Order | None:
        if order_id in self.seen:
            return self.seen[order_id]
        stored = self._store.get(order_id)
        if stored is None:
            return None
        order = copy.deepcopy(stored)
        self.seen[order_id] = order
        return order

    def list(
        self,
        limit: int,
        starting_after: str | None = None,
        status: OrderStatus | None = None,
        customer_ref: str | None = None,
    ) -> Page:
        orders = sorted(self._store.values(), key=lambda o: o.id, reverse=True)
        if starting_after is not None:
            orders = [o for o in orders if o.id < starting_after]
        if status is not None:
            orders = [o for o in orders if o.status == status]
        if customer_ref is not None:
            orders = [o for o in orders if o.customer_ref == customer_ref]
        return Page(items=orders[:limit], has_more=len(orders) > limit)


class FakeIdempotencyStore:
    def __init__(self, store: dict[tuple[str, str], StoredResponse]) -> None:
        self._store = store
        self.pending: dict[tuple[str, str], StoredResponse] = {}

    def get(self, scope: str, key: str) -> StoredResponse | None:
        return self.pending.get((scope, key)) or self._store.get((scope, key))

    def put(self, scope: str, key: str, response: StoredResponse) -> None:
        self.pending[(scope, key)] = response


class FakeUnitOfWork:
    """Commits copy tracked orders and events into shared dicts; leaving without commit drops them."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.committed = False
        self._events: list[Event] = []

    def __enter__(self) -> Self:
        self.orders = FakeOrderRepository(self.db.orders)
        self.idempotency = FakeIdempotencyStore(self.db.idempotency)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        for order in self.orders.seen.values():
            self._events.extend(order.events)
            self.db.outbox.extend(order.events)
            order.events = []
            self.db.orders[order.id] = copy.deepcopy(order)
        self.db.idempotency.update(self.idempotency.pending)
        self.idempotency.pending = {}
        self.committed = True
        self.db.commits += 1

    def rollback(self) -> None:
        self.orders.seen = {}
        self.idempotency.pending = {}

    def collect_new_events(self) -> list[Event]:
        return list(self._events)


class FakeDatabase:
    """Shared state behind ``FakeUnitOfWork``s; call it to get a new unit of work (a UnitOfWorkFactory)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.idempotency: dict[tuple[str, str], StoredResponse] = {}
        self.outbox: list[Event] = []
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeOutboxStore:
    """An in-memory outbox with the same lease/retry semantics the relay relies on."""

    def __init__(self) -> None:
        self.records: dict[int, dict[str, object]] = {}
        self._ids = itertools.count(1)

    def add(self, event: Event, now: datetime) -> int:
        rid = next(self._ids)
        self.records[rid] = {
            "event_type": event.name,
            "payload": event.to_payload(),
            "attempts": 0,
            "handled_by": set(),
            "next_attempt_at": now,
            "dispatched_at": None,
            "dead": False,
            "lease_until": None,
            "last_error": None,
        }
        return rid

    def claim(self, owner: str, limit: int, now: datetime, lease_seconds: float) -> list[OutboxRecord]:
        out = []
        for rid, r in sorted(self.records.items()):
            lease = r["lease_until"]
            if r["dispatched_at"] or r["dead"] or r["next_attempt_at"] > now or (lease and lease >= now):  # type: ignore[operator]
                continue
            r["lease_until"] = now + timedelta(seconds=lease_seconds)
            out.append(
                OutboxRecord(
                    rid,
                    str(r["event_type"]),
                    dict(r["payload"]),
                    int(r["attempts"]),  # type: ignore[call-overload, arg-type]
                    frozenset(r["handled_by"]),
                )
            )  # type: ignore[arg-type]
            if len(out) == limit:
                break
        return out

    def mark_handled(self, record_id: int, subscriber: str) -> None:
        self.records[record_id]["handled_by"].add(subscriber)  # type: ignore[attr-defined]

    def mark_dispatched(self, record_id: int, now: datetime) -> None:
        self.records[record_id].update(dispatched_at=now, lease_until=None)

    def mark_failed(
        self, record_id: int, error: str, next_attempt_at: datetime, dead: bool, now: datetime
    ) -> None:
        r = self.records[record_id]
        r.update(
            attempts=int(r["attempts"]) + 1,
            last_error=error,
            next_attempt_at=next_attempt_at,  # type: ignore[call-overload]
            dead=dead,
            lease_until=None,
        )

    def stats(self) -> dict[str, int]:
        pending = sum(1 for r in self.records.values() if not r["dispatched_at"] and not r["dead"])
        return {"pending": pending, "dead": sum(1 for r in self.records.values() if r["dead"])}


class FailingPublisher:
    """An EventPublisher that fails the first ``failures`` calls, then records what it publishes."""

    name = "failing"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.published: list[PublishedEvent] = []

    def publish(self, event: PublishedEvent) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        self.published.append(event)


class FakePaymentGateway:
    """A scriptable ``PaymentGateway``: queue results or errors per operation; records every call."""

    def __init__(self, provider: PaymentProvider = PaymentProvider.STRIPE) -> None:
        self.provider = provider
        self.calls: list[tuple[str, object]] = []
        self.script: dict[str, list[object]] = {}
        self.healthy = True
        self._n = itertools.count(1)

    def will(self, operation: str, *outcomes: object) -> None:
        """Queue outcomes (a ProviderPayment/RefundResult to return, or an exception to raise)."""
        self.script.setdefault(operation, []).extend(outcomes)

    def _next(self, operation: str, default: object) -> Any:
        queue = self.script.get(operation)
        outcome = queue.pop(0) if queue else default
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        self.calls.append(("create_payment", request))
        status = PaymentStatus.SUCCEEDED if request.payment_method else PaymentStatus.REQUIRES_ACTION
        default = ProviderPayment(f"pi_fake{next(self._n)}", status, client_secret="pi_fake_secret_x")
        result: ProviderPayment = self._next("create_payment", default)
        return result

    def retrieve_payment(self, provider_ref: str) -> ProviderPayment:
        self.calls.append(("retrieve_payment", provider_ref))
        result: ProviderPayment = self._next(
            "retrieve_payment", ProviderPayment(provider_ref, PaymentStatus.SUCCEEDED)
        )
        return result

    def capture_payment(self, provider_ref: str, idempotency_key: str) -> ProviderPayment:
        self.calls.append(("capture_payment", (provider_ref, idempotency_key)))
        result: ProviderPayment = self._next(
            "capture_payment", ProviderPayment(provider_ref, PaymentStatus.SUCCEEDED)
        )
        return result

    def cancel_payment(self, provider_ref: str, idempotency_key: str) -> ProviderPayment:
        self.calls.append(("cancel_payment", (provider_ref, idempotency_key)))
        result: ProviderPayment = self._next(
            "cancel_payment", ProviderPayment(provider_ref, PaymentStatus.CANCELED)
        )
        return result

    def refund_payment(self, provider_ref: str, amount: int | None, idempotency_key: str) -> RefundResult:
        self.calls.append(("refund_payment", (provider_ref, amount, idempotency_key)))
        result: RefundResult = self._next(
            "refund_payment", RefundResult(f"re_fake{next(self._n)}", amount or 0, False, "pending")
        )
        return result

    def check_health(self) -> dict[str, Any]:
        if not self.healthy:
            raise ConnectionError("provider unreachable")
        return {"fake": True}
