"""What the Orders v2 tracking requests may contain: ``POST /v2/checkout/orders/{id}/track``
(``order_tracker_request``) and ``PATCH /v2/checkout/orders/{id}/trackers/{tracker_id}`` (``patch_request``).

Both are checked against the official request schema (:mod:`simulators.paypal.validation_schema`: 400
``INVALID_REQUEST`` with a JSON pointer per violation, using only the issues each operation lists), plus
the rules PayPal's tracking guide states and the schema cannot: a ``tracking_number`` needs its ``carrier``
("When a call includes tracking_number, you also need to pass carrier information"), and ``carrier: OTHER``
needs ``carrier_name_other`` ("If your carrier name is not in the list, set carrier to OTHER and set carrier
name in carrier_name_other"), both 400 ``MISSING_REQUIRED_PARAMETER``.

Tracker PATCH (the spec's table): ``items`` replace (the whole list), ``notify_payer`` replace or add,
``status`` replace, to ``CANCELLED`` only. A path PayPal knows on a tracker but does not patch
(``/tracking_number``, ``/carrier``...) is 400 ``FIELD_NOT_PATCHABLE``, an unknown one 422 ``NOT_PATCHABLE``,
a path that is no JSON pointer 422 ``INVALID_JSON_POINTER_FORMAT``; a missing ``path`` or ``value`` 422
``PATCH_PATH_REQUIRED``/``PATCH_VALUE_REQUIRED``; another op on a field 400 ``INVALID_PATCH_OPERATION``;
``move``/``copy``/``test`` and a status other than ``CANCELLED`` 400 ``INVALID_PARAMETER_VALUE``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from simulators.paypal.exceptions import InvalidRequest, detail, v2_error
from simulators.paypal.validation import add_schema_details
from simulators.paypal.validation_checks import Checker, patch_pointer
from simulators.paypal.validation_schema import schema_details

TRACK = "orders.track.create"
# order_tracker_request is allOf shipment_tracker (the legacy /v1/shipping tracker) + capture_id, so the
# schema also requires transaction_id and status; the Orders v2 call does not (its examples, and
# paypal-server-sdk's OrderTrackerRequest, require capture_id only), so neither is asked for.
LEGACY_REQUIRED = frozenset({"/transaction_id", "/status"})
PATCH = "orders.trackers.patch"
# op -> the ops the spec's table allows on it
PATCHABLE = {"items": ("replace",), "notify_payer": ("replace", "add"), "status": ("replace",)}
# the tracker's other attributes (``order_tracker_request``/``shipment_tracker``): known, not patchable
KNOWN = frozenset(
    "capture_id transaction_id tracking_number tracking_number_type shipment_date carrier carrier_name_other "
    "postage_payment_id notify_buyer quantity tracking_number_validated last_updated_time shipment_direction "
    "shipment_uploader account_id tracking_url id links create_time update_time".split()
)


@dataclass
class TrackRequest:
    """A validated ``order_tracker_request`` (the fields the simulator keeps)."""

    capture_id: str
    tracking_number: str | None = None
    carrier: str | None = None
    notify_payer: bool | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TrackerPatch:
    """One validated operation on a tracker: ``op`` on ``name`` (``items``, ``notify_payer``, ``status``)."""

    op: str
    name: str
    value: Any
    index: int


def parse_track_request(body: Any) -> TrackRequest:
    """Validate ``POST .../track`` (400 ``INVALID_REQUEST`` listing every problem)."""
    if not isinstance(body, dict):
        raise InvalidRequest(detail(TRACK, "INVALID_PARAMETER_SYNTAX", "/", body))
    c = Checker(TRACK)
    if body.get("tracking_number") is not None and body.get("carrier") is None:
        c.add("MISSING_REQUIRED_PARAMETER", "/carrier")
    if body.get("carrier") == "OTHER" and body.get("carrier_name_other") is None:
        c.add("MISSING_REQUIRED_PARAMETER", "/carrier_name_other")
    add_schema_details(c, "order_tracker_request", body, LEGACY_REQUIRED)
    c.done()
    return TrackRequest(
        capture_id=str(body["capture_id"]),
        tracking_number=body.get("tracking_number"),
        carrier=body.get("carrier"),
        notify_payer=body.get("notify_payer"),
        items=[dict(item) for item in body.get("items") or []],
    )


def parse_tracker_patch(body: Any) -> list[TrackerPatch]:
    """Validate ``PATCH .../trackers/{tracker_id}`` (the 400s together, then the first 422)."""
    if not isinstance(body, list) or not body:
        raise InvalidRequest(detail(PATCH, "MALFORMED_REQUEST_JSON"))
    c = Checker(PATCH)
    for i, raw in enumerate(body):
        if isinstance(raw, dict) and raw.get("op") in ("move", "copy", "test"):
            c.add("INVALID_PARAMETER_VALUE", f"/{i}/op", raw["op"])
    add_schema_details(c, "patch_request", body)
    c.done()
    ops: list[TrackerPatch] = []
    for i, raw in enumerate(body):
        path = patch_pointer(PATCH, i, raw)
        name = path[1:]
        if name not in PATCHABLE:
            if name in KNOWN:
                raise InvalidRequest(detail(PATCH, "FIELD_NOT_PATCHABLE", f"/{i}/path", path))
            raise v2_error(PATCH, "NOT_PATCHABLE", f"/{i}/path", path)
        if raw["op"] not in PATCHABLE[name]:
            raise InvalidRequest(detail(PATCH, "INVALID_PATCH_OPERATION", f"/{i}/op", raw["op"]))
        ops.append(TrackerPatch(raw["op"], name, raw.get("value"), i))
    _check_values(ops)
    return ops


def _check_values(ops: list[TrackerPatch]) -> None:
    c = Checker(PATCH)
    for p in ops:
        where = f"/{p.index}/value"
        if p.name == "status" and p.value != "CANCELLED":
            c.add("INVALID_PARAMETER_VALUE", where, p.value)
        elif p.name == "notify_payer" and not isinstance(p.value, bool):
            c.add("INVALID_PARAMETER_VALUE", where, p.value)
        elif p.name == "items" and not isinstance(p.value, list):
            c.add("INVALID_PARAMETER_VALUE", where, p.value)
        elif p.name == "items":
            for j, item in enumerate(p.value):
                for d in schema_details(PATCH, "tracker_item", item):
                    c.details.append(dataclasses.replace(d, field=f"{where}/{j}{d.field or ''}".rstrip("/")))
    c.done()
