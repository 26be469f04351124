"""PayPal's sandbox magic: currencies, fees, negative testing and buyer test profiles.

Inspect the values in force at ``GET /_sim/paypal/magic`` (and in ``docs/simulators/paypal.md``).

**Negative testing** (developer.paypal.com/tools/sandbox/negative-testing/request-headers): the header
``PayPal-Mock-Response: {"mock_application_codes": "INSTRUMENT_DECLINED"}`` on any Orders or Payments call
makes the call answer with that error and change nothing. The status and description follow the official
spec's issue lists for the operation (most codes are 422 ``UNPROCESSABLE_ENTITY``; ``INVALID_RESOURCE_ID``
is a 404, ``INTERNAL_SERVER_ERROR`` a 500...). A header that is not that JSON, or names a code PayPal does
not define, is a 400 ``INVALID_REQUEST`` on ``PayPal-Mock-Response``.

**Buyer test profiles** (declines without the header). A capture's outcome follows the buyer:

* Card rejection triggers, PayPal's own (developer.paypal.com/tools/sandbox/card-testing): put
  ``CCREJECT-REFUSED``, ``CCREJECT-SF``, ``CCREJECT-EC``, ``CCREJECT-IRC``, ``CCREJECT-IF``, ``CCREJECT-LS``,
  ``CCREJECT-IA``, ``CCREJECT-BANK_ERROR`` or ``CCREJECT-CVV_F`` in ``payment_source.card.name`` (or the
  payer's ``given_name``). As PayPal documents, the capture answers 201 with the order ``COMPLETED`` and
  the capture ``DECLINED`` carrying ``processor_response`` (``avs_code`` G, ``cvv_code`` P, the trigger's
  ``response_code``), and ``PAYMENT.CAPTURE.DENIED`` is sent.
* PayPal-wallet buyers, the simulator's own (PayPal's sandbox has no email triggers): the buyer's email
  local part (``payer.email_address``, ``payment_source.paypal.email_address`` or the email the approval
  used) decides. ``buyer-declined@...``: capture ``DECLINED`` + ``PAYMENT.CAPTURE.DENIED``.
  ``buyer-pending@...``: capture ``PENDING`` (``PENDING_REVIEW``) + ``PAYMENT.CAPTURE.PENDING``, later
  resolved with ``POST /_sim/paypal/captures/{id}/complete`` or ``/deny``. ``buyer-instrument-declined@...``:
  the capture answers 422 ``INSTRUMENT_DECLINED`` and the order stays ``APPROVED``, PayPal's funding
  failure for wallets (the buyer can be sent back to ``approve``, "handle funding failures" in PayPal's
  checkout guide). Anything else succeeds.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from simulators.paypal.exceptions import V2_ERRORS, InvalidRequest, PayPalError, describe, detail, v2_error

# developer.paypal.com/api/rest/reference/currency-codes/: HUF, JPY and TWD "do not support decimals".
CURRENCY_DECIMALS: dict[str, int] = {
    "AUD": 2, "BRL": 2, "CAD": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2, "HKD": 2, "HUF": 0, "ILS": 2,
    "JPY": 0, "MYR": 2, "MXN": 2, "TWD": 0, "NZD": 2, "NOK": 2, "PHP": 2, "PLN": 2, "GBP": 2, "SGD": 2,
    "SEK": 2, "CHF": 2, "THB": 2, "USD": 2,
}  # fmt: skip

# "Should be less than or equal to 999999999999999.99" (MAX_VALUE_EXCEEDED in the Orders spec).
MAX_VALUE = Decimal("999999999999999.99")

# PayPal's US merchant fee for PayPal Checkout: 3.49 % plus a fixed fee by currency (paypal.com/us/business/
# paypal-business-fees). An approximation: enough for a plausible seller_receivable_breakdown.
FEE_RATE = Decimal("0.0349")
FIXED_FEE: dict[str, Decimal] = {
    "AUD": Decimal("0.59"), "BRL": Decimal("2.90"), "CAD": Decimal("0.59"), "CNY": Decimal("2.90"),
    "CZK": Decimal("9.00"), "DKK": Decimal("2.60"), "EUR": Decimal("0.39"), "HKD": Decimal("2.79"),
    "HUF": Decimal("90"), "ILS": Decimal("1.20"), "JPY": Decimal("49"), "MYR": Decimal("2.00"),
    "MXN": Decimal("4.00"), "TWD": Decimal("14"), "NZD": Decimal("0.69"), "NOK": Decimal("3.90"),
    "PHP": Decimal("20.00"), "PLN": Decimal("1.29"), "GBP": Decimal("0.29"), "SGD": Decimal("0.69"),
    "SEK": Decimal("3.90"), "CHF": Decimal("0.49"), "THB": Decimal("15.00"), "USD": Decimal("0.49"),
}  # fmt: skip

SYMBOLS = {"USD": "$", "AUD": "$", "CAD": "$", "NZD": "$", "SGD": "$", "HKD": "$", "EUR": "€", "GBP": "£"}


_QUANTA = {code: Decimal(1).scaleb(-places) for code, places in CURRENCY_DECIMALS.items()}
_CENT = Decimal("0.01")
# A value is at most 32 characters (the spec's maxLength), so 64 digits quantize any of them: the default
# context (28 digits) raised InvalidOperation on a 27-digit item price before its MAX_VALUE_EXCEEDED check.
_WIDE = Context(prec=64)


def quantum(currency: str) -> Decimal:
    """The smallest unit of ``currency`` (``0.01``, or ``1`` for JPY)."""
    return _QUANTA.get(currency, _CENT)


def fmt(value: Decimal, currency: str) -> str:
    """``value`` as PayPal writes it: exactly the currency's decimals (``"10.00"``, ``"1000"`` for JPY)."""
    return str(value.quantize(_QUANTA.get(currency, _CENT), rounding=ROUND_HALF_UP, context=_WIDE))


def paypal_fee(gross: Decimal, currency: str) -> Decimal:
    """The fee PayPal keeps on a capture of ``gross`` (never more than the gross)."""
    fee = (gross * FEE_RATE + FIXED_FEE.get(currency, Decimal("0.49"))).quantize(
        quantum(currency), rounding=ROUND_HALF_UP
    )
    return min(fee, gross)


def summary_amount(value: Decimal, currency: str) -> str:
    """``"$ 5.00 USD"`` as in PayPal's event summaries ("Payment completed for $ 5.00 USD")."""
    symbol = SYMBOLS.get(currency)
    amount = f"{fmt(value, currency)} {currency}"
    return f"{symbol} {amount}" if symbol else amount


# -- buyers ------------------------------------------------------------------------------------------------
class Outcome(enum.Enum):
    """What a capture does for a buyer profile."""

    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    PENDING = "PENDING"
    INSTRUMENT_DECLINED = "INSTRUMENT_DECLINED"


# developer.paypal.com/tools/sandbox/card-testing: trigger -> processor response code.
CARD_REJECT_TRIGGERS: dict[str, tuple[str, str]] = {
    "CCREJECT-REFUSED": ("0500", "DO_NOT_HONOR"),
    "CCREJECT-SF": ("9500", "SUSPECTED_FRAUD"),
    "CCREJECT-EC": ("5400", "EXPIRED_CARD"),
    "CCREJECT-IRC": ("5180", "INVALID_OR_RESTRICTED_CARD"),
    "CCREJECT-IF": ("5120", "INSUFFICIENT_FUNDS"),
    "CCREJECT-LS": ("9520", "LOST_OR_STOLEN"),
    "CCREJECT-IA": ("1330", "INVALID_ACCOUNT"),
    "CCREJECT-BANK_ERROR": ("5100", "GENERIC_DECLINE"),
    "CCREJECT-CVV_F": ("00N7", "CVV2_FAILURE_POSSIBLE_RETRY_WITH_CVV"),
}

# The simulator's own wallet buyer profiles, by the email's local part (case-insensitive).
BUYER_PROFILES: dict[str, Outcome] = {
    "buyer-declined": Outcome.DECLINED,
    "buyer-pending": Outcome.PENDING,
    "buyer-instrument-declined": Outcome.INSTRUMENT_DECLINED,
}

DEFAULT_BUYER_EMAIL = "sb-buyer@personal.example.com"
DEFAULT_BUYER_NAME = ("John", "Doe")
DEFAULT_COUNTRY = "US"


@dataclass(frozen=True)
class Verdict:
    """A capture's outcome and, for cards, the processor response PayPal reports."""

    outcome: Outcome
    processor_response: dict[str, str] | None = None


def verdict(buyer_email: str | None, card_name: str | None, given_name: str | None) -> Verdict:
    """The outcome of capturing a payment from this buyer (see the module docstring)."""
    for name in (card_name, given_name):
        trigger = CARD_REJECT_TRIGGERS.get((name or "").strip())
        if trigger is not None:
            return Verdict(Outcome.DECLINED, {"avs_code": "G", "cvv_code": "P", "response_code": trigger[0]})
    if card_name is not None:
        return Verdict(Outcome.COMPLETED, {"avs_code": "A", "cvv_code": "M", "response_code": "0000"})
    local = (buyer_email or "").partition("@")[0].lower()
    return Verdict(BUYER_PROFILES.get(local, Outcome.COMPLETED))


# PayPal account ids: 13 characters of "^[2-9A-HJ-NP-Z]{13}$" (account_id in the Orders spec).
_ACCOUNT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def account_id(seed: str) -> str:
    """A stable PayPal account id (payer_id / merchant_id) derived from ``seed`` (an email, a client id)."""
    digest = hashlib.sha256(seed.lower().encode()).digest()
    return "".join(_ACCOUNT_ALPHABET[b % len(_ACCOUNT_ALPHABET)] for b in digest[:13])


# -- negative testing ---------------------------------------------------------------------------------------
MOCK_HEADER = "PayPal-Mock-Response"
_STATUS_NAMES = {"INTERNAL_SERVER_ERROR": 500, "SERVICE_UNAVAILABLE": 503, "RATE_LIMIT_REACHED": 429}


def mock_error(raw: str | None, operation: str) -> PayPalError | None:
    """The error a ``PayPal-Mock-Response`` header forces on ``operation``, or ``None`` without one.

    Raises :class:`InvalidRequest` when the header is not ``{"mock_application_codes": "<CODE>"}`` or the
    code is unknown.
    """
    if raw is None or not raw.strip():
        return None
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None
    code = data.get("mock_application_codes") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code:
        raise InvalidRequest(detail(operation, "INVALID_PARAMETER_SYNTAX", MOCK_HEADER, raw, None))
    if code in _STATUS_NAMES:
        return V2_ERRORS[_STATUS_NAMES[code]]()
    if describe(operation, code) is None:
        raise InvalidRequest(detail(operation, "INVALID_PARAMETER_VALUE", MOCK_HEADER, raw, None))
    return v2_error(operation, code)


def magic_summary() -> dict[str, Any]:
    """Everything above as JSON (served at ``GET /_sim/paypal/magic``)."""
    return {
        "currencies": CURRENCY_DECIMALS,
        "fee": {"rate": str(FEE_RATE), "fixed": {k: str(v) for k, v in FIXED_FEE.items()}},
        "card_reject_triggers": {
            k: {"response_code": v[0], "meaning": v[1]} for k, v in CARD_REJECT_TRIGGERS.items()
        },
        "buyer_profiles": {f"{k}@<any domain>": v.value for k, v in BUYER_PROFILES.items()},
        "default_buyer": DEFAULT_BUYER_EMAIL,
        "mock_header": MOCK_HEADER,
    }
