"""The webhook dispatcher: signed deliveries on worker threads, retries on the simulated clock.

A provider calls :meth:`WebhookDispatcher.publish` (fan out to the account's endpoints that subscribe to
the event type) or :meth:`WebhookDispatcher.send` (one ad-hoc URL, e.g. a Twilio ``StatusCallback``).
Each delivery is attempted on a bounded pool of ``webhook_workers`` daemon threads, so one slow receiver
does not hold up the others. A non-2xx answer, a timeout or a refused connection is retried on the
provider's schedule: retry *n* is due at ``created + sum(schedule[:n]) / time_scale`` simulated seconds,
so advancing the clock past several due times runs those retries back to back. Every attempt is kept.
Pending deliveries are never dropped while the simulator runs; completed ones beyond ``max_deliveries``
are evicted oldest first. Inspect with ``GET /_sim/webhooks/deliveries``.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import requests

from simulators.kernel.clock import SimClock
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.ids import derive_seed
from simulators.kernel.journal import HeaderMasker
from simulators.kernel.transitions import ScheduledItem, Timeline
from simulators.kernel.webhooks import (
    Attempt,
    ChaosSettings,
    Delivery,
    DeliveryStatus,
    EndpointRegistry,
    Signer,
    WebhookTarget,
)
from simulators.kernel.workers import WorkerPool

log = logging.getLogger(__name__)

AttemptHook = Callable[[Delivery, Attempt], None]
_ANY = object()


class WebhookDispatcher:
    """Owns the delivery log and the worker pool; thread-safe."""

    def __init__(
        self,
        *,
        clock: SimClock,
        timeline: Timeline,
        endpoints: EndpointRegistry,
        signer: Signer,
        retry_schedule: Sequence[float],
        config: SimulatorConfig,
        masker: HeaderMasker,
        base_seed: Callable[[], int],
        on_attempt: AttemptHook | None = None,
        user_agent: str = "genai-demo-simulator/1.0",
    ) -> None:
        self._clock = clock
        self._timeline = timeline
        self.endpoints = endpoints
        self._signer = signer
        self._schedule = tuple(float(s) for s in retry_schedule)
        self._config = config
        self.masker = masker
        self._base_seed = base_seed
        self._on_attempt = on_attempt
        self._user_agent = user_agent
        self._lock = threading.RLock()
        self._deliveries: dict[str, Delivery] = {}
        self._timers: dict[str, ScheduledItem] = {}
        self._held: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self._generation = 0
        self._chaos = ChaosSettings()
        self._chaos_rng = random.Random(0)
        self._pool = WorkerPool(config.webhook_workers, "sim-webhook")

    def set_signer(self, signer: Signer) -> None:
        """Install the provider's signer (done by the kernel after the provider is bound)."""
        self._signer = signer

    # -- creating deliveries ---------------------------------------------------------------------------
    def publish(
        self,
        account: str | None,
        event_type: str,
        body: bytes,
        *,
        event_id: str,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Delivery]:
        """Send ``body`` to every endpoint of ``account`` that subscribes to ``event_type``."""
        out: list[Delivery] = []
        for ep in self.endpoints.for_event(account, event_type):
            target = WebhookTarget(ep.url, ep.secret, ep.id, account)
            out.extend(self._create(target, event_id, event_type, body, content_type, headers, metadata))
        return out

    def send(
        self,
        target: WebhookTarget,
        body: bytes,
        *,
        event_id: str,
        event_type: str,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Delivery:
        """Send ``body`` to one ad-hoc target (not a registered endpoint)."""
        return self._create(target, event_id, event_type, body, content_type, headers, metadata)[0]

    def _create(
        self,
        target: WebhookTarget,
        event_id: str,
        event_type: str,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None,
        metadata: Mapping[str, Any] | None,
    ) -> list[Delivery]:
        now = self._clock.now()
        created: list[Delivery] = []
        with self._lock:
            gen = self._generation
            delivery = Delivery(
                id=f"dlv_{next(self._ids)}",
                target=target,
                event_id=event_id,
                event_type=event_type,
                body=body,
                content_type=content_type,
                created=now,
                headers=dict(headers or {}),
                metadata=dict(metadata or {}),
            )
            self._deliveries[delivery.id] = delivery
            created.append(delivery)
            chaos = self._chaos
            duplicate = chaos.duplicate > 0 and self._chaos_rng.random() < chaos.duplicate
            # Hold at most one delivery per URL: the next one overtakes it, then releases it.
            hold = (
                chaos.reorder > 0
                and not self._held.get(target.url)
                and self._chaos_rng.random() < chaos.reorder
            )
            if hold:
                delivery.held = True
                delivery.next_attempt_at = now + chaos.hold_s
                self._held.setdefault(target.url, []).append(delivery.id)
                self._timers[delivery.id] = self._timeline.schedule_at(
                    now + chaos.hold_s,
                    partial(self._release, delivery.id, gen),
                    name="webhook.release",
                    key=delivery.id,
                )
            if duplicate:
                twin = Delivery(
                    id=f"dlv_{next(self._ids)}",
                    target=target,
                    event_id=event_id,
                    event_type=event_type,
                    body=body,
                    content_type=content_type,
                    created=now,
                    headers=dict(headers or {}),
                    metadata=dict(metadata or {}),
                    duplicate_of=delivery.id,
                )
                self._deliveries[twin.id] = twin
                created.append(twin)
            self._evict()
        for d in created:
            if not d.held:
                self._enqueue(d.id, gen, manual=False)
        return created

    # -- control operations ----------------------------------------------------------------------------
    def redeliver(self, delivery_id: str) -> Delivery | None:
        """Queue one more (manual) attempt now; a pending delivery keeps its retry schedule."""
        with self._lock:
            d = self._deliveries.get(delivery_id)
            if d is None:
                return None
            gen = self._generation
            if d.held:
                self._release_locked(d)
                return d
        self._enqueue(delivery_id, gen, manual=True)
        return d

    def set_chaos(self, chaos: ChaosSettings) -> ChaosSettings:
        """Replace the chaos settings (seeded from ``chaos.seed`` or the simulator seed)."""
        with self._lock:
            self._chaos = chaos
            seed = chaos.seed if chaos.seed is not None else derive_seed(self._base_seed(), "chaos")
            self._chaos_rng = random.Random(seed)
            return chaos

    @property
    def chaos(self) -> ChaosSettings:
        """Chaos settings in force."""
        return self._chaos

    def get(self, delivery_id: str) -> Delivery | None:
        """One delivery by id."""
        return self._deliveries.get(delivery_id)

    def find(
        self,
        *,
        account: Any = _ANY,
        event_id: str | None = None,
        event_type: str | None = None,
        status: DeliveryStatus | None = None,
        endpoint_id: str | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        """Deliveries, newest first, filtered (``account`` may be ``None`` for the no-account bucket)."""
        with self._lock:
            items = list(self._deliveries.values())
        items.reverse()
        out: list[Delivery] = []
        for d in items:
            if account is not _ANY and d.account != account:
                continue
            if event_id is not None and d.event_id != event_id:
                continue
            if event_type is not None and d.event_type != event_type:
                continue
            if status is not None and d.status != status:
                continue
            if endpoint_id is not None and d.target.endpoint_id != endpoint_id:
                continue
            out.append(d)
            if limit is not None and len(out) >= limit:
                break
        return out

    def to_json(self, deliveries: Iterable[Delivery]) -> list[dict[str, Any]]:
        """Render deliveries consistently (under the dispatcher lock)."""
        with self._lock:
            return [d.to_json(self.masker) for d in deliveries]

    def stats(self) -> dict[str, int]:
        """Delivery counts by status."""
        counts: dict[str, int] = {"pending": 0, "succeeded": 0, "failed": 0, "cancelled": 0}
        with self._lock:
            for d in self._deliveries.values():
                counts[d.status] += 1
        return counts

    def reset(self) -> None:
        """Drop every delivery, timer and chaos setting (in-flight results are discarded)."""
        with self._lock:
            self._generation += 1
            for item in self._timers.values():
                self._timeline.cancel(item)
            self._timers.clear()
            self._deliveries.clear()
            self._held.clear()
            self._ids = itertools.count(1)
            self._chaos = ChaosSettings()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no attempt is queued or running and no timer is due; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            # Pool, then timeline, then pool again: a due timer may hand an attempt to the pool between
            # the first two checks.
            if self._pool.busy == 0 and self._timeline.is_idle() and self._pool.busy == 0:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self._pool.wait(min(left, 0.01)) or self._pool.busy == 0:
                time.sleep(0.001)  # the timeline is handing over due work; do not spin

    def close(self, timeout: float | None = None) -> None:
        """Stop the workers (each finishes its current attempt)."""
        self._pool.close(timeout if timeout is not None else self._config.webhook_timeout_s + 1)

    # -- internals ---------------------------------------------------------------------------------------
    def _evict(self) -> None:
        bound = self._config.max_deliveries
        excess = len(self._deliveries) - bound
        if excess <= max(1, bound // 10):
            return
        excess = len(self._deliveries) - bound
        for key in list(self._deliveries):
            if excess <= 0:
                break
            if self._deliveries[key].status != "pending":
                del self._deliveries[key]
                excess -= 1

    def _release(self, delivery_id: str, gen: int) -> None:
        with self._lock:
            d = self._deliveries.get(delivery_id)
            if d is None or gen != self._generation or not d.held:
                return
            self._release_locked(d)

    def _release_locked(self, d: Delivery) -> None:
        d.held = False
        d.next_attempt_at = None
        held = self._held.get(d.target.url)
        if held and d.id in held:
            held.remove(d.id)
        timer = self._timers.pop(d.id, None)
        if timer is not None:
            self._timeline.cancel(timer)
        self._enqueue(d.id, self._generation, manual=False)

    def _enqueue(self, delivery_id: str, gen: int, *, manual: bool) -> None:
        self._pool.submit(partial(self._attempt, delivery_id, gen, manual))

    def _attempt(self, delivery_id: str, gen: int, manual: bool) -> None:
        with self._lock:
            d = self._deliveries.get(delivery_id)
            if d is None or gen != self._generation or (not manual and d.status != "pending"):
                return
            number = len(d.attempts) + 1
            d.next_attempt_at = None
            self._timers.pop(d.id, None)
        started = self._clock.now()
        headers = {"Content-Type": d.content_type, "User-Agent": self._user_agent, **d.headers}
        headers.update(self._signer.sign(d.target, d.body, started, d))
        attempt = Attempt(number=number, time=started, manual=manual, headers=headers)
        t0 = time.perf_counter()
        try:
            resp = requests.post(
                d.target.url,
                data=d.body,
                headers=headers,
                timeout=self._config.webhook_timeout_s,
                allow_redirects=False,
            )
            attempt.status_code = resp.status_code
            attempt.response_body = resp.text[:500]
            if not attempt.ok:
                attempt.error = f"HTTP {resp.status_code}"
        except requests.Timeout:
            attempt.error = f"timeout after {self._config.webhook_timeout_s:g}s"
        except requests.ConnectionError as exc:
            attempt.error = "connection refused" if "refused" in str(exc).lower() else "connection error"
        except requests.RequestException as exc:
            attempt.error = f"request error: {type(exc).__name__}"
        attempt.latency_ms = (time.perf_counter() - t0) * 1000
        with self._lock:
            if gen != self._generation:
                return
            self._record(d, attempt, gen)
        if self._on_attempt is not None:
            try:
                self._on_attempt(d, attempt)
            except Exception:
                log.exception("provider on_delivery_attempt hook failed for %s", d.id)

    def _record(self, d: Delivery, attempt: Attempt, gen: int) -> None:
        d.attempts.append(attempt)
        now = self._clock.now()
        first_auto = not attempt.manual and d.auto_attempts == 0
        if not attempt.manual:
            d.auto_attempts += 1
        if attempt.ok:
            if d.status != "succeeded":
                d.status = "succeeded"
                d.completed_at = now
            timer = self._timers.pop(d.id, None)
            if timer is not None:
                self._timeline.cancel(timer)
            d.next_attempt_at = None
        elif not attempt.manual:
            n = d.auto_attempts
            if n <= len(self._schedule):
                due = d.created + sum(self._schedule[:n]) / self._config.time_scale
                d.next_attempt_at = due
                self._timers[d.id] = self._timeline.schedule_at(
                    due, partial(self._enqueue, d.id, gen, manual=False), name="webhook.retry", key=d.id
                )
            else:
                d.status = "failed"
                d.completed_at = now
        if d.status != "pending":
            self._evict()
        if first_auto and not d.held:
            for held_id in list(self._held.get(d.target.url, ())):
                held = self._deliveries.get(held_id)
                if held is not None and held.held and held.created <= d.created and held.id != d.id:
                    self._release_locked(held)
