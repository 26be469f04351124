"""Builders of the money objects as API 2023-10-16 renders them: Charge, Refund, Dispute, BalanceTransaction.

Pure functions like :mod:`simulators.stripe.resources` (fields from ``fixtures-2023-10-16.json`` and the
2023-08-16 schemas; ``id`` and ``object`` first). A Charge carries no ``refunds`` list unless expanded
(changelog 2022-11-15 "deprecates charges auto expand").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.stripe.magic import CardProfile, Decline

EVIDENCE_KEYS = (
    "access_activity_log billing_address cancellation_policy cancellation_policy_disclosure "
    "cancellation_rebuttal "
    "customer_communication customer_email_address customer_name customer_purchase_ip customer_signature "
    "duplicate_charge_documentation duplicate_charge_explanation duplicate_charge_id product_description "
    "receipt "
    "refund_policy refund_policy_disclosure refund_refusal_explanation service_date service_documentation "
    "shipping_address shipping_carrier shipping_date shipping_documentation shipping_tracking_number "
    "uncategorized_file uncategorized_text"
).split()

NETWORK_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1", "general": "13.2"}

# The ``reason`` values of a Dispute (API 2023-10-16).
DISPUTE_REASONS: tuple[str, ...] = tuple(
    "bank_cannot_process check_returned credit_not_processed customer_initiated debit_not_authorized "
    "duplicate fraudulent general incorrect_account_details insufficient_funds product_not_received "
    "product_unacceptable subscription_canceled unrecognized".split()
)


def charge(
    ch_id: str,
    *,
    intent: Mapping[str, Any],
    pm: Mapping[str, Any],
    card: CardProfile,
    created: int,
    status: str,
    captured: bool,
    balance_transaction: str | None,
    receipt_url: str,
    decline: Decline | None = None,
    three_d_secure: bool = False,
    incremental_authorization: str | None = None,
) -> dict[str, Any]:
    """A ``charge`` for one payment attempt of ``intent`` with ``pm``; ``incremental_authorization``
    (``available``/``unavailable``) is shown when the intent requested it, as Stripe does since it offers
    incremental authorization online (``payment_method_details.card.incremental_authorization.status``)."""
    pm_card = pm["card"]
    outcome: dict[str, Any]
    if decline is not None:
        outcome = {
            "network_status": "declined_by_network",
            "reason": decline.decline_code,
            "risk_level": "normal",
            "risk_score": 40,
            "seller_message": decline.seller_message,
            "type": "issuer_declined",
        }
    else:
        outcome = {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    data: dict[str, Any] = {
        "id": ch_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": balance_transaction,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "GENAI-DEMO SIMULATOR",
        "captured": captured,
        "created": created,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "invoice": None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": outcome,
        "paid": status == "succeeded",
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        "payment_method_details": {
            "card": {
                "brand": pm_card["brand"],
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": card.outcome.cvc_check,
                },
                "country": pm_card["country"],
                "exp_month": pm_card["exp_month"],
                "exp_year": pm_card["exp_year"],
                "fingerprint": pm_card["fingerprint"],
                "funding": pm_card["funding"],
                "installments": None,
                "last4": pm_card["last4"],
                "mandate": None,
                "network": pm_card["brand"],
                "network_token": {"used": False},
                "three_d_secure": (
                    {
                        "authentication_flow": "challenge",
                        "result": "authenticated",
                        "result_reason": None,
                        "version": "2.2.0",
                    }
                    if three_d_secure
                    else None
                ),
                "wallet": None,
            },
            "type": "card",
        },
        "radar_options": {},
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": receipt_url,
        "refunded": False,
        "review": None,
        "shipping": intent["shipping"],
        "source_transfer": None,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": status,
        "transfer_data": None,
        "transfer_group": intent["transfer_group"],
    }
    if incremental_authorization is not None:
        card_details = data["payment_method_details"]["card"]
        card_details["incremental_authorization"] = {"status": incremental_authorization}
        data["payment_method_details"]["card"] = dict(sorted(card_details.items()))  # Stripe's field order
    return data


def refund(
    re_id: str,
    *,
    charge_data: Mapping[str, Any],
    amount: int,
    created: int,
    balance_transaction: str,
    reason: str | None,
    metadata: Mapping[str, str] | None,
) -> dict[str, Any]:
    """A succeeded ``refund`` of ``amount`` on ``charge_data``."""
    return {
        "id": re_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_data["id"],
        "created": created,
        "currency": charge_data["currency"],
        "metadata": dict(metadata or {}),
        "payment_intent": charge_data["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def balance_transaction(
    txn_id: str,
    *,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    source: str,
    type_: str,
    category: str,
    description: str | None,
) -> dict[str, Any]:
    """A ``balance_transaction`` (embedded in a dispute's ``balance_transactions``)."""
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": type_,
    }


def dispute(
    dp_id: str,
    *,
    charge_data: Mapping[str, Any],
    amount: int,
    reason: str,
    status: str,
    created: int,
    due_by: int,
    transactions: list[dict[str, Any]],
) -> dict[str, Any]:
    """A ``dispute`` on ``charge_data``; an inquiry (``warning_*``) keeps the charge refundable."""
    return {
        "id": dp_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": transactions,
        "charge": charge_data["id"],
        "created": created,
        "currency": charge_data["currency"],
        "evidence": dict.fromkeys(EVIDENCE_KEYS),
        "evidence_details": {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": status.startswith("warning_"),
        "livemode": False,
        "metadata": {},
        "payment_intent": charge_data["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": charge_data["payment_method_details"]["card"]["brand"],
                "network_reason_code": NETWORK_REASON_CODES.get(reason, "13.2"),
            },
            "type": "card",
        },
        "reason": reason,
        "status": status,
    }
