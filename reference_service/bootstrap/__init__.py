"""The composition root: Settings → adapters → handlers → message bus (one place builds everything).

``bootstrap(settings)`` returns a ``Container`` holding every long-lived object of one service
instance. Nothing is built at import time (house rule 2). Tests call it with their own settings and
may pass fakes for any adapter. ``container.bus.describe()`` prints the routing.

Each area (orders, payments, notifications, …) has a module here with ``wire(container) -> AreaWiring``
that builds the area's adapters, stores them on the container and returns its command handlers and
event subscribers; ``AREAS`` lists them in order. Adding an area is one module plus one line.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.database import Engines, create_engines, migrate
from reference_service.adapters.event_publisher import InProcessEventPublisher
from reference_service.adapters.outbox_store import SqlAlchemyOutboxStore
from reference_service.adapters.pii import FernetCipher
from reference_service.adapters.system import SystemClock, UlidIdGenerator
from reference_service.adapters.unit_of_work import SqlAlchemyUnitOfWork
from reference_service.config import Settings
from reference_service.domain import commands
from reference_service.domain.events import Event
from reference_service.domain.payments import PaymentProvider
from reference_service.observability.health import (
    DOWN,
    UP,
    CallableHealthChecker,
    CheckResult,
    DatabaseHealthChecker,
    HealthRegistry,
)
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import Clock, EventPublisher, IdGenerator, PaymentGateway, PiiCipher
from reference_service.service_layer.messagebus import CommandHandler, MessageBus, Subscriber
from reference_service.service_layer.outbox import OutboxRelay

logger = logging.getLogger(__name__)


@dataclass
class AreaWiring:
    """What an area contributes to the message bus."""

    command_handlers: dict[type[commands.Command], CommandHandler] = field(default_factory=dict)
    subscribers: dict[type[Event], list[Subscriber]] = field(default_factory=dict)


@dataclass
class Container:
    """Everything one service instance needs; ``close()`` releases it."""

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
    bus: MessageBus = field(init=False)
    relay: OutboxRelay = field(init=False)
    #: per-area components, set by each area's ``wire`` (typed accessors live in the area modules)
    areas: dict[str, object] = field(default_factory=dict)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for writes (on SQLite it holds the process's write gate, then BEGIN IMMEDIATE)."""
        return SqlAlchemyUnitOfWork(
            self.write_sessions,
            self.clock,
            self.cipher,
            on_events_committed=self.relay.notify,
            idempotency_ttl=timedelta(hours=self.settings.idempotency_ttl_hours),
            write_gate=self.engines.write_gate,
        )

    def read_uow(self) -> SqlAlchemyUnitOfWork:
        """A unit of work for reads only; never commit through it."""
        return SqlAlchemyUnitOfWork(self.read_sessions, self.clock, self.cipher)

    def close(self) -> None:
        self.relay.stop()
        self.engines.dispose()


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    publisher: EventPublisher | None = None,
    gateways: dict[PaymentProvider, PaymentGateway] | None = None,
    run_migrations: bool = True,
) -> Container:
    """Build a ``Container`` for ``settings``; pass fakes to replace any adapter."""
    engines = create_engines(settings.database_url)
    if run_migrations:
        migrate(engines.write)
    container = Container(
        settings=settings,
        engines=engines,
        write_sessions=sessionmaker(engines.write, expire_on_commit=False),
        read_sessions=sessionmaker(engines.read, expire_on_commit=False),
        clock=clock or SystemClock(),
        ids=ids or UlidIdGenerator(),
        publisher=publisher or InProcessEventPublisher(),
        cipher=FernetCipher(settings.pii_encryption_key.get_secret_value()),
        metrics=ServiceMetrics(),
        health=HealthRegistry(settings.health_check_timeout_seconds),
    )
    command_handlers: dict[type[commands.Command], CommandHandler] = {}
    subscribers: dict[type[Event], list[Subscriber]] = {}
    for wire in areas(gateways):
        area = wire(container)
        duplicated = set(command_handlers) & set(area.command_handlers)
        if duplicated:
            raise RuntimeError(f"commands wired twice: {sorted(c.__name__ for c in duplicated)}")
        command_handlers.update(area.command_handlers)
        for event_type, subs in area.subscribers.items():
            subscribers.setdefault(event_type, []).extend(subs)
    container.bus = MessageBus(command_handlers, subscribers)
    outbox_store = SqlAlchemyOutboxStore(
        container.write_sessions, container.read_sessions, engines.write_gate
    )
    container.relay = OutboxRelay(
        outbox_store,
        container.bus,
        container.clock,
        poll_interval=settings.outbox_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
    )
    container.metrics.watch_outbox(outbox_store.stats)
    container.health.register(DatabaseHealthChecker(engines.write))

    def outbox_health() -> CheckResult:
        stats = outbox_store.stats()
        return CheckResult(DOWN if stats["dead"] else UP, stats)

    container.health.register(CallableHealthChecker("outbox", outbox_health, critical=False))
    return container


def areas(
    gateways: dict[PaymentProvider, PaymentGateway] | None = None,
) -> list[Callable[[Container], AreaWiring]]:
    """The areas in wiring order (imported here, at call time, to keep imports acyclic)."""
    from reference_service.bootstrap import notifications, orders, payments

    return [orders.wire, functools.partial(payments.wire, gateways=gateways), notifications.wire]
