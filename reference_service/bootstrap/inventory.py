"""Wiring of the inventory area: the stock command, and the seed's order-event handlers as ``consumed``
subscribers (``genai-demo consumer`` with Kafka, the outbox relay without)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference_service.bootstrap import Platform, Wiring
from reference_service.bootstrap.payments import PaymentsArea
from reference_service.domain import commands
from reference_service.domain.events import OrderCancelled, OrderCreated, OrderStatusChanged
from reference_service.service_layer.handlers import inventory
from reference_service.service_layer.messagebus import Subscriber


@dataclass
class InventoryArea:
    """Names of the consumer-side handlers (for docs and ``bus.describe()``)."""

    handlers: tuple[str, ...]


def build(platform: Platform, payments: PaymentsArea) -> tuple[InventoryArea, Wiring]:
    def bind(use_case: Callable[..., Any]) -> Callable[..., Any]:
        return functools.partial(use_case, uow_factory=platform.uow, clock=platform.clock)

    wiring = Wiring(
        command_handlers={commands.SetStock: bind(inventory.set_stock)},
        consumed={
            OrderCreated: [Subscriber(inventory.RESERVE, bind(inventory.reserve_stock))],
            OrderCancelled: [Subscriber(inventory.RELEASE, bind(inventory.release_stock))],
            OrderStatusChanged: [Subscriber(inventory.CONSUME, bind(inventory.consume_stock))],
        },
    )
    return InventoryArea((inventory.RESERVE, inventory.RELEASE, inventory.CONSUME)), wiring
