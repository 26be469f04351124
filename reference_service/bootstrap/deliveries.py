"""Wiring of the deliveries area: the carrier adapter (EasyPost) and its health check, the delivery
commands, and what the relay runs when a delivery changes status (the customer's email and SMS, through
the notifications area's adapters).

``container.deliveries`` is the typed ``DeliveriesArea``. Tests replace the carrier by passing
``logistics=`` to ``bootstrap``, or by assigning ``container.deliveries.provider`` (handlers read it at call
time).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.logistics_easypost import EasyPostLogistics
from reference_service.adapters.orm import DeliveryRow
from reference_service.bootstrap import Platform, Wiring
from reference_service.bootstrap.notifications import NotificationsArea
from reference_service.bootstrap.payments import retry_policy
from reference_service.domain.deliveries import OPEN, DeliveryStatusChanged
from reference_service.domain.delivery_commands import (
    ApplyTrackingUpdate,
    CancelDelivery,
    CreateDelivery,
    QuoteShipping,
    ValidateAddress,
)
from reference_service.domain.notifications import Channel
from reference_service.domain.orders import ShippingAddress
from reference_service.observability.checks import LogisticsHealthChecker
from reference_service.observability.health import CachedHealthChecker
from reference_service.observability.logistics_metrics import LogisticsMetrics
from reference_service.ports import LogisticsProvider
from reference_service.service_layer.handlers import deliveries as handlers
from reference_service.service_layer.handlers import notifications as notification_handlers
from reference_service.service_layer.messagebus import Subscriber
from reference_service.service_layer.policies import NotifyDeliveryStatus


@dataclass
class DeliveriesArea:
    """The carrier adapter (tests may replace ``provider``) and the area's metrics."""

    provider: LogisticsProvider
    metrics: LogisticsMetrics


def build(
    platform: Platform, notifications: NotificationsArea, provider: LogisticsProvider | None = None
) -> tuple[DeliveriesArea, Wiring]:
    settings = platform.settings
    metrics = LogisticsMetrics(platform.metrics.registry)
    area = DeliveriesArea(
        provider or EasyPostLogistics(settings, platform.metrics, retry_policy(settings)), metrics
    )
    uow, clock, ids = platform.uow, platform.clock, platform.ids

    def count_open() -> int:
        session: Session = platform.read_sessions()
        try:
            stmt = (
                sa.select(sa.func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.status.in_([s.value for s in OPEN]))
            )
            return int(session.scalar(stmt) or 0)
        finally:
            session.close()

    metrics.watch_open(count_open)
    platform.health.register(
        CachedHealthChecker(
            LogisticsHealthChecker(
                lambda: area.provider.check_health(), lambda up: metrics.carrier_up.set(int(up))
            ),
            settings.provider_health_cache_seconds,
        )
    )

    def ship_from() -> ShippingAddress:
        return ShippingAddress.from_dict(dict(settings.logistics_ship_from))

    # each handler reads ``area.provider`` when it runs (see the module docstring)
    def validate(cmd: ValidateAddress) -> Any:
        return handlers.validate_address(cmd, provider=area.provider)

    def quote(cmd: QuoteShipping) -> Any:
        return handlers.quote_shipping(cmd, uow_factory=uow, provider=area.provider, ship_from=ship_from)

    def create(cmd: CreateDelivery) -> Any:
        return handlers.create_delivery(cmd, uow_factory=uow, clock=clock, ids=ids, provider=area.provider)

    def cancel(cmd: CancelDelivery) -> Any:
        return handlers.cancel_delivery(cmd, uow_factory=uow, clock=clock, provider=area.provider)

    def notifier(channel: Channel) -> NotifyDeliveryStatus:
        def send(event: DeliveryStatusChanged) -> str:
            return notification_handlers.send_delivery_update(
                event,
                channel=channel,
                uow_factory=uow,
                clock=clock,
                ids=ids,
                templates=notifications.templates,
                sender=notifications.sender,
                router=notifications.router,
            )

        name = f"notifications.delivery_{channel.value.lower()}"
        wanted = {c.strip().lower() for c in settings.delivery_notification_channels.split(",")}
        enabled = settings.delivery_notifications and channel.value.lower() in wanted
        return NotifyDeliveryStatus(name, send, enabled=enabled)

    email, sms = notifier(Channel.EMAIL), notifier(Channel.SMS)
    wiring = Wiring(
        command_handlers={
            ValidateAddress: validate,
            QuoteShipping: quote,
            CreateDelivery: metrics.count_labels(create),
            CancelDelivery: metrics.count_cancellations(cancel),
            ApplyTrackingUpdate: metrics.count_tracking(
                functools.partial(handlers.apply_tracking_update, uow_factory=uow, clock=clock)
            ),
        },
        subscribers={DeliveryStatusChanged: [Subscriber(email.name, email), Subscriber(sms.name, sms)]},
    )
    return area, wiring
