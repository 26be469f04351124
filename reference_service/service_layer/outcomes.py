"""What a use case tells its caller: domain outcomes, never protocol details.

A command handler returns one of these; the caller decides what it means on its wire. The Flask
entrypoints map them to status codes in ``entrypoints/api/responses.py`` (``Created`` is 201,
``Updated`` 200, a ``Receipt`` a webhook's 200) and render the value through the OpenAPI ``...Out``
models; the CLI (``genai-demo reconcile``) reads a ``Receipt``'s ``outcome``.

``Replayed`` is the one outcome that carries a stored answer: an idempotent create stores the answer
its first call produced (``ports.StoredResponse``: the HTTP layer's status code and body, made by the
``AnswerEncoder`` the composition root hands the handler), so a retry gets it again byte for byte even
after the resource changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from reference_service.domain.notifications import Notification
from reference_service.domain.payments import Payment
from reference_service.ports import StoredResponse

T = TypeVar("T")


@dataclass(frozen=True)
class Created(Generic[T]):
    """The use case recorded a new ``value`` (an order, a payment attempt, a notification)."""

    value: T


@dataclass(frozen=True)
class Updated(Generic[T]):
    """The use case brought an existing ``value`` to the state it asked for (cancelled, captured)."""

    value: T


@dataclass(frozen=True)
class Replayed:
    """An idempotent request seen before: ``response`` is the first call's answer, as it was stored."""

    response: StoredResponse


@dataclass(frozen=True)
class Receipt:
    """A provider event was taken: ``outcome`` says what it did (``applied``, ``duplicate``, ``stale``,
    ``unmatched``, ``ignored``; ``retry`` when it arrived before what it is about)."""

    outcome: str


@dataclass(frozen=True)
class FeedbackReceipt(Receipt):
    """An SES notification was taken: its ``kind`` and how many addresses it ``suppressed``."""

    kind: str
    suppressed: int


@dataclass(frozen=True)
class SmsStatusReceipt(Receipt):
    """A delivery report was taken; the matched notification and its status after it (when matched)."""

    notification_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class StartedPayment:
    """A payment attempt after the provider answered, with what the client needs to complete it."""

    payment: Payment
    client_secret: str | None
    approve_url: str | None
    next_action: dict[str, Any] | None


@dataclass(frozen=True)
class SentSms:
    """An SMS a provider took, with the region of the number (ISO 3166) the router chose it for."""

    notification: Notification
    region: str


class AnswerEncoder(Protocol):
    """Turns an outcome into the answer a retry of the same idempotent request must replay."""

    def __call__(self, outcome: Created[Any]) -> tuple[int, dict[str, Any]]: ...
