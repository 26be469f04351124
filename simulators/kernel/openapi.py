"""OpenAPI 3.1 description of the control API, served at ``GET /_sim/openapi.json``.

The paths come from the route tables that mount the routes (:data:`simulators.kernel.urls.CONTROL_ROUTES`
and the provider's ``control_routes``, through :meth:`SimulatorProvider.control_openapi_paths`), and the
request bodies from the pydantic models the kernel validates them with, so the document cannot drift from
what is served. The response schemas below are described by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from simulators.kernel import urls
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.routing import SCHEMA_REF, body_models, openapi_paths
from simulators.kernel.routing import ref as _ref

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


def control_openapi(provider: SimulatorProvider) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``provider``'s simulator control API."""
    models: list[type[BaseModel]] = body_models((*urls.CONTROL_ROUTES, *provider.control_routes))
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=SCHEMA_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas.update(_RESPONSE_SCHEMAS)
    paths = openapi_paths(urls.PREFIX, urls.CONTROL_ROUTES, "sim")
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
