"""Orders v2 package tracking on one app's state: add a tracker to a captured order, update or cancel it.

Rules, with their sources:

* Tracking is for captured payments: "You can only assign tracking information to orders that have been
  captured and are in one of the following states: COMPLETED, PARTIALLY_REFUNDED, PENDING" (PayPal's
  Orders v2 tracking guide; those are capture statuses). So the order must be ``COMPLETED`` with the named
  capture: another capture id (or none yet) is 422 ``CAPTURE_ID_NOT_FOUND``, a capture in another status
  (``DECLINED``, ``REFUNDED``) 422 ``CAPTURE_STATUS_NOT_VALID``.
* An order of several purchase units is 422 ``MSP_NOT_SUPPORTED``; an item ``sku`` the order's items do not
  have is 422 ``ITEM_SKU_MISMATCH`` (spec descriptions).
* The spec answers 201 for a new tracker and 200 for a duplicate retried: the same tracking number on the
  same capture is a duplicate, answered 200 with the order unchanged.
* The answer is the whole order; trackers appear under ``purchase_units[].shipping.trackers``.
* PATCH is all-or-nothing; ``notify_payer`` can be ``add``-ed only when it was not given, ``replace``-d only
  when it was (RFC 6902, as the spec's ``INVALID_PATCH_OPERATION`` says). An unknown order or tracker is
  404 ``TRACKER_ID_NOT_FOUND`` (the only 404 issue the spec lists for the operation).
"""

from __future__ import annotations

import re

from simulators.paypal.exceptions import InvalidRequest, ResourceNotFound, detail, v2_error
from simulators.paypal.models import AccountBackend
from simulators.paypal.resources import Order, Tracker
from simulators.paypal.validation_tracking import PATCH, TRACK, TrackerPatch, TrackRequest

TRACKABLE = ("COMPLETED", "PARTIALLY_REFUNDED", "PENDING")
TRACKER_ID = re.compile(r"^[A-Z0-9]{1,36}$")


def tracker_id(backend: AccountBackend, capture_id: str, tracking_number: str | None) -> str:
    """The capture id and the tracking number, or 12 generated characters when that is no valid id."""
    candidate = capture_id + (tracking_number or "").upper()
    if tracking_number and TRACKER_ID.match(candidate):
        return candidate
    return capture_id + backend.ids.upper_alnum(12)


def track(backend: AccountBackend, order_id: str, req: TrackRequest, now: float) -> tuple[Order, bool]:
    """Add tracking information; returns the order and whether a tracker was created."""
    with backend.lock:
        order = backend.order(order_id, TRACK)
        if len(order.units) > 1:
            raise v2_error(TRACK, "MSP_NOT_SUPPORTED")
        unit = order.units[0]
        capture = next((c for c in unit.captures if c.id == req.capture_id), None)
        if capture is None:
            raise v2_error(TRACK, "CAPTURE_ID_NOT_FOUND", "/capture_id", req.capture_id)
        if capture.status not in TRACKABLE:
            raise v2_error(TRACK, "CAPTURE_STATUS_NOT_VALID", "/capture_id", req.capture_id)
        _check_skus(TRACK, order, req.items, "/items")
        if req.tracking_number is not None and any(
            t.capture_id == capture.id and t.tracking_number == req.tracking_number for t in unit.trackers
        ):
            return order, False
        unit.trackers.append(
            Tracker(
                id=tracker_id(backend, capture.id, req.tracking_number),
                order_id=order.id,
                capture_id=capture.id,
                tracking_number=req.tracking_number,
                carrier=req.carrier,
                items=req.items,
                notify_payer=req.notify_payer,
                create_time=now,
                update_time=now,
                base_url=order.base_url,
            )
        )
        order.update_time = now
        return order, True


def patch_tracker(
    backend: AccountBackend, order_id: str, tracker_id_: str, ops: list[TrackerPatch], now: float
) -> Tracker:
    """Apply ``ops`` to a tracker of ``order_id`` all-or-nothing."""
    with backend.lock:
        order = backend.orders.get(order_id)
        tracker = next(
            (t for u in (order.units if order else ()) for t in u.trackers if t.id == tracker_id_), None
        )
        if order is None or tracker is None:
            missing = detail(PATCH, "TRACKER_ID_NOT_FOUND", "tracker_id", tracker_id_, "path")
            raise ResourceNotFound(missing, api="orders/v2")
        notify = tracker.notify_payer
        for p in ops:
            if p.name == "items":
                _check_skus(PATCH, order, p.value, f"/{p.index}/value")
            elif p.name == "notify_payer":
                if (p.op == "add") != (notify is None):
                    raise InvalidRequest(detail(PATCH, "INVALID_PATCH_OPERATION", f"/{p.index}/op", p.op))
                notify = p.value
        for p in ops:
            if p.name == "items":
                tracker.items = [dict(item) for item in p.value]
            elif p.name == "notify_payer":
                tracker.notify_payer = p.value
            else:
                tracker.status = p.value
        tracker.update_time = order.update_time = now
        return tracker


def _check_skus(operation: str, order: Order, items: list[dict[str, object]], where: str) -> None:
    skus = {item.get("sku") for unit in order.units for item in unit.fields.get("items", [])}
    for i, item in enumerate(items):
        sku = item.get("sku")
        if sku is not None and sku not in skus:
            raise v2_error(operation, "ITEM_SKU_MISMATCH", f"{where}/{i}/sku", sku)
