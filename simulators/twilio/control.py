"""The Twilio simulator's control handlers, mounted by the kernel under ``/_sim/twilio`` from
``urls.CONTROL_ROUTES`` (never faulted or journaled; bodies are the models of ``validation.py``).

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
from typing import TYPE_CHECKING, Any

from flask import Response, request
from pydantic import ValidationError

from simulators.kernel.control_app import json_response
from simulators.kernel.errors import BadRequest, Conflict, NotFound
from simulators.twilio.auth import Account
from simulators.twilio.magic import DeliveryPlan
from simulators.twilio.models import LifecycleDelays, Message
from simulators.twilio.resources import message_resource
from simulators.twilio.validation import AccountSpec, NumberSpec, OutcomeSpec, SettingsSpec

if TYPE_CHECKING:
    from simulators.twilio.provider import TwilioProvider


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


class TwilioControls:
    """One method per route of ``urls.CONTROL_ROUTES``, bound to a provider."""

    def __init__(self, provider: TwilioProvider) -> None:
        self.provider = provider
        self.backend = provider.backend
        self.accounts = provider.accounts

    def list_accounts(self) -> Response:
        return json_response({"data": [a.to_json() for a in self.accounts.all()]})

    def add_account(self, body: AccountSpec) -> Response:
        sid = body.account_sid or "AC" + self.provider.runtime.ids.hex(32)
        account = Account(sid, body.auth_token or secrets.token_hex(16), body.test, body.friendly_name)
        return json_response(self.accounts.add(account).to_json(), 201)

    def remove_account(self, account_sid: str) -> Response:
        if self.accounts.remove(account_sid) is None:
            raise NotFound(f"no account {account_sid!r}")
        return json_response({"account_sid": account_sid, "deleted": True})

    def list_all_messages(self) -> Response:
        account = request.args.get("account")
        to = request.args.get("to")
        status = request.args.get("status")
        try:
            limit = int(request.args.get("limit", "100"))
        except ValueError:
            raise BadRequest("query parameter 'limit' must be an integer") from None
        data = [
            control_message(m, self.backend.plan_for(m))
            for m in self.backend.all_messages()
            if (account is None or m.account_sid == account)
            and (to is None or m.to == to)
            and (status is None or m.status == status)
        ]
        return json_response({"data": data[: max(1, limit)]})

    def get_any_message(self, sid: str) -> Response:
        message = self.backend.find_message(sid)
        if message is None:
            raise NotFound(f"no message {sid!r}")
        return json_response(control_message(message, self.backend.plan_for(message)))

    def force_outcome(self, sid: str, body: OutcomeSpec) -> Response:
        plan = body.plan()
        message = self.backend.find_message(sid)
        if message is None:
            raise NotFound(f"no message {sid!r}")
        if message.final:
            raise Conflict(f"message {sid} is already {message.status}")
        if message.test:
            raise Conflict("messages of test accounts have no lifecycle")
        self.backend.force_outcome(sid, plan, now=body.now)
        return json_response(control_message(message, self.backend.plan_for(message)))

    def list_numbers(self) -> Response:
        data = [{"number": n, **p.to_json()} for n, p in self.backend.number_outcomes().items()]
        return json_response({"data": data})

    def set_number(self, body: NumberSpec) -> Response:
        plan = body.plan()
        self.backend.set_number_outcome(body.number, plan)
        return json_response({"number": body.number, **plan.to_json()}, 201)

    def remove_number(self, number: str) -> Response:
        if not self.backend.remove_number_outcome(number):
            raise NotFound(f"no configured number {number!r}")
        return json_response({"number": number, "deleted": True})

    def get_settings(self) -> Response:
        return json_response({"delays": self.backend.delays.model_dump()})

    def update_settings(self, body: SettingsSpec) -> Response:
        try:
            self.backend.delays = LifecycleDelays(**{**self.backend.delays.model_dump(), **body.delays})
        except ValidationError as err:
            raise BadRequest(f"invalid delays: {err.errors(include_url=False)}") from None
        return json_response({"delays": self.backend.delays.model_dump()})
