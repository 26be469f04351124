"""The Notification aggregate: one email or SMS to one recipient, and what the providers said about it.

A notification is recorded when the service hands a message to a provider (or decides not to: a
suppressed address). Its ``status`` then only moves forward through ``NOTIFICATION_TRANSITIONS`` as
delivery reports arrive (SES feedback through SNS, Twilio status callbacks), so a late or out-of-order
report is kept in ``history`` but never moves the status back. Every accepted change is appended to
``history`` with the provider's own status word and error code.

``recipient`` (an address or phone number) and ``body`` (an SMS text) are personal data: the repository
stores them encrypted, and neither ever appears in an event or a log line (the API shows the recipient
masked, ``masked_recipient``).

When Twilio reports an SMS ``undelivered`` or ``failed``, the aggregate records ``SmsDeliveryFailed`` so
that the outbox relay may resend it through another provider (``SMS_RETRY_UNDELIVERED_ON_OTHER_PROVIDER``).

Print the status machine with
``python -c "from reference_service.domain.notifications import NOTIFICATION_TRANSITIONS as T; print(T)"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from reference_service.domain.events import Event


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"  # reserved; the provider has not (knowingly) taken it yet
    ACCEPTED = "ACCEPTED"  # the provider took it (SES/SNS accepted, Twilio queued or sending)
    SENT = "SENT"  # handed to the carrier (Twilio "sent")
    DELIVERED = "DELIVERED"
    UNDELIVERED = "UNDELIVERED"  # the carrier could not deliver it (Twilio 300xx)
    FAILED = "FAILED"  # the provider could not send it, or every provider failed
    REJECTED = "REJECTED"  # refused for good (invalid or opted-out number, rejected email)
    SUPPRESSED = "SUPPRESSED"  # not sent: the address hard-bounced or complained before
    BOUNCED = "BOUNCED"  # SES reported a bounce
    COMPLAINED = "COMPLAINED"  # the recipient marked the email as spam


_FINAL = frozenset(
    {
        NotificationStatus.DELIVERED,
        NotificationStatus.UNDELIVERED,
        NotificationStatus.FAILED,
        NotificationStatus.REJECTED,
        NotificationStatus.SUPPRESSED,
        NotificationStatus.BOUNCED,
    }
)
NOTIFICATION_TRANSITIONS: dict[NotificationStatus, frozenset[NotificationStatus]] = {
    NotificationStatus.PENDING: frozenset({NotificationStatus.ACCEPTED, NotificationStatus.SENT} | _FINAL),
    NotificationStatus.ACCEPTED: frozenset(
        {
            NotificationStatus.SENT,
            NotificationStatus.DELIVERED,
            NotificationStatus.UNDELIVERED,
            NotificationStatus.FAILED,
            NotificationStatus.BOUNCED,
            NotificationStatus.COMPLAINED,
        }
    ),
    NotificationStatus.SENT: frozenset(
        {
            NotificationStatus.DELIVERED,
            NotificationStatus.UNDELIVERED,
            NotificationStatus.FAILED,
            NotificationStatus.BOUNCED,
            NotificationStatus.COMPLAINED,
        }
    ),
    # SES may report a complaint (or, rarely, an asynchronous bounce) after the delivery
    NotificationStatus.DELIVERED: frozenset({NotificationStatus.COMPLAINED, NotificationStatus.BOUNCED}),
    NotificationStatus.UNDELIVERED: frozenset(),
    NotificationStatus.FAILED: frozenset(),
    NotificationStatus.REJECTED: frozenset(),
    NotificationStatus.SUPPRESSED: frozenset(),
    NotificationStatus.BOUNCED: frozenset({NotificationStatus.COMPLAINED}),
    NotificationStatus.COMPLAINED: frozenset(),
}
#: statuses after which the message will not be delivered (a resend is a new notification)
UNSUCCESSFUL = frozenset(
    {
        NotificationStatus.UNDELIVERED,
        NotificationStatus.FAILED,
        NotificationStatus.REJECTED,
        NotificationStatus.SUPPRESSED,
        NotificationStatus.BOUNCED,
    }
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class SmsDeliveryFailed(Event):
    """A provider reported that an SMS could not be delivered (no phone number or text in here)."""

    name: ClassVar[str] = "notification.sms_delivery_failed"
    aggregate_type: ClassVar[str] = "notification"
    aggregate_id_field: ClassVar[str] = "notification_id"
    notification_id: str
    provider: str
    status: str
    error_code: str | None = None


@dataclass(frozen=True)
class StatusChange:
    """One report about a notification: our status, the provider's word for it, and its error code."""

    status: NotificationStatus
    provider_status: str
    at: datetime
    source: str  # "api", "relay", "ses", "twilio"
    error_code: str | None = None
    applied: bool = True  # False: recorded, but stale (it would have moved the status backwards)


@dataclass(eq=False)
class Notification:
    """An email or SMS to one recipient (see the module docstring)."""

    id: str
    channel: Channel
    kind: str  # the email template (ORDER_CONFIRMATION...) or "SMS"
    recipient: str  # PII
    created_at: datetime
    updated_at: datetime
    status: NotificationStatus = NotificationStatus.PENDING
    body: str | None = None  # the SMS text (PII); emails are re-rendered, never stored
    order_id: str | None = None
    dedupe_key: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    provider_status: str | None = None
    error_code: str | None = None
    tried: tuple[str, ...] = ()
    retry_of: str | None = None
    history: list[StatusChange] = field(default_factory=list)
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        notification_id: str,
        channel: Channel,
        kind: str,
        recipient: str,
        now: datetime,
        *,
        body: str | None = None,
        order_id: str | None = None,
        dedupe_key: str | None = None,
        retry_of: str | None = None,
    ) -> Notification:
        """A new notification in PENDING."""
        return cls(
            id=notification_id,
            channel=channel,
            kind=kind,
            recipient=recipient,
            created_at=now,
            updated_at=now,
            body=body,
            order_id=order_id,
            dedupe_key=dedupe_key,
            retry_of=retry_of,
        )

    def can_transition_to(self, target: NotificationStatus) -> bool:
        return target in NOTIFICATION_TRANSITIONS[self.status]

    def record(
        self,
        status: NotificationStatus,
        provider_status: str,
        now: datetime,
        source: str,
        error_code: str | None = None,
    ) -> bool:
        """Record a report; move to ``status`` if the machine allows it. Returns whether it moved."""
        if status == self.status:
            # the same coarse status in a new provider word (Twilio queued -> sending) is progress
            fresh = provider_status != self.provider_status and self.status not in UNSUCCESSFUL
            if fresh:
                self.provider_status = provider_status
                self.updated_at = now
            self.history.append(StatusChange(status, provider_status, now, source, error_code, applied=fresh))
            return False
        if not self.can_transition_to(status):
            self.history.append(StatusChange(status, provider_status, now, source, error_code, applied=False))
            return False
        self.status = status
        self.provider_status = provider_status
        if error_code is not None:
            self.error_code = error_code
        self.updated_at = now
        self.history.append(StatusChange(status, provider_status, now, source, error_code))
        if (
            self.channel == Channel.SMS
            and status in (NotificationStatus.UNDELIVERED, NotificationStatus.FAILED)
            and self.provider
        ):
            self.events.append(
                SmsDeliveryFailed(
                    notification_id=self.id,
                    provider=self.provider,
                    status=status.value,
                    error_code=error_code,
                    occurred_at=now,
                )
            )
        return True

    def accepted(
        self,
        provider: str,
        message_id: str,
        provider_status: str,
        now: datetime,
        source: str,
        tried: tuple[str, ...] = (),
    ) -> None:
        """The provider took the message (SES/SNS message id, Twilio SID)."""
        self.provider = provider
        self.provider_message_id = message_id
        self.tried = tried or (provider,)
        self.record(NotificationStatus.ACCEPTED, provider_status, now, source)

    def not_sent(
        self,
        status: NotificationStatus,
        code: str,
        now: datetime,
        source: str,
        *,
        provider: str | None = None,
        tried: tuple[str, ...] = (),
    ) -> None:
        """It was never taken: suppressed, rejected for good, or every provider failed."""
        if provider is not None:
            self.provider = provider
        if tried:
            self.tried = tried
        self.record(status, code.lower(), now, source, code)

    def masked_recipient(self) -> str:
        """``j***@example.com`` or ``********0100``: enough to recognise, not enough to harvest."""
        if self.channel == Channel.EMAIL:
            local, _, domain = self.recipient.partition("@")
            return f"{local[:1]}***@{domain}"
        return f"{'*' * max(0, len(self.recipient) - 4)}{self.recipient[-4:]}"


@dataclass(frozen=True)
class EmailFeedback:
    """What SES reported about one sent email (a Bounce, Complaint or Delivery notification).

    ``recipients`` are the addresses the report is about (PII: never logged). ``message_id`` is SES's
    ``mail.messageId``, the id ``SendEmail`` returned.
    """

    kind: str  # "Bounce", "Complaint", "Delivery" (anything else is ignored)
    message_id: str
    recipients: tuple[str, ...]
    bounce_type: str | None = None  # Permanent, Transient, Undetermined
    bounce_sub_type: str | None = None  # General, NoEmail, Suppressed...
    complaint_type: str | None = None  # abuse, fraud...
    sent_at: datetime | None = None  # mail.timestamp: when SES accepted the email

    @property
    def suppresses(self) -> bool:
        """A hard bounce or a complaint: never email these recipients again."""
        return (self.kind == "Bounce" and self.bounce_type == "Permanent") or self.kind == "Complaint"
