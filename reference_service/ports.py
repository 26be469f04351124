"""Ports: the Protocols the service layer depends on.

Each port has a real adapter in ``adapters/`` and a fake in ``tests/fakes.py`` (house rule 3).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from reference_service.domain.deliveries import Delivery, DeliveryStatus, Parcel
from reference_service.domain.inventory import Reservation, StockLevel
from reference_service.domain.notifications import Notification
from reference_service.domain.orders import Order, OrderStatus, ShippingAddress
from reference_service.domain.payments import Payment, PaymentProvider, PaymentStatus


class Clock(Protocol):
    """Where the service layer gets 'now' (UTC-aware); tests pass a fixed clock."""

    def now(self) -> datetime: ...


class PiiCipher(Protocol):
    """Encrypts personal data before it is stored (and decrypts it when it is read back)."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class IdGenerator(Protocol):
    """Makes sortable, prefixed ids such as ``ord_01JD…``."""

    def new_id(self, prefix: str) -> str: ...


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paginated listing."""

    items: Sequence[Order]
    has_more: bool


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...

    def get(self, order_id: str) -> Order | None:
        """The order, or None; the unit of work tracks it so its changes are saved on commit."""
        ...

    def status(self, order_id: str) -> OrderStatus | None:
        """Only the order's status (None when there is no such order): one column, nothing decrypted or
        tracked, for handlers that decide from the status alone."""
        ...

    def list(
        self,
        limit: int,
        starting_after: str | None = None,
        status: OrderStatus | None = None,
        customer_ref: str | None = None,
    ) -> Page:
        """Newest first; ``starting_after`` is the id of the last order on the previous page."""
        ...


@dataclass(frozen=True)
class StoredResponse:
    """The first result of an idempotent request, replayed for the same key."""

    request_fingerprint: str
    status_code: int
    body: dict[str, Any]


class IdempotencyStore(Protocol):
    def get(self, scope: str, key: str) -> StoredResponse | None: ...

    def put(self, scope: str, key: str, response: StoredResponse) -> None:
        """Saved in the caller's transaction; a concurrent duplicate fails on commit."""
        ...


class UnitOfWork(Protocol):
    """One atomic transaction: state changes and their outbox events commit together or not at all."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def webhook_inbox(self) -> WebhookInbox: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def suppressions(self) -> SuppressionList: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def inventory(self) -> InventoryRepository: ...

    @property
    def consumer_inbox(self) -> ConsumerInbox: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Write tracked aggregates and move their recorded events to the outbox, atomically."""
        ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


# --- inventory and the event consumer -------------------------------------------------------------


class InventoryRepository(Protocol):
    """Stock per SKU and reservations per order. The ``try_reserve``/``release``/``consume`` updates are
    single conditional UPDATEs, so concurrent orders never oversell (PostgreSQL row locks, SQLite's
    single writer)."""

    def get(self, sku: str) -> StockLevel | None: ...

    def list(self, limit: int, starting_after: str | None = None) -> list[StockLevel]:
        """SKUs in order; ``starting_after`` is the last SKU of the previous page."""
        ...

    def set_on_hand(self, sku: str, on_hand: int, now: datetime) -> StockLevel:
        """Create or update the SKU's stock; raises ``InvalidStock`` below what is reserved."""
        ...

    def try_reserve(self, sku: str, quantity: int, now: datetime) -> bool | None:
        """Hold ``quantity`` units: True, False when short, None when the SKU is not managed."""
        ...

    def release(self, sku: str, quantity: int, now: datetime) -> None: ...

    def consume(self, sku: str, quantity: int, now: datetime) -> None: ...

    def reservation(self, order_id: str) -> Reservation | None: ...

    def save_reservation(self, reservation: Reservation) -> None: ...


class ConsumerInbox(Protocol):
    """Event ids a consumer already applied, written in the same transaction as the effect."""

    def claim(self, consumer: str, event_id: str, event_type: str) -> bool:
        """Record the event for ``consumer``; False when it was already recorded (a redelivery)."""
        ...


@dataclass(frozen=True)
class OutboxRecord:
    """One event waiting in the outbox, claimed by a relay under a lease."""

    id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int
    handled_by: frozenset[str]


class OutboxStore(Protocol):
    """The relay's view of the outbox table. Each method is its own short transaction."""

    def claim(self, owner: str, limit: int, now: datetime, lease_seconds: float) -> list[OutboxRecord]:
        """Lease up to ``limit`` due, undispatched records to ``owner`` (oldest first)."""
        ...

    def mark_dispatched(self, record_id: int, now: datetime) -> None: ...

    def mark_dispatched_many(self, record_ids: Sequence[int], now: datetime) -> None:
        """``mark_dispatched`` for several records in one transaction (a relay batch)."""
        ...

    def mark_failed(
        self,
        record_id: int,
        error: str,
        next_attempt_at: datetime,
        dead: bool,
        now: datetime,
        handled_by: frozenset[str],
    ) -> None:
        """Schedule a retry (or dead-letter); ``handled_by`` are the subscribers that already succeeded,
        which the retry skips."""
        ...

    def stats(self) -> dict[str, int]:
        """Counts of ``pending`` and ``dead`` records, for metrics and health."""
        ...


@dataclass(frozen=True)
class PublishedEvent:
    """A domain event as it leaves the service: the seed's topic, a partition key and the payload."""

    topic: str
    key: str
    event_type: str
    event_id: str
    payload: dict[str, Any]


@runtime_checkable
class PendingDelivery(Protocol):
    """A publish the broker has not acknowledged yet (Kafka's delivery report)."""

    def wait(self, timeout: float) -> None:
        """Return once the broker acknowledged the message; raise if it failed or ``timeout`` passed
        (``ConnectionError`` when the broker could not be reached: the relay then backs off)."""
        ...


class EventPublisher(Protocol):
    """Publishes domain events outside the process (in-process log by default, Kafka/MSK when
    ``MSK_BOOTSTRAP_SERVERS`` is set)."""

    name: str

    def publish(self, event: PublishedEvent) -> PendingDelivery | None:
        """Publish durably or raise; the outbox relay retries on error. A publisher that batches returns
        a ``PendingDelivery`` the relay waits on before it marks the record sent."""
        ...


# --- payments ------------------------------------------------------------------------------------


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None: ...

    def get(self, payment_id: str) -> Payment | None: ...

    def get_by_provider_ref(self, provider: PaymentProvider, provider_ref: str) -> Payment | None: ...

    def for_order(self, order_id: str) -> list[Payment]:
        """Every payment of an order, oldest attempt first."""
        ...

    def record_dispute(self, dispute: DisputeRecord) -> bool:
        """Store a dispute once; False when it was already recorded."""
        ...


@dataclass(frozen=True)
class DisputeRecord:
    id: str
    provider: str
    payment_id: str
    order_id: str
    amount: int
    currency: str
    reason: str
    status: str
    created_at: datetime


class WebhookInbox(Protocol):
    """Provider events already applied, so a redelivery is acknowledged without applying it twice."""

    def seen(self, provider: str, event_id: str) -> bool: ...

    def record(self, provider: str, event_id: str, event_type: str, outcome: str, detail: str | None) -> None:
        """Written in the same transaction as the event's effect; a concurrent duplicate fails on commit."""
        ...


@dataclass(frozen=True)
class PaymentRequest:
    """What the service asks a provider to charge. ``payment_method`` confirms server-side at once."""

    payment_id: str
    order_id: str
    amount: int
    currency: str
    idempotency_key: str
    description: str
    payment_method: str | None = None
    return_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class ProviderPayment:
    """The provider's view of a payment, mapped to the service's payment status."""

    provider_ref: str
    status: PaymentStatus
    client_secret: str | None = None
    approve_url: str | None = None
    next_action: dict[str, Any] | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount_received: int = 0
    raw_status: str = ""
    #: the service's payment id the provider object carries (Stripe metadata.payment_id, PayPal custom_id)
    payment_id: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_ref: str
    amount: int
    complete: bool
    raw_status: str


class PaymentGateway(Protocol):
    """A payment provider. It raises ``ProviderError`` (a decline is ``PaymentDeclined``), never SDK types."""

    provider: PaymentProvider

    def create_payment(self, request: PaymentRequest) -> ProviderPayment: ...

    def retrieve_payment(self, provider_ref: str) -> ProviderPayment: ...

    def capture_payment(
        self, provider_ref: str, idempotency_key: str, *, mock_response: str | None = None
    ) -> ProviderPayment:
        """Capture; ``mock_response`` is PayPal sandbox negative testing (other providers ignore it)."""
        ...

    def cancel_payment(self, provider_ref: str, idempotency_key: str) -> ProviderPayment: ...

    def refund_payment(self, provider_ref: str, amount: int | None, idempotency_key: str) -> RefundResult: ...

    def check_health(self) -> dict[str, Any]:
        """Raise when the provider is unreachable; return details (latency is measured by the caller)."""
        ...


# --- notifications -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedEmail:
    """A templated email ready to send: its subject, an autoescaped HTML part and a plain-text part."""

    template: str
    subject: str
    html: str
    text: str


class EmailTemplates(Protocol):
    """Renders the named templates (ORDER_CONFIRMATION, PASSWORD_RESET).

    Raises ``UnknownEmailTemplate`` or ``EmailVariablesInvalid`` (naming every missing variable).
    """

    def names(self) -> list[str]: ...

    def render(self, template: str, variables: Mapping[str, Any]) -> RenderedEmail: ...


class EmailSender(Protocol):
    """Sends one email from the configured sender. Raises ``ProviderError`` (never SDK types)."""

    name: str

    def send(self, to: str, email: RenderedEmail) -> str:
        """The provider's message id (SES ``MessageId``)."""
        ...

    def check_health(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SmsResult:
    """What a provider said when it took an SMS: its message id and its own status word."""

    provider: str
    message_id: str
    status: str


class SmsProvider(Protocol):
    """One SMS provider (the seed's ``SmsProvider``).

    ``send`` raises ``SmsRecipientRejected`` when the recipient can never be reached (no failover) and
    ``ProviderError`` for anything else (the router tries the next provider).
    """

    name: str

    def is_available(self) -> bool:
        """False while the provider's circuit is open."""
        ...

    def supports_region(self, region: str) -> bool:
        """Whether it may send to numbers of this ISO 3166 region (``US``, ``GB``...)."""
        ...

    def send(self, phone: str, message: str) -> SmsResult: ...


@dataclass(frozen=True)
class SmsDispatch:
    """Where an SMS went: the provider that took it, its message id, and every provider tried in order."""

    provider: str
    message_id: str
    status: str
    tried: tuple[str, ...]
    region: str


class SmsRouter(Protocol):
    """Sends an SMS through the first provider that takes it (``adapters/sms_router.py``)."""

    def normalize(self, phone: str) -> tuple[str, str]:
        """``(E.164 number, region)`` or ``InvalidPhoneNumber``."""
        ...

    def send(self, phone: str, message: str, *, exclude: Collection[str] = ()) -> SmsDispatch:
        """Raises ``InvalidPhoneNumber``, ``SmsRegionUnsupported``, ``SmsRecipientRejected`` or
        ``AllSmsProvidersFailedException``."""
        ...

    def describe(self) -> list[dict[str, Any]]:
        """Each provider in order, with its regions and circuit state."""
        ...

    def reset_circuits(self) -> None:
        """Close every provider's circuit (an operator's override)."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...

    def get(self, notification_id: str) -> Notification | None: ...

    def get_by_dedupe_key(self, key: str) -> Notification | None: ...

    def get_by_provider_ref(self, provider: str, message_id: str) -> Notification | None: ...


@dataclass(frozen=True)
class Suppression:
    """Why an address is never emailed again (no address in here: it is stored encrypted)."""

    reason: str  # "bounce" or "complaint"
    detail: str | None
    created_at: datetime


class SuppressionList(Protocol):
    """Addresses that hard-bounced or complained; looked up by a keyed hash of the normalised address."""

    def get(self, address: str) -> Suppression | None: ...

    def add(self, address: str, reason: str, detail: str | None) -> bool:
        """Suppress ``address``; False when it already was."""
        ...

    def remove(self, address: str) -> bool: ...


# --- logistics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressIssue:
    """Why a carrier could not verify an address (or a warning about one that it did verify)."""

    field: str
    code: str
    message: str
    suggestion: str | None = None


@dataclass(frozen=True)
class AddressValidationResult:
    """The carrier's verdict: ``valid``, the address as the carrier corrected it, and its ``issues``."""

    valid: bool
    address: ShippingAddress
    issues: tuple[AddressIssue, ...] = ()


@dataclass(frozen=True)
class ShippingRequest:
    """What to quote: one order's parcel from the warehouse to the order's address."""

    order_id: str
    to_address: ShippingAddress
    from_address: ShippingAddress
    parcel: Parcel


@dataclass(frozen=True)
class ShippingQuote:
    """One way to ship it. ``quote_id`` is the provider's opaque token for buying exactly this."""

    quote_id: str
    carrier: str
    service: str
    amount: int
    currency: str
    delivery_days: int | None


@dataclass(frozen=True)
class DeliveryRequest:
    """Buy the label of ``quote_id`` for ``order_id``. ``delivery_id`` is the service's own id."""

    delivery_id: str
    order_id: str
    quote_id: str


@dataclass(frozen=True)
class DeliveryOrder:
    """A bought label: the carrier, the price paid, the tracking number and the provider's reference."""

    provider_ref: str
    carrier: str
    service: str
    amount: int
    currency: str
    tracking_number: str
    label_url: str | None
    est_delivery_at: datetime | None


@dataclass(frozen=True)
class TrackingInfo:
    """Where a parcel is: the service's status (``None``: nothing known yet) and the carrier's word."""

    tracking_number: str
    status: DeliveryStatus | None
    provider_status: str
    est_delivery_at: datetime | None = None


@dataclass(frozen=True)
class CancellationResult:
    """The provider accepted to cancel (refund) a label; ``status`` is its own word (``submitted``)."""

    accepted: bool
    status: str


class LogisticsProvider(Protocol):
    """A carrier aggregator (the seed's ``LogisticsProvider``); no provider type crosses it.

    Raises ``ProviderError`` (``retryable`` for outages), ``AddressInvalid``, ``ShippingQuoteInvalid`` and
    ``DeliveryNotCancellable`` (``service_layer/delivery_errors.py``).
    """

    name: str

    def validate_address(self, address: ShippingAddress) -> AddressValidationResult: ...

    def calculate_shipping_cost(self, request: ShippingRequest) -> list[ShippingQuote]: ...

    def create_delivery_order(self, request: DeliveryRequest) -> DeliveryOrder:
        """Buy the label; asking again for the same quote answers the label already bought."""
        ...

    def track_delivery(self, tracking_number: str, carrier: str | None = None) -> TrackingInfo: ...

    def cancel_delivery(self, delivery_id: str, reason: str | None) -> CancellationResult:
        """``delivery_id`` is the provider's reference of the delivery (``DeliveryOrder.provider_ref``)."""
        ...

    def check_health(self) -> dict[str, Any]: ...


class DeliveryRepository(Protocol):
    def add(self, delivery: Delivery) -> None: ...

    def get(self, delivery_id: str) -> Delivery | None: ...

    def for_order(self, order_id: str) -> list[Delivery]:
        """Every delivery of an order, oldest first."""
        ...

    def get_by_tracking_number(self, tracking_number: str) -> Delivery | None: ...

    def open(self, limit: int) -> list[Delivery]:
        """Deliveries whose parcel is still on its way (``domain.deliveries.OPEN``), oldest first."""
        ...
