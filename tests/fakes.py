"""In-memory fakes for every port (house rule 3), for unit tests with no database or sockets."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from reference_service.adapters.event_publisher import InProcessEventPublisher
from reference_service.domain.deliveries import OPEN, Delivery
from reference_service.domain.events import Event
from reference_service.domain.inventory import Reservation, StockLevel, check_on_hand
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
from reference_service.service_layer.errors import ConcurrencyConflict

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

    def status(self, order_id: str) -> OrderStatus | None:
        order = self.seen.get(order_id) or self._store.get(order_id)
        return order.status if order is not None else None

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
        self.deliveries = FakeDeliveryRepository(self.db.deliveries)
        self.webhook_inbox = FakeWebhookInbox(self.db.inbox)
        self.inventory = FakeInventoryRepository(self.db)
        self.consumer_inbox = FakeConsumerInbox(self.db.consumer_inbox)
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
        for delivery in self.deliveries.seen.values():
            active = [
                d
                for d in self.db.deliveries.values()
                if d.order_id == delivery.order_id and d.active and d.id != delivery.id
            ]
            if delivery.active and active:  # the unique active-delivery key of the real table
                raise ConcurrencyConflict("another delivery for this order started at the same time")
            self._events.extend(delivery.events)
            self.db.outbox.extend(delivery.events)
            delivery.events = []
            self.db.deliveries[delivery.id] = copy.deepcopy(delivery)
        self.db.inbox.update(self.webhook_inbox.pending)
        self.webhook_inbox.pending = {}
        self.db.stock = dict(self.inventory.stock)
        self.db.reservations = {k: copy.deepcopy(v) for k, v in self.inventory.reservations.items()}
        self.db.consumer_inbox |= self.consumer_inbox.pending
        self.consumer_inbox.pending = set()
        self.committed = True
        self.db.commits += 1

    def rollback(self) -> None:
        self.orders.seen = {}
        self.idempotency.pending = {}
        self.deliveries.seen = {}
        self.webhook_inbox.pending = {}
        self.inventory = FakeInventoryRepository(self.db)
        self.consumer_inbox = FakeConsumerInbox(self.db.consumer_inbox)

    def collect_new_events(self) -> list[Event]:
        return list(self._events)


class FakeDeliveryRepository:
    """Deliveries by id (copies: a unit of work sees its own changes until it commits)."""

    def __init__(self, store: dict[str, Delivery]) -> None:
        self.store = store
        self.seen: dict[str, Delivery] = {}

    def _track(self, delivery: Delivery) -> Delivery:
        if delivery.id not in self.seen:
            self.seen[delivery.id] = copy.deepcopy(delivery)
        return self.seen[delivery.id]

    def add(self, delivery: Delivery) -> None:
        self.seen[delivery.id] = delivery

    def get(self, delivery_id: str) -> Delivery | None:
        if delivery_id in self.seen:
            return self.seen[delivery_id]
        found = self.store.get(delivery_id)
        return self._track(found) if found is not None else None

    def for_order(self, order_id: str) -> list[Delivery]:
        ids = [d.id for d in self.store.values() if d.order_id == order_id]
        return sorted((self.get(i) for i in ids), key=lambda d: (d.created_at, d.id))  # type: ignore[arg-type,return-value]

    def get_by_tracking_number(self, tracking_number: str) -> Delivery | None:
        found = [d for d in self.store.values() if d.tracking_number == tracking_number]
        return self.get(found[-1].id) if found else None

    def open(self, limit: int) -> list[Delivery]:
        found = [d for d in self.store.values() if d.status in OPEN][:limit]
        return [self._track(d) for d in found]


class FakeDatabase:
    """Shared state behind ``FakeUnitOfWork``s; call it to get a new unit of work (a UnitOfWorkFactory)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.idempotency: dict[tuple[str, str], StoredResponse] = {}
        self.outbox: list[Event] = []
        self.deliveries: dict[str, Delivery] = {}
        self.inbox: dict[tuple[str, str], str] = {}
        self.stock: dict[str, StockLevel] = {}
        self.reservations: dict[str, Reservation] = {}
        self.consumer_inbox: set[tuple[str, str]] = set()
        self.commits = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeInventoryRepository:
    """Stock and reservations on copies; ``FakeUnitOfWork.commit`` writes them back."""

    def __init__(self, db: FakeDatabase) -> None:
        self.stock = dict(db.stock)
        self.reservations = {k: copy.deepcopy(v) for k, v in db.reservations.items()}

    def get(self, sku: str) -> StockLevel | None:
        return self.stock.get(sku)

    def list(self, limit: int, starting_after: str | None = None) -> list[StockLevel]:
        return [self.stock[k] for k in sorted(self.stock) if starting_after is None or k > starting_after][
            :limit
        ]

    def set_on_hand(self, sku: str, on_hand: int, now: datetime) -> StockLevel:
        current = self.stock.get(sku)
        check_on_hand(sku, on_hand, current.reserved if current else 0)
        self.stock[sku] = StockLevel(sku, on_hand, current.reserved if current else 0, now)
        return self.stock[sku]

    def _move(self, sku: str, reserved: int, on_hand: int, now: datetime) -> None:
        level = self.stock[sku]
        self.stock[sku] = StockLevel(sku, level.on_hand + on_hand, level.reserved + reserved, now)

    def try_reserve(self, sku: str, quantity: int, now: datetime) -> bool | None:
        level = self.stock.get(sku)
        if level is None:
            return None
        if level.available < quantity:
            return False
        self._move(sku, quantity, 0, now)
        return True

    def release(self, sku: str, quantity: int, now: datetime) -> None:
        self._move(sku, -quantity, 0, now)

    def consume(self, sku: str, quantity: int, now: datetime) -> None:
        self._move(sku, -quantity, -quantity, now)

    def reservation(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    def save_reservation(self, reservation: Reservation) -> None:
        reservation.stored = True
        self.reservations[reservation.order_id] = reservation


class FakeConsumerInbox:
    def __init__(self, seen: set[tuple[str, str]]) -> None:
        self.seen = seen
        self.pending: set[tuple[str, str]] = set()

    def claim(self, consumer: str, event_id: str, event_type: str) -> bool:
        key = (consumer, event_id)
        if key in self.seen or key in self.pending:
            return False
        self.pending.add(key)
        return True


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

    def mark_dispatched(self, record_id: int, now: datetime) -> None:
        self.records[record_id].update(dispatched_at=now, lease_until=None)

    def mark_dispatched_many(self, record_ids: Sequence[int], now: datetime) -> None:
        for record_id in record_ids:
            self.mark_dispatched(record_id, now)

    def mark_failed(
        self,
        record_id: int,
        error: str,
        next_attempt_at: datetime,
        dead: bool,
        now: datetime,
        handled_by: frozenset[str],
    ) -> None:
        r = self.records[record_id]
        r.update(
            handled_by=set(handled_by),
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
        return None


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

    def capture_payment(
        self, provider_ref: str, idempotency_key: str, *, mock_response: str | None = None
    ) -> ProviderPayment:
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


# --- notifications -------------------------------------------------------------------------------

from collections.abc import Collection, Mapping  # noqa: E402

from reference_service.adapters.circuit_breaker import CircuitBreaker  # noqa: E402
from reference_service.domain.notifications import Notification  # noqa: E402
from reference_service.ports import (  # noqa: E402
    RenderedEmail,
    SmsDispatch,
    SmsResult,
    Suppression,
)
from reference_service.service_layer.errors import ProviderError  # noqa: E402
from reference_service.service_layer.notification_errors import (  # noqa: E402
    AllSmsProvidersFailedException,
    EmailVariablesInvalid,
    InvalidPhoneNumber,
    ProviderFailure,
    SmsRecipientRejected,
    UnknownEmailTemplate,
)


class FakeEmailTemplates:
    """``EmailTemplates`` with one template per name in ``required`` (subject ``<name>: <variables>``)."""

    def __init__(self, required: Mapping[str, tuple[str, ...]] | None = None) -> None:
        default = {"ORDER_CONFIRMATION": ("customerName", "orderNumber", "orderItems")}
        self.required = dict(required or default)

    def names(self) -> list[str]:
        return sorted(self.required)

    def render(self, template: str, variables: Mapping[str, Any]) -> RenderedEmail:
        if template not in self.required:
            raise UnknownEmailTemplate(template, self.names())
        missing = [n for n in self.required[template] if variables.get(n) is None]
        if missing:
            raise EmailVariablesInvalid(template, missing)
        text = ", ".join(f"{k}={variables[k]}" for k in sorted(variables))
        return RenderedEmail(template, f"{template}: {text}", f"<p>{text}</p>", text)


class FakeEmailSender:
    """A scriptable ``EmailSender``: queue message ids or errors with ``will``; ``sent`` records emails."""

    name = "ses"

    def __init__(self) -> None:
        self.sent: list[tuple[str, RenderedEmail]] = []
        self.script: list[object] = []
        self.healthy = True
        self._n = itertools.count(1)

    def will(self, *outcomes: object) -> None:
        self.script.extend(outcomes)

    def send(self, to: str, email: RenderedEmail) -> str:
        outcome = self.script.pop(0) if self.script else f"ses-msg-{next(self._n):04d}"
        if isinstance(outcome, BaseException):
            raise outcome
        self.sent.append((to, email))
        return str(outcome)

    def check_health(self) -> dict[str, Any]:
        if not self.healthy:
            raise ConnectionError("SES unreachable")
        return {"fake": True}


class FakeSmsProvider:
    """A scriptable ``SmsProvider`` with a real circuit breaker; ``sent`` records (phone, message)."""

    def __init__(
        self,
        name: str,
        regions: Collection[str] = ("*",),
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.name = name
        self.regions = set(regions)
        self.breaker = breaker or CircuitBreaker(name, 3, 30.0)
        self.sent: list[tuple[str, str]] = []
        self.script: list[object] = []
        self._n = itertools.count(1)

    def will(self, *outcomes: object) -> None:
        """Queue outcomes: a message id to return, or a ``ProviderError`` to raise."""
        self.script.extend(outcomes)

    def is_available(self) -> bool:
        return self.breaker.allow()

    def supports_region(self, region: str) -> bool:
        return "*" in self.regions or region in self.regions

    def send(self, phone: str, message: str) -> SmsResult:
        n = next(self._n)
        default = f"SM{n:032x}" if self.name == "twilio" else f"{n:08x}-0000-4000-8000-{self.name:0>12}"
        outcome = self.script.pop(0) if self.script else default
        if isinstance(outcome, ProviderError):
            if isinstance(outcome, SmsRecipientRejected):
                self.breaker.record_success()
            else:
                self.breaker.record_failure()
            raise outcome
        if isinstance(outcome, BaseException):
            raise outcome
        self.breaker.record_success()
        self.sent.append((phone, message))
        return SmsResult(self.name, str(outcome), "queued" if self.name == "twilio" else "accepted")


class FakeSmsRouter:
    """An ``SmsRouter`` that hands every SMS to the first provider in ``order`` not excluded; numbers
    must start with ``+`` and hold only digits."""

    def __init__(self, providers: list[FakeSmsProvider]) -> None:
        self.providers = providers

    def normalize(self, phone: str) -> tuple[str, str]:
        if not phone.startswith("+") or not phone[1:].isdigit():
            raise InvalidPhoneNumber("not E.164")
        return phone, "US"

    def send(self, phone: str, message: str, *, exclude: Collection[str] = ()) -> SmsDispatch:
        number, region = self.normalize(phone)
        tried: list[str] = []
        failures: list[ProviderFailure] = []
        for provider in self.providers:
            if provider.name in exclude:
                continue
            tried.append(provider.name)
            try:
                result = provider.send(number, message)
            except ProviderError as error:
                if isinstance(error, SmsRecipientRejected):
                    error.tried = list(tried)
                    raise
                failures.append(ProviderFailure(provider.name, error.code, error.retryable))
                continue
            return SmsDispatch(provider.name, result.message_id, result.status, tuple(tried), region)
        raise AllSmsProvidersFailedException(tried, failures)

    def reset_circuits(self) -> None:
        for provider in self.providers:
            provider.breaker.reset()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"name": p.name, "position": n + 1, "regions": sorted(p.regions), "circuit": None}
            for n, p in enumerate(self.providers)
        ]


class FakeNotificationRepository:
    def __init__(self, store: dict[str, Notification]) -> None:
        self._store = store
        self.seen: dict[str, Notification] = {}

    def add(self, notification: Notification) -> None:
        self.seen[notification.id] = notification

    def get(self, notification_id: str) -> Notification | None:
        if notification_id in self.seen:
            return self.seen[notification_id]
        stored = self._store.get(notification_id)
        if stored is None:
            return None
        self.seen[notification_id] = copy.deepcopy(stored)
        return self.seen[notification_id]

    def _find(self, match: Any) -> Notification | None:
        for n in list(self.seen.values()) + list(self._store.values()):
            if match(n):
                return self.get(n.id)
        return None

    def get_by_dedupe_key(self, key: str) -> Notification | None:
        return self._find(lambda n: n.dedupe_key == key)

    def get_by_provider_ref(self, provider: str, message_id: str) -> Notification | None:
        return self._find(lambda n: n.provider == provider and n.provider_message_id == message_id)


class FakeSuppressionList:
    def __init__(self, store: dict[str, Suppression], now: datetime) -> None:
        self._store = store
        self._now = now
        self.pending: dict[str, Suppression | None] = {}

    def get(self, address: str) -> Suppression | None:
        key = address.strip().lower()
        return self.pending[key] if key in self.pending else self._store.get(key)

    def add(self, address: str, reason: str, detail: str | None) -> bool:
        if self.get(address) is not None:
            return False
        self.pending[address.strip().lower()] = Suppression(reason, detail, self._now)
        return True

    def remove(self, address: str) -> bool:
        if self.get(address) is None:
            return False
        self.pending[address.strip().lower()] = None
        return True


class FakeWebhookInbox:
    def __init__(self, store: dict[tuple[str, str], str]) -> None:
        self._store = store
        self.pending: dict[tuple[str, str], str] = {}

    def seen(self, provider: str, event_id: str) -> bool:
        return (provider, event_id) in self._store or (provider, event_id) in self.pending

    def record(self, provider: str, event_id: str, event_type: str, outcome: str, detail: str | None) -> None:
        self.pending[(provider, event_id)] = outcome


class FakeNotificationUnitOfWork(FakeUnitOfWork):
    """``FakeUnitOfWork`` plus notifications, the suppression list and the webhook inbox."""

    db: FakeNotificationDatabase

    def __enter__(self) -> Self:
        super().__enter__()
        self.notifications = FakeNotificationRepository(self.db.notifications)
        self.suppressions = FakeSuppressionList(self.db.suppressions, self.db.now)
        self.webhook_inbox = FakeWebhookInbox(self.db.inbox)
        return self

    def commit(self) -> None:
        for n in self.notifications.seen.values():
            if n.dedupe_key is not None and any(
                o.dedupe_key == n.dedupe_key and o.id != n.id for o in self.db.notifications.values()
            ):
                raise ConcurrencyConflict("duplicate dedupe_key")
        super().commit()
        for n in self.notifications.seen.values():
            self._events.extend(n.events)
            self.db.outbox.extend(n.events)
            n.events = []
            self.db.notifications[n.id] = copy.deepcopy(n)
        for key, value in self.suppressions.pending.items():
            if value is None:
                self.db.suppressions.pop(key, None)
            else:
                self.db.suppressions[key] = value
        self.db.inbox.update(self.webhook_inbox.pending)
        self.suppressions.pending = {}
        self.webhook_inbox.pending = {}

    def rollback(self) -> None:
        super().rollback()
        if hasattr(self, "notifications"):
            self.notifications.seen = {}
            self.suppressions.pending = {}
            self.webhook_inbox.pending = {}


class FakeNotificationDatabase(FakeDatabase):
    """``FakeDatabase`` with the notifications area's tables; call it for a ``FakeNotificationUnitOfWork``."""

    def __init__(self) -> None:
        super().__init__()
        self.notifications: dict[str, Notification] = {}
        self.suppressions: dict[str, Suppression] = {}
        self.inbox: dict[tuple[str, str], str] = {}
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> FakeNotificationUnitOfWork:
        return FakeNotificationUnitOfWork(self)


# --- logistics -----------------------------------------------------------------------------------

from reference_service.domain.deliveries import DeliveryStatus  # noqa: E402
from reference_service.domain.orders import ShippingAddress  # noqa: E402
from reference_service.ports import (  # noqa: E402
    AddressIssue,
    AddressValidationResult,
    CancellationResult,
    DeliveryOrder,
    DeliveryRequest,
    ShippingQuote,
    ShippingRequest,
    TrackingInfo,
)
from reference_service.service_layer.delivery_errors import (  # noqa: E402
    DeliveryNotCancellable,
    ShippingQuoteInvalid,
)


class FakeLogisticsProvider:
    """An in-memory ``LogisticsProvider``: an address whose street starts with ``0`` does not exist, every
    quote is ``fq_<order id>_<n>`` (three services), a bought label keeps its status in ``statuses`` (set
    it to move the parcel), and a label whose parcel left ``LABEL_CREATED`` cannot be cancelled. Queue
    errors per operation with ``will``; ``calls`` records every call; one label per quote."""

    name = "fake-carrier"
    SERVICES = (
        ("USPS", "GroundAdvantage", 575, 3),
        ("UPS", "Ground", 1150, 4),
        ("FedEx", "FEDEX_2_DAY", 2375, 2),
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.script: dict[str, list[BaseException]] = {}
        self.labels: dict[str, DeliveryOrder] = {}
        self.statuses: dict[str, DeliveryStatus] = {}
        self.healthy = True
        self._n = itertools.count(1)

    def will(self, operation: str, *errors: BaseException) -> None:
        self.script.setdefault(operation, []).extend(errors)

    def _step(self, operation: str, argument: object) -> None:
        self.calls.append((operation, argument))
        queue = self.script.get(operation)
        if queue:
            raise queue.pop(0)

    def validate_address(self, address: ShippingAddress) -> AddressValidationResult:
        self._step("validate_address", address)
        if address.street1.strip().startswith("0"):
            issue = AddressIssue("address", "E.ADDRESS.NOT_FOUND", "Address not found")
            return AddressValidationResult(False, address, (issue,))
        corrected = ShippingAddress.from_dict({**address.to_dict(), "street1": address.street1.upper()})
        return AddressValidationResult(True, corrected)

    def calculate_shipping_cost(self, request: ShippingRequest) -> list[ShippingQuote]:
        self._step("calculate_shipping_cost", request)
        return [
            ShippingQuote(f"fq_{request.order_id}_{i}", carrier, service, amount, "USD", days)
            for i, (carrier, service, amount, days) in enumerate(self.SERVICES)
        ]

    def create_delivery_order(self, request: DeliveryRequest) -> DeliveryOrder:
        self._step("create_delivery_order", request)
        if not request.quote_id.startswith(f"fq_{request.order_id}_"):
            raise ShippingQuoteInvalid(request.quote_id, "it was made for another order")
        if request.quote_id in self.labels:
            return self.labels[request.quote_id]
        carrier, service, amount, _days = self.SERVICES[int(request.quote_id.rsplit("_", 1)[1])]
        label = DeliveryOrder(
            provider_ref=f"fshp_{next(self._n)}",
            carrier=carrier,
            service=service,
            amount=amount,
            currency="USD",
            tracking_number=f"FAKE{next(self._n):010d}",
            label_url=f"https://labels.fake-carrier.example/{request.quote_id}.png",
            est_delivery_at=None,
        )
        self.labels[request.quote_id] = label
        self.statuses[label.tracking_number] = DeliveryStatus.LABEL_CREATED
        return label

    def track_delivery(self, tracking_number: str, carrier: str | None = None) -> TrackingInfo:
        self._step("track_delivery", tracking_number)
        status = self.statuses.get(tracking_number)
        return TrackingInfo(tracking_number, status, status.value.lower() if status else "unknown")

    def cancel_delivery(self, delivery_id: str, reason: str | None) -> CancellationResult:
        self._step("cancel_delivery", delivery_id)
        label = next((lbl for lbl in self.labels.values() if lbl.provider_ref == delivery_id), None)
        if label is not None and self.statuses.get(label.tracking_number) != DeliveryStatus.LABEL_CREATED:
            raise DeliveryNotCancellable(delivery_id, "the carrier has the parcel")
        if label is not None:
            self.statuses[label.tracking_number] = DeliveryStatus.CANCELLED
        return CancellationResult(True, "submitted")

    def check_health(self) -> dict[str, Any]:
        if not self.healthy:
            raise ConnectionError("carrier unreachable")
        return {"fake": True}


# -- files (reference_service/ports_files.py) ----------------------------------------------------------
import hashlib  # noqa: E402
import io  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import IO  # noqa: E402

from reference_service.adapters.s3_store import sniff  # noqa: E402
from reference_service.domain.files import FileStatus, StoredFile  # noqa: E402
from reference_service.ports_files import (  # noqa: E402
    LifecycleRule,
    ObjectInfo,
    PresignedPost,
    StoredObject,
)
from reference_service.service_layer.file_errors import FileTooLarge  # noqa: E402


class FakeFileStorage:
    """An in-memory ``FileStorage``: ``objects`` maps keys to bytes; the stream is read in 64 KiB chunks
    like the real adapter (``largest_read`` shows it); ``will(operation, error...)`` queues errors (``put``,
    ``delete``, ``head``...); presigned URLs are ``fake://`` links."""

    CHUNK = 64 * 1024

    def __init__(self, clock: Any = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.meta: dict[str, dict[str, str]] = {}
        self.modified: dict[str, datetime] = {}
        self.rules: list[LifecycleRule] = []
        self.script: dict[str, list[BaseException]] = {}
        self.clock = clock
        self.largest_read = 0

    def will(self, operation: str, *errors: BaseException) -> None:
        self.script.setdefault(operation, []).extend(errors)

    def _step(self, operation: str) -> None:
        queue = self.script.get(operation)
        if queue:
            raise queue.pop(0)

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def detect(self, head: bytes) -> str | None:
        return sniff(head)

    def put(
        self, key: str, stream: IO[bytes], *, content_type: str, max_bytes: int, metadata: Mapping[str, str]
    ) -> StoredObject:
        self._step("put")
        buf, digest = io.BytesIO(), hashlib.sha256()
        while chunk := stream.read(self.CHUNK):
            self.largest_read = max(self.largest_read, len(chunk))
            buf.write(chunk)
            digest.update(chunk)
            if buf.tell() > max_bytes:
                raise FileTooLarge(max_bytes)
        self.objects[key] = buf.getvalue()
        self.meta[key] = {"content_type": content_type, **metadata}
        self.modified[key] = self._now()
        return StoredObject(buf.tell(), digest.hexdigest(), content_type)

    def sniff(self, key: str) -> str | None:
        self._step("sniff")
        return sniff(self.objects[key][:4096])

    def digest(self, key: str) -> tuple[int, str]:
        data = self.objects[key]
        return len(data), hashlib.sha256(data).hexdigest()

    def head(self, key: str) -> ObjectInfo | None:
        self._step("head")
        if key not in self.objects:
            return None
        return ObjectInfo(key, len(self.objects[key]), self.modified[key], self.meta[key]["content_type"])

    def read(self, key: str) -> bytes:
        return self.objects[key]

    def presigned_get(self, key: str, expires_in: int) -> str:
        return f"fake://{key}?expires_in={expires_in}"

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedPost:
        fields = {"key": key, "Content-Type": content_type, "max": str(max_bytes)}
        return PresignedPost("fake://upload", fields, self._now() + timedelta(seconds=expires_in))

    def delete(self, key: str) -> None:
        self._step("delete")
        self.objects.pop(key, None)
        self.meta.pop(key, None)
        self.modified.pop(key, None)

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        for key in sorted(self.objects):
            if key.startswith(prefix):
                yield ObjectInfo(key, len(self.objects[key]), self.modified[key])

    def ensure_bucket(self, rules: Collection[LifecycleRule]) -> None:
        self._step("ensure_bucket")
        self.rules = list(rules)

    def lifecycle(self) -> list[LifecycleRule]:
        return list(self.rules)

    def check_health(self) -> dict[str, Any]:
        self._step("check_health")
        return {"bucket": "fake"}


class FakeFileRepository:
    """An in-memory ``FileRepository``; ``will(operation, error...)`` queues errors (``add``, ``save``,
    ``remove``) like a failing database."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredFile] = {}
        self.script: dict[str, list[BaseException]] = {}

    def will(self, operation: str, *errors: BaseException) -> None:
        self.script.setdefault(operation, []).extend(errors)

    def _step(self, operation: str) -> None:
        queue = self.script.get(operation)
        if queue:
            raise queue.pop(0)

    def add(self, file: StoredFile) -> None:
        self._step("add")
        self.rows[file.id] = copy.deepcopy(file)

    def save(self, file: StoredFile) -> None:
        self._step("save")
        self.rows[file.id] = copy.deepcopy(file)

    def remove(self, file_id: str) -> None:
        self._step("remove")
        self.rows.pop(file_id, None)

    def get(self, file_id: str) -> StoredFile | None:
        found = self.rows.get(file_id)
        return copy.deepcopy(found) if found is not None else None

    def by_key(self, key: str) -> StoredFile | None:
        return next((copy.deepcopy(f) for f in self.rows.values() if f.key == key), None)

    def find(self, order_id: str, category: str) -> StoredFile | None:
        found = [f for f in self.rows.values() if f.order_id == order_id and f.category.value == category]
        return copy.deepcopy(min(found, key=lambda f: f.created_at)) if found else None

    def for_order(self, order_id: str) -> list[StoredFile]:
        return [
            copy.deepcopy(f)
            for f in sorted(self.rows.values(), key=lambda f: (f.created_at, f.id))
            if f.order_id == order_id and f.status is FileStatus.STORED
        ]

    def owned_by(self, owner_ref: str) -> list[StoredFile]:
        return [
            copy.deepcopy(f)
            for f in sorted(self.rows.values(), key=lambda f: f.id)
            if f.owner_ref == owner_ref
        ]

    def pending_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        pending = [f for f in self.rows.values() if f.status is FileStatus.PENDING and f.created_at < cutoff]
        return [copy.deepcopy(f) for f in sorted(pending, key=lambda f: f.created_at)[:limit]]


class FakeInvoiceRenderer:
    """Renders a minimal (valid-looking) PDF naming the order; ``rendered`` lists the orders."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render(self, order: Order, *, invoice_number: str, issued_at: datetime) -> bytes:
        self.rendered.append(order.id)
        return f"%PDF-1.4\n% {invoice_number} {order.id}\n%%EOF\n".encode()


#: the smallest PNG a carrier label could be: the signature and an IHDR chunk
LABEL_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


class FakeLabelSource:
    """Serves ``labels[url]``, else ``default`` (bytes); with neither, a retryable ``ProviderError``, as a
    404/5xx of the carrier's label host is. ``fetched`` lists the URLs asked for."""

    def __init__(self, default: bytes | None = LABEL_PNG) -> None:
        self.labels: dict[str, bytes] = {}
        self.default = default
        self.fetched: list[str] = []

    def fetch(self, url: str, max_bytes: int) -> IO[bytes]:
        self.fetched.append(url)
        data = self.labels.get(url, self.default)
        if data is None:
            raise ProviderError("logistics", "LABEL_UNAVAILABLE", "no label", retryable=True, status=503)
        if len(data) > max_bytes:
            raise FileTooLarge(max_bytes)
        return io.BytesIO(data)
