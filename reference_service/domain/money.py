"""Money as integer minor units plus an ISO 4217 currency code (house rule 7).

The domain only checks the shape of the code (three upper-case letters); the entrypoints check it
against the ISO 4217 list, because that list is data from a library and the domain imports none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reference_service.domain.errors import InvalidOrder, UnchargeableAmount

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the currency's smallest unit (cents for USD, yen for JPY)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise InvalidOrder(f"currency must be an ISO 4217 code, got {self.currency!r}", "currency")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidOrder("amounts are integers in minor units", "amount")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise InvalidOrder(f"cannot add {other.currency} to {self.currency}", "currency")
        return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount multiplied by a whole quantity."""
        return Money(self.amount * quantity, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)


#: the largest amount Stripe charges in one payment, in minor units ($999,999.99 in USD; Stripe's
#: "Minimum and maximum charge amounts", docs.stripe.com/currencies); PayPal's own limits are higher
MAX_CHARGE_AMOUNT = 99_999_999
#: the smallest amount Stripe charges per currency, in minor units (same table); a currency not listed
#: needs at least one minor unit here, and the provider may still refuse it with its own 4xx
MIN_CHARGE_AMOUNTS = {
    "USD": 50, "EUR": 50, "GBP": 30, "JPY": 50, "CAD": 50, "AUD": 50, "NZD": 50, "CHF": 50, "SGD": 50,
    "HKD": 400, "DKK": 250, "NOK": 300, "SEK": 300, "MXN": 1000, "INR": 50, "BRL": 50, "PLN": 200,
    "CZK": 1500, "HUF": 17500, "AED": 200, "THB": 1000, "MYR": 200, "RON": 200, "BGN": 100,
}  # fmt: skip


def check_chargeable(total: Money) -> None:
    """``UnchargeableAmount`` when no provider could charge ``total``: above ``MAX_CHARGE_AMOUNT`` or below
    the currency's minimum (``MIN_CHARGE_AMOUNTS``, else 1)."""
    minimum = MIN_CHARGE_AMOUNTS.get(total.currency, 1)
    if total.amount > MAX_CHARGE_AMOUNT:
        raise UnchargeableAmount(
            f"the order total {total.amount} {total.currency} is above the largest amount a payment "
            f"provider charges ({MAX_CHARGE_AMOUNT} minor units)",
            "items",
        )
    if total.amount < minimum:
        raise UnchargeableAmount(
            f"the order total {total.amount} {total.currency} is below the smallest amount a payment "
            f"provider charges in {total.currency} ({minimum} minor units)",
            "items",
        )
