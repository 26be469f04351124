"""Wiring of the orders area: order commands and the domain-event publisher subscription."""

from __future__ import annotations

import functools

from reference_service.bootstrap import AreaWiring, Container
from reference_service.domain import commands
from reference_service.domain.events import Event
from reference_service.service_layer.handlers import events as event_handlers
from reference_service.service_layer.handlers import orders
from reference_service.service_layer.messagebus import Subscriber


def wire(container: Container) -> AreaWiring:
    uow_factory = container.uow
    return AreaWiring(
        command_handlers={
            commands.CreateOrder: functools.partial(
                orders.create_order, uow_factory=uow_factory, clock=container.clock, ids=container.ids
            ),
            commands.CancelOrder: functools.partial(
                orders.cancel_order, uow_factory=uow_factory, clock=container.clock
            ),
        },
        subscribers={
            Event: [
                Subscriber(
                    "publisher",
                    functools.partial(event_handlers.publish_event, publisher=container.publisher),
                )
            ]
        },
    )
