"""Domain errors: raised by aggregates when a business rule is broken.

The entrypoints translate each class into one stable problem+json ``type`` (see
``reference_service/entrypoints/errors.py``), so the class is part of the public contract.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class for every business-rule violation."""


class InvalidOrder(DomainError):
    """The order's content breaks an invariant (no items, mixed currencies, bad amounts...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnchargeableAmount(InvalidOrder):
    """The order's total is outside what the payment providers accept (``money.check_chargeable``), so no
    payment could ever start: refused when the order is created, not later as a provider error."""


class IllegalTransition(DomainError):
    """A status change the order's state machine does not allow (e.g. cancelling twice)."""

    def __init__(self, aggregate: str, aggregate_id: str, current: str, target: str) -> None:
        super().__init__(f"{aggregate} {aggregate_id} cannot move from {current} to {target}")
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        self.current = current
        self.target = target
