"""One handler per Stripe operation: read the validated parameters, call the model, return the object.

Handlers run under the account's lock (taken by :mod:`simulators.stripe.api`, which also parses and
validates the request, applies idempotency and renders errors) and hold no state of their own. They return
the Stripe object to serialise (``expand[]`` applied; a publishable key gets its restricted view).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulators.stripe import models_search, resources
from simulators.stripe.exceptions import InvalidRequestError, ResourceMissing
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.models_intents import PaymentIntents, exclusive
from simulators.stripe.models_money import Money
from simulators.stripe.models_store import AccountState, ChargeRecord, IntentRecord
from simulators.stripe.webhooks import WebhookEndpoints


@dataclass(slots=True)
class Call:
    """One API call: who, which account's state, validated ``params``, path ``args``, ``expand`` paths."""

    ctx: Ctx
    state: AccountState
    params: dict[str, Any]
    args: Mapping[str, str] = field(default_factory=dict)
    expand: list[str] = field(default_factory=list)


Handler = Callable[[Call], "dict[str, Any] | str"]


class StripeResponses:
    """The handlers, looked up by operation name (:meth:`handler`)."""

    def __init__(
        self, backend: StripeBackend, intents: PaymentIntents, money: Money, endpoints: WebhookEndpoints
    ) -> None:
        self.backend = backend
        self.intents = intents
        self.money = money
        self.endpoints = endpoints

    # -- helpers ----------------------------------------------------------------------------------------
    def _out(self, call: Call, obj: dict[str, Any]) -> dict[str, Any]:
        return self.backend.expand(call.state, obj, call.expand) if call.expand else obj

    def _intent(self, call: Call) -> IntentRecord:
        rec: IntentRecord = self.backend.get(call.state, call.args["intent"], "pi", "intent")
        rec.fresh_json = None  # only a snapshot taken by *this* operation may be reused
        return rec

    def _intent_out(self, call: Call, rec: IntentRecord) -> dict[str, Any] | str:
        fresh, rec.fresh_json = rec.fresh_json, None
        if fresh is not None and not call.expand and not call.ctx.publishable:
            return fresh  # the last payment_intent.* event of this operation is exactly this response
        return self._out(call, self.intents.view(rec.data, call.ctx))

    def _charge(self, call: Call) -> ChargeRecord:
        return self.backend.charge(call.state, call.args["charge"], "charge")

    def _list(
        self,
        call: Call,
        items: Any,
        url: str,
        kind: str,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        return self._out(call, self.backend.page(call.state, items, call.params, url, kind, keep))

    # -- PaymentIntents ---------------------------------------------------------------------------------
    def create_payment_intent(self, call: Call) -> dict[str, Any] | str:
        return self._intent_out(call, self.intents.create(call.state, call.ctx, call.params))

    def retrieve_payment_intent(self, call: Call) -> dict[str, Any] | str:
        rec = self._intent(call)
        self.intents.check_client_secret(rec, call.params.get("client_secret"), call.ctx)
        return self._intent_out(call, rec)

    def update_payment_intent(self, call: Call) -> dict[str, Any] | str:
        return self._intent_out(
            call, self.intents.update(call.state, call.ctx, self._intent(call), call.params)
        )

    def confirm_payment_intent(self, call: Call) -> dict[str, Any] | str:
        return self._intent_out(
            call, self.intents.confirm(call.state, call.ctx, self._intent(call), call.params)
        )

    def capture_payment_intent(self, call: Call) -> dict[str, Any] | str:
        return self._intent_out(
            call, self.intents.capture(call.state, call.ctx, self._intent(call), call.params)
        )

    def cancel_payment_intent(self, call: Call) -> dict[str, Any] | str:
        return self._intent_out(
            call, self.intents.cancel(call.state, call.ctx, self._intent(call), call.params)
        )

    def increment_authorization(self, call: Call) -> dict[str, Any] | str:
        actions = self.intents.actions
        rec = actions.increment_authorization(call.state, call.ctx, self._intent(call), call.params)
        return self._intent_out(call, rec)

    def apply_customer_balance(self, call: Call) -> dict[str, Any] | str:
        """Always Stripe's state error here: no intent of this simulator awaits a bank transfer."""
        self.intents.actions.apply_customer_balance(self._intent(call), call.ctx)

    def verify_microdeposits(self, call: Call) -> dict[str, Any] | str:
        """Stripe's state error after the client secret check: no intent here awaits microdeposits."""
        rec = self._intent(call)
        self.intents.check_client_secret(rec, call.params.get("client_secret"), call.ctx)
        self.intents.actions.verify_microdeposits(rec, call.ctx)

    def list_payment_intents(self, call: Call) -> dict[str, Any]:
        if call.params.get("customer") is not None:
            return resources.list_object([], "/v1/payment_intents", False)
        items = ((k, r.data) for k, r in call.state.intents.items())
        return self._list(call, items, "/v1/payment_intents", "payment_intent")

    def search_payment_intents(self, call: Call) -> dict[str, Any]:
        """``GET /v1/payment_intents/search`` (:mod:`simulators.stripe.models_search`)."""
        objects = (r.data for _, r in call.state.intents.items())
        return self._out(call, models_search.search(objects, call.params, "/v1/payment_intents/search"))

    # -- PaymentMethods ---------------------------------------------------------------------------------
    def create_payment_method(self, call: Call) -> dict[str, Any]:
        params = call.params
        if params.get("customer") is not None:
            raise ResourceMissing("customer", params["customer"], "customer", status=400)
        if params.get("payment_method") is not None:
            raise InvalidRequestError(
                "Cloning PaymentMethods requires a connected account (Stripe-Account "
                "header); this simulator does not model Connect.",
                param="payment_method",
            )
        rec = self.backend.payment_method_from_data(call.state, params)
        return self._out(call, self.backend.store_payment_method(call.state, rec).data)

    def retrieve_payment_method(self, call: Call) -> dict[str, Any]:
        pm_id = call.args["payment_method"]
        rec = call.state.payment_methods.get(pm_id)
        if rec is None:
            planned = self.backend.plan_payment_method(call.state, pm_id=pm_id, data=None)
            assert planned is not None
            rec = self.backend.store_payment_method(call.state, planned)
        return self._out(call, rec.data)

    # -- Charges ----------------------------------------------------------------------------------------
    def retrieve_charge(self, call: Call) -> dict[str, Any]:
        return self._out(call, self._charge(call).data)

    def update_charge(self, call: Call) -> dict[str, Any]:
        return self._out(
            call, self.money.update_charge(call.state, call.ctx, self._charge(call), call.params)
        )

    def list_charges(self, call: Call) -> dict[str, Any]:
        pi = call.params.get("payment_intent")
        if call.params.get("customer") is not None:
            return resources.list_object([], "/v1/charges", False)
        items = ((k, r.data) for k, r in call.state.charges.items())
        keep = None if pi is None else (lambda d: d["payment_intent"] == pi)
        return self._list(call, items, "/v1/charges", "charge", keep)

    # -- Refunds ----------------------------------------------------------------------------------------
    def create_refund(self, call: Call) -> dict[str, Any]:
        return self._out(call, self.money.refund(call.state, call.ctx, call.params))

    def retrieve_refund(self, call: Call) -> dict[str, Any]:
        refund: dict[str, Any] = self.backend.get(call.state, call.args["refund"], "re", "refund")
        return self._out(call, refund)

    def update_refund(self, call: Call) -> dict[str, Any]:
        refund: dict[str, Any] = self.backend.get(call.state, call.args["refund"], "re", "refund")
        return self._out(call, self.money.update_refund(call.state, call.ctx, refund, call.params))

    def list_refunds(self, call: Call) -> dict[str, Any]:
        ch, pi = call.params.get("charge"), call.params.get("payment_intent")

        def keep(d: dict[str, Any]) -> bool:
            return (ch is None or d["charge"] == ch) and (pi is None or d["payment_intent"] == pi)

        return self._list(call, list(call.state.refunds.items()), "/v1/refunds", "refund", keep)

    # -- Disputes ---------------------------------------------------------------------------------------
    def _dispute(self, call: Call) -> dict[str, Any]:
        dispute: dict[str, Any] = self.backend.get(call.state, call.args["dispute"], "dp", "dispute")
        return dispute

    def retrieve_dispute(self, call: Call) -> dict[str, Any]:
        return self._out(call, self._dispute(call))

    def update_dispute(self, call: Call) -> dict[str, Any]:
        return self._out(
            call, self.money.update_dispute(call.state, call.ctx, self._dispute(call), call.params)
        )

    def close_dispute(self, call: Call) -> dict[str, Any]:
        return self._out(call, self.money.close_dispute(call.state, call.ctx, self._dispute(call), "lost"))

    def list_disputes(self, call: Call) -> dict[str, Any]:
        ch, pi = call.params.get("charge"), call.params.get("payment_intent")

        def keep(d: dict[str, Any]) -> bool:
            return (ch is None or d["charge"] == ch) and (pi is None or d["payment_intent"] == pi)

        return self._list(call, list(call.state.disputes.items()), "/v1/disputes", "dispute", keep)

    # -- Events -----------------------------------------------------------------------------------------
    def retrieve_event(self, call: Call) -> dict[str, Any]:
        event_id = call.args["id"]
        event = call.state.events.get(event_id)
        if event is None:
            raise ResourceMissing("event", event_id, "id")
        return self._out(call, event.to_dict())

    def list_events(self, call: Call) -> dict[str, Any]:
        """``GET /v1/events``: ``type`` (``*`` wildcards), ``types[]`` (up to 20), ``created``,
        ``delivery_success`` (false: some endpoint has not answered 2xx yet), cursors."""
        params = call.params
        type_, types, success = params.get("type"), params.get("types"), params.get("delivery_success")
        if type_ is not None and types is not None:
            raise exclusive("type", "types")
        if types is not None and len(types) > 20:
            raise InvalidRequestError("You may pass at most 20 types.", param="types")
        wanted = set(types) if types is not None else None

        def keep(ev_row: dict[str, Any]) -> bool:
            ev = ev_row["_event"]
            if type_ is not None and not fnmatch.fnmatchcase(ev.type, type_):
                return False
            if wanted is not None and ev.type not in wanted:
                return False
            return success is None or (ev.pending_webhooks == 0) == success

        rows = [(k, {"id": k, "created": ev.created, "_event": ev}) for k, ev in call.state.events.items()]
        page = self.backend.page(call.state, rows, params, "/v1/events", "event", keep)
        page["data"] = [row["_event"].to_dict() for row in page["data"]]
        return self._out(call, page)

    # -- Webhook endpoints ------------------------------------------------------------------------------
    def create_webhook_endpoint(self, call: Call) -> dict[str, Any]:
        return self.endpoints.create(call.ctx.account, call.params)

    def retrieve_webhook_endpoint(self, call: Call) -> dict[str, Any]:
        return self.endpoints.retrieve(call.ctx.account, call.args["webhook_endpoint"])

    def update_webhook_endpoint(self, call: Call) -> dict[str, Any]:
        return self.endpoints.update(call.ctx.account, call.args["webhook_endpoint"], call.params)

    def delete_webhook_endpoint(self, call: Call) -> dict[str, Any]:
        return self.endpoints.delete(call.ctx.account, call.args["webhook_endpoint"])

    def list_webhook_endpoints(self, call: Call) -> dict[str, Any]:
        items = [(d["id"], d) for d in reversed(self.endpoints.list(call.ctx.account))]
        return self.backend.page(call.state, items, call.params, "/v1/webhook_endpoints", "webhook_endpoint")
