"""EasyPost state and operations (no HTTP): addresses, shipments with rates and labels, trackers and the
events they cause, per account.

:class:`LogisticsBackend` validates first, then mutates under the account's lock, and returns what changed.
A bought label's tracker walks ``pre_transit -> in_transit -> out_for_delivery -> delivered`` (or ends in
``return_to_sender`` / ``failure``, :mod:`simulators.logistics.magic`) on the simulated clock: each step is
scheduled on ``runtime.timeline`` after :class:`LifecycleDelays`, never slept. Every tracker change is
reported to ``on_tracker`` (the provider turns it into a ``tracker.updated`` event and its webhooks). A
refund is ``submitted`` at once and ``refunded`` ``delays.refund`` later. Inspect with
``GET /_sim/logistics/trackers`` and ``GET /_sim/transitions``.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import Any

from simulators.kernel.backend import AccountBackends, GcHousekeeper
from simulators.kernel.clock import SimClock
from simulators.kernel.ids import IdGenerator
from simulators.kernel.transitions import Timeline
from simulators.logistics import exceptions as exc
from simulators.logistics import magic
from simulators.logistics import models_rates as pricing
from simulators.logistics.auth import ApiKey
from simulators.logistics.models_store import (
    Address,
    Book,
    Event,
    LifecycleDelays,
    Page,
    Rate,
    Shipment,
    Tracker,
    page,
)
from simulators.logistics.models_trackers import TrackerHook, TrackerLifecycle, detail, place_of

__all__ = ["Address", "Book", "Event", "LifecycleDelays", "LogisticsBackend", "Page", "Shipment", "Tracker"]


class LogisticsBackend(TrackerLifecycle):
    """The model (see the module docstring). ``on_tracker(account, snapshot, previous_attributes,
    description)`` is called outside any lock after every tracker change."""

    def __init__(
        self,
        *,
        clock: SimClock,
        ids: IdGenerator,
        timeline: Timeline,
        books: AccountBackends[Book],
        on_tracker: TrackerHook,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.timeline = timeline
        self.books = books
        self.on_tracker = on_tracker
        self.delays = LifecycleDelays()
        self.housekeeper = GcHousekeeper()

    def reset(self) -> None:
        """Default delays again (objects live in ``books``, reset by the kernel)."""
        self.delays = LifecycleDelays()

    # -- addresses -------------------------------------------------------------------------------------
    def verify(self, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """``(corrected fields, verifications, success)`` of an address (nothing stored)."""
        problems = magic.address_problems(fields.get("street1"), fields.get("zip"))
        if problems:
            check = {"success": False, "errors": problems, "details": None}
            return fields, {"zip4": check, "delivery": {**check, "details": {}}}, False
        corrected = dict(fields)
        street = magic.standardize_street(str(fields["street1"]))
        corrected["street1"] = street
        if fields.get("street2"):
            corrected["street2"] = str(fields["street2"]).upper()
        for name in ("city", "state"):
            if fields.get(name):
                corrected[name] = str(fields[name]).upper()
        if fields.get("zip") and str(fields.get("country", "US")).upper() == "US":
            corrected["zip"] = magic.zip_plus_four(str(fields["zip"]), street)
        warnings = magic.address_warnings(fields.get("street1"))
        details = {"latitude": 37.78, "longitude": -122.39, "time_zone": "America/Los_Angeles"}
        zip4 = {"success": True, "errors": [], "details": None}
        delivery = {"success": True, "errors": warnings, "details": details}
        return corrected, {"zip4": zip4, "delivery": delivery}, True

    def create_address(self, key: ApiKey, fields: dict[str, Any], *, verify: bool, strict: bool) -> Address:
        """Store an address; with ``verify`` it carries ``verifications`` (and is corrected when it verifies);
        with ``strict`` a failure is 422 ``ADDRESS.VERIFY.FAILURE`` and nothing is stored."""
        verifications: dict[str, Any] = {}
        if verify or strict:
            corrected, verifications, ok = self.verify(fields)
            if not ok and strict:
                raise exc.verify_failure(verifications["delivery"]["errors"])
            fields = corrected
        address = Address(self._id("adr"), key.mode, self._now(), fields, verifications)
        book = self.books[key.account]
        with book.lock:
            book.addresses.add(address.id, address)
        return address

    def address(self, key: ApiKey, address_id: str) -> Address:
        found = self.books[key.account].addresses.get(address_id)
        if found is None:
            raise exc.NotFound()
        return found

    def verify_address(self, key: ApiKey, address_id: str) -> Address:
        """``GET /addresses/{id}/verify``: the address verified (and corrected), or 422."""
        address = self.address(key, address_id)
        corrected, verifications, ok = self.verify(address.fields)
        if not ok:
            raise exc.verify_failure(verifications["delivery"]["errors"])
        with self.books[key.account].lock:
            address.fields, address.verifications = corrected, verifications
        return address

    # -- shipments -------------------------------------------------------------------------------------
    def _address_arg(self, key: ApiKey, raw: Any, ref: str | None, field_: str) -> Address:
        if ref is not None:
            return self.address(key, ref)
        if not isinstance(raw, dict):
            raise exc.required(field_)
        from simulators.logistics.validation import address_params

        return self.create_address(key, address_params(raw, field_), verify=False, strict=False)

    def create_shipment(self, key: ApiKey, data: dict[str, Any]) -> Shipment:
        """Validate the shipment, store it with a rate per carrier service (deterministic prices)."""
        from simulators.logistics.validation import parcel_params, reference_of

        for name in ("to_address", "from_address", "parcel"):
            if not data.get(name):
                raise exc.required(f"shipment.{name}")
        if not isinstance(data["parcel"], dict):
            raise exc.invalid("shipment.parcel", "must be an object")
        parcel = parcel_params(data["parcel"])
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        reference = str(data["reference"]) if data.get("reference") else None
        to_ref, from_ref = reference_of(data, "to_address"), reference_of(data, "from_address")
        to_address = self._address_arg(key, data["to_address"], to_ref, "shipment.to_address")
        from_address = self._address_arg(key, data["from_address"], from_ref, "shipment.from_address")
        now = self._now()
        zone = pricing.zone(from_address.fields.get("zip"), to_address.fields.get("zip"))
        shipment = Shipment(
            id=self._id("shp"),
            mode=key.mode,
            created_at=now,
            updated_at=now,
            reference=reference,
            options={
                **dict(options or {}),
                "currency": "USD",
                "payment": {"type": "SENDER"},
                "date_advance": 0,
            },
            to_address=to_address,
            from_address=from_address,
            parcel={"id": self._id("prcl"), "created_at": now, **parcel},
            usps_zone=zone,
        )
        dims = None
        if parcel["length"] is not None:
            dims = (parcel["length"], parcel["width"], parcel["height"])
        for quote in pricing.quotes(parcel["weight"], dims, zone):
            shipment.rates.append(
                Rate(
                    id=self._id("rate"),
                    mode=key.mode,
                    created_at=now,
                    carrier=quote.service.carrier,
                    service=quote.service.service,
                    rate=quote.rate,
                    retail_rate=quote.retail_rate,
                    list_rate=quote.list_rate,
                    delivery_days=quote.delivery_days,
                    shipment_id=shipment.id,
                )
            )
        book = self.books[key.account]
        with book.lock:
            book.shipments.add(shipment.id, shipment)
        self.housekeeper.tick()
        return shipment

    def shipment(self, key: ApiKey, shipment_id: str) -> Shipment:
        found = self.books[key.account].shipments.get(shipment_id)
        if found is None:
            raise exc.NotFound()
        return found

    def _tracking_code(self, carrier: str) -> str:
        digits = "".join(str(int(c, 16) % 10) for c in self.ids.hex(24))
        if carrier == "UPS":
            return "1Z" + self.ids.upper_alnum(16)
        if carrier == "FedEx":
            return digits[:12]
        return "9400100" + digits[:15]

    def buy(self, key: ApiKey, shipment_id: str, rate_id: str, outcome: magic.Outcome | None) -> Shipment:
        """Buy the label of ``rate_id``: selected_rate, postage_label, tracking_code and a tracker whose
        journey starts now. Twice, or with a rate of another shipment: 422."""
        book = self.books[key.account]
        with book.lock:
            shipment = self.shipment(key, shipment_id)
            if shipment.postage_label is not None:
                raise exc.postage_exists()
            rate = next((r for r in shipment.rates if r.id == rate_id), None)
            if rate is None:
                raise exc.rate_not_found(rate_id)
            now = self._now()
            code = self._tracking_code(rate.carrier)
            ending = outcome or magic.REFERENCE_OUTCOMES.get(shipment.reference or "", "delivered")
            tracker = self._new_tracker(key, code, rate.carrier, "pre_transit", shipment.id, now, ending)
            tracker.weight = shipment.parcel["weight"]
            tracker.est_delivery_date = now + timedelta(days=rate.delivery_days)
            tracker.origin = place_of(shipment.from_address)
            tracker.destination = place_of(shipment.to_address)
            tracker.details = [detail("pre_transit", now, tracker.origin)]
            label_id = self._id("pl")
            shipment.selected_rate = rate
            shipment.tracking_code = code
            shipment.tracker_id = tracker.id
            shipment.status = "pre_transit"
            shipment.updated_at = now
            shipment.postage_label = {"id": label_id, "created_at": now, "label_date": now}
            shipment.fees = [
                {
                    "object": "Fee",
                    "type": "LabelFee",
                    "amount": "0.00000",
                    "charged": True,
                    "refunded": False,
                },
                {
                    "object": "Fee",
                    "type": "PostageFee",
                    "amount": f"{Decimal(rate.rate):.5f}",
                    "charged": True,
                    "refunded": False,
                },
            ]
            self._schedule_next(key, tracker)
        return shipment

    def refund(self, key: ApiKey, shipment_id: str) -> Shipment:
        """Ask for the postage back: only an unused label (its tracker not scanned yet) and only once;
        ``submitted`` now, ``refunded`` after ``delays.refund`` (the tracker then reads ``cancelled``)."""
        book = self.books[key.account]
        with book.lock:
            shipment = self.shipment(key, shipment_id)
            if shipment.postage_label is None or shipment.tracker_id is None:
                raise exc.not_purchased()
            tracker = book.trackers.get(shipment.tracker_id)
            status = tracker.status if tracker is not None else "unknown"
            if shipment.refund_status is not None or status in magic.USED_STATUSES:
                raise exc.refund_unavailable(status if shipment.refund_status is None else "refunded")
            shipment.refund_status = "submitted"
            shipment.updated_at = self._now()
            self.timeline.cancel_key(shipment.tracker_id)
            account, sid = key.account, shipment.id

            def complete() -> None:
                self._complete_refund(account, sid)

            self.timeline.schedule_in(self.delays.refund, complete, name="logistics.refund", key=sid)
        return shipment

    def _complete_refund(self, account: str, shipment_id: str) -> None:
        book = self.books[account]
        with book.lock:
            shipment = book.shipments.get(shipment_id)
            if shipment is None or shipment.refund_status != "submitted":
                return
            shipment.refund_status = "refunded"
            for fee in shipment.fees:
                fee["refunded"] = True
            tracker = book.trackers.get(shipment.tracker_id or "")
            if tracker is None:
                return
            previous = {"status": tracker.status}
            self._set_status(tracker, "cancelled", self._now())
            shipment.status = "cancelled"
            snapshot = copy.deepcopy(tracker)
        self.on_tracker(account, snapshot, previous, "tracker.updated")

    # -- trackers --------------------------------------------------------------------------------------
    # -- events ----------------------------------------------------------------------------------------
    def record_event(
        self, account: str, mode: str, description: str, result: dict[str, Any], previous: dict[str, Any]
    ) -> Event:
        """Store an event (``GET /v2/events``) and return it."""
        event = Event(self._id("evt"), mode, self._now(), description, result, previous)
        book = self.books[account]
        with book.lock:
            book.events.add(event.id, event)
        return event

    def event(self, key: ApiKey, event_id: str) -> Event:
        found = self.books[key.account].events.get(event_id)
        if found is None:
            raise exc.NotFound()
        return found

    def listing(self, key: ApiKey, kind: str, size: int, before: str | None, after: str | None) -> Page:
        """One page of ``addresses``/``shipments``/``trackers``/``events``, newest first."""
        book = self.books[key.account]
        with book.lock:
            items = list(getattr(book, kind).values())
        return page(items, size, before, after)
