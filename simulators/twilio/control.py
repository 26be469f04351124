"""The Twilio simulator's own control routes, mounted under ``/_sim/twilio`` (never faulted or journaled).

=====================================  ===============================================================
``GET/POST /accounts``                 accounts the simulator accepts; POST ``{"account_sid"?,
                                       "auth_token"?, "test": false, "friendly_name"?}`` (generated when
                                       omitted); ``test: true`` models Twilio's test credentials
``DELETE /accounts/{sid}``             forget an account
``GET /messages``                      every message of every account (``account``, ``to``, ``status``,
                                       ``limit`` filters), with the simulator's bookkeeping
``GET /messages/{sid}``                one message
``POST /messages/{sid}/outcome``       ``{"outcome": "delivered"|"undelivered"|"failed", "error_code"?,
                                       "now": false}``: how this message ends; ``now`` runs the rest of
                                       its lifecycle at once (callbacks included)
``GET/POST /numbers``                  per-number outcomes: ``{"number", "outcome", "error_code"?}``
``DELETE /numbers/{number}``           forget one
``GET/POST /settings``                 ``{"delays": {"queued", "sending", "sent", "final"}}`` in
                                       simulated seconds (partial updates merge)
=====================================  ===============================================================
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulators.kernel.control_app import json_response, parse_body
from simulators.kernel.errors import BadRequest, Conflict, NotFound
from simulators.twilio import urls
from simulators.twilio.accounts import Account
from simulators.twilio.magic import DEFAULT_OUTCOME_FOR_CODE, DeliveryPlan, plan_for
from simulators.twilio.models import LifecycleDelays, Message
from simulators.twilio.responses import message_resource

if TYPE_CHECKING:
    from simulators.twilio.provider import TwilioProvider

OutcomeName = Literal["delivered", "undelivered", "failed"]


class AccountSpec(BaseModel):
    """Body of ``POST /_sim/twilio/accounts``."""

    model_config = ConfigDict(extra="forbid")
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: str | None = Field(default=None, min_length=1, max_length=200)
    test: bool = False
    friendly_name: str = Field(default="", max_length=64)


class OutcomeSpec(BaseModel):
    """How a message (or every message to a number) ends."""

    model_config = ConfigDict(extra="forbid")
    outcome: OutcomeName | None = None
    error_code: int | None = Field(default=None, ge=30000, le=39999)
    now: bool = False

    def plan(self) -> DeliveryPlan:
        """The delivery plan; an error code alone implies its usual status."""
        outcome = self.outcome
        if outcome is None:
            if self.error_code is None:
                raise BadRequest("give 'outcome', 'error_code' or both")
            outcome = DEFAULT_OUTCOME_FOR_CODE.get(self.error_code, "undelivered")
        if outcome == "delivered" and self.error_code is not None:
            raise BadRequest("a delivered message has no error_code")
        return plan_for(outcome, self.error_code)


class NumberSpec(OutcomeSpec):
    """Body of ``POST /_sim/twilio/numbers``."""

    number: str = Field(pattern=r"^(whatsapp:)?\+[1-9]\d{1,14}$")


class SettingsSpec(BaseModel):
    """Body of ``POST /_sim/twilio/settings`` (only the given delays change)."""

    model_config = ConfigDict(extra="forbid")
    delays: dict[str, float] = Field(default_factory=dict)


def control_message(message: Message, plan: DeliveryPlan) -> dict[str, Any]:
    """The API resource plus what the simulator knows about the message."""
    return {
        **message_resource(message),
        "sim": {
            "test": message.test,
            "status_callback": message.status_callback,
            "media_urls": message.media_urls,
            "plan": plan.to_json(),
            "history": [{"status": s, "time": t} for s, t in message.history],
        },
    }


def build_control_blueprint(provider: TwilioProvider) -> Blueprint:
    """The routes of the module docstring, bound to ``provider``."""
    bp = Blueprint("twilio_control", __name__)
    backend = provider.backend
    accounts = provider.accounts

    def list_accounts() -> Response:
        return json_response({"data": [a.to_json() for a in accounts.all()]})

    def add_account() -> Response:
        spec = parse_body(AccountSpec, allow_empty=True)
        sid = spec.account_sid or "AC" + provider.runtime.ids.hex(32)
        account = Account(sid, spec.auth_token or secrets.token_hex(16), spec.test, spec.friendly_name)
        return json_response(accounts.add(account).to_json(), 201)

    def remove_account(account_sid: str) -> Response:
        if accounts.remove(account_sid) is None:
            raise NotFound(f"no account {account_sid!r}")
        return json_response({"account_sid": account_sid, "deleted": True})

    def list_all_messages() -> Response:
        account = request.args.get("account")
        to = request.args.get("to")
        status = request.args.get("status")
        try:
            limit = int(request.args.get("limit", "100"))
        except ValueError:
            raise BadRequest("query parameter 'limit' must be an integer") from None
        data = [
            control_message(m, backend.plan_for(m))
            for m in backend.all_messages()
            if (account is None or m.account_sid == account)
            and (to is None or m.to == to)
            and (status is None or m.status == status)
        ]
        return json_response({"data": data[: max(1, limit)]})

    def get_any_message(sid: str) -> Response:
        message = backend.find_message(sid)
        if message is None:
            raise NotFound(f"no message {sid!r}")
        return json_response(control_message(message, backend.plan_for(message)))

    def force_outcome(sid: str) -> Response:
        spec = parse_body(OutcomeSpec)
        plan = spec.plan()
        message = backend.find_message(sid)
        if message is None:
            raise NotFound(f"no message {sid!r}")
        if message.final:
            raise Conflict(f"message {sid} is already {message.status}")
        if message.test:
            raise Conflict("messages of test accounts have no lifecycle")
        backend.force_outcome(sid, plan, now=spec.now)
        return json_response(control_message(message, backend.plan_for(message)))

    def list_numbers() -> Response:
        data = [{"number": n, **p.to_json()} for n, p in backend.number_outcomes().items()]
        return json_response({"data": data})

    def set_number() -> Response:
        spec = parse_body(NumberSpec)
        plan = spec.plan()
        backend.set_number_outcome(spec.number, plan)
        return json_response({"number": spec.number, **plan.to_json()}, 201)

    def remove_number(number: str) -> Response:
        if not backend.remove_number_outcome(number):
            raise NotFound(f"no configured number {number!r}")
        return json_response({"number": number, "deleted": True})

    def get_settings() -> Response:
        return json_response({"delays": backend.delays.model_dump()})

    def update_settings() -> Response:
        spec = parse_body(SettingsSpec)
        try:
            backend.delays = LifecycleDelays(**{**backend.delays.model_dump(), **spec.delays})
        except ValidationError as err:
            raise BadRequest(f"invalid delays: {err.errors(include_url=False)}") from None
        return json_response({"delays": backend.delays.model_dump()})

    views: dict[str, Callable[..., Response]] = {
        "list_accounts": list_accounts,
        "add_account": add_account,
        "remove_account": remove_account,
        "list_all_messages": list_all_messages,
        "get_any_message": get_any_message,
        "force_outcome": force_outcome,
        "list_numbers": list_numbers,
        "set_number": set_number,
        "remove_number": remove_number,
        "get_settings": get_settings,
        "update_settings": update_settings,
    }
    for rule, endpoint, methods in urls.CONTROL_ROUTES:
        bp.add_url_rule(rule, endpoint=endpoint, view_func=views[endpoint], methods=list(methods))
    return bp


def control_openapi_paths() -> dict[str, Any]:
    """OpenAPI path items of the routes above (for ``/_sim/openapi.json``)."""

    def op(summary: str, body: type[BaseModel] | None = None, status: str = "200") -> dict[str, Any]:
        item: dict[str, Any] = {"summary": summary, "responses": {status: {"description": "OK"}}}
        if body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body.model_json_schema()}},
            }
        return item

    def param(name: str) -> list[dict[str, Any]]:
        return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]

    p = urls.CONTROL_PREFIX
    return {
        f"{p}/accounts": {
            "get": op("Accounts the simulator accepts"),
            "post": op("Register an account (test: true = test credentials)", AccountSpec, "201"),
        },
        f"{p}/accounts/{{account_sid}}": {
            "parameters": param("account_sid"),
            "delete": op("Forget an account"),
        },
        f"{p}/messages": {"get": op("Every message, newest first (account, to, status, limit)")},
        f"{p}/messages/{{sid}}": {"parameters": param("sid"), "get": op("One message")},
        f"{p}/messages/{{sid}}/outcome": {
            "parameters": param("sid"),
            "post": op("Force how a message ends (now: run its lifecycle at once)", OutcomeSpec),
        },
        f"{p}/numbers": {
            "get": op("Per-number delivery outcomes"),
            "post": op("Make every message to a number end with an outcome", NumberSpec, "201"),
        },
        f"{p}/numbers/{{number}}": {"parameters": param("number"), "delete": op("Forget a number")},
        f"{p}/settings": {
            "get": op("Lifecycle delays (simulated seconds)"),
            "post": op("Change lifecycle delays", SettingsSpec),
        },
    }
