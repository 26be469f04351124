"""Wiring of the orders area: the order commands and the domain-event publisher subscription."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from reference_service.bootstrap import Platform, Wiring
from reference_service.domain import commands
from reference_service.domain.events import Event
from reference_service.service_layer.handlers import events as event_handlers
from reference_service.service_layer.handlers import orders
from reference_service.service_layer.messagebus import Subscriber
from reference_service.service_layer.outcomes import AnswerEncoder


@dataclass
class OrdersArea:
    """``encode_answer``: what an idempotent create stores as its first answer, for replays (the HTTP
    layer's ``order_answer``: status code and ``OrderOut`` body)."""

    encode_answer: AnswerEncoder


def build(platform: Platform, encode_answer: AnswerEncoder | None = None) -> tuple[OrdersArea, Wiring]:
    if encode_answer is None:
        from reference_service.entrypoints.api.responses import order_answer

        encode_answer = order_answer
    area = OrdersArea(encode_answer)
    uow_factory = platform.uow
    wiring = Wiring(
        command_handlers={
            commands.CreateOrder: functools.partial(
                orders.create_order,
                uow_factory=uow_factory,
                clock=platform.clock,
                ids=platform.ids,
                encode_answer=area.encode_answer,
            ),
            commands.CancelOrder: functools.partial(
                orders.cancel_order, uow_factory=uow_factory, clock=platform.clock
            ),
        },
        subscribers={
            Event: [
                Subscriber(
                    event_handlers.PUBLISHER,
                    functools.partial(event_handlers.publish_event, publisher=platform.publisher),
                )
            ]
        },
    )
    return area, wiring
