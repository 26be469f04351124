"""The composition root: Settings → adapters → handlers → message bus (one place builds everything).

``bootstrap(settings)`` returns a ``Container`` holding every long-lived object of one service
instance, typed: the shared ``Platform`` (database, clock, ids, publisher, cipher, metrics, health) and
one field per area (``orders``, ``payments``, ``notifications``, ``deliveries``, ``security``, ``files``,
``retention``), then the bus and the outbox relay.
Nothing is built at import time (house rule 2). Tests call it with their own settings and may pass fakes
(``gateways=``), or replace an area's adapter after it (``container.notifications.sender = fake``: the
handlers read their area's adapters at call time). ``container.bus.describe()`` prints the routing.

Each area has a module here whose ``build(platform, ...)`` returns its typed area and its ``Wiring`` (the
command handlers and event subscribers it adds to the bus). The modules only build and wire: what the
service decides lives in ``service_layer`` (use cases, and policies such as capture-on-approval, with
their settings passed in), what it measures in ``observability`` (decorators and health checks).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.database import Engines, autocommit_engine, create_engines, migrate
from reference_service.adapters.event_publisher import InProcessEventPublisher
from reference_service.adapters.outbox_store import SqlAlchemyOutboxStore
from reference_service.adapters.pii import FernetCipher
from reference_service.adapters.system import SystemClock, UlidIdGenerator
from reference_service.adapters.unit_of_work import SqlAlchemyUnitOfWork
from reference_service.config import Settings
from reference_service.domain import commands
from reference_service.domain.events import Event
from reference_service.domain.payments import PaymentProvider
from reference_service.observability.checks import kafka_check, outbox_check
from reference_service.observability.health import DatabaseHealthChecker, HealthRegistry
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import (
    Clock,
    EventPublisher,
    IdGenerator,
    LogisticsProvider,
    PaymentGateway,
    PiiCipher,
)
from reference_service.service_layer.messagebus import CommandHandler, MessageBus, Subscriber
from reference_service.service_layer.outbox import OutboxRelay

if TYPE_CHECKING:  # the area modules import this one
    from reference_service.bootstrap.deliveries import DeliveriesArea
    from reference_service.bootstrap.files import FilesArea
    from reference_service.bootstrap.inventory import InventoryArea
    from reference_service.bootstrap.notifications import NotificationsArea
    from reference_service.bootstrap.orders import OrdersArea
    from reference_service.bootstrap.payments import PaymentsArea
    from reference_service.bootstrap.retention import RetentionArea
    from reference_service.bootstrap.security import SecurityArea

logger = logging.getLogger(__name__)


@dataclass
class Wiring:
    """What an area adds to the message bus.

    ``consumed`` are the subscribers the seed puts behind Kafka (``OrderEventHandler``): with
    ``MSK_BOOTSTRAP_SERVERS`` set they run in ``genai-demo consumer`` (``Container.consumer_bus``), and
    without it on the relay's bus in the service process: the same handlers either way."""

    command_handlers: dict[type[commands.Command], CommandHandler] = field(default_factory=dict)
    subscribers: dict[type[Event], list[Subscriber]] = field(default_factory=dict)
    consumed: dict[type[Event], list[Subscriber]] = field(default_factory=dict)


@dataclass(frozen=True)
class Platform:
    """What every area shares."""

    settings: Settings
    engines: Engines
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    clock: Clock
    ids: IdGenerator
    publisher: EventPublisher
    cipher: PiiCipher
    metrics: ServiceMetrics
    health: HealthRegistry
    #: set by each commit that wrote outbox events: wakes the relay at once
    events_committed: threading.Event

    def uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for writes (on SQLite it holds the process's write gate, then BEGIN IMMEDIATE)."""
        return SqlAlchemyUnitOfWork(
            self.write_sessions,
            self.clock,
            self.cipher,
            on_events_committed=self.events_committed.set,
            idempotency_ttl=timedelta(hours=self.settings.idempotency_ttl_hours),
            write_gate=self.engines.write_gate,
        )

    def read_uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for reads only; never commit through it."""
        return SqlAlchemyUnitOfWork(self.read_sessions, self.clock, self.cipher)


@dataclass(frozen=True)
class Container(Platform):
    """Everything one service instance needs; ``close()`` releases it."""

    orders: OrdersArea
    payments: PaymentsArea
    notifications: NotificationsArea
    deliveries: DeliveriesArea
    security: SecurityArea
    files: FilesArea
    retention: RetentionArea
    inventory: InventoryArea
    bus: MessageBus
    #: the subscribers ``genai-demo consumer`` runs for the messages it reads (the ``consumed`` wiring)
    consumer_bus: MessageBus
    relay: OutboxRelay

    @property
    def kafka_enabled(self) -> bool:
        return bool(self.settings.msk_bootstrap_servers)

    def close(self) -> None:
        self.relay.stop()
        self.retention.stop()
        close_publisher = getattr(self.publisher, "close", None)
        if close_publisher is not None:
            close_publisher()
        self.engines.dispose()


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    publisher: EventPublisher | None = None,
    gateways: dict[PaymentProvider, PaymentGateway] | None = None,
    logistics: LogisticsProvider | None = None,
    run_migrations: bool = True,
) -> Container:
    """Build a ``Container`` for ``settings``; pass fakes to replace any adapter."""
    from reference_service.bootstrap import (
        deliveries,
        files,
        inventory,
        notifications,
        orders,
        payments,
        retention,
        security,
    )

    engines = create_engines(settings.database_url)
    if run_migrations:
        migrate(engines.write)
    platform = Platform(
        settings=settings,
        engines=engines,
        write_sessions=sessionmaker(engines.write, expire_on_commit=False),
        read_sessions=sessionmaker(engines.read, expire_on_commit=False),
        clock=clock or SystemClock(),
        ids=ids or UlidIdGenerator(),
        publisher=publisher or _publisher(settings),
        cipher=FernetCipher(settings.pii_encryption_key.get_secret_value()),
        metrics=ServiceMetrics(),
        health=HealthRegistry(settings.health_check_timeout_seconds),
        events_committed=threading.Event(),
    )
    orders_area, orders_wiring = orders.build(platform)
    payments_area, payments_wiring = payments.build(platform, gateways)
    notifications_area, notifications_wiring = notifications.build(platform)
    deliveries_area, deliveries_wiring = deliveries.build(platform, notifications_area, logistics)
    security_area, _ = security.build(platform)
    files_area, files_wiring = files.build(platform)
    retention_area = retention.build(platform, files_area, security_area)
    inventory_area, inventory_wiring = inventory.build(platform, payments_area)
    wirings = [
        orders_wiring,
        payments_wiring,
        notifications_wiring,
        deliveries_wiring,
        files_wiring,
        inventory_wiring,
    ]
    kafka = bool(settings.msk_bootstrap_servers)
    bus = message_bus(wirings, consumed=not kafka)
    consumer_bus = message_bus([Wiring(subscribers=w.consumed) for w in wirings])
    outbox_store = SqlAlchemyOutboxStore(
        platform.write_sessions, platform.read_sessions, engines.write_gate, autocommit_engine(engines.write)
    )
    relay = OutboxRelay(
        outbox_store,
        bus,
        platform.clock,
        poll_interval=settings.outbox_poll_seconds,
        linger=settings.outbox_linger_seconds,
        batch_size=settings.outbox_batch_size,
        max_attempts=settings.outbox_max_attempts,
        wake=platform.events_committed,
        # past librdkafka's message.timeout.ms: every produced message then has its report (ok or timed
        # out) before the relay decides, so a record is never retried while its message is still queued
        delivery_timeout=settings.kafka_delivery_timeout_seconds + 2.0,
        on_error=platform.metrics.count_outbox_error,
    )
    platform.metrics.watch_outbox(outbox_store.stats)
    platform.health.register(DatabaseHealthChecker(engines.write))
    platform.health.register(outbox_check(outbox_store.stats))
    probe = getattr(platform.publisher, "check_health", None)
    if probe is not None:
        platform.health.register(kafka_check(probe, settings.provider_health_cache_seconds))
    return Container(
        **{f.name: getattr(platform, f.name) for f in fields(Platform)},
        orders=orders_area,
        payments=payments_area,
        notifications=notifications_area,
        deliveries=deliveries_area,
        security=security_area,
        files=files_area,
        retention=retention_area,
        inventory=inventory_area,
        bus=bus,
        consumer_bus=consumer_bus,
        relay=relay,
    )


def _publisher(settings: Settings) -> EventPublisher:
    """Kafka/MSK when ``MSK_BOOTSTRAP_SERVERS`` is set, else the in-process log."""
    if not settings.msk_bootstrap_servers:
        return InProcessEventPublisher()
    from reference_service.adapters.kafka_config import producer_config
    from reference_service.adapters.kafka_publisher import KafkaEventPublisher

    return KafkaEventPublisher(producer_config(settings))


def message_bus(wirings: list[Wiring], *, consumed: bool = False) -> MessageBus:
    """One bus for every area's wiring (with ``consumed``: the Kafka-side subscribers too); a command
    wired twice is a bug, reported at start."""
    command_handlers: dict[type[commands.Command], CommandHandler] = {}
    subscribers: dict[type[Event], list[Subscriber]] = {}
    for wiring in wirings:
        duplicated = set(command_handlers) & set(wiring.command_handlers)
        if duplicated:
            raise RuntimeError(f"commands wired twice: {sorted(c.__name__ for c in duplicated)}")
        command_handlers.update(wiring.command_handlers)
        for event_type, subs in wiring.subscribers.items():
            subscribers.setdefault(event_type, []).extend(subs)
        if consumed:
            for event_type, subs in wiring.consumed.items():
                subscribers.setdefault(event_type, []).extend(subs)
    return MessageBus(command_handlers, subscribers)
