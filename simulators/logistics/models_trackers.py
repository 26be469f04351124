"""Trackers and their journey on the simulated clock (no HTTP): the test tracking codes, a bought label's
``pre_transit -> in_transit -> out_for_delivery -> delivered`` (or ``return_to_sender`` / ``failure``), each
step scheduled on the timeline after :class:`~simulators.logistics.models_store.LifecycleDelays` and stamped
with its due time, and reported to ``on_tracker``. :class:`TrackerLifecycle` is the tracker half of
:class:`~simulators.logistics.models.LogisticsBackend`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.kernel.backend import AccountBackends
from simulators.kernel.clock import SimClock
from simulators.kernel.ids import IdGenerator
from simulators.kernel.transitions import Timeline
from simulators.logistics import exceptions as exc
from simulators.logistics import magic
from simulators.logistics.auth import ApiKey
from simulators.logistics.models_store import Address, Book, LifecycleDelays, Tracker

TrackerHook = Callable[[str, Tracker, dict[str, Any], str], None]


class TrackerLifecycle:
    """Tracker operations; the backend provides the clock, ids, timeline, books, delays and hook."""

    clock: SimClock
    ids: IdGenerator
    timeline: Timeline
    books: AccountBackends[Book]
    delays: LifecycleDelays
    on_tracker: TrackerHook

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{self.ids.hex(32)}"

    def _now(self) -> datetime:
        return self.clock.datetime().replace(microsecond=0)

    def _new_tracker(
        self,
        key: ApiKey,
        code: str,
        carrier: str,
        status: str,
        shipment_id: str | None,
        now: datetime,
        outcome: magic.Outcome = "delivered",
    ) -> Tracker:
        tracker = Tracker(
            id=self._id("trk"),
            mode=key.mode,
            created_at=now,
            updated_at=now,
            tracking_code=code,
            carrier=carrier,
            status=status,
            est_delivery_date=None,
            shipment_id=shipment_id,
            weight=None,
            outcome=outcome,
            step_due=now.timestamp(),
        )
        book = self.books[key.account]
        book.trackers.add(tracker.id, tracker)
        book.tracker_by_code[(code, carrier)] = tracker.id
        return tracker

    def create_tracker(self, key: ApiKey, code: str, carrier: str | None) -> tuple[Tracker, bool]:
        """``(tracker, created)``: the account's tracker of ``code`` + ``carrier`` when there is one (EasyPost
        returns it again), else a new one: a test code stands at its status with the history leading there, a
        label bought here is its tracker, anything else is ``unknown``."""
        carrier = carrier or "USPS"
        book = self.books[key.account]
        with book.lock:
            existing = book.tracker_by_code.get((code, carrier))
            if existing is not None and existing in book.trackers:
                return book.trackers[existing], False
            now = self._now()
            status = magic.TEST_TRACKING_CODES.get(code, "unknown")
            tracker = self._new_tracker(key, code, carrier, status, None, now)
            origin, dest = ("SAN FRANCISCO", "CA", "94107"), ("REDONDO BEACH", "CA", "90277")
            tracker.origin, tracker.destination = origin, dest
            path = path_to(status)
            start = now - timedelta(days=len(path))
            tracker.details = [
                detail(
                    s, start + timedelta(days=i), dest if s in ("out_for_delivery", "delivered") else origin
                )
                for i, s in enumerate(path)
            ]
            tracker.est_delivery_date = now + timedelta(days=2) if status != "delivered" else now
            tracker.weight = 17.6
        return tracker, True

    def tracker(self, key: ApiKey, tracker_id: str) -> Tracker:
        found = self.books[key.account].trackers.get(tracker_id)
        if found is None:
            raise exc.NotFound()
        return found

    def find_tracker(self, tracker_id: str) -> tuple[str, Tracker] | None:
        """A tracker of any account, with its account (control API)."""
        for account, book in self.books.items():
            found = book.trackers.get(tracker_id)
            if found is not None and account is not None:
                return account, found
        return None

    def _next_status(self, tracker: Tracker) -> tuple[str, float] | None:
        if tracker.final or tracker.status == "unknown":
            return None
        if tracker.status == "pre_transit":
            return "in_transit", self.delays.in_transit
        if tracker.status == "in_transit":
            if tracker.outcome == "return_to_sender":
                return "return_to_sender", self.delays.out_for_delivery
            return "out_for_delivery", self.delays.out_for_delivery
        if tracker.status == "out_for_delivery":
            return (
                tracker.outcome if tracker.outcome != "return_to_sender" else "delivered",
                self.delays.final,
            )
        return None

    def _schedule_next(self, key: ApiKey, tracker: Tracker) -> None:
        """The next step ``delay`` after the previous step's due time, so advancing the clock past several
        steps runs them back to back (each stamped with its own due time)."""
        step = self._next_status(tracker)
        if step is None:
            return
        status, delay = step
        tracker.step_due = tracker.step_due + delay
        account, tid = key.account, tracker.id

        def step_now() -> None:
            self.advance(account, tid)

        self.timeline.schedule_at(tracker.step_due, step_now, name=f"logistics.tracker.{status}", key=tid)

    def _set_status(self, tracker: Tracker, status: str, when: datetime) -> None:
        place = (
            tracker.destination if status in ("out_for_delivery", "delivered", "failure") else tracker.origin
        )
        tracker.status = status
        tracker.updated_at = when
        tracker.details.append(detail(status, when, place))
        if status == "delivered":
            tracker.est_delivery_date = when

    def advance(self, account: str, tracker_id: str) -> Tracker | None:
        """Move a tracker one step (called by the timeline or the control API), report it and schedule the
        next. Returns the tracker, or ``None`` when it is gone or has nowhere to go."""
        book = self.books[account]
        with book.lock:
            tracker = book.trackers.get(tracker_id)
            if tracker is None:
                return None
            step = self._next_status(tracker)
            if step is None:
                return None
            when = self._now()
            if 0 < tracker.step_due < when.timestamp():
                when = datetime.fromtimestamp(int(tracker.step_due), UTC)
            previous = {"status": tracker.status}
            self._set_status(tracker, step[0], when)
            shipment = book.shipments.get(tracker.shipment_id or "")
            if shipment is not None:
                shipment.status = tracker.status
                shipment.updated_at = when
            tracker.step_due = max(tracker.step_due, when.timestamp())
            self._schedule_next(ApiKey(account, tracker.mode), tracker)
            snapshot = copy.deepcopy(tracker)
        self.on_tracker(account, snapshot, previous, "tracker.updated")
        return tracker

    def set_outcome(self, account: str, tracker_id: str, outcome: magic.Outcome) -> None:
        """How the tracker's journey ends."""
        book = self.books[account]
        with book.lock:
            tracker = book.trackers.get(tracker_id)
            if tracker is not None:
                tracker.outcome = outcome

    def run_now(self, account: str, tracker_id: str, steps: int) -> int:
        """Take up to ``steps`` steps at once (control API); returns how many were taken."""
        taken = 0
        for _ in range(steps):
            self.timeline.cancel_key(tracker_id)
            if self.advance(account, tracker_id) is None:
                break
            taken += 1
        return taken


def place_of(address: Address) -> tuple[str | None, str | None, str | None]:
    f = address.fields
    city = f.get("city")
    return (str(city).upper() if city else None, f.get("state"), str(f.get("zip") or "")[:5] or None)


def path_to(status: str) -> list[str]:
    """The statuses a test tracker went through to reach ``status``."""
    if status == "unknown":
        return []
    if status == "return_to_sender":
        return ["pre_transit", "in_transit", "return_to_sender"]
    if status == "failure":
        return ["pre_transit", "in_transit", "out_for_delivery", "failure"]
    return list(magic.LIFECYCLE[: magic.LIFECYCLE.index(status) + 1])


def detail(status: str, when: datetime, place: tuple[str | None, str | None, str | None]) -> dict[str, Any]:
    """One ``tracking_details`` entry (rendered by ``resources.tracking_detail``)."""
    return {
        "message": magic.STATUS_MESSAGES.get(status, status),
        "status": status,
        "status_detail": magic.STATUS_DETAILS.get(status, "unknown"),
        "datetime": when,
        "city": place[0],
        "state": place[1],
        "zip": place[2],
    }
