"""Stripe's test cards and test PaymentMethods, and what each does when charged.

Source: docs.stripe.com/testing (the test card tables), messages as Stripe
sends them (``Your card was declined.``, ``Your card has insufficient funds.``...). A :class:`CardProfile` is
what the simulator keeps of a card: brand, last4, funding, country and an :class:`Outcome`. **It never holds
a card number or a CVC**: numbers are only read to pick the profile, then dropped. Inspect the table with
``python -c "from simulators.stripe.magic import MAGIC_PAYMENT_METHODS;
print(sorted(MAGIC_PAYMENT_METHODS))"``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

# decline_code -> (code, message, param). A card error's ``param`` follows Stripe's card errors
# (``exp_month`` for an expired card, ``cvc`` for a wrong security code).
_DECLINES: dict[str, tuple[str, str, str | None]] = {
    "generic_decline": ("card_declined", "Your card was declined.", None),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds.", None),
    "lost_card": ("card_declined", "Your card was declined.", None),
    "stolen_card": ("card_declined", "Your card was declined.", None),
    "fraudulent": ("card_declined", "Your card was declined.", None),
    "expired_card": ("expired_card", "Your card has expired.", "exp_month"),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect.", "cvc"),
    "processing_error": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        None,
    ),
    "card_velocity_exceeded": (
        "card_declined",
        "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.",
        None,
    ),
    "authentication_required": (
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
        None,
    ),
}

# What the charge's ``outcome`` says for each decline (seller_message as shown in the Dashboard).
_SELLER_MESSAGES = {
    "generic_decline": "The bank did not return any further details with this decline.",
    "insufficient_funds": "The bank returned the decline code `insufficient_funds`.",
    "lost_card": "The bank returned the decline code `lost_card`.",
    "stolen_card": "The bank returned the decline code `stolen_card`.",
    "fraudulent": "Stripe blocked this payment as too risky.",
    "expired_card": "The bank returned the decline code `expired_card`.",
    "incorrect_cvc": "The bank returned the decline code `incorrect_cvc`.",
    "processing_error": "The bank returned the decline code `processing_error`.",
    "card_velocity_exceeded": "The bank returned the decline code `card_velocity_exceeded`.",
    "authentication_required": "The bank returned the decline code `authentication_required`.",
}


@dataclass(frozen=True)
class Decline:
    """A card decline: ``code``, ``decline_code``, ``message`` and ``param`` exactly as Stripe sends them."""

    decline_code: str
    code: str
    message: str
    param: str | None = None

    @property
    def seller_message(self) -> str:
        return _SELLER_MESSAGES.get(self.decline_code, "The bank declined the payment.")


def decline(decline_code: str) -> Decline:
    """The :class:`Decline` for a decline code (``generic_decline`` for unknown codes)."""
    code, message, param = _DECLINES.get(decline_code, _DECLINES["generic_decline"])
    return Decline(decline_code if decline_code in _DECLINES else "generic_decline", code, message, param)


@dataclass(frozen=True)
class Outcome:
    """What charging the card does: succeed, decline, ask for 3DS first, or succeed and get disputed."""

    decline: Decline | None = None
    three_d_secure: bool = False
    dispute_status: str | None = None  # needs_response (chargeback) / warning_needs_response (inquiry)
    dispute_reason: str | None = None
    cvc_check: str = "pass"


SUCCESS = Outcome()


@dataclass(frozen=True)
class CardProfile:
    """What is kept of a card: never its number or CVC. ``fingerprint`` is derived from the number."""

    brand: str
    last4: str
    funding: str = "credit"
    country: str = "US"
    outcome: Outcome = field(default_factory=Outcome)
    fingerprint_seed: str = ""


def _card(
    number: str, brand: str, funding: str = "credit", country: str = "US", outcome: Outcome = SUCCESS
) -> tuple[str, CardProfile]:
    seed = hashlib.sha256(number.encode()).hexdigest()
    return number, CardProfile(brand, number[-4:], funding, country, outcome, seed)


def _declined(code: str) -> Outcome:
    return Outcome(decline=decline(code), cvc_check="fail" if code == "incorrect_cvc" else "pass")


_3DS = Outcome(three_d_secure=True)

# Test card numbers (docs.stripe.com/testing). Every one of them passes the Luhn check.
TEST_CARDS: dict[str, CardProfile] = dict(
    [
        _card("4242424242424242", "visa"),
        _card("4000056655665556", "visa", "debit"),
        _card("5555555555554444", "mastercard"),
        _card("2223003122003222", "mastercard"),
        _card("5200828282828210", "mastercard", "debit"),
        _card("5105105105105100", "mastercard", "prepaid"),
        _card("378282246310005", "amex"),
        _card("371449635398431", "amex"),
        _card("6011111111111117", "discover"),
        _card("3056930009020004", "diners"),
        _card("3566002020360505", "jcb"),
        _card("6200000000000005", "unionpay"),
        _card("4000000000000002", "visa", outcome=_declined("generic_decline")),
        _card("4000000000009995", "visa", outcome=_declined("insufficient_funds")),
        _card("4000000000009987", "visa", outcome=_declined("lost_card")),
        _card("4000000000009979", "visa", outcome=_declined("stolen_card")),
        _card("4000000000000069", "visa", outcome=_declined("expired_card")),
        _card("4000000000000127", "visa", outcome=_declined("incorrect_cvc")),
        _card("4000000000000119", "visa", outcome=_declined("processing_error")),
        _card("4000000000006975", "visa", outcome=_declined("card_velocity_exceeded")),
        _card("4100000000000019", "visa", outcome=_declined("fraudulent")),
        _card("4000000000000341", "visa", outcome=_declined("generic_decline")),
        _card("4000002760003184", "visa", outcome=_3DS),
        _card("4000002500003155", "visa", outcome=_3DS),
        _card("4000000000003220", "visa", outcome=_3DS),
        _card("4000000000003063", "visa", outcome=_3DS),
        _card("4000000000003055", "visa"),
        _card(
            "4000000000000259",
            "visa",
            outcome=Outcome(dispute_status="needs_response", dispute_reason="fraudulent"),
        ),
        _card(
            "4000000000001976",
            "visa",
            outcome=Outcome(dispute_status="warning_needs_response", dispute_reason="fraudulent"),
        ),
        _card(
            "4000000000002685",
            "visa",
            outcome=Outcome(dispute_status="needs_response", dispute_reason="product_not_received"),
        ),
    ]
)

# Brands whose online payments can be incremented (docs.stripe.com/payments/incremental-authorization,
# "Availability by card network and merchant category"): Visa and Mastercard in every user category. Discover
# only in a few categories (car rental, hotels, transport...), which the simulated retailer is not; other
# brands not at API 2023-10-16. A charge of another brand shows ``incremental_authorization.status:
# unavailable``.
INCREMENTAL_BRANDS = frozenset({"visa", "mastercard"})

# Test PaymentMethod ids -> the test card they stand for (docs.stripe.com/testing, "PaymentMethods" tab).
MAGIC_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_mastercard_prepaid": "5105105105105100",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_diners": "3056930009020004",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_us": "4242424242424242",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_visa_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_visa_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_threeDSecureOptional": "4000000000003055",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeInquiry": "4000000000001976",
    "pm_card_createDisputeProductNotReceived": "4000000000002685",
}

_BRANDS: tuple[tuple[str, str], ...] = (
    (r"^4", "visa"),
    (r"^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))", "mastercard"),
    (r"^3[47]", "amex"),
    (r"^(6011|65|64[4-9])", "discover"),
    (r"^3(0[0-5]|[68])", "diners"),
    (r"^35", "jcb"),
    (r"^62", "unionpay"),
)


def luhn_ok(number: str) -> bool:
    """The Luhn checksum Stripe applies before calling a card number ``incorrect_number``."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    """Card brand from the number's prefix (``unknown`` when none matches)."""
    for pattern, brand in _BRANDS:
        if re.match(pattern, number):
            return brand
    return "unknown"


def profile_for_number(number: str) -> CardProfile:
    """The profile of a (Luhn-valid, digits only) card number: a test card's, or a plain success."""
    known = TEST_CARDS.get(number)
    if known is not None:
        return known
    return _card(number, brand_of(number))[1]


def profile_for_magic(pm_id: str) -> CardProfile | None:
    """The profile behind a test PaymentMethod id such as ``pm_card_visa`` (``None`` if not one)."""
    number = MAGIC_PAYMENT_METHODS.get(pm_id)
    return TEST_CARDS[number] if number is not None else None


def fingerprint(profile: CardProfile, account: str | None) -> str:
    """Stripe-like card fingerprint: the same card gives the same value within an account."""
    digest = hashlib.sha256(f"{account}:{profile.fingerprint_seed}".encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[b % 62] for b in digest[:16])


# -- keeping card data out of the journal --------------------------------------------------------------------
_CARD_FIELD = re.compile(rb"(card(?:%5D|\])?(?:%5B|\[)(number|cvc)(?:%5D|\])=)([^&]*)", re.IGNORECASE)


def redact_card_fields(body: bytes) -> bytes:
    """``card[number]`` -> ``************4242`` and ``card[cvc]`` -> ``***`` in a form body (also nested,
    e.g. ``payment_method_data[card][number]``, and a value cut short by the journal's size limit)."""

    def _mask(match: re.Match[bytes]) -> bytes:
        value = match.group(3)
        if match.group(2).lower() == b"cvc":
            return match.group(1) + b"***"
        digits = bytes(ch for ch in value if 48 <= ch <= 57)
        if len(digits) < 12:  # cut short by the journal's size limit: show nothing
            return match.group(1) + b"*" * len(digits)
        return match.group(1) + b"*" * (len(digits) - 4) + digits[-4:]

    return _CARD_FIELD.sub(_mask, body)


def may_hold_card_data(body: bytes) -> bool:
    """Cheap pre-check before :func:`redact_card_fields` (the hot path never has card fields)."""
    return b"number" in body or b"cvc" in body
