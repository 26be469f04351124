"""The Stripe simulator's own controls, under ``/_sim/stripe/`` (listed in ``/_sim/openapi.json``).

* ``POST /payment_intents/{id}/3ds`` ``{"outcome": "complete"|"fail"}``: the customer passes or fails 3D
  Secure. The same page is where ``next_action.redirect_to_url.url`` (or ``use_stripe_sdk.stripe_js``) points:
  ``GET /3ds/{id}?client_secret=...`` shows it, ``?outcome=complete`` (or the form) acts and redirects to the
  ``return_url`` with ``payment_intent``, ``payment_intent_client_secret`` and ``redirect_status``, as Stripe
  does.
* ``POST /payment_intents/{id}/settle`` ``{"outcome": "succeeded"|"failed", "decline_code"}``: a
``processing``
  payment settles (see ``async_card_confirm`` in ``/config``).
* ``POST /charges/{id}/dispute`` ``{"reason", "amount", "status"}``: the bank opens a dispute on any charge.
* ``POST /disputes/{id}/close`` ``{"outcome": "won"|"lost"}``.
* ``GET /accounts``, ``GET/POST /config``, ``GET /idempotency?account=...``: inspection and settings.

Errors are the kernel's control errors (``{"error": {"code", "message"}}``); a Stripe refusal (wrong status)
is a 409 ``conflict``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulators.kernel.control import json_response, parse_body
from simulators.kernel.errors import BadRequest, Conflict, NotFound
from simulators.stripe.exceptions import StripeError
from simulators.stripe.money import DISPUTE_REASONS
from simulators.stripe.settings import SettingsPatch, StripeSettings
from simulators.stripe.store import AccountState, ChargeRecord, IntentRecord
from simulators.stripe.urls import CONTROL_ROUTES, control_path

if TYPE_CHECKING:
    from simulators.stripe.provider import StripeProvider


class ThreeDSecureSpec(BaseModel):
    """Body of ``POST /_sim/stripe/payment_intents/{id}/3ds``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["complete", "fail"] = "complete"


class SettleSpec(BaseModel):
    """Body of ``POST /_sim/stripe/payment_intents/{id}/settle``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["succeeded", "failed"] = "succeeded"
    decline_code: str = "generic_decline"


class DisputeSpec(BaseModel):
    """Body of ``POST /_sim/stripe/charges/{id}/dispute`` (an inquiry: ``status=warning_needs_response``)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="fraudulent", json_schema_extra={"enum": list(DISPUTE_REASONS)})
    amount: int | None = Field(default=None, ge=1)
    status: Literal["needs_response", "warning_needs_response"] = "needs_response"

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in DISPUTE_REASONS:
            raise ValueError(f"must be one of {', '.join(DISPUTE_REASONS)}")
        return value


class CloseSpec(BaseModel):
    """Body of ``POST /_sim/stripe/disputes/{id}/close``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost"] = "won"


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>3D Secure (simulator)</title></head>
<body><h1>3D Secure 2 test page</h1><p>PaymentIntent <code>{pi}</code>: {amount} {currency}.</p>
<form method="post"><input type="hidden" name="client_secret" value="{secret}">
<button name="outcome" value="complete">Complete authentication</button>
<button name="outcome" value="fail">Fail authentication</button></form></body></html>"""


class StripeControls:
    """Builds the control blueprint for a :class:`~simulators.stripe.provider.StripeProvider`."""

    def __init__(self, provider: StripeProvider) -> None:
        self.p = provider

    # -- lookups ----------------------------------------------------------------------------------------
    def _find(self, object_id: str) -> AccountState:
        state = self.p.backend.find_account_of(object_id)
        if state is None:
            raise NotFound(f"no object {object_id!r} in any account")
        return state

    def _intent(self, pi_id: str) -> tuple[AccountState, IntentRecord]:
        state = self._find(pi_id)
        return state, state.intents[pi_id]

    @staticmethod
    def _stripe(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except StripeError as exc:
            raise Conflict(exc.message) from None

    # -- routes -----------------------------------------------------------------------------------------
    def accounts(self) -> Response:
        data = [
            {"account": acct, "counts": state.counts()} for acct, state in self.p.backend.accounts.items()
        ]
        return json_response({"data": data})

    def config_get(self) -> Response:
        return json_response(self.p.backend.settings.model_dump())

    def config_set(self) -> Response:
        patch = parse_body(SettingsPatch)
        merged = {**self.p.backend.settings.model_dump(), **patch.model_dump(exclude_unset=True)}
        self.p.apply_settings(StripeSettings.model_validate(merged))
        return json_response(self.p.backend.settings.model_dump())

    def three_d_secure(self, intent: str) -> Response:
        spec = parse_body(ThreeDSecureSpec, allow_empty=True)
        state, rec = self._intent(intent)
        with state.lock:
            self._stripe(lambda: self.p.intents.attempts.authenticate(state, rec, spec.outcome == "complete"))
            return json_response(rec.data)

    def settle(self, intent: str) -> Response:
        spec = parse_body(SettleSpec, allow_empty=True)
        state, rec = self._intent(intent)
        with state.lock:
            self._stripe(
                lambda: self.p.intents.attempts.settle(
                    state, rec, spec.outcome == "succeeded", spec.decline_code
                )
            )
            return json_response(rec.data)

    def _page_intent(self, intent: str, secret: str | None) -> tuple[AccountState, IntentRecord]:
        state, rec = self._intent(intent)
        if secret != rec.data["client_secret"]:
            raise BadRequest("client_secret does not match this PaymentIntent")
        return state, rec

    def three_d_secure_page(self, intent: str) -> Response:
        outcome = request.args.get("outcome")
        if outcome:
            return self._complete_page(intent, request.args.get("client_secret"), outcome)
        _, rec = self._page_intent(intent, request.args.get("client_secret"))
        body = _PAGE.format(
            pi=html.escape(intent),
            amount=rec.data["amount"],
            currency=html.escape(rec.data["currency"]),
            secret=html.escape(rec.data["client_secret"]),
        )
        return Response(body, content_type="text/html; charset=utf-8")

    def three_d_secure_submit(self, intent: str) -> Response:
        return self._complete_page(
            intent,
            request.form.get("client_secret") or request.args.get("client_secret"),
            request.form.get("outcome", "complete"),
        )

    def _complete_page(self, intent: str, secret: str | None, outcome: str) -> Response:
        if outcome not in ("complete", "fail"):
            raise BadRequest("outcome must be complete or fail")
        state, rec = self._page_intent(intent, secret)
        with state.lock:
            self._stripe(lambda: self.p.intents.attempts.authenticate(state, rec, outcome == "complete"))
            status, return_url = rec.data["status"], rec.return_url
        redirect_status = (
            "succeeded" if status in ("succeeded", "requires_capture", "processing") else "failed"
        )
        if return_url is None:
            return json_response({"payment_intent": intent, "redirect_status": redirect_status})
        query = urlencode(
            {
                "payment_intent": intent,
                "payment_intent_client_secret": rec.data["client_secret"],
                "redirect_status": redirect_status,
            }
        )
        location = f"{return_url}{'&' if '?' in return_url else '?'}{query}"
        return Response(b"", status=303, headers={"Location": location})

    def open_dispute(self, charge: str) -> Response:
        spec = parse_body(DisputeSpec, allow_empty=True)
        state = self._find(charge)
        record: ChargeRecord = state.charges[charge]
        from simulators.stripe.models import SYSTEM

        with state.lock:
            dispute = self._stripe(
                lambda: self.p.money.open_dispute(
                    state, SYSTEM, record, spec.reason, spec.status, spec.amount
                )
            )
            return json_response(dispute, 201)

    def decide_dispute(self, dispute: str) -> Response:
        spec = parse_body(CloseSpec, allow_empty=True)
        state = self._find(dispute)
        from simulators.stripe.models import SYSTEM

        with state.lock:
            data = state.disputes[dispute]
            self._stripe(lambda: self.p.money.close_dispute(state, SYSTEM, data, spec.outcome))
            return json_response(data)

    def idempotency(self) -> Response:
        account = request.args.get("account") or None
        state = self.p.backend.accounts.get(account)
        if state is None:
            return json_response({"data": []})
        with state.lock:
            data = [r.to_json() for r in reversed(state.idempotency.values())]
        return json_response({"data": data})

    # -- wiring -----------------------------------------------------------------------------------------
    def blueprint(self) -> Blueprint:
        bp = Blueprint("stripe_control", __name__)
        for route in CONTROL_ROUTES:
            bp.add_url_rule(
                route.rule,
                endpoint=route.endpoint,
                view_func=getattr(self, route.endpoint),
                methods=[route.method],
            )
        return bp


_BODIES: dict[str, type[BaseModel]] = {
    "three_d_secure": ThreeDSecureSpec,
    "settle": SettleSpec,
    "open_dispute": DisputeSpec,
    "decide_dispute": CloseSpec,
    "config_set": SettingsPatch,
}


def control_openapi_paths() -> dict[str, Any]:
    """OpenAPI 3.1 path items for every control route (request bodies from the pydantic models)."""
    paths: dict[str, Any] = {}
    for route in CONTROL_ROUTES:
        path = control_path(route)
        item = paths.setdefault(path, {})
        params = [
            {"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path.split("/")
            if name.startswith("{")
        ]
        if params:
            item["parameters"] = params
        op: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"stripe_{route.endpoint}",
            "tags": ["stripe"],
            "responses": {
                "200": {"description": "OK"},
                "404": {"description": "No such object"},
                "409": {"description": "The object is not in a state that allows it"},
            },
        }
        model = _BODIES.get(route.endpoint)
        if model is not None:
            op["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": model.model_json_schema()}},
            }
        if route.endpoint == "idempotency":
            op["parameters"] = [
                {"name": "account", "in": "query", "required": True, "schema": {"type": "string"}}
            ]
        if route.endpoint == "three_d_secure_page":
            op["parameters"] = [
                {"name": n, "in": "query", "required": n == "client_secret", "schema": {"type": "string"}}
                for n in ("client_secret", "outcome")
            ]
            op["responses"]["303"] = {"description": "Redirect to the return_url"}
        item[route.method.lower()] = op
    return paths
