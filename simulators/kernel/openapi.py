"""OpenAPI 3.1 description of the control API, served at ``GET /_sim/openapi.json``.

Request bodies come from the same pydantic models that validate them, so the document cannot drift
from the behaviour; responses are described by hand. A provider's extra control routes are merged in
from :meth:`SimulatorProvider.control_openapi_paths`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from simulators.kernel.control import ClockSpec, ResetSpec
from simulators.kernel.control_webhooks import EventSpec
from simulators.kernel.faults import FaultRuleSpec
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.webhooks import ChaosSettings, EndpointSpec

_REF = "#/components/schemas/{model}"
_MODELS: tuple[type[BaseModel], ...] = (
    FaultRuleSpec,
    ChaosSettings,
    EndpointSpec,
    ResetSpec,
    ClockSpec,
    EventSpec,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(name: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(name)}}}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": _ref(name)}},
    }


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _p(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_ERRORS = {
    "400": _json(_ref("Error"), "Invalid request body or query"),
    "404": _json(_ref("Error"), "Not found"),
}

_RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
    },
    "Clock": {
        "type": "object",
        "required": ["now", "offset"],
        "properties": {
            "now": {"type": "number", "description": "Simulated epoch seconds"},
            "offset": {"type": "number", "description": "Seconds added by advances"},
            "advanced": {"type": "number"},
            "idle": {"type": "boolean", "description": "With wait: due work finished in time"},
        },
    },
    "FaultRule": {
        "type": "object",
        "required": ["id", "match", "action", "fired", "active"],
        "properties": {
            "id": {"type": "string", "examples": ["flt_1"]},
            "match": {"type": "object"},
            "action": {"type": "object"},
            "times": {"type": "integer"},
            "remaining": {"type": ["integer", "null"]},
            "probability": {"type": "number"},
            "seed": {"type": "integer"},
            "effective_seed": {"type": ["integer", "null"]},
            "window": {"type": "object"},
            "fired": {"type": "integer"},
            "active": {"type": "boolean"},
            "created": {"type": "number"},
        },
    },
    "JournalEntry": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "time": {"type": "number"},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "string"},
            "body_encoding": {"enum": ["utf-8", "hex"]},
            "body_size": {"type": "integer"},
            "body_truncated": {"type": "boolean"},
            "status": {"type": ["integer", "null"], "description": "null when the connection was dropped"},
            "duration_ms": {"type": "number"},
            "account": {"type": ["string", "null"]},
            "operation": {"type": ["string", "null"]},
            "request_id": {"type": ["string", "null"]},
            "fault_ids": {"type": "array", "items": {"type": "string"}},
            "fault_action": {"type": ["string", "null"]},
        },
    },
    "Endpoint": {
        "type": "object",
        "required": ["id", "url", "events"],
        "properties": {
            "id": {"type": "string"},
            "account": {"type": ["string", "null"]},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "secret": {"type": ["string", "null"]},
            "enabled": {"type": "boolean"},
            "created": {"type": "number"},
            "metadata": {"type": "object"},
        },
    },
    "Attempt": {
        "type": "object",
        "properties": {
            "number": {"type": "integer"},
            "time": {"type": "number"},
            "status_code": {"type": ["integer", "null"]},
            "latency_ms": {"type": ["number", "null"]},
            "error": {"type": ["string", "null"]},
            "manual": {"type": "boolean"},
            "ok": {"type": "boolean"},
            "request_headers": {"type": "object"},
            "response_body": {"type": ["string", "null"]},
        },
    },
    "Delivery": {
        "type": "object",
        "required": ["id", "event_id", "event_type", "status", "attempts"],
        "properties": {
            "id": {"type": "string"},
            "account": {"type": ["string", "null"]},
            "endpoint_id": {"type": ["string", "null"]},
            "url": {"type": "string"},
            "event_id": {"type": "string"},
            "event_type": {"type": "string"},
            "content_type": {"type": "string"},
            "body": {"type": "string"},
            "status": {"enum": ["pending", "succeeded", "failed", "cancelled"]},
            "attempt_count": {"type": "integer"},
            "attempts": {"type": "array", "items": _ref("Attempt")},
            "next_attempt_at": {"type": ["number", "null"]},
            "created": {"type": "number"},
            "completed_at": {"type": ["number", "null"]},
            "duplicate_of": {"type": ["string", "null"]},
            "held": {"type": "boolean"},
            "metadata": {"type": "object"},
        },
    },
}


def _paths() -> dict[str, Any]:
    ok_obj = _json({"type": "object"})
    return {
        "/_sim/health": {"get": {"summary": "Liveness and configuration", "responses": {"200": ok_obj}}},
        "/_sim/openapi.json": {"get": {"summary": "This document", "responses": {"200": ok_obj}}},
        "/_sim/reset": {
            "post": {
                "summary": "Forget all state (endpoints kept unless keep_endpoints is false); reseed ids",
                "requestBody": _body("ResetSpec", required=False),
                "responses": {"200": ok_obj, "400": _ERRORS["400"]},
            }
        },
        "/_sim/journal": {
            "get": {
                "summary": "Recent requests, newest first (secrets masked)",
                "parameters": [
                    _q("method", "HTTP method"),
                    _q("path", "Exact path or glob"),
                    _q("status", "503, 5xx or reset"),
                    _q("account", "Account label"),
                    _q("operation", "Operation name or glob"),
                    _q("fault", "true: only faulted requests", {"type": "boolean"}),
                    _q("limit", "Max entries (default 100)", {"type": "integer", "minimum": 1}),
                ],
                "responses": {"200": _json(_list_of("JournalEntry")), "400": _ERRORS["400"]},
            },
            "delete": {"summary": "Clear the journal", "responses": {"200": ok_obj}},
        },
        "/_sim/faults": {
            "post": {
                "summary": "Create a fault rule",
                "requestBody": _body("FaultRuleSpec"),
                "responses": {"201": _json(_ref("FaultRule"), "Created"), "400": _ERRORS["400"]},
            },
            "get": {
                "summary": "List rules with fired counts",
                "responses": {"200": _json(_list_of("FaultRule"))},
            },
            "delete": {"summary": "Remove every rule", "responses": {"200": ok_obj}},
        },
        "/_sim/faults/{rule_id}": {
            "parameters": [_p("rule_id")],
            "get": {
                "summary": "One rule",
                "responses": {"200": _json(_ref("FaultRule")), "404": _ERRORS["404"]},
            },
            "delete": {"summary": "Remove one rule", "responses": {"200": ok_obj, "404": _ERRORS["404"]}},
        },
        "/_sim/clock": {
            "get": {"summary": "Read the simulated clock", "responses": {"200": _json(_ref("Clock"))}},
            "post": {
                "summary": "Advance the clock; due retries and transitions fire at once",
                "requestBody": _body("ClockSpec"),
                "responses": {"200": _json(_ref("Clock")), "400": _ERRORS["400"]},
            },
        },
        "/_sim/transitions": {
            "get": {"summary": "Pending scheduled transitions and retries", "responses": {"200": ok_obj}}
        },
        "/_sim/webhooks": {"get": {"summary": "Webhook summary", "responses": {"200": ok_obj}}},
        "/_sim/webhooks/endpoints": {
            "get": {
                "summary": "Registered endpoints",
                "parameters": [_q("account", "Only this account")],
                "responses": {"200": _json(_list_of("Endpoint"))},
            },
            "post": {
                "summary": "Register an endpoint (returns its secret)",
                "requestBody": _body("EndpointSpec"),
                "responses": {"201": _json(_ref("Endpoint"), "Created"), "400": _ERRORS["400"]},
            },
        },
        "/_sim/webhooks/endpoints/{endpoint_id}": {
            "parameters": [_p("endpoint_id")],
            "get": {
                "summary": "One endpoint",
                "responses": {"200": _json(_ref("Endpoint")), "404": _ERRORS["404"]},
            },
            "delete": {"summary": "Unregister", "responses": {"200": ok_obj, "404": _ERRORS["404"]}},
        },
        "/_sim/webhooks/deliveries": {
            "get": {
                "summary": "Deliveries with every attempt, newest first",
                "parameters": [
                    _q("account", "Only this account"),
                    _q("event_id", "Event id"),
                    _q("event_type", "Event type"),
                    _q("status", "pending, succeeded, failed or cancelled"),
                    _q("endpoint_id", "Endpoint id"),
                    _q("limit", "Max deliveries (default 100)", {"type": "integer", "minimum": 1}),
                ],
                "responses": {"200": _json(_list_of("Delivery")), "400": _ERRORS["400"]},
            }
        },
        "/_sim/webhooks/deliveries/{delivery_id}": {
            "parameters": [_p("delivery_id")],
            "get": {
                "summary": "One delivery",
                "responses": {"200": _json(_ref("Delivery")), "404": _ERRORS["404"]},
            },
        },
        "/_sim/webhooks/deliveries/{delivery_id}/redeliver": {
            "parameters": [_p("delivery_id")],
            "post": {
                "summary": "Send again now (a manual attempt)",
                "responses": {"202": _json(_ref("Delivery"), "Accepted"), "404": _ERRORS["404"]},
            },
        },
        "/_sim/webhooks/events": {
            "post": {
                "summary": "Publish a raw test event through the provider's signer",
                "requestBody": _body("EventSpec"),
                "responses": {"202": _json(_list_of("Delivery"), "Accepted"), "400": _ERRORS["400"]},
            }
        },
        "/_sim/webhooks/chaos": {
            "get": {"summary": "Chaos settings", "responses": {"200": _json(_ref("ChaosSettings"))}},
            "post": {
                "summary": "Inject duplicate and out-of-order deliveries",
                "requestBody": _body("ChaosSettings"),
                "responses": {"200": _json(_ref("ChaosSettings")), "400": _ERRORS["400"]},
            },
            "delete": {"summary": "Turn chaos off", "responses": {"200": _json(_ref("ChaosSettings"))}},
        },
    }


def control_openapi(provider: SimulatorProvider) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``provider``'s simulator control API."""
    _, defs = models_json_schema([(m, "validation") for m in _MODELS], ref_template=_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas.update(_RESPONSE_SCHEMAS)
    paths = _paths()
    paths.update(provider.control_openapi_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{provider.name} simulator control API",
            "version": "1.0.0",
            "description": "Kernel control API shared by every simulator: reset, journal, faults, clock, "
            'webhooks. Errors are {"error": {"code", "message", "details"}}.',
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
