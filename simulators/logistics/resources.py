"""EasyPost's JSON for each object (no state, no HTTP), keys in the order of easypost-python's recorded
responses (``tests/cassettes/test_address_create_verify.yaml``, ``test_shipment_buy.yaml``,
``test_tracker_create.yaml``): money as decimal strings, times as ``YYYY-MM-DDTHH:MM:SSZ`` (addresses use
``+00:00``, as recorded), ids with EasyPost's prefixes (``adr_``, ``shp_``, ``rate_``, ``trk_``, ``evt_``,
``hook_``, ``prcl_``, ``pl_``).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulators.logistics import urls
from simulators.logistics.models_rates import CARRIER_ACCOUNTS

if TYPE_CHECKING:
    from simulators.kernel.webhooks import WebhookEndpoint
    from simulators.logistics.models_store import Address, Event, Page, Rate, Shipment, Tracker


@functools.lru_cache(maxsize=4096)
def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def ts(value: datetime | None) -> str | None:
    """``2023-11-28T22:08:51Z`` (memoised: every object of a request shares its second)."""
    return _stamp(value) if value is not None else None


def ts_offset(value: datetime) -> str:
    """``2023-11-28T22:08:51+00:00`` (how addresses are stamped)."""
    return _stamp(value)[:-1] + "+00:00"


def address(a: Address) -> dict[str, Any]:
    f = a.fields
    return {
        "id": a.id,
        "object": "Address",
        "created_at": ts_offset(a.created_at),
        "updated_at": ts_offset(a.created_at),
        "name": f.get("name"),
        "company": f.get("company"),
        "street1": f.get("street1"),
        "street2": f.get("street2"),
        "city": f.get("city"),
        "state": f.get("state"),
        "zip": f.get("zip"),
        "country": f.get("country"),
        "phone": f.get("phone"),
        "email": f.get("email"),
        "mode": a.mode,
        "carrier_facility": None,
        "residential": f.get("residential"),
        "federal_tax_id": f.get("federal_tax_id"),
        "state_tax_id": f.get("state_tax_id"),
        "verifications": a.verifications,
    }


def rate(r: Rate) -> dict[str, Any]:
    """A Rate (rendered once: a rate never changes)."""
    if r.rendered is None:
        r.rendered = _rate(r)
    return r.rendered


def _rate(r: Rate) -> dict[str, Any]:
    return {
        "id": r.id,
        "object": "Rate",
        "created_at": ts(r.created_at),
        "updated_at": ts(r.created_at),
        "mode": r.mode,
        "service": r.service,
        "carrier": r.carrier,
        "rate": r.rate,
        "currency": "USD",
        "retail_rate": r.retail_rate,
        "retail_currency": "USD",
        "list_rate": r.list_rate,
        "list_currency": "USD",
        "billing_type": "easypost",
        "delivery_days": r.delivery_days,
        "delivery_date": None,
        "delivery_date_guaranteed": False,
        "est_delivery_days": r.delivery_days,
        "shipment_id": r.shipment_id,
        "carrier_account_id": CARRIER_ACCOUNTS[r.carrier],
    }


def parcel(p: dict[str, Any], mode: str) -> dict[str, Any]:
    return {
        "id": p["id"],
        "object": "Parcel",
        "created_at": ts(p["created_at"]),
        "updated_at": ts(p["created_at"]),
        "length": p["length"],
        "width": p["width"],
        "height": p["height"],
        "predefined_package": p["predefined_package"],
        "weight": p["weight"],
        "mode": mode,
    }


def postage_label(label: dict[str, Any], host_url: str) -> dict[str, Any]:
    return {
        "object": "PostageLabel",
        "id": label["id"],
        "created_at": ts(label["created_at"]),
        "updated_at": ts(label["created_at"]),
        "date_advance": 0,
        "integrated_form": "none",
        "label_date": ts(label["label_date"]),
        "label_resolution": 300,
        "label_size": "4x6",
        "label_type": "default",
        "label_file_type": "image/png",
        "label_url": host_url + urls.label_path(label["id"]),
        "label_pdf_url": None,
        "label_zpl_url": None,
        "label_epl2_url": None,
        "label_file": None,
    }


def tracking_detail(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "TrackingDetail",
        "message": d["message"],
        "description": None,
        "status": d["status"],
        "status_detail": d["status_detail"],
        "datetime": ts(d["datetime"]),
        "source": d.get("source", "EasyPost"),
        "carrier_code": None,
        "tracking_location": {
            "object": "TrackingLocation",
            "city": d["city"],
            "state": d["state"],
            "country": "US" if d["city"] else None,
            "zip": d["zip"],
        },
    }


def tracker(t: Tracker, host_url: str = "") -> dict[str, Any]:
    return {
        "id": t.id,
        "object": "Tracker",
        "mode": t.mode,
        "tracking_code": t.tracking_code,
        "status": t.status,
        "status_detail": t.details[-1]["status_detail"] if t.details else "unknown",
        "created_at": ts(t.created_at),
        "updated_at": ts(t.updated_at),
        "signed_by": "John Tester" if t.status == "delivered" else None,
        "weight": t.weight,
        "est_delivery_date": ts(t.est_delivery_date),
        "shipment_id": t.shipment_id,
        "carrier": t.carrier,
        "tracking_details": [tracking_detail(d) for d in t.details],
        "carrier_detail": None,
        "finalized": t.final,
        "is_return": t.status == "return_to_sender",
        "public_url": host_url + urls.public_tracking_path(t.id),
        "fees": [
            {"object": "Fee", "type": "TrackerFee", "amount": "0.00000", "charged": False, "refunded": False}
        ],
    }


def shipment(s: Shipment, tracker_obj: Tracker | None, host_url: str) -> dict[str, Any]:
    to_json, from_json = address(s.to_address), address(s.from_address)
    return {
        "created_at": ts(s.created_at),
        "is_return": False,
        "messages": [],
        "mode": s.mode,
        "options": s.options,
        "reference": s.reference,
        "status": s.status,
        "tracking_code": s.tracking_code,
        "updated_at": ts(s.updated_at),
        "batch_id": None,
        "batch_status": None,
        "batch_message": None,
        "customs_info": None,
        "from_address": from_json,
        "insurance": None,
        "order_id": None,
        "parcel": parcel(s.parcel, s.mode),
        "postage_label": postage_label(s.postage_label, host_url) if s.postage_label else None,
        "rates": [rate(r) for r in s.rates],
        "refund_status": s.refund_status,
        "scan_form": None,
        "selected_rate": rate(s.selected_rate) if s.selected_rate else None,
        "tracker": tracker(tracker_obj, host_url) if tracker_obj is not None else None,
        "to_address": to_json,
        "usps_zone": s.usps_zone,
        "return_address": from_json,
        "buyer_address": to_json,
        "forms": [],
        "fees": s.fees,
        "id": s.id,
        "object": "Shipment",
    }


def event(e: Event, pending_urls: list[str] | None = None) -> dict[str, Any]:
    return {
        "description": e.description,
        "mode": e.mode,
        "previous_attributes": e.previous_attributes,
        "created_at": ts(e.created_at),
        "pending_urls": list(pending_urls or []),
        "completed_urls": [],
        "updated_at": ts(e.created_at),
        "id": e.id,
        "user_id": "user_" + "0" * 32,
        "status": "pending",
        "object": "Event",
        "result": e.result,
    }


def webhook(endpoint: WebhookEndpoint, mode: str) -> dict[str, Any]:
    """A Webhook (the secret is never shown, as in EasyPost)."""
    created = datetime.fromtimestamp(endpoint.created, UTC)
    return {
        "id": endpoint.id,
        "object": "Webhook",
        "mode": mode,
        "url": endpoint.url,
        "created_at": ts(created),
        "disabled_at": None if endpoint.enabled else ts(created),
        "custom_headers": [],
    }


def listing(kind: str, page_: Page, render: Any) -> dict[str, Any]:
    """``{"<kind>": [...], "has_more": bool}`` (EasyPost's list envelope)."""
    return {kind: [render(o) for o in page_.items], "has_more": page_.has_more}
