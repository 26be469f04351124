"""The Stripe simulator's control handlers, mounted under ``/_sim/stripe/`` from ``urls.CONTROL_ROUTES``
(the same rows describe them in ``/_sim/openapi.json``; the bodies are the models of ``validation.py``).

* ``POST /payment_intents/{id}/3ds`` ``{"outcome": "complete"|"fail"}``: the customer passes or fails 3D
  Secure. The same page is where ``next_action.redirect_to_url.url`` (or ``use_stripe_sdk.stripe_js``) points:
  ``GET /3ds/{id}?client_secret=...`` shows it, ``?outcome=complete`` (or the form) acts and redirects to the
  ``return_url`` with ``payment_intent``, ``payment_intent_client_secret`` and ``redirect_status``, as Stripe
  does.
* ``POST /payment_intents/{id}/settle`` ``{"outcome": "succeeded"|"failed", "decline_code"}``: a
  ``processing`` payment settles (see ``async_card_confirm`` in ``/config``).
* ``POST /charges/{id}/dispute`` ``{"reason", "amount", "status"}``: the bank opens a dispute on any charge.
* ``POST /disputes/{id}/close`` ``{"outcome": "won"|"lost"}``.
* ``GET /accounts``, ``GET/POST /config``, ``GET /idempotency?account=...``: inspection and settings.

Errors are the kernel's control errors (``{"error": {"code", "message"}}``); a Stripe refusal (wrong status)
is a 409 ``conflict``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Response, request

from simulators.kernel.control_app import json_response
from simulators.kernel.errors import BadRequest, Conflict, NotFound
from simulators.stripe.exceptions import StripeError
from simulators.stripe.models import SYSTEM
from simulators.stripe.models_store import AccountState, ChargeRecord, IntentRecord
from simulators.stripe.settings import SettingsPatch, StripeSettings
from simulators.stripe.validation import CloseSpec, DisputeSpec, SettleSpec, ThreeDSecureSpec

if TYPE_CHECKING:
    from simulators.stripe.provider import StripeProvider


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>3D Secure (simulator)</title></head>
<body><h1>3D Secure 2 test page</h1><p>PaymentIntent <code>{pi}</code>: {amount} {currency}.</p>
<form method="post"><input type="hidden" name="client_secret" value="{secret}">
<button name="outcome" value="complete">Complete authentication</button>
<button name="outcome" value="fail">Fail authentication</button></form></body></html>"""


class StripeControls:
    """The handlers of ``urls.CONTROL_ROUTES`` (one method per operation) for a
    :class:`~simulators.stripe.provider.StripeProvider`; the kernel mounts them under ``/_sim/stripe``."""

    def __init__(self, provider: StripeProvider) -> None:
        self.provider = provider

    # -- lookups ----------------------------------------------------------------------------------------
    def _find(self, object_id: str) -> AccountState:
        state = self.provider.backend.find_account_of(object_id)
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
            {"account": acct, "counts": state.counts()}
            for acct, state in self.provider.backend.accounts.items()
        ]
        return json_response({"data": data})

    def config_get(self) -> Response:
        return json_response(self.provider.backend.settings.model_dump())

    def config_set(self, body: SettingsPatch) -> Response:
        merged = {**self.provider.backend.settings.model_dump(), **body.model_dump(exclude_unset=True)}
        self.provider.apply_settings(StripeSettings.model_validate(merged))
        return json_response(self.provider.backend.settings.model_dump())

    def three_d_secure(self, intent: str, body: ThreeDSecureSpec) -> Response:
        state, rec = self._intent(intent)
        with state.lock:
            self._stripe(
                lambda: self.provider.intents.attempts.authenticate(state, rec, body.outcome == "complete")
            )
            return json_response(rec.data)

    def settle(self, intent: str, body: SettleSpec) -> Response:
        state, rec = self._intent(intent)
        with state.lock:
            self._stripe(
                lambda: self.provider.intents.attempts.settle(
                    state, rec, body.outcome == "succeeded", body.decline_code
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
            self._stripe(
                lambda: self.provider.intents.attempts.authenticate(state, rec, outcome == "complete")
            )
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

    def open_dispute(self, charge: str, body: DisputeSpec) -> Response:
        state = self._find(charge)
        record: ChargeRecord = state.charges[charge]
        with state.lock:
            dispute = self._stripe(
                lambda: self.provider.money.open_dispute(
                    state, SYSTEM, record, body.reason, body.status, body.amount
                )
            )
            return json_response(dispute, 201)

    def decide_dispute(self, dispute: str, body: CloseSpec) -> Response:
        state = self._find(dispute)
        with state.lock:
            data = state.disputes[dispute]
            self._stripe(lambda: self.provider.money.close_dispute(state, SYSTEM, data, body.outcome))
            return json_response(data)

    def idempotency(self) -> Response:
        account = request.args.get("account") or None
        state = self.provider.backend.accounts.get(account)
        if state is None:
            return json_response({"data": []})
        with state.lock:
            data = [r.to_json() for r in reversed(state.idempotency.values())]
        return json_response({"data": data})
