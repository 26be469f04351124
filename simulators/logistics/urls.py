"""Every path of the EasyPost simulator: the API routes (under ``/v2``, where the SDK's ``api_base`` points),
the ``/_sim/logistics`` control routes, and the URLs the simulator puts in its answers.

The operations of :data:`API_ROUTES` are what fault rules match and the journal shows
(``{"match": {"operation": "buy_shipment"}, ...}``); they never change. :data:`CONTROL_ROUTES` are mounted by
the kernel under ``/_sim/logistics`` and described in ``/_sim/openapi.json`` from the same rows.
"""

from __future__ import annotations

from simulators.kernel.routing import QueryParam, Route
from simulators.logistics.validation import AdvanceSpec, OutcomeSpec, SettingsSpec

API_ROUTES: tuple[Route, ...] = (
    Route("POST", "/v2/addresses", "create_address"),
    Route("GET", "/v2/addresses", "list_addresses"),
    Route("POST", "/v2/addresses/create_and_verify", "create_and_verify_address"),
    Route("GET", "/v2/addresses/<address_id>", "retrieve_address"),
    Route("GET", "/v2/addresses/<address_id>/verify", "verify_address"),
    Route("POST", "/v2/shipments", "create_shipment"),
    Route("GET", "/v2/shipments", "list_shipments"),
    Route("GET", "/v2/shipments/<shipment_id>", "retrieve_shipment"),
    Route("POST", "/v2/shipments/<shipment_id>/buy", "buy_shipment"),
    Route("POST", "/v2/shipments/<shipment_id>/refund", "refund_shipment"),
    Route("POST", "/v2/trackers", "create_tracker"),
    Route("GET", "/v2/trackers", "list_trackers"),
    Route("GET", "/v2/trackers/<tracker_id>", "retrieve_tracker"),
    Route("POST", "/v2/webhooks", "create_webhook"),
    Route("GET", "/v2/webhooks", "list_webhooks"),
    Route("GET", "/v2/webhooks/<webhook_id>", "retrieve_webhook"),
    Route("PATCH", "/v2/webhooks/<webhook_id>", "update_webhook"),
    Route("DELETE", "/v2/webhooks/<webhook_id>", "delete_webhook"),
    Route("GET", "/v2/events", "list_events"),
    Route("GET", "/v2/events/<event_id>", "retrieve_event"),
    Route("GET", "/labels/<label_id>.png", "download_label"),
)

_FOUND = {200: "OK", 404: "No such tracker"}
CONTROL_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/trackers",
        "list_all_trackers",
        "Every tracker of every account, newest first, with its planned outcome",
        query=(
            QueryParam("status", "Only trackers in this status"),
            QueryParam("limit", "Max trackers (default 100)", {"type": "integer", "minimum": 1}),
        ),
    ),
    Route("GET", "/trackers/<tracker_id>", "get_any_tracker", "One tracker", responses=_FOUND),
    Route(
        "POST",
        "/trackers/<tracker_id>/advance",
        "advance_tracker",
        "Move a tracker to its next status(es) now (webhooks included)",
        body=AdvanceSpec,
        body_required=False,
        responses={200: "OK", 404: "No such tracker", 409: "The tracker has no next status"},
    ),
    Route(
        "POST",
        "/trackers/<tracker_id>/outcome",
        "set_tracker_outcome",
        "Choose how a tracker's journey ends (delivered, return_to_sender, failure)",
        body=OutcomeSpec,
        responses={200: "OK", 404: "No such tracker", 409: "The journey has ended"},
    ),
    Route("GET", "/settings", "get_settings", "Lifecycle delays (simulated seconds)"),
    Route(
        "POST",
        "/settings",
        "update_settings",
        "Change lifecycle delays (in_transit, out_for_delivery, final, refund)",
        body=SettingsSpec,
        responses={200: "OK", 400: "Invalid delays"},
    ),
)


def label_path(label_id: str) -> str:
    """Where a postage label's image is served (``postage_label.label_url``)."""
    return f"/labels/{label_id}.png"


def public_tracking_path(tracker_id: str) -> str:
    """A tracker's ``public_url`` (the simulator's control view of it)."""
    return f"/_sim/logistics/trackers/{tracker_id}"
