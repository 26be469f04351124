"""Notification use cases with fakes only: email sending and suppression, the order confirmation from the
relay (idempotent), SES feedback, Twilio status reports, and the resend through another provider."""

from __future__ import annotations

from typing import Any

import pytest

from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.notification_commands import (
    ApplyEmailFeedback,
    ApplySmsStatus,
    SendEmail,
    SendSms,
)
from reference_service.domain.notifications import (
    Channel,
    EmailFeedback,
    Notification,
    NotificationStatus,
    SmsDeliveryFailed,
)
from reference_service.domain.orders import CustomerContact, LineItem, Order
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.handlers import notifications as h
from reference_service.service_layer.notification_errors import (
    AllSmsProvidersFailedException,
    EmailVariablesInvalid,
    InvalidPhoneNumber,
    RecipientSuppressed,
    SmsRecipientRejected,
)
from reference_service.service_layer.outcomes import Created, FeedbackReceipt, SentSms, SmsStatusReceipt
from reference_service.service_layer.policies import SendConfirmationWhenPaid
from tests.fakes import (
    FakeEmailSender,
    FakeEmailTemplates,
    FakeNotificationDatabase,
    FakeSmsProvider,
    FakeSmsRouter,
    FixedClock,
    SequentialIds,
)

N = NotificationStatus
ADDRESS = "ada@example.com"
CONTACT = CustomerContact("Ada", ADDRESS)
VARS = {
    "customerName": "Ada",
    "orderNumber": "ord_1",
    "orderItems": [{"name": "x", "quantity": 1, "price": "1"}],
}


class World:
    def __init__(self) -> None:
        self.db = FakeNotificationDatabase()
        self.clock = FixedClock()
        self.ids = SequentialIds()
        self.templates = FakeEmailTemplates()
        self.sender = FakeEmailSender()
        self.sns, self.twilio = FakeSmsProvider("sns"), FakeSmsProvider("twilio")
        self.router = FakeSmsRouter([self.sns, self.twilio])

    def send_email(
        self, to: str = ADDRESS, template: str = "ORDER_CONFIRMATION", **variables: Any
    ) -> Notification:
        outcome = h.send_email(
            SendEmail(template, to, variables or dict(VARS)),
            uow_factory=self.db,
            clock=self.clock,
            ids=self.ids,
            templates=self.templates,
            sender=self.sender,
        )
        assert isinstance(outcome, Created)
        return outcome.value

    def send_sms(self, phone: str = "+14155550100", message: str = "hi") -> SentSms:
        outcome = h.send_sms(
            SendSms(phone, message), uow_factory=self.db, clock=self.clock, ids=self.ids, router=self.router
        )
        assert isinstance(outcome, Created)
        return outcome.value

    def confirm_order(self, order_id: str) -> str:
        return h.send_order_confirmation(
            order_id,
            uow_factory=self.db,
            clock=self.clock,
            ids=self.ids,
            templates=self.templates,
            sender=self.sender,
            money=lambda amount, currency: f"{amount} {currency}",
        )

    def paid_order(self, contact: CustomerContact | None = CONTACT) -> str:
        order = Order.create(
            "ord_1", "cus_1", "USD", [LineItem("TSHIRT", "T-shirt", 2, 1999)], customer=contact
        )
        self.db.orders[order.id] = order
        return order.id

    def feedback(self, event_id: str, feedback: EmailFeedback) -> FeedbackReceipt:
        return h.apply_email_feedback(
            ApplyEmailFeedback(event_id, feedback), uow_factory=self.db, clock=self.clock
        )

    def status(self, sid: str, status: str, error_code: str | None = None) -> SmsStatusReceipt:
        cmd = ApplySmsStatus("twilio", f"{sid}:{status}", sid, status, error_code)
        return h.apply_sms_status(cmd, uow_factory=self.db, clock=self.clock)

    def resend(self, event: SmsDeliveryFailed, enabled: bool = True) -> str:
        return h.resend_undelivered_sms(
            event,
            uow_factory=self.db,
            clock=self.clock,
            ids=self.ids,
            router=self.router,
            enabled=enabled,
            transient_codes={30003, 30008},
        )


@pytest.fixture
def w() -> World:
    return World()


# -- email ---------------------------------------------------------------------------------------------


def test_an_email_is_rendered_sent_and_recorded(w: World) -> None:
    sent = w.send_email()
    assert sent.status == N.ACCEPTED and sent.provider == "ses" and sent.provider_message_id == "ses-msg-0001"
    assert sent.masked_recipient() == "a***@example.com"
    [(to, email)] = w.sender.sent
    assert to == ADDRESS and email.subject.startswith("ORDER_CONFIRMATION")
    assert w.db.notifications[sent.id].recipient == ADDRESS


def test_missing_variables_send_and_record_nothing(w: World) -> None:
    with pytest.raises(EmailVariablesInvalid) as caught:
        w.send_email(customerName="Ada")
    assert caught.value.missing == ["orderNumber", "orderItems"]
    assert w.sender.sent == [] and w.db.notifications == {}


def test_a_suppressed_address_is_recorded_but_never_sent_to(w: World) -> None:
    w.feedback("sns-1", EmailFeedback("Complaint", "unknown", ("ADA@example.com",), complaint_type="abuse"))
    with pytest.raises(RecipientSuppressed) as caught:
        w.send_email()
    assert caught.value.reason == "complaint" and w.sender.sent == []
    assert w.db.notifications[str(caught.value.notification_id)].status == N.SUPPRESSED


@pytest.mark.parametrize(("retryable", "status"), [(True, N.FAILED), (False, N.REJECTED)])
def test_a_provider_error_is_recorded_and_raised(w: World, retryable: bool, status: N) -> None:
    w.sender.will(ProviderError("ses", "EMAIL_REJECTED", "no", retryable=retryable))
    with pytest.raises(ProviderError):
        w.send_email()
    [notification] = w.db.notifications.values()
    assert notification.status == status and notification.error_code == "EMAIL_REJECTED"


# -- order confirmation ----------------------------------------------------------------------------------


def test_a_paid_order_gets_one_confirmation_even_when_the_relay_repeats_the_event(w: World) -> None:
    order_id = w.paid_order()
    assert w.confirm_order(order_id) == "sent"
    assert w.confirm_order(order_id) == "duplicate"
    assert len(w.sender.sent) == 1
    to, email = w.sender.sent[0]
    assert to == ADDRESS and "orderNumber=ord_1" in email.text and "3998 USD" in email.text
    [notification] = w.db.notifications.values()
    assert notification.dedupe_key == f"order-confirmation:{order_id}" and notification.order_id == order_id


def test_a_transient_ses_failure_raises_for_the_relay_and_the_retry_resumes(w: World) -> None:
    order_id = w.paid_order()
    w.sender.will(ProviderError("ses", "EMAIL_PROVIDER_ERROR", "down", retryable=True))
    with pytest.raises(ProviderError):
        w.confirm_order(order_id)
    [pending] = w.db.notifications.values()
    assert pending.status == N.PENDING
    assert w.confirm_order(order_id) == "sent"
    assert list(w.db.notifications) == [pending.id] and w.db.notifications[pending.id].status == N.ACCEPTED


def test_no_contact_means_no_email_and_a_suppressed_one_is_recorded(w: World) -> None:
    assert w.confirm_order(w.paid_order(contact=None)) == "no_contact"
    assert w.db.notifications == {}
    w2 = World()
    w2.feedback(
        "sns-1", EmailFeedback("Bounce", "x", (ADDRESS,), bounce_type="Permanent", bounce_sub_type="General")
    )
    assert w2.confirm_order(w2.paid_order()) == "suppressed"
    assert w2.sender.sent == []


def test_a_permanent_ses_refusal_is_recorded_not_retried(w: World) -> None:
    w.sender.will(ProviderError("ses", "EMAIL_REJECTED", "no"))
    assert w.confirm_order(w.paid_order()) == "rejected"
    [notification] = w.db.notifications.values()
    assert notification.status == N.REJECTED


def test_only_a_paid_order_is_confirmed_and_only_when_enabled(w: World) -> None:
    order_id = w.paid_order()
    event = OrderStatusChanged(order_id=order_id, previous_status="CREATED", status="PENDING_PAYMENT")
    paid = OrderStatusChanged(order_id=order_id, previous_status="PENDING_PAYMENT", status="PAID")
    assert SendConfirmationWhenPaid(w.confirm_order, enabled=True)(event) == "ignored"
    assert SendConfirmationWhenPaid(w.confirm_order, enabled=False)(paid) == "disabled"
    assert w.sender.sent == [] and w.db.notifications == {}
    assert SendConfirmationWhenPaid(w.confirm_order, enabled=True)(paid) == "sent"


# -- SES feedback ----------------------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_and_moves_the_notification(w: World) -> None:
    message_id = str(w.send_email().provider_message_id)
    fb = EmailFeedback("Bounce", message_id, (ADDRESS,), bounce_type="Permanent", bounce_sub_type="General")
    assert w.feedback("sns-1", fb) == FeedbackReceipt("applied", "Bounce", 1)
    assert w.feedback("sns-1", fb).outcome == "duplicate"
    [notification] = w.db.notifications.values()
    assert notification.status == N.BOUNCED and notification.error_code == "General"
    assert w.db.suppressions[ADDRESS].reason == "bounce"


def test_a_soft_bounce_does_not_suppress(w: World) -> None:
    message_id = str(w.send_email().provider_message_id)
    fb = EmailFeedback(
        "Bounce", message_id, (ADDRESS,), bounce_type="Transient", bounce_sub_type="MailboxFull"
    )
    assert w.feedback("sns-1", fb).suppressed == 0 and w.db.suppressions == {}


def test_delivery_then_complaint(w: World) -> None:
    message_id = str(w.send_email().provider_message_id)
    w.feedback("sns-1", EmailFeedback("Delivery", message_id, (ADDRESS,)))
    w.feedback("sns-2", EmailFeedback("Complaint", message_id, (ADDRESS,), complaint_type="abuse"))
    [notification] = w.db.notifications.values()
    assert [c.status for c in notification.history] == [N.ACCEPTED, N.DELIVERED, N.COMPLAINED]
    assert w.db.suppressions[ADDRESS].reason == "complaint"


def test_feedback_racing_the_send_is_asked_for_again_but_suppresses_at_once(w: World) -> None:
    fb = EmailFeedback("Bounce", "ses-msg-0001", (ADDRESS,), "Permanent", "General", sent_at=w.clock.now())
    assert w.feedback("sns-1", fb) == FeedbackReceipt("retry", "Bounce", 1)
    assert w.db.suppressions[ADDRESS].reason == "bounce" and w.db.inbox == {}
    w.db.suppressions.clear()
    w.send_email()  # the send commits its notification with message id ses-msg-0001
    assert w.feedback("sns-1", fb).outcome == "applied"  # SNS's redelivery
    [notification] = w.db.notifications.values()
    assert notification.status == N.BOUNCED


def test_feedback_about_an_unknown_email_still_suppresses(w: World) -> None:
    fb = EmailFeedback("Complaint", "not-ours", ("x@example.com",), complaint_type="abuse")
    assert w.feedback("sns-1", fb).outcome == "applied"
    assert (
        w.feedback("sns-2", EmailFeedback("Delivery", "not-ours", ("x@example.com",))).outcome == "unmatched"
    )


# -- SMS -------------------------------------------------------------------------------------------------


def test_an_sms_is_recorded_with_the_provider_and_the_tried_list(w: World) -> None:
    w.sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True))
    sent = w.send_sms()
    notification = sent.notification
    assert notification.provider == "twilio" and notification.tried == ("sns", "twilio")
    assert notification.status == N.ACCEPTED and sent.region == "US"
    stored = w.db.notifications[notification.id]
    assert stored.body == "hi" and stored.recipient == "+14155550100"


def test_an_invalid_number_records_nothing(w: World) -> None:
    with pytest.raises(InvalidPhoneNumber):
        w.send_sms("0800 123")
    assert w.db.notifications == {}


def test_a_rejected_or_failed_sms_is_recorded_with_its_id_on_the_error(w: World) -> None:
    w.sns.will(SmsRecipientRejected("sns", "INVALID_NUMBER", "no"))
    with pytest.raises(SmsRecipientRejected) as rejected:
        w.send_sms()
    assert w.db.notifications[str(rejected.value.notification_id)].status == N.REJECTED
    down = ProviderError("x", "SMS_PROVIDER_ERROR", "down", retryable=True)
    w.sns.will(down)
    w.twilio.will(down)
    with pytest.raises(AllSmsProvidersFailedException) as failed:
        w.send_sms()
    stored = w.db.notifications[str(failed.value.notification_id)]
    assert stored.status == N.FAILED and stored.tried == ("sns", "twilio")


def test_status_reports_move_forward_only_and_are_deduplicated(w: World) -> None:
    w.sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True))
    sid = str(w.send_sms().notification.provider_message_id)
    assert w.status(sid, "sending").outcome == "applied"
    assert w.status(sid, "delivered").status == "DELIVERED"
    assert w.status(sid, "sent").outcome == "stale"  # late: does not move it back
    assert w.status(sid, "delivered").outcome == "duplicate"
    assert w.status("SMunknown", "delivered") == SmsStatusReceipt("unmatched")
    [notification] = w.db.notifications.values()
    assert notification.status == N.DELIVERED
    assert [(c.provider_status, c.applied) for c in notification.history] == [
        ("queued", True),
        ("sending", True),
        ("delivered", True),
        ("sent", False),
    ]


def test_an_undelivered_sms_records_the_code_and_an_event(w: World) -> None:
    w.sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True))
    sid = str(w.send_sms().notification.provider_message_id)
    w.status(sid, "sent")
    assert w.status(sid, "undelivered", "30003").status == "UNDELIVERED"
    [event] = [e for e in w.db.outbox if isinstance(e, SmsDeliveryFailed)]
    assert (event.provider, event.status, event.error_code) == ("twilio", "UNDELIVERED", "30003")


def undelivered(w: World, provider: str = "twilio", code: str = "30003") -> SmsDeliveryFailed:
    original = Notification.create("ntf_orig", Channel.SMS, "SMS", "+14155550100", w.clock.now(), body="hi")
    original.accepted(provider, "SM1", "queued", w.clock.now(), "api")
    w.db.notifications[original.id] = original
    return SmsDeliveryFailed(
        notification_id=original.id, provider=provider, status="UNDELIVERED", error_code=code
    )


def test_a_transient_failure_is_resent_once_through_another_provider(w: World) -> None:
    event = undelivered(w)
    assert w.resend(event) == "resent"
    assert w.resend(event) == "duplicate"
    assert w.sns.sent == [("+14155550100", "hi")] and w.twilio.sent == []
    resend = next(n for n in w.db.notifications.values() if n.retry_of == "ntf_orig")
    assert resend.provider == "sns" and resend.status == N.ACCEPTED
    again = SmsDeliveryFailed(notification_id=resend.id, provider="sns", status="FAILED", error_code="30008")
    assert w.resend(again) == "already_a_resend"


@pytest.mark.parametrize(
    ("code", "enabled", "outcome"), [("30006", True, "permanent"), ("30003", False, "disabled")]
)
def test_no_resend_for_permanent_codes_or_when_disabled(
    w: World, code: str, enabled: bool, outcome: str
) -> None:
    assert w.resend(undelivered(w, code=code), enabled=enabled) == outcome
    assert w.sns.sent == []


def test_a_resend_with_the_other_provider_down_is_retried_by_the_relay(w: World) -> None:
    event = undelivered(w)
    w.sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True))
    with pytest.raises(AllSmsProvidersFailedException):
        w.resend(event)
    assert w.resend(event) == "resent"
    assert len([n for n in w.db.notifications.values() if n.retry_of]) == 1


def test_a_resend_with_no_other_provider_gives_up(w: World) -> None:
    w.router = FakeSmsRouter([w.twilio])
    assert w.resend(undelivered(w)) == "no_other_provider"
