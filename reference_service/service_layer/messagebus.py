"""The message bus: routes commands to their one handler and events to their subscribers.

Commands raise: their handler's result or error goes back to the caller. Events are not handled
inline; the unit of work writes them to the outbox and the relay (``service_layer/outbox.py``) calls
``handle_event`` for each subscriber later, so a failure in one subscriber never undoes the command and
no event is lost. Inspect the wiring with ``bootstrap(settings).bus.describe()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reference_service.domain.commands import Command
from reference_service.domain.events import Event

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Any], Any]
#: an event subscriber; what it returns (a policy says what it did) is for tests and decorators only
EventHandler = Callable[[Any], object]


@dataclass(frozen=True)
class Subscriber:
    """A named event handler. The name is stored in the outbox's ``handled_by`` list, so keep it stable."""

    name: str
    handler: EventHandler


class MessageBus:
    def __init__(
        self,
        command_handlers: Mapping[type[Command], CommandHandler],
        event_subscribers: Mapping[type[Event], Sequence[Subscriber]],
    ) -> None:
        self._commands = dict(command_handlers)
        self._events = {k: tuple(v) for k, v in event_subscribers.items()}

    def handle(self, command: Command) -> Any:
        """Run the command's handler and return its result; errors propagate to the caller."""
        try:
            handler = self._commands[type(command)]
        except KeyError:
            raise LookupError(f"no handler for command {type(command).__name__}") from None
        return handler(command)

    def subscribers_for(self, event: Event) -> tuple[Subscriber, ...]:
        """Subscribers of the event's class and of its base classes (so a catch-all can take ``Event``)."""
        found: list[Subscriber] = []
        for cls in type(event).__mro__:
            found.extend(self._events.get(cls, ()))
        return tuple(found)

    def event_types(self) -> list[type[Event]]:
        """The event classes with at least one subscriber (the consumer subscribes to their topics)."""
        return [cls for cls, subs in self._events.items() if subs]

    def describe(self) -> dict[str, list[str]]:
        """Command and event routing as names, for debugging and the docs."""
        out: dict[str, list[str]] = {
            c.__name__: [getattr(h, "__name__", repr(h))] for c, h in self._commands.items()
        }
        for cls, subs in self._events.items():
            out[cls.name] = [s.name for s in subs]
        return out
