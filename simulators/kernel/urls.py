"""The kernel's own control routes under ``/_sim`` (the only place with their paths).

One row per route: the kernel mounts each on the control app with the handler of the same name
(:class:`~simulators.kernel.control.KernelControls`) and describes it in ``/_sim/openapi.json`` from the
same row (:mod:`simulators.kernel.openapi`), so the document cannot drift from what is served. A
provider's own control routes (its ``urls.CONTROL_ROUTES``) are mounted under ``/_sim/<provider>`` the
same way.
"""

from __future__ import annotations

from simulators.kernel.control import ClockSpec, ResetSpec
from simulators.kernel.control_webhooks import EventSpec
from simulators.kernel.faults import FaultRuleSpec
from simulators.kernel.routing import QueryParam, Reply, Route, list_of, ref
from simulators.kernel.webhooks import ChaosSettings, EndpointSpec

PREFIX = "/_sim"

OK = Reply("OK", {"type": "object"})
BAD = Reply("Invalid request body or query", ref("Error"))
MISSING = Reply("Not found", ref("Error"))
LIMIT = {"type": "integer", "minimum": 1}

CONTROL_ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "health", "Liveness and configuration", responses={200: OK}),
    Route("GET", "/openapi.json", "openapi", "This document", responses={200: OK}),
    Route(
        "POST",
        "/reset",
        "reset",
        "Forget all state (endpoints kept unless keep_endpoints is false); reseed ids",
        body=ResetSpec,
        body_required=False,
        responses={200: OK, 400: BAD},
    ),
    # -- journal -----------------------------------------------------------------------------------------
    Route(
        "GET",
        "/journal",
        "journal",
        "Recent requests, newest first (secrets masked)",
        query=(
            QueryParam("method", "HTTP method"),
            QueryParam("path", "Exact path or glob"),
            QueryParam("status", "503, 5xx or reset"),
            QueryParam("account", "Account label"),
            QueryParam("operation", "Operation name or glob"),
            QueryParam("fault", "true: only faulted requests", {"type": "boolean"}),
            QueryParam("limit", "Max entries (default 100)", LIMIT),
        ),
        responses={200: Reply("OK", list_of("JournalEntry")), 400: BAD},
    ),
    Route("DELETE", "/journal", "journal_clear", "Clear the journal", responses={200: OK}),
    Route(
        "GET",
        "/metrics",
        "metrics",
        "Prometheus text format: sim_requests_total{method,operation,status,fault} since start",
        responses={200: Reply("Prometheus exposition format (text/plain; version=0.0.4)")},
    ),
    # -- faults ------------------------------------------------------------------------------------------
    Route(
        "POST",
        "/faults",
        "fault_create",
        "Create a fault rule",
        body=FaultRuleSpec,
        responses={201: Reply("Created", ref("FaultRule")), 400: BAD},
    ),
    Route(
        "GET",
        "/faults",
        "fault_list",
        "List rules with fired counts",
        responses={200: Reply("OK", list_of("FaultRule"))},
    ),
    Route("DELETE", "/faults", "fault_clear", "Remove every rule", responses={200: OK}),
    Route(
        "GET",
        "/faults/<rule_id>",
        "fault_get",
        "One rule",
        responses={200: Reply("OK", ref("FaultRule")), 404: MISSING},
    ),
    Route(
        "DELETE", "/faults/<rule_id>", "fault_delete", "Remove one rule", responses={200: OK, 404: MISSING}
    ),
    # -- clock -------------------------------------------------------------------------------------------
    Route(
        "GET", "/clock", "clock_get", "Read the simulated clock", responses={200: Reply("OK", ref("Clock"))}
    ),
    Route(
        "POST",
        "/clock",
        "clock_advance",
        "Advance the clock; due retries and transitions fire at once",
        body=ClockSpec,
        responses={200: Reply("OK", ref("Clock")), 400: BAD},
    ),
    Route(
        "GET", "/transitions", "transitions", "Pending scheduled transitions and retries", responses={200: OK}
    ),
    # -- webhooks ----------------------------------------------------------------------------------------
    Route("GET", "/webhooks", "webhooks_index", "Webhook summary", responses={200: OK}),
    Route(
        "GET",
        "/webhooks/endpoints",
        "endpoints_list",
        "Registered endpoints",
        query=(QueryParam("account", "Only this account"),),
        responses={200: Reply("OK", list_of("Endpoint"))},
    ),
    Route(
        "POST",
        "/webhooks/endpoints",
        "endpoints_create",
        "Register an endpoint (returns its secret)",
        body=EndpointSpec,
        responses={201: Reply("Created", ref("Endpoint")), 400: BAD},
    ),
    Route(
        "GET",
        "/webhooks/endpoints/<endpoint_id>",
        "endpoints_get",
        "One endpoint",
        responses={200: Reply("OK", ref("Endpoint")), 404: MISSING},
    ),
    Route(
        "DELETE",
        "/webhooks/endpoints/<endpoint_id>",
        "endpoints_delete",
        "Unregister",
        responses={200: OK, 404: MISSING},
    ),
    Route(
        "GET",
        "/webhooks/deliveries",
        "deliveries_list",
        "Deliveries with every attempt, newest first",
        query=(
            QueryParam("account", "Only this account"),
            QueryParam("event_id", "Event id"),
            QueryParam("event_type", "Event type"),
            QueryParam("status", "pending, succeeded, failed or cancelled"),
            QueryParam("endpoint_id", "Endpoint id"),
            QueryParam("limit", "Max deliveries (default 100)", LIMIT),
        ),
        responses={200: Reply("OK", list_of("Delivery")), 400: BAD},
    ),
    Route(
        "GET",
        "/webhooks/deliveries/<delivery_id>",
        "deliveries_get",
        "One delivery",
        responses={200: Reply("OK", ref("Delivery")), 404: MISSING},
    ),
    Route(
        "POST",
        "/webhooks/deliveries/<delivery_id>/redeliver",
        "deliveries_redeliver",
        "Send again now (a manual attempt)",
        responses={202: Reply("Accepted", ref("Delivery")), 404: MISSING},
    ),
    Route(
        "POST",
        "/webhooks/events",
        "events_publish",
        "Publish a raw test event through the provider's signer",
        body=EventSpec,
        responses={202: Reply("Accepted", list_of("Delivery")), 400: BAD},
    ),
    Route(
        "GET",
        "/webhooks/chaos",
        "chaos_get",
        "Chaos settings",
        responses={200: Reply("OK", ref("ChaosSettings"))},
    ),
    Route(
        "POST",
        "/webhooks/chaos",
        "chaos_set",
        "Inject duplicate and out-of-order deliveries",
        body=ChaosSettings,
        responses={200: Reply("OK", ref("ChaosSettings")), 400: BAD},
    ),
    Route(
        "DELETE",
        "/webhooks/chaos",
        "chaos_clear",
        "Turn chaos off",
        responses={200: Reply("OK", ref("ChaosSettings"))},
    ),
)
