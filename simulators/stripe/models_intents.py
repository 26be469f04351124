"""PaymentIntents: create, update, confirm, capture, cancel (the API operations on the status machine).

Status machine (docs "How PaymentIntents work"): ``requires_payment_method`` -> ``requires_confirmation`` ->
``requires_action`` (3DS) -> ``processing`` -> ``requires_capture`` / ``succeeded``; ``canceled`` from any
open status. Every illegal call is ``payment_intent_unexpected_state`` with the intent embedded (messages as
Stripe words them). Each operation validates everything first (amounts, currencies, the 2023-08-16
``return_url`` rule, the payment method), then mutates and emits its events in Stripe's order. What one
payment attempt does (3DS, decline, charge, processing) is :mod:`simulators.stripe.models_attempts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simulators.stripe import resources
from simulators.stripe.exceptions import (
    InvalidRequestError,
    ResourceMissing,
    parameter_missing,
    type_not_activated,
    unexpected_state,
)
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.models_attempts import PaymentAttempts, view
from simulators.stripe.models_currency import check_amount, check_currency
from simulators.stripe.models_intent_actions import IntentActions
from simulators.stripe.models_money import Money, merge_metadata
from simulators.stripe.models_store import AccountState, IntentRecord, PaymentMethodRecord

OPEN = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
# Fields that change what is charged: refused once money moved (metadata, description... stay editable).
MONEY_FIELDS = frozenset(
    "amount currency payment_method payment_method_data payment_method_types capture_method "
    "payment_method_options setup_future_usage customer application_fee_amount transfer_data".split()
)
PAYMENT_METHOD_TYPES = frozenset(
    "acss_debit affirm afterpay_clearpay alipay au_becs_debit bacs_debit bancontact blik boleto card "
    "card_present cashapp customer_balance eps fpx giropay grabpay ideal interac_present klarna konbini link "
    "oxxo p24 paynow paypal pix promptpay sepa_debit sofort us_bank_account wechat_pay zip".split()
)
RETURN_URL_REQUIRED = (  # the 2023-08-16 rule, in Stripe's words
    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of "
    "these payment methods might redirect your customer off of your page, you must provide a "
    "`return_url`. If "
    "you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
    "`true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
    "Payment Intents."
)
MISSING_PAYMENT_METHOD = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the "
    "PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a "
    "payment method."
)
SECRET_MISMATCH = (
    "The client_secret provided does not match the client_secret associated with the PaymentIntent."
)


def exclusive(*names: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"You may only specify one of these parameters: {', '.join(names)}.", param=names[0]
    )


@dataclass(slots=True)
class ConfirmPlan:
    """A validated confirmation, ready to apply."""

    pm: PaymentMethodRecord
    off_session: bool
    no_action: bool
    return_url: str | None
    params: Mapping[str, Any]


class PaymentIntents:
    """PaymentIntent operations on an account's state (callers hold ``state.lock``)."""

    def __init__(self, backend: StripeBackend, money: Money) -> None:
        self.backend = backend
        self.money = money
        self.attempts = PaymentAttempts(backend, money)
        self.actions = IntentActions(backend, self.attempts)

    # -- helpers ----------------------------------------------------------------------------------------
    @staticmethod
    def view(data: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        """The intent as the caller may see it (a publishable key gets Stripe.js's subset)."""
        return view(data, ctx)

    @staticmethod
    def check_client_secret(rec: IntentRecord, given: str | None, ctx: Ctx) -> None:
        """A publishable key must prove the client secret; a given secret must match."""
        if given is None:
            if ctx.publishable:
                raise parameter_missing("client_secret")
            return
        if given != rec.data["client_secret"]:
            raise InvalidRequestError(
                SECRET_MISMATCH, code="payment_intent_invalid_parameter", param="client_secret"
            )

    def _types(self, types: list[str] | None, pm: PaymentMethodRecord | None) -> None:
        for t in types or ():
            if t not in PAYMENT_METHOD_TYPES:
                raise type_not_activated(t, "payment_method_types")
        if types is not None and not types:
            raise InvalidRequestError("Invalid array", param="payment_method_types")
        if pm is not None and types is not None and "card" not in types:
            raise InvalidRequestError(
                "The PaymentMethod provided (card) is not allowed for this PaymentIntent. Please attach a "
                f"PaymentMethod of one of the following types: {', '.join(types)}.",
                param="payment_method",
            )

    # -- create -----------------------------------------------------------------------------------------
    def create(self, state: AccountState, ctx: Ctx, params: Mapping[str, Any]) -> IntentRecord:
        """``POST /v1/payment_intents`` (with ``confirm=true``, also the confirmation)."""
        if params.get("amount") is None:
            raise parameter_missing("amount")
        if params.get("currency") is None:
            raise parameter_missing("currency")
        currency = check_currency(params["currency"])
        amount = check_amount(params["amount"], currency)
        if params.get("customer") is not None:
            raise ResourceMissing("customer", params["customer"], "customer", status=400)
        types, apm_in = params.get("payment_method_types"), params.get("automatic_payment_methods")
        confirmation_method = params.get("confirmation_method", "automatic")
        if apm_in is not None and types is not None:
            raise exclusive("automatic_payment_methods", "payment_method_types")
        if apm_in is not None and confirmation_method == "manual":
            raise exclusive("automatic_payment_methods", "confirmation_method")
        apm: dict[str, Any] | None = None
        if apm_in is not None:
            if apm_in.get("enabled") is None:
                raise parameter_missing("automatic_payment_methods[enabled]")
            if apm_in["enabled"]:
                apm = {"allow_redirects": apm_in.get("allow_redirects", "always"), "enabled": True}
        elif types is None and confirmation_method != "manual":
            # 2023-08-16: without payment_method_types, automatic payment methods are on by default.
            apm = {"allow_redirects": "always", "enabled": True}
        pm = self.backend.plan_payment_method(
            state, pm_id=params.get("payment_method"), data=params.get("payment_method_data")
        )
        self._types(types, pm)
        pi_id = self.backend.new_id("pi")
        data = resources.payment_intent(
            pi_id,
            client_secret=f"{pi_id}_secret_{self.backend.ids.base62(25)}",
            amount=amount,
            currency=currency,
            created=self.backend.now(),
            capture_method=params.get("capture_method", "automatic"),
            confirmation_method=confirmation_method,
            automatic_payment_methods=apm,
            payment_method_types=list(types) if types else ["card"],
            pmc_id=self._pmc_id(state) if apm else None,
            params=params,
        )
        rec = IntentRecord(data)
        plan = self._plan_confirm(rec, pm, params, ctx) if params.get("confirm") else None
        # -- everything is valid: commit
        if pm is not None:
            self._attach(state, rec, pm)
        state.intents.add(pi_id, rec)
        self.attempts.emit(state, ctx, rec, "payment_intent.created")
        if plan is not None:
            self._confirm(state, ctx, rec, plan)
        return rec

    def _pmc_id(self, state: AccountState) -> str:
        """The account's (single) payment method configuration id, stable per account."""
        import hashlib

        digest = hashlib.sha256(f"pmc:{state.account}".encode()).hexdigest()
        return "pmc_" + digest[:24]

    def _attach(self, state: AccountState, rec: IntentRecord, pm: PaymentMethodRecord) -> None:
        self.backend.store_payment_method(state, pm)
        rec.data["payment_method"] = pm.data["id"]
        rec.card = pm.card
        rec.payment_method = pm.data
        if rec.data["status"] == "requires_payment_method":
            rec.data["status"] = "requires_confirmation"

    # -- update -----------------------------------------------------------------------------------------
    def update(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, params: Mapping[str, Any]
    ) -> IntentRecord:
        """``POST /v1/payment_intents/{id}``: metadata and descriptions always; money fields only while
        no payment has been attempted to completion."""
        data = rec.data
        status = data["status"]
        touching = sorted(k for k in params if k in MONEY_FIELDS)
        if touching and status in ("succeeded", "canceled", "processing", "requires_capture"):
            raise unexpected_state(
                f"You cannot update this PaymentIntent because it has a status of {status}. Updates to "
                f"{touching[0]} are only allowed while the PaymentIntent has one of the following statuses: "
                "requires_payment_method, requires_confirmation, requires_action.",
                self.view(data, ctx),
            )
        currency = (
            check_currency(params["currency"]) if params.get("currency") is not None else data["currency"]
        )
        amount = (
            check_amount(params["amount"], currency) if params.get("amount") is not None else data["amount"]
        )
        if params.get("customer") is not None:
            raise ResourceMissing("customer", params["customer"], "customer", status=400)
        pm = self.backend.plan_payment_method(
            state, pm_id=params.get("payment_method"), data=params.get("payment_method_data")
        )
        types = params.get("payment_method_types")
        self._types(types, pm)
        # -- commit
        data["amount"], data["currency"] = amount, currency
        for key in (
            "description",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "setup_future_usage",
            "capture_method",
            "transfer_group",
        ):
            if key in params:
                data[key] = params[key]
        if "shipping" in params:
            data["shipping"] = resources.shipping(params["shipping"])
        if types is not None:
            data["payment_method_types"] = list(types)
            data["automatic_payment_methods"] = None
            data["payment_method_configuration_details"] = None
        resources.merge_card_options(data["payment_method_options"]["card"], params)
        merge_metadata(data, params.get("metadata"))
        if pm is not None:
            self._attach(state, rec, pm)
            if data["status"] == "requires_action":
                data["status"], data["next_action"] = "requires_confirmation", None
        return rec

    # -- confirm ----------------------------------------------------------------------------------------
    def confirm(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, params: Mapping[str, Any]
    ) -> IntentRecord:
        """``POST /v1/payment_intents/{id}/confirm`` (also with a publishable key and the client secret)."""
        self.check_client_secret(rec, params.get("client_secret"), ctx)
        pm = self.backend.plan_payment_method(
            state, pm_id=params.get("payment_method"), data=params.get("payment_method_data")
        )
        self._types(params.get("payment_method_types"), pm)
        plan = self._plan_confirm(rec, pm, params, ctx)
        self._confirm(state, ctx, rec, plan)
        return rec

    def _plan_confirm(
        self, rec: IntentRecord, pm: PaymentMethodRecord | None, params: Mapping[str, Any], ctx: Ctx
    ) -> ConfirmPlan:
        data = rec.data
        status = data["status"]
        if status == "succeeded":
            raise unexpected_state(
                "You cannot confirm this PaymentIntent because it has already succeeded "
                "after being previously confirmed.",
                self.view(data, ctx),
            )
        if status not in CONFIRMABLE:
            raise unexpected_state(
                f"You cannot confirm this PaymentIntent because it has a status of {status}. Only a "
                "PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, "
                "requires_payment_method, requires_action.",
                self.view(data, ctx),
            )
        chosen = pm
        if chosen is None and rec.payment_method is not None and rec.card is not None:
            chosen = PaymentMethodRecord(rec.payment_method, rec.card)
        if chosen is None:
            raise unexpected_state(MISSING_PAYMENT_METHOD, self.view(data, ctx))
        off_session = self._off_session(params.get("off_session"))
        return_url = params.get("return_url")
        if return_url is not None and "://" not in return_url:
            raise InvalidRequestError("Not a valid URL", param="return_url")
        apm = data["automatic_payment_methods"]
        redirects = bool(apm and apm.get("enabled") and apm.get("allow_redirects") != "never")
        no_action = bool(params.get("error_on_requires_action")) or off_session
        if redirects and return_url is None and not off_session:
            raise InvalidRequestError(RETURN_URL_REQUIRED)
        if redirects and params.get("error_on_requires_action"):
            raise InvalidRequestError(
                "`error_on_requires_action` cannot be used with automatic payment methods that allow "
                "redirects. Set `automatic_payment_methods[allow_redirects]` to `never`, or pass "
                "`payment_method_types`.",
                param="error_on_requires_action",
            )
        return ConfirmPlan(chosen, off_session, no_action, return_url, params)

    @staticmethod
    def _off_session(value: Any) -> bool:
        if value is None or value == "false":
            return False
        if value in ("true", "one_off", "recurring"):
            return True
        raise InvalidRequestError(f"Invalid off_session: {value}", param="off_session")

    def _confirm(self, state: AccountState, ctx: Ctx, rec: IntentRecord, plan: ConfirmPlan) -> None:
        data, params = rec.data, plan.params
        self._attach(state, rec, plan.pm)
        for key in ("capture_method", "receipt_email", "setup_future_usage"):
            if params.get(key) is not None:
                data[key] = params[key]
        resources.merge_card_options(data["payment_method_options"]["card"], params)
        if "shipping" in params:
            data["shipping"] = resources.shipping(params["shipping"])
        data["last_payment_error"], data["next_action"] = None, None
        rec.return_url, rec.sim_url = plan.return_url, ctx.sim_url
        self.attempts.attempt(state, ctx, rec, no_action=plan.no_action, authenticated=False)

    # -- capture and cancel -----------------------------------------------------------------------------
    def capture(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, params: Mapping[str, Any]
    ) -> IntentRecord:
        """``POST /v1/payment_intents/{id}/capture``; a partial capture refunds the rest (before API
        2025-03-31 Stripe made a Refund for the uncaptured amount)."""
        data = rec.data
        if data["status"] != "requires_capture":
            raise unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of {data['status']}. "
                "Only a "
                "PaymentIntent with one of the following statuses may be captured: requires_capture.",
                self.view(data, ctx),
            )
        capturable = data["amount_capturable"]
        amount = params.get("amount_to_capture", capturable)
        if amount < 1:
            raise InvalidRequestError(
                "This value must be greater than or equal to 1.", param="amount_to_capture"
            )
        if amount > capturable:
            raise InvalidRequestError(
                f"The amount_to_capture ({amount}) must be less than or equal to the amount_capturable "
                f"({capturable}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        charge = self.backend.charge(state, data["latest_charge"])
        # -- commit
        merge_metadata(data, params.get("metadata"))
        ch = charge.data
        ch["captured"], ch["amount_captured"] = True, amount
        ch["balance_transaction"] = self.backend.new_id("txn")
        if amount < ch["amount"]:
            self.money.release(state, charge, ch["amount"] - amount)
        data["status"], data["amount_received"], data["amount_capturable"] = "succeeded", amount, 0
        self.backend.emit(state, ctx, "charge.captured", ch)
        self.attempts.emit(state, ctx, rec, "payment_intent.succeeded")
        self.attempts.dispute_if_magic(state, charge)
        return rec

    def cancel(
        self, state: AccountState, ctx: Ctx, rec: IntentRecord, params: Mapping[str, Any]
    ) -> IntentRecord:
        """``POST /v1/payment_intents/{id}/cancel``; an uncaptured authorisation is released."""
        data = rec.data
        if data["status"] not in OPEN:
            raise unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of {data['status']}. Only a "
                "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
                "requires_capture, requires_confirmation, requires_action, processing.",
                self.view(data, ctx),
            )
        charge = self.backend.charge(state, data["latest_charge"]) if data["latest_charge"] else None
        # -- commit
        if data["status"] == "requires_capture" and charge is not None:
            self.money.release(state, charge, charge.data["amount"])
        elif data["status"] == "processing" and charge is not None:
            charge.data["status"] = "failed"
        data["status"], data["canceled_at"] = "canceled", self.backend.now()
        data["cancellation_reason"] = params.get("cancellation_reason")
        data["amount_capturable"], data["next_action"], data["processing"] = 0, None, None
        self.attempts.emit(state, ctx, rec, "payment_intent.canceled")
        return rec
