"""A tiny provider used only by the kernel tests: a stateful "widgets" API.

It shows every plugin hook: account from ``Authorization: Bearer wk_<account>``, an account-keyed store,
its own error body, an HMAC signer (``X-Widget-Signature: t=...,v1=...`` over ``"{t}.{body}"``), a retry
schedule, a lifecycle on the simulated clock (``pending`` -> ``ready`` after 5 s, emitting
``widget.ready``), a delivery-outcome hook, and an extra control route under ``/_sim/widgets/``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request

from simulators.kernel import (
    Attempt,
    Delivery,
    ErrorResponse,
    ProviderError,
    SimRequest,
    SimulatorProvider,
    WebhookTarget,
)

READY_AFTER_S = 5.0


class WidgetError(ProviderError):
    """The widgets API's error body: ``{"error": {"type", "message", "status"}}``."""

    def __init__(self, message: str, status: int = 400, type_: str = "invalid_request_error") -> None:
        super().__init__(message, status)
        self.type = type_

    def to_response(self) -> ErrorResponse:
        return ErrorResponse.json(
            {"error": {"type": self.type, "message": self.message, "status": self.status}}
        )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The v1 signature the receiver must recompute."""
    payload = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class WidgetSigner:
    """HMAC-SHA256 signer, a fresh timestamp per attempt."""

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        t = int(timestamp)
        return {"X-Widget-Signature": f"t={t},v1={sign(target.secret or '', t, body)}"}


class WidgetStore:
    """One account's widgets."""

    def __init__(self) -> None:
        self.widgets: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()


class WidgetsProvider(SimulatorProvider):
    """The example provider."""

    name = "widgets"
    description = "Example provider for kernel tests"
    request_id_header = "Request-Id"
    retry_schedule = (10.0, 60.0, 300.0)

    def setup(self) -> None:
        self.stores = self.runtime.backends(lambda account: WidgetStore())
        self.outcomes: list[tuple[str, int, bool]] = []
        self._outcome_lock = threading.Lock()

    def account_for(self, request: SimRequest) -> str | None:
        token = request.bearer_token()
        return token[3:] if token and token.startswith("wk_") else None

    def error_response(self, status: int) -> ErrorResponse:
        type_ = {429: "rate_limit_error", 401: "authentication_error", 404: "invalid_request_error"}.get(
            status, "api_error"
        )
        return ErrorResponse.json({"error": {"type": type_, "message": f"status {status}", "status": status}})

    def signer(self) -> WidgetSigner:
        return WidgetSigner()

    def on_delivery_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        with self._outcome_lock:
            self.outcomes.append((delivery.event_id, attempt.number, attempt.ok))

    # -- model -------------------------------------------------------------------------------------------
    def _emit(self, account: str, event_type: str, widget: dict[str, Any]) -> None:
        event_id = self.runtime.ids.prefixed("evt", 16)
        body = json.dumps({"id": event_id, "type": event_type, "data": dict(widget)}).encode()
        self.runtime.webhooks.publish(account, event_type, body, event_id=event_id)

    def mark_ready(self, account: str, widget_id: str) -> dict[str, Any] | None:
        store = self.stores[account]
        with store.lock:
            widget = store.widgets.get(widget_id)
            if widget is None or widget["status"] == "ready":
                return widget
            widget["status"] = "ready"
        self._emit(account, "widget.ready", widget)
        return widget

    def _ready_later(self, account: str, widget_id: str) -> None:
        self.mark_ready(account, widget_id)

    def _account(self) -> str:
        account = request.environ.get("sim.account")
        if not account:
            raise WidgetError("missing or invalid API key", 401, "authentication_error")
        return str(account)

    def blueprint(self) -> Blueprint:
        bp = Blueprint("widgets", __name__)

        @bp.post("/v1/widgets")
        def create_widget() -> tuple[Response, int]:
            account = self._account()
            data = request.get_json(silent=True)
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                raise WidgetError("name is required")
            widget = {
                "id": self.runtime.ids.prefixed("wgt", 14),
                "name": data["name"],
                "status": "pending",
                "created": int(self.runtime.clock.now()),
            }
            store = self.stores[account]
            with store.lock:
                store.widgets[widget["id"]] = widget
            self._emit(account, "widget.created", widget)
            wid = widget["id"]
            self.runtime.timeline.schedule_in(
                READY_AFTER_S, lambda: self._ready_later(account, wid), name="widget.ready", key=wid
            )
            return Response(json.dumps(widget), content_type="application/json"), 201

        @bp.get("/v1/widgets")
        def list_widgets() -> Response:
            store = self.stores[self._account()]
            with store.lock:
                data = list(store.widgets.values())
            return Response(json.dumps({"data": data}), content_type="application/json")

        @bp.get("/v1/widgets/<widget_id>")
        def get_widget(widget_id: str) -> Response:
            store = self.stores[self._account()]
            widget = store.widgets.get(widget_id)
            if widget is None:
                raise WidgetError(f"no such widget: {widget_id}", 404)
            return Response(json.dumps(widget), content_type="application/json")

        return bp

    def control_blueprint(self) -> Blueprint:
        bp = Blueprint("widgets_control", __name__)

        @bp.post("/accounts/<account>/widgets/<widget_id>/ready")
        def force_ready(account: str, widget_id: str) -> tuple[Response, int]:
            widget = self.mark_ready(account, widget_id)
            if widget is None:
                return Response(
                    json.dumps({"error": {"code": "not_found", "message": "no widget"}}), 404
                ), 404
            return Response(json.dumps(widget), content_type="application/json"), 200

        return bp

    def control_openapi_paths(self) -> dict[str, Any]:
        return {
            "/_sim/widgets/accounts/{account}/widgets/{widget_id}/ready": {
                "parameters": [
                    {"name": "account", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "widget_id", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "post": {"summary": "Make a widget ready now", "responses": {"200": {"description": "OK"}}},
            }
        }
