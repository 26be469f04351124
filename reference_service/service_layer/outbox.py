"""The outbox relay: hands committed domain events to their subscribers, at least once.

Events reach the ``outbox`` table in the same transaction as the state change that produced them, so
a crash after commit loses nothing: the relay (re)claims every undispatched record on its next pass,
including records leased by a relay that died (the lease expires). A subscriber that raises is
retried with exponential backoff; subscribers that already succeeded are skipped on the retry
(``handled_by``). After ``max_attempts`` the record is marked dead and shows in ``/health`` and in
the ``outbox_dead_events`` gauge. Subscribers must be idempotent on ``event_id``.

The relay runs as a daemon thread in the service process (``start``), woken by each commit (``notify``)
and otherwise polling; tests call ``drain`` to dispatch synchronously. After a wake-up it lingers
``linger`` seconds (``OUTBOX_LINGER_SECONDS``, 10 ms) so that under load one claim and one dispatch mark
serve the events of several requests.

With Kafka, the publisher subscriber returns a ``PendingDelivery`` per record: the relay produces the
whole batch, then waits for the delivery reports, and marks a record sent only on its report. When the
broker is unreachable (``ConnectionError``), the records stay (never dead-lettered for an outage), are
retried at most ``outage_retry_seconds`` apart, and the loop backs off; per-key order holds because
the outbox is claimed in id order and librdkafka's idempotent producer keeps each partition in order.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reference_service.domain.events import Event, event_class
from reference_service.ports import Clock, OutboxRecord, OutboxStore, PendingDelivery
from reference_service.service_layer.handlers.events import PUBLISHER
from reference_service.service_layer.messagebus import MessageBus

logger = logging.getLogger(__name__)


@dataclass
class _Progress:
    """One record's way through a batch: who handled it, what is still in flight, what failed."""

    record: OutboxRecord
    handled: set[str]
    deliveries: list[tuple[str, PendingDelivery]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: how many of ``errors`` were an unreachable broker
    outages: int = 0

    @property
    def unavailable(self) -> bool:
        return self.outages > 0


class OutboxRelay:
    def __init__(
        self,
        store: OutboxStore,
        bus: MessageBus,
        clock: Clock,
        *,
        poll_interval: float = 1.0,
        linger: float = 0.0,
        batch_size: int = 100,
        lease_seconds: float = 30.0,
        max_attempts: int = 10,
        base_backoff: float = 0.5,
        max_backoff: float = 300.0,
        wake: threading.Event | None = None,
        delivery_timeout: float = 10.0,
        outage_retry_seconds: float = 5.0,
        on_error: Callable[[str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self.poll_interval = poll_interval
        #: how long the loop lets commits gather after a wake-up before it claims: under load one claim
        #: and one dispatch mark then serve several requests' events instead of one each
        self.linger = linger
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.delivery_timeout = delivery_timeout
        #: the longest a record waits between retries while the broker is unreachable
        self.outage_retry_seconds = outage_retry_seconds
        #: ``on_error(subscriber, "unavailable" | "error")`` for each failed attempt (the metrics hook)
        self.on_error = on_error
        #: the last batch failed only because the broker was unreachable (the loop backs off)
        self.broker_down = False
        #: event classes by name, looked up once per relay (``event_class`` walks the class tree)
        self._classes: dict[str, type[Event]] = {}
        #: set by each commit that wrote events (``notify``, or the units of work setting it directly)
        self._wake = wake or threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Wake the relay now (called after each commit that wrote events)."""
        self._wake.set()

    def drain(self, max_batches: int = 1000, until_empty: bool = True) -> int:
        """Dispatch every due record synchronously; returns how many records were processed.

        A pass stops early when the broker is unreachable (``broker_down``): the records stay in the
        outbox and the background loop backs off before the next pass. With ``until_empty`` false (the
        background loop) it also stops after a batch shorter than ``batch_size``: that claim took
        everything due, and the events its handlers wrote wake the loop again."""
        total = 0
        for _ in range(max_batches):
            batch = self.store.claim(self.owner, self.batch_size, self.clock.now(), self.lease_seconds)
            if not batch:
                break
            self._dispatch_batch(batch)
            total += len(batch)
            # a short batch took every due record; the background loop stops there (a record committed
            # since has set the wake event, so it comes back at once) instead of claiming nothing
            if self.broker_down or (not until_empty and len(batch) < self.batch_size):
                break
        return total

    def _dispatch_batch(self, batch: list[OutboxRecord]) -> None:
        """Run every subscriber on every record of the batch, then wait for the publisher's delivery
        reports, then mark the batch: a record is sent only once every subscriber (the Kafka
        publisher's delivery report included) succeeded."""
        pending: list[_Progress] = []
        for record in batch:
            progress = self._start(record)
            if progress is not None:
                pending.append(progress)
        deadline = time.monotonic() + self.delivery_timeout
        for progress in pending:
            for name, delivery in progress.deliveries:
                try:
                    delivery.wait(max(0.0, deadline - time.monotonic()))
                except Exception as exc:
                    self._failed(progress, name, exc)
                else:
                    progress.handled.add(name)
        now = self.clock.now()
        done = [p.record.id for p in pending if not p.errors]
        self.store.mark_dispatched_many(done, now)
        unavailable = False
        for progress in pending:
            if progress.errors:
                self._reschedule(progress, now)
                unavailable = unavailable or progress.unavailable
        self.broker_down = unavailable and not done

    def _start(self, record: OutboxRecord) -> _Progress | None:
        try:
            cls = self._classes.get(record.event_type)
            if cls is None:
                cls = self._classes[record.event_type] = event_class(record.event_type)
            event = cls.from_payload(record.payload)
        except Exception as exc:  # an unknown or unreadable event can never succeed: dead-letter it
            logger.error("outbox record %s (%s) cannot be decoded: %s", record.id, record.event_type, exc)
            now = self.clock.now()
            self.store.mark_failed(record.id, f"undecodable: {exc}", now, True, now, record.handled_by)
            return None
        progress = _Progress(record, set(record.handled_by))
        for sub in self.bus.subscribers_for(event):
            if sub.name in progress.handled:
                continue
            try:
                result = sub.handler(event)
            except Exception as exc:
                self._failed(progress, sub.name, exc)
            else:
                if isinstance(result, PendingDelivery):
                    progress.deliveries.append((sub.name, result))
                else:
                    progress.handled.add(sub.name)
        return progress

    def _failed(self, progress: _Progress, name: str, exc: Exception) -> None:
        # only the publisher's ConnectionError is a broker outage; any other subscriber's error counts
        unavailable = name == PUBLISHER and isinstance(exc, ConnectionError)
        progress.outages += int(unavailable)
        logger.warning(
            "subscriber %s failed on %s %s (attempt %d): %s",
            name,
            progress.record.event_type,
            progress.record.id,
            progress.record.attempts + 1,
            exc,
        )
        progress.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        if self.on_error is not None:
            self.on_error(name, "unavailable" if unavailable else "error")

    def _reschedule(self, progress: _Progress, now: datetime) -> None:
        record = progress.record
        attempts = record.attempts + 1
        delay = min(self.base_backoff * (2 ** (attempts - 1)), self.max_backoff)
        # an unreachable broker is an outage, not a bad event: retry soon and never dead-letter for it
        only_unavailable = progress.outages == len(progress.errors)
        if only_unavailable:
            delay = min(delay, self.outage_retry_seconds)
        dead = attempts >= self.max_attempts and not only_unavailable
        if dead:
            logger.error("outbox record %s dead after %d attempts", record.id, attempts)
        self.store.mark_failed(
            record.id,
            "; ".join(progress.errors)[:2000],
            now + timedelta(seconds=delay),
            dead,
            now,
            frozenset(progress.handled),
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
        outage_wait = self.poll_interval
        while not self._stop.is_set():
            try:
                self.drain(until_empty=False)
            except Exception:  # the database may be briefly unavailable; keep the thread alive
                logger.exception("outbox relay pass failed; retrying in %.1fs", self.poll_interval)
            if self.broker_down:
                # back off while the broker is unreachable (commits do not wake us: they cannot help)
                logger.warning("event broker unreachable; relay backing off %.1fs", outage_wait)
                self._stop.wait(outage_wait)
                outage_wait = min(outage_wait * 2, self.outage_retry_seconds)
                continue
            outage_wait = self.poll_interval
            if self._wake.wait(self.poll_interval) and self.linger:
                self._stop.wait(self.linger)
            self._wake.clear()
