"""PaymentIntent actions outside the core status machine: incrementing an authorization, reconciling a
customer balance, verifying microdeposits.

* ``increment_authorization`` (API reference and docs.stripe.com/payments/incremental-authorization): only
  a ``requires_capture`` intent whose charge reports ``incremental_authorization.status: available`` (it was
  created or confirmed with ``payment_method_options[card][request_incremental_authorization]=if_available``,
  manual capture, a Visa or Mastercard: :data:`simulators.stripe.magic.INCREMENTAL_BRANDS`). ``amount`` is
  the new total and must exceed the authorized amount; at most 10 attempts per intent; success raises
  ``amount`` and ``amount_capturable`` (and the charge's ``amount``) and emits
  ``payment_intent.amount_capturable_updated``. Not requested: Stripe's 400 recorded from test mode, "This
  PaymentIntent is not eligible for incremental authorization because you did not request support using
  `request_incremental_authorization` when you created or confirmed it." (no ``code``; seen in
  juspay/hyperswitch-prism's Stripe connector report, 2026-03).
* ``apply_customer_balance`` reconciles a ``customer_balance`` intent waiting for a bank transfer
  (``requires_action`` with ``display_bank_transfer_instructions``), and ``verify_microdeposits`` one
  waiting for its bank account's microdeposits (``requires_action`` with ``verify_with_microdeposits``).
  The simulator has no Customers and takes cards only, so no intent is ever in either state: both answer
  ``payment_intent_unexpected_state`` ("The PaymentIntent's state was incompatible with the operation you
  were trying to perform", Stripe's error codes) with the intent embedded, after the client secret check a
  publishable key needs for ``verify_microdeposits`` (Stripe.js ``verifyMicrodepositsForPayment``).

Messages with no recorded Stripe wording are phrased in Stripe's style: the other state refusals, the
amount and attempt limits. Callers hold ``state.lock``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from simulators.stripe.exceptions import InvalidRequestError, parameter_missing, unexpected_state
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.models_attempts import PaymentAttempts, view
from simulators.stripe.models_currency import check_amount
from simulators.stripe.models_money import merge_metadata
from simulators.stripe.models_store import AccountState, IntentRecord

MAX_INCREMENTS = 10
NOT_REQUESTED = (
    "This PaymentIntent is not eligible for incremental authorization because you did not request support "
    "using `request_incremental_authorization` when you created or confirmed it."
)


class IntentActions:
    """``increment_authorization``, ``apply_customer_balance`` and ``verify_microdeposits``."""

    def __init__(self, backend: StripeBackend, attempts: PaymentAttempts) -> None:
        self.backend = backend
        self.attempts = attempts

    def increment_authorization(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, params: Mapping[str, Any]
    ) -> IntentRecord:
        """``POST /v1/payment_intents/{id}/increment_authorization``: raise the authorized amount."""
        data = rec.data
        amount = params.get("amount")
        if amount is None:
            raise parameter_missing("amount")
        if data["status"] != "requires_capture":
            raise unexpected_state(
                "You cannot increment the authorization of this PaymentIntent because it has a status of "
                f"{data['status']}. Only a PaymentIntent with one of the following statuses may be "
                "incremented: requires_capture.",
                view(data, ctx),
            )
        charge = self.backend.charge(state, data["latest_charge"])
        support = charge.data["payment_method_details"]["card"].get("incremental_authorization")
        if support is None:
            raise InvalidRequestError(NOT_REQUESTED, payment_intent=view(data, ctx))
        if support["status"] != "available":
            raise InvalidRequestError(
                "This PaymentIntent is not eligible for incremental authorization: the card network does not "
                "support it for this payment.",
                payment_intent=view(data, ctx),
            )
        if rec.increments >= MAX_INCREMENTS:
            raise InvalidRequestError(
                f"This PaymentIntent has reached the maximum of {MAX_INCREMENTS} incremental authorization "
                "attempts.",
                payment_intent=view(data, ctx),
            )
        if amount <= data["amount"]:
            raise InvalidRequestError(
                f"The amount ({amount}) must be greater than the currently authorized amount "
                f"({data['amount']}).",
                param="amount",
            )
        check_amount(amount, data["currency"])
        # -- commit
        rec.increments += 1
        data["amount"] = data["amount_capturable"] = charge.data["amount"] = amount
        for key in ("description", "statement_descriptor"):
            if key in params:
                data[key] = params[key]
        merge_metadata(data, params.get("metadata"))
        self.attempts.emit(state, ctx, rec, "payment_intent.amount_capturable_updated")
        return rec

    def apply_customer_balance(self, rec: IntentRecord, ctx: Ctx) -> NoReturn:
        """``POST /v1/payment_intents/{id}/apply_customer_balance``: no intent here awaits a bank transfer."""
        data = rec.data
        raise unexpected_state(
            "You cannot apply a customer balance to this PaymentIntent because it has a status of "
            f"{data['status']} and does not use the customer_balance payment method. Only a customer_balance "
            "PaymentIntent with a status of requires_action can be reconciled with the customer's cash "
            "balance.",
            view(data, ctx),
        )

    def verify_microdeposits(self, rec: IntentRecord, ctx: Ctx) -> NoReturn:
        """``POST /v1/payment_intents/{id}/verify_microdeposits``: no intent here awaits microdeposits."""
        data = rec.data
        action = (data.get("next_action") or {}).get("type")
        reason = f"its next_action is {action}" if action else f"it has a status of {data['status']}"
        raise unexpected_state(
            f"This PaymentIntent cannot be verified with microdeposits because {reason}. Only a "
            "PaymentIntent with a status of requires_action and a next_action of verify_with_microdeposits "
            "can be verified.",
            view(data, ctx),
        )
