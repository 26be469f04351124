"""The outbox relay: hands committed domain events to their subscribers, at least once.

Events reach the ``outbox`` table in the same transaction as the state change that produced them, so
a crash after commit loses nothing: the relay (re)claims every undispatched record on its next pass,
including records leased by a relay that died (the lease expires). A subscriber that raises is
retried with exponential backoff; subscribers that already succeeded are skipped on the retry
(``handled_by``). After ``max_attempts`` the record is marked dead and shows in ``/health`` and in
the ``outbox_dead_events`` gauge. Subscribers must be idempotent on ``event_id``.

The relay runs as a daemon thread in the service process (``start``), woken at once by each commit
(``notify``) and otherwise polling; tests call ``drain`` to dispatch synchronously.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from reference_service.domain.events import event_class
from reference_service.ports import Clock, OutboxRecord, OutboxStore
from reference_service.service_layer.messagebus import MessageBus

logger = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        store: OutboxStore,
        bus: MessageBus,
        clock: Clock,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 100,
        lease_seconds: float = 30.0,
        max_attempts: int = 10,
        base_backoff: float = 0.5,
        max_backoff: float = 300.0,
        wake: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        #: set by each commit that wrote events (``notify``, or the units of work setting it directly)
        self._wake = wake or threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Wake the relay now (called after each commit that wrote events)."""
        self._wake.set()

    def drain(self, max_batches: int = 1000) -> int:
        """Dispatch every due record synchronously; returns how many records were processed."""
        total = 0
        for _ in range(max_batches):
            batch = self.store.claim(self.owner, self.batch_size, self.clock.now(), self.lease_seconds)
            if not batch:
                break
            for record in batch:
                self._dispatch(record)
            total += len(batch)
        return total

    def _dispatch(self, record: OutboxRecord) -> None:
        try:
            event = event_class(record.event_type).from_payload(record.payload)
        except Exception as exc:  # an unknown or unreadable event can never succeed: dead-letter it
            logger.error("outbox record %s (%s) cannot be decoded: %s", record.id, record.event_type, exc)
            now = self.clock.now()
            self.store.mark_failed(record.id, f"undecodable: {exc}", now, True, now, record.handled_by)
            return
        errors: list[str] = []
        handled = set(record.handled_by)
        for sub in self.bus.subscribers_for(event):
            if sub.name in handled:
                continue
            try:
                sub.handler(event)
            except Exception as exc:
                logger.warning(
                    "subscriber %s failed on %s %s (attempt %d): %s",
                    sub.name,
                    record.event_type,
                    record.id,
                    record.attempts + 1,
                    exc,
                )
                errors.append(f"{sub.name}: {type(exc).__name__}: {exc}")
            else:
                handled.add(sub.name)
        now = self.clock.now()
        if not errors:
            self.store.mark_dispatched(record.id, now)
            return
        attempts = record.attempts + 1
        delay = min(self.base_backoff * (2 ** (attempts - 1)), self.max_backoff)
        dead = attempts >= self.max_attempts
        if dead:
            logger.error("outbox record %s dead after %d attempts", record.id, attempts)
        self.store.mark_failed(
            record.id, "; ".join(errors)[:2000], now + timedelta(seconds=delay), dead, now, frozenset(handled)
        )

    def start(self) -> None:
        """Run the relay on a daemon thread until ``stop``."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # the database may be briefly unavailable; keep the thread alive
                logger.exception("outbox relay pass failed; retrying in %.1fs", self.poll_interval)
            self._wake.wait(self.poll_interval)
            self._wake.clear()
