"""One payment attempt on a PaymentIntent, and the transitions Stripe makes on its own afterwards.

:meth:`PaymentAttempts.attempt` charges the attached card as its test profile says: 3D Secure first
(``requires_action`` with a ``next_action`` that points at this simulator's 3DS page, or an
``authentication_required`` decline when the customer is off session), a decline (a failed Charge, the intent
back to ``requires_payment_method`` with ``last_payment_error``, a 402 ``card_error`` with the intent
embedded), ``processing`` when cards are made asynchronous (``async_card_confirm``), or success (a Charge,
``succeeded`` or ``requires_capture``; a dispute test card then gets its dispute). :meth:`authenticate`
(3DS completed or failed) and :meth:`settle` (a processing payment answered) are what the bank and the
network do later; the control API calls them. Callers hold ``state.lock``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from simulators.stripe import resources, resources_money
from simulators.stripe.exceptions import CardError, doc_url, unexpected_state
from simulators.stripe.magic import INCREMENTAL_BRANDS, Decline, decline
from simulators.stripe.models import SYSTEM, Ctx, StripeBackend
from simulators.stripe.models_money import Money
from simulators.stripe.models_store import AccountState, ChargeRecord, IntentRecord

AUTHENTICATION_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def view(data: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """The intent as the caller may see it (a publishable key gets Stripe.js's subset)."""
    return resources.publishable_view(data) if ctx.publishable else data


class PaymentAttempts:
    """Charges, 3DS and settlement for PaymentIntents."""

    def __init__(self, backend: StripeBackend, money: Money) -> None:
        self.backend = backend
        self.money = money

    def emit(self, state: AccountState, ctx: Ctx, rec: IntentRecord, type_: str) -> None:
        """Emit a ``payment_intent.*`` event; its snapshot is the intent's final state for this operation
        (nothing changes the intent after it), so the response may reuse it (``rec.fresh_json``)."""
        rec.fresh_json = self.backend.emit(state, ctx, type_, rec.data).object_json

    def attempt(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, *, no_action: bool, authenticated: bool
    ) -> None:
        assert rec.card is not None
        outcome = rec.card.outcome
        if outcome.three_d_secure and not authenticated:
            if no_action:
                self._decline(state, ctx, rec, decline("authentication_required"))
            self._require_action(state, ctx, rec)
            return
        if outcome.decline is not None:
            self._decline(state, ctx, rec, outcome.decline)
        if self.backend.settings.async_card_confirm:
            self._processing(state, ctx, rec)
            return
        charge = self._new_charge(state, rec, "succeeded", authenticated=authenticated)
        self._succeeded(state, ctx, rec, charge)

    def _require_action(self, state: AccountState, ctx: Ctx, rec: IntentRecord) -> None:
        data = rec.data
        url = f"{rec.sim_url}/_sim/stripe/3ds/{data['id']}?client_secret={data['client_secret']}"
        if rec.return_url is not None:
            data["next_action"] = {
                "redirect_to_url": {"return_url": rec.return_url, "url": url},
                "type": "redirect_to_url",
            }
        else:
            data["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "source": self.backend.new_id("src"),
                    "stripe_js": url,
                    "type": "three_d_secure_redirect",
                },
            }
        data["status"] = "requires_action"
        self.emit(state, ctx, rec, "payment_intent.requires_action")

    def _new_charge(
        self,
        state: AccountState,
        rec: IntentRecord,
        status: str,
        *,
        authenticated: bool = False,
        declined: Decline | None = None,
    ) -> ChargeRecord:
        assert rec.card is not None and rec.payment_method is not None
        ch_id = self.backend.new_id("ch")
        captured = status == "succeeded" and rec.data["capture_method"] != "manual"
        incremental = None
        card_options = rec.data["payment_method_options"]["card"]
        if card_options.get("request_incremental_authorization") == "if_available":
            eligible = rec.card.brand in INCREMENTAL_BRANDS and rec.data["capture_method"] == "manual"
            incremental = "available" if eligible else "unavailable"
        data = resources_money.charge(
            ch_id,
            intent=rec.data,
            pm=rec.payment_method,
            card=rec.card,
            created=self.backend.now(),
            status=status,
            captured=captured,
            balance_transaction=self.backend.new_id("txn") if captured else None,
            receipt_url=f"https://pay.stripe.com/receipts/payment/{ch_id}",
            decline=declined,
            three_d_secure=authenticated,
            incremental_authorization=incremental,
        )
        record = ChargeRecord(data, rec.card)
        state.charges.add(ch_id, record)
        rec.charge_ids.append(ch_id)
        rec.data["latest_charge"] = ch_id
        return record

    def _succeeded(self, state: AccountState, ctx: Ctx, rec: IntentRecord, charge: ChargeRecord) -> None:
        data = rec.data
        data["next_action"], data["last_payment_error"], data["processing"] = None, None, None
        self.backend.emit(state, ctx, "charge.succeeded", charge.data)
        if charge.data["captured"]:
            data["status"], data["amount_received"] = "succeeded", charge.data["amount_captured"]
            self.emit(state, ctx, rec, "payment_intent.succeeded")
            self.dispute_if_magic(state, charge)
        else:
            data["status"], data["amount_capturable"] = "requires_capture", data["amount"]
            self.emit(state, ctx, rec, "payment_intent.amount_capturable_updated")

    def dispute_if_magic(self, state: AccountState, charge: ChargeRecord) -> None:
        outcome = charge.card.outcome
        if outcome.dispute_status and outcome.dispute_reason:
            self.money.open_dispute(state, SYSTEM, charge, outcome.dispute_reason, outcome.dispute_status)

    def _decline(self, state: AccountState, ctx: Ctx, rec: IntentRecord, d: Decline) -> NoReturn:
        charge = self._new_charge(state, rec, "failed", declined=d)
        data, pm = rec.data, rec.payment_method
        error = CardError(
            d.message,
            code=d.code,
            decline_code=d.decline_code,
            param=d.param,
            charge=charge.data["id"],
            payment_method=pm,
        )
        data["last_payment_error"] = error.to_dict()
        data["status"], data["payment_method"], data["next_action"], data["processing"] = (
            "requires_payment_method",
            None,
            None,
            None,
        )
        rec.card, rec.payment_method = None, None
        self.backend.emit(state, ctx, "charge.failed", charge.data)
        self.backend.emit(state, ctx, "payment_intent.payment_failed", data)
        error.payment_intent = view(data, ctx)
        raise error

    def _processing(self, state: AccountState, ctx: Ctx, rec: IntentRecord) -> None:
        charge = self._new_charge(state, rec, "pending")
        rec.data["status"], rec.data["processing"] = "processing", {"card": {}, "type": "card"}
        self.backend.emit(state, ctx, "charge.pending", charge.data)
        self.emit(state, ctx, rec, "payment_intent.processing")
        delay = self.backend.settings.processing_settle_s
        if delay is not None:
            account, pi_id = state.account, rec.data["id"]
            self.backend.runtime.timeline.schedule_in(
                delay, lambda: self.settle_later(account, pi_id), name="payment_intent.settle", key=pi_id
            )

    # -- what Stripe does on its own --------------------------------------------------------------------
    def authenticate(self, state: AccountState, rec: IntentRecord, success: bool) -> None:
        """The customer completes (or fails) 3D Secure on the bank's page."""
        data = rec.data
        if data["status"] != "requires_action":
            raise unexpected_state(
                f"This PaymentIntent has a status of {data['status']}; only one in "
                "requires_action awaits authentication.",
                data,
            )
        if success:
            try:
                self.attempt(state, SYSTEM, rec, no_action=False, authenticated=True)
            except CardError:
                pass  # the decline is recorded on the intent; nobody is waiting for the 402
            return
        data["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": doc_url("payment_intent_authentication_failure"),
            "message": AUTHENTICATION_FAILURE,
            "payment_method": rec.payment_method,
            "type": "invalid_request_error",
        }
        data["status"], data["payment_method"], data["next_action"] = "requires_payment_method", None, None
        rec.card, rec.payment_method = None, None
        self.backend.emit(state, SYSTEM, "payment_intent.payment_failed", data)

    def settle(self, state: AccountState, rec: IntentRecord, success: bool, decline_code: str) -> None:
        """A ``processing`` payment succeeds or fails (the network answered)."""
        data = rec.data
        if data["status"] != "processing":
            raise unexpected_state(
                f"This PaymentIntent has a status of {data['status']}; only one in processing can settle.",
                data,
            )
        charge = self.backend.charge(state, data["latest_charge"])
        ch = charge.data
        if success:
            captured = data["capture_method"] != "manual"
            ch["status"], ch["paid"], ch["captured"] = "succeeded", True, captured
            ch["amount_captured"] = ch["amount"] if captured else 0
            ch["balance_transaction"] = self.backend.new_id("txn") if captured else None
            self._succeeded(state, SYSTEM, rec, charge)
            return
        d = decline(decline_code)
        ch["status"], ch["failure_code"], ch["failure_message"] = "failed", d.code, d.message
        ch["outcome"] = {
            **ch["outcome"],
            "network_status": "declined_by_network",
            "reason": d.decline_code,
            "seller_message": d.seller_message,
            "type": "issuer_declined",
        }
        error = CardError(
            d.message,
            code=d.code,
            decline_code=d.decline_code,
            param=d.param,
            charge=ch["id"],
            payment_method=rec.payment_method,
        )
        data["last_payment_error"] = error.to_dict()
        data["status"], data["payment_method"], data["processing"] = "requires_payment_method", None, None
        rec.card, rec.payment_method = None, None
        self.backend.emit(state, SYSTEM, "charge.failed", ch)
        self.backend.emit(state, SYSTEM, "payment_intent.payment_failed", data)

    def settle_later(self, account: str | None, pi_id: str) -> None:
        """Timeline callback for ``processing_settle_s``: settle successfully if still processing."""
        state = self.backend.state(account)
        with state.lock:
            rec = state.intents.get(pi_id)
            if rec is not None and rec.data["status"] == "processing":
                self.settle(state, rec, True, "generic_decline")
