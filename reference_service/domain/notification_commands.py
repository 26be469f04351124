"""Commands of the notifications area; each has one handler in ``service_layer/handlers/notifications.py``.

They carry recipients and message texts (PII) in memory only: commands are never stored or logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference_service.domain.commands import Command
from reference_service.domain.notifications import EmailFeedback


@dataclass(frozen=True)
class SendEmail(Command):
    """Render ``template`` with ``variables`` and email it to ``to`` (unless the address is suppressed)."""

    template: str
    to: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendSms(Command):
    """Send ``message`` to ``phone`` (E.164) through the first SMS provider that takes it."""

    phone: str
    message: str


@dataclass(frozen=True)
class ApplyEmailFeedback(Command):
    """Apply one SES notification (delivered through SNS message ``event_id``) at most once."""

    event_id: str
    feedback: EmailFeedback


@dataclass(frozen=True)
class ApplySmsStatus(Command):
    """Apply one delivery report (a Twilio status callback) at most once.

    ``event_id`` identifies the report (Twilio: ``<MessageSid>:<MessageStatus>``)."""

    provider: str
    event_id: str
    message_id: str
    provider_status: str
    error_code: str | None = None
