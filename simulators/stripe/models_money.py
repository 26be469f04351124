"""Refunds, disputes and charge updates: what happens to money after a charge succeeded.

* Refunds (``POST /v1/refunds``, full or partial, by ``charge`` or ``payment_intent``) update the charge's
  ``amount_refunded`` / ``refunded`` and emit ``refund.created`` then ``charge.refunded`` (with
  ``previous_attributes``). Stripe's refusals: ``charge_already_refunded``, ``charge_disputed``, an amount
  over what is left.
* Disputes open on a charge made with a dispute test card (``pm_card_createDispute``...), or through
  ``POST /_sim/stripe/charges/{id}/dispute``: ``charge.dispute.created`` (plus
  ``charge.dispute.funds_withdrawn``
  for a chargeback, which debits amount + 15.00 fee). ``POST /v1/disputes/{id}`` updates evidence
  (``charge.dispute.updated``), ``/close`` accepts it (``charge.dispute.closed``).
* Releasing an uncaptured amount (cancel, partial capture) records a Refund without events, as Stripe did
  before API 2025-03-31.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.stripe import resources, resources_money
from simulators.stripe.exceptions import InvalidRequestError, ResourceMissing
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.models_currency import fmt
from simulators.stripe.models_store import AccountState, ChargeRecord
from simulators.stripe.resources_money import DISPUTE_REASONS

DISPUTE_FEE = 1500
CLOSED_DISPUTE = ("won", "lost", "warning_closed")


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``previous_attributes``: the old values of the top-level fields that changed."""
    return {k: v for k, v in before.items() if after.get(k) != v}


def snapshot(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy deep enough for :func:`changed` (nested dicts copied one level)."""
    return {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}


class Money:
    """Refund, dispute and charge operations (callers hold ``state.lock``)."""

    def __init__(self, backend: StripeBackend) -> None:
        self.backend = backend

    # -- refunds ----------------------------------------------------------------------------------------
    def refund(self, state: AccountState, ctx: Ctx, params: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/refunds``."""
        ch_id, pi_id = params.get("charge"), params.get("payment_intent")
        if ch_id is None and pi_id is None:
            raise InvalidRequestError(
                "One of the following params should be provided for this request: payment_intent or charge."
            )
        if pi_id is not None:
            intent = self.backend.get(state, pi_id, "pi", "payment_intent", 400).data
            latest = intent["latest_charge"]
            if intent["status"] != "succeeded" or latest is None:
                raise InvalidRequestError(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            if ch_id is not None and ch_id != latest:
                raise InvalidRequestError(
                    f"Charge {ch_id} does not belong to PaymentIntent {pi_id}.", param="charge"
                )
            ch_id = latest
        assert ch_id is not None
        charge = self.backend.charge(state, ch_id, "charge", 400)
        ch = charge.data
        if ch["status"] != "succeeded" or not ch["captured"]:
            raise InvalidRequestError(
                f"Charge {ch_id} has not been captured; cancel its PaymentIntent to release the funds.",
                param="charge",
            )
        dispute = state.disputes.get(charge.dispute_id) if charge.dispute_id else None
        if dispute is not None and not dispute["is_charge_refundable"]:
            raise InvalidRequestError(
                f"Charge {ch_id} has been charged back; cannot issue a refund.",
                code="charge_disputed",
                param="charge",
            )
        remaining = ch["amount"] - ch["amount_refunded"]
        if remaining <= 0:
            raise InvalidRequestError(
                f"Charge {ch_id} has already been refunded.", code="charge_already_refunded", param="charge"
            )
        amount = params.get("amount", remaining)
        if amount < 1:
            raise InvalidRequestError("Invalid positive integer", param="amount")
        if amount > remaining:
            raise InvalidRequestError(
                f"Refund amount ({fmt(amount, ch['currency'])}) is greater than unrefunded amount on charge "
                f"({fmt(remaining, ch['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        if params.get("currency") is not None and params["currency"].lower() != ch["currency"]:
            raise InvalidRequestError(
                f"The currency of the refund must match the currency of the charge ({ch['currency']}).",
                param="currency",
            )
        # -- commit
        before = snapshot(ch)
        refund = self._record_refund(state, charge, amount, params.get("reason"), params.get("metadata"))
        self.backend.emit(state, ctx, "refund.created", refund)
        self.backend.emit(state, ctx, "charge.refunded", ch, changed(before, ch))
        return refund

    def _record_refund(
        self,
        state: AccountState,
        charge: ChargeRecord,
        amount: int,
        reason: str | None,
        metadata: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        ch = charge.data
        refund = resources_money.refund(
            self.backend.new_id("re"),
            charge_data=ch,
            amount=amount,
            created=self.backend.now(),
            balance_transaction=self.backend.new_id("txn"),
            reason=reason,
            metadata=metadata,
        )
        state.refunds.add(refund["id"], refund)
        charge.refund_ids.append(refund["id"])
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
        return refund

    def release(self, state: AccountState, charge: ChargeRecord, amount: int) -> None:
        """Give back an uncaptured ``amount`` (cancel of an authorisation, rest of a partial capture)."""
        self._record_refund(state, charge, amount, None, None)

    def update_refund(
        self, state: AccountState, ctx: Ctx, refund: dict[str, Any], params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST /v1/refunds/{id}`` (metadata): ``charge.refund.updated`` with ``previous_attributes``."""
        before = snapshot(refund)
        merge_metadata(refund, params.get("metadata"))
        if before != refund:
            self.backend.emit(state, ctx, "charge.refund.updated", refund, changed(before, refund))
        return refund

    # -- charges ----------------------------------------------------------------------------------------
    def update_charge(
        self, state: AccountState, ctx: Ctx, charge: ChargeRecord, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST /v1/charges/{id}``: ``charge.updated`` with ``previous_attributes``."""
        if params.get("customer") is not None:
            raise ResourceMissing("customer", params["customer"], "customer", status=400)
        ch = charge.data
        before = snapshot(ch)
        for key in ("description", "receipt_email", "transfer_group"):
            if key in params:
                ch[key] = params[key]
        if "shipping" in params:
            ch["shipping"] = resources.shipping(params["shipping"])
        if isinstance(params.get("fraud_details"), dict):
            ch["fraud_details"] = {**ch["fraud_details"], **params["fraud_details"]}
        merge_metadata(ch, params.get("metadata"))
        if before != ch:
            self.backend.emit(state, ctx, "charge.updated", ch, changed(before, ch))
        return ch

    # -- disputes ---------------------------------------------------------------------------------------
    def open_dispute(
        self,
        state: AccountState,
        ctx: Ctx,
        charge: ChargeRecord,
        reason: str,
        status: str,
        amount: int | None = None,
    ) -> dict[str, Any]:
        """The cardholder's bank disputes ``charge`` (an inquiry when ``status`` starts with ``warning_``)."""
        ch = charge.data
        if ch["status"] != "succeeded":
            raise InvalidRequestError(
                f"Charge {ch['id']} has status {ch['status']}; only a succeeded charge can be disputed."
            )
        if charge.dispute_id is not None:
            raise InvalidRequestError(f"Charge {ch['id']} is already disputed ({charge.dispute_id}).")
        if reason not in DISPUTE_REASONS:
            raise InvalidRequestError(
                f"Invalid reason: must be one of {', '.join(DISPUTE_REASONS)}", param="reason"
            )
        amount = ch["amount_captured"] if amount is None else amount
        if not 1 <= amount <= ch["amount"]:
            raise InvalidRequestError(
                f"The dispute amount must be between 1 and {ch['amount']}.", param="amount"
            )
        # -- commit
        now = self.backend.now()
        dp_id = self.backend.new_id("dp")
        chargeback = not status.startswith("warning_")
        transactions = (
            [
                resources_money.balance_transaction(
                    self.backend.new_id("txn"),
                    amount=-amount,
                    fee=DISPUTE_FEE,
                    currency=ch["currency"],
                    created=now,
                    source=dp_id,
                    type_="adjustment",
                    category="dispute",
                    description=f"Chargeback withdrawal for {ch['id']}",
                )
            ]
            if chargeback
            else []
        )
        dispute = resources_money.dispute(
            dp_id,
            charge_data=ch,
            amount=amount,
            reason=reason,
            status=status,
            created=now,
            due_by=now + 7 * 86_400,
            transactions=transactions,
        )
        state.disputes.add(dp_id, dispute)
        charge.dispute_id = dp_id
        ch["disputed"] = True
        self.backend.emit(state, ctx, "charge.dispute.created", dispute)
        if chargeback:
            self.backend.emit(state, ctx, "charge.dispute.funds_withdrawn", dispute)
        return dispute

    def update_dispute(
        self, state: AccountState, ctx: Ctx, dispute: dict[str, Any], params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``POST /v1/disputes/{id}``: evidence and metadata; ``submit=true`` moves it under review."""
        if dispute["status"] in CLOSED_DISPUTE:
            raise InvalidRequestError(
                f"This dispute is already closed (status {dispute['status']}); it can no longer be updated."
            )
        before = snapshot(dispute)
        evidence = params.get("evidence") or {}
        if evidence:
            dispute["evidence"] = {**dispute["evidence"], **evidence}
            dispute["evidence_details"] = {**dispute["evidence_details"], "has_evidence": True}
        merge_metadata(dispute, params.get("metadata"))
        if params.get("submit", True) and evidence:
            dispute["status"] = {
                "needs_response": "under_review",
                "warning_needs_response": "warning_under_review",
            }.get(dispute["status"], dispute["status"])
            details = dispute["evidence_details"]
            dispute["evidence_details"] = {**details, "submission_count": details["submission_count"] + 1}
        if before != dispute:
            self.backend.emit(state, ctx, "charge.dispute.updated", dispute, changed(before, dispute))
        return dispute

    def close_dispute(
        self, state: AccountState, ctx: Ctx, dispute: dict[str, Any], outcome: str
    ) -> dict[str, Any]:
        """Accept (``lost``) or, from the control API, decide (``won``/``lost``) a dispute."""
        if dispute["status"] in CLOSED_DISPUTE:
            raise InvalidRequestError(f"This dispute is already closed (status {dispute['status']}).")
        before = snapshot(dispute)
        inquiry = dispute["status"].startswith("warning_")
        dispute["status"] = "warning_closed" if inquiry else outcome
        dispute["is_charge_refundable"] = False
        if outcome == "won" and not inquiry:
            now = self.backend.now()
            dispute["balance_transactions"] = [
                *dispute["balance_transactions"],
                resources_money.balance_transaction(
                    self.backend.new_id("txn"),
                    amount=dispute["amount"],
                    fee=-DISPUTE_FEE,
                    currency=dispute["currency"],
                    created=now,
                    source=dispute["id"],
                    type_="adjustment",
                    category="dispute_reversal",
                    description=f"Chargeback reversal for {dispute['charge']}",
                ),
            ]
        self.backend.emit(state, ctx, "charge.dispute.closed", dispute, changed(before, dispute))
        if outcome == "won" and not inquiry:
            self.backend.emit(state, ctx, "charge.dispute.funds_reinstated", dispute)
        return dispute


def merge_metadata(obj: dict[str, Any], metadata: Mapping[str, str] | None) -> None:
    """Stripe's metadata update: ``metadata=`` clears it, ``metadata[k]=`` removes ``k``, others set."""
    if metadata is None:
        return
    if not metadata:
        obj["metadata"] = {}
        return
    merged = dict(obj.get("metadata") or {})
    for key, value in metadata.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    obj["metadata"] = merged
