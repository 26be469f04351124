"""Money as integer minor units plus an ISO 4217 currency code (house rule 7).

The domain only checks the shape of the code (three upper-case letters); the entrypoints check it
against the ISO 4217 list, because that list is data from a library and the domain imports none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reference_service.domain.errors import InvalidOrder

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
