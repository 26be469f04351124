"""The in-process ``EventPublisher``: the default when no Kafka/MSK bootstrap servers are set.

It keeps the most recent published events in a bounded buffer (inspect them at
``GET /api/v1/admin/events``) and logs one line per event (type and id only, never the payload).
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from reference_service.ports import PublishedEvent

logger = logging.getLogger(__name__)


class InProcessEventPublisher:
    name = "in-process"

    def __init__(self, capacity: int = 1000) -> None:
        self._events: deque[PublishedEvent] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def publish(self, event: PublishedEvent) -> None:
        with self._lock:
            self._events.append(event)
        logger.info("published %s %s to %s", event.event_type, event.event_id, event.topic)
        return None

    def recent(self, limit: int = 100, event_type: str | None = None) -> list[PublishedEvent]:
        """Newest first, optionally only one event type."""
        with self._lock:
            items = list(self._events)
        items.reverse()
        if event_type is not None:
            items = [e for e in items if e.event_type == event_type]
        return items[:limit]
