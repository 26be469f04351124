"""Notification use cases: send an email or an SMS, apply provider feedback, and the relay's reactions.

No database transaction is held open during a provider call. Sends the outbox relay makes (the order
confirmation, an SMS resend) first *reserve* their notification under a unique ``dedupe_key`` and
commit, then call the provider, then record what it said. The relay delivers events at least once, so a
second run finds the reservation: a notification past PENDING is not sent again, one still PENDING (the
provider was down, or the process died mid-call) is sent on the next attempt. SES has no idempotency
key, so a crash between SES accepting an email and the commit can, rarely, send it twice; that is the
price of never losing one.

Provider feedback (SES bounces/complaints/deliveries through SNS, Twilio status callbacks) is applied at
most once: deduplicated in the webhook inbox by the provider's event id, in the same transaction as its
effect, and only ever moving a notification forward. A hard bounce or a complaint puts the address on
the suppression list, and a suppressed address is never emailed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from reference_service.domain.deliveries import DeliveryStatusChanged
from reference_service.domain.notification_commands import (
    ApplyEmailFeedback,
    ApplySmsStatus,
    SendEmail,
    SendSms,
)
from reference_service.domain.notifications import (
    Channel,
    Notification,
    NotificationStatus,
    SmsDeliveryFailed,
)
from reference_service.domain.orders import Order
from reference_service.ports import (
    Clock,
    EmailSender,
    EmailTemplates,
    IdGenerator,
    SmsRouter,
    UnitOfWork,
    UnitOfWorkFactory,
)
from reference_service.service_layer.errors import ConcurrencyConflict, DuplicateWebhookEvent, ProviderError
from reference_service.service_layer.notification_errors import (
    AllSmsProvidersFailedException,
    EmailVariablesInvalid,
    RecipientSuppressed,
    SmsRecipientRejected,
    SmsRegionUnsupported,
)
from reference_service.service_layer.outcomes import Created, FeedbackReceipt, SentSms, SmsStatusReceipt

logger = logging.getLogger(__name__)
MoneyFormat = Callable[[int, str], str]
ORDER_CONFIRMATION = "ORDER_CONFIRMATION"

#: Twilio ``MessageStatus`` → the service's status
SMS_STATUSES: dict[str, NotificationStatus] = {
    "accepted": NotificationStatus.ACCEPTED,
    "scheduled": NotificationStatus.ACCEPTED,
    "queued": NotificationStatus.ACCEPTED,
    "sending": NotificationStatus.ACCEPTED,
    "sent": NotificationStatus.SENT,
    "delivered": NotificationStatus.DELIVERED,
    "read": NotificationStatus.DELIVERED,
    "partially_delivered": NotificationStatus.DELIVERED,
    "undelivered": NotificationStatus.UNDELIVERED,
    "failed": NotificationStatus.FAILED,
    "canceled": NotificationStatus.FAILED,
}


def _retry_conflicts() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(4), reraise=True
    )


def _record(
    uow_factory: UnitOfWorkFactory, notification_id: str, update: Callable[[Notification], None]
) -> Notification:
    """Load a notification, apply ``update`` and commit (retrying an optimistic-lock conflict)."""
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            notification = uow.notifications.get(notification_id)
            if notification is None:  # pragma: no cover - callers reserved it first
                raise LookupError(f"notification {notification_id} vanished")
            update(notification)
            uow.commit()
            return notification
    raise AssertionError("unreachable")  # pragma: no cover


# -- email ----------------------------------------------------------------------------------------------


def send_email(
    cmd: SendEmail,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    templates: EmailTemplates,
    sender: EmailSender,
) -> Created[Notification]:
    """Render and send one templated email; a suppressed address is recorded and refused, not sent."""
    rendered = templates.render(cmd.template, cmd.variables)  # invalid variables: nothing happens
    notification = Notification.create(ids.new_id("ntf"), Channel.EMAIL, cmd.template, cmd.to, clock.now())
    with uow_factory() as uow:
        suppression = uow.suppressions.get(cmd.to)
        if suppression is not None:
            notification.not_sent(NotificationStatus.SUPPRESSED, "SUPPRESSED", clock.now(), "api")
            uow.notifications.add(notification)
            uow.commit()
            raise RecipientSuppressed(suppression.reason, notification.id)
    try:
        message_id = sender.send(cmd.to, rendered)
    except ProviderError as error:
        status = NotificationStatus.FAILED if error.retryable else NotificationStatus.REJECTED
        notification.not_sent(
            status, error.code, clock.now(), "api", provider=sender.name, tried=(sender.name,)
        )
        with uow_factory() as uow:
            uow.notifications.add(notification)
            uow.commit()
        raise
    notification.accepted(sender.name, message_id, "accepted", clock.now(), "api")
    with uow_factory() as uow:
        uow.notifications.add(notification)
        uow.commit()
    return Created(notification)


def order_confirmation_variables(order: Order, money: MoneyFormat) -> dict[str, Any]:
    """The ORDER_CONFIRMATION variables for a paid order (its contact must be set)."""
    assert order.customer is not None
    return {
        "customerName": order.customer.name,
        "orderNumber": order.id,
        "orderItems": [
            {
                "name": item.name,
                "quantity": item.quantity,
                "price": money(item.line_total, order.currency),
                "sku": item.sku,
            }
            for item in order.items
        ],
        "orderTotal": money(order.total.amount, order.currency),
    }


@dataclass(frozen=True)
class _Reserved:
    notification_id: str
    recipient: str
    context: dict[str, Any]


def _reserve(
    uow_factory: UnitOfWorkFactory,
    dedupe_key: str,
    build: Callable[[UnitOfWork], tuple[Notification, dict[str, Any]] | str],
) -> _Reserved | str:
    """Find or create the notification of ``dedupe_key``; a string is why there is nothing (more) to do.

    ``build`` makes the new notification (or says why not); an existing one past PENDING is ``duplicate``.
    """
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            existing = uow.notifications.get_by_dedupe_key(dedupe_key)
            if existing is not None and existing.status != NotificationStatus.PENDING:
                return "duplicate"
            built = build(uow)
            if isinstance(built, str):
                return built
            fresh, context = built
            if existing is not None:  # a previous attempt reserved it and did not finish: resume it
                return _Reserved(existing.id, existing.recipient, context)
            uow.notifications.add(fresh)
            if fresh.status != NotificationStatus.PENDING:  # decided without calling a provider (suppressed)
                uow.commit()
                return fresh.status.value.lower()
            uow.commit()
            return _Reserved(fresh.id, fresh.recipient, context)
    raise AssertionError("unreachable")  # pragma: no cover


def send_order_confirmation(
    order_id: str,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    templates: EmailTemplates,
    sender: EmailSender,
    money: MoneyFormat,
) -> str:
    """Email the ORDER_CONFIRMATION of a paid order once (idempotent under relay retries); the
    ``SendConfirmationWhenPaid`` policy (``service_layer/policies.py``) decides when.

    Returns the outcome (``sent``, ``duplicate``, ``suppressed``, ``no_contact``, ``rejected``...). A
    transient SES failure raises, so the relay retries with backoff; the reservation stays PENDING.
    """

    def build(uow: UnitOfWork) -> tuple[Notification, dict[str, Any]] | str:
        order = uow.orders.get(order_id)
        if order is None or order.customer is None:
            return "no_contact"
        variables = order_confirmation_variables(order, money)
        notification = Notification.create(
            ids.new_id("ntf"),
            Channel.EMAIL,
            ORDER_CONFIRMATION,
            order.customer.email,
            clock.now(),
            order_id=order_id,
            dedupe_key=f"order-confirmation:{order_id}",
        )
        suppression = uow.suppressions.get(order.customer.email)
        if suppression is not None:
            notification.not_sent(NotificationStatus.SUPPRESSED, "SUPPRESSED", clock.now(), "relay")
        return notification, variables

    reserved = _reserve(uow_factory, f"order-confirmation:{order_id}", build)
    if isinstance(reserved, str):
        logger.info("order confirmation for %s: %s", order_id, reserved)
        return reserved
    return _send_reserved_email(
        reserved,
        ORDER_CONFIRMATION,
        reserved.context,
        f"order confirmation for {order_id}",
        uow_factory=uow_factory,
        clock=clock,
        templates=templates,
        sender=sender,
    )


def _send_reserved_email(
    reserved: _Reserved,
    template: str,
    variables: dict[str, Any],
    what: str,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    templates: EmailTemplates,
    sender: EmailSender,
) -> str:
    """Render and send a reserved email and record what happened (``sent``, ``invalid``, ``rejected``); a
    transient failure raises, so the relay retries with backoff and the reservation stays PENDING."""
    notification_id = reserved.notification_id
    try:
        rendered = templates.render(template, variables)
    except EmailVariablesInvalid as invalid:
        logger.error("%s cannot be rendered: %s", what, invalid.missing)
        _record(
            uow_factory,
            notification_id,
            lambda n: n.not_sent(NotificationStatus.FAILED, "INVALID_VARIABLES", clock.now(), "relay"),
        )
        return "invalid"
    try:
        message_id = sender.send(reserved.recipient, rendered)
    except ProviderError as error:
        if error.retryable:
            raise  # the relay retries; the notification stays PENDING and is resumed
        code = error.code
        _record(
            uow_factory,
            notification_id,
            lambda n: n.not_sent(
                NotificationStatus.REJECTED, code, clock.now(), "relay", provider=sender.name
            ),
        )
        logger.warning("%s rejected by %s: %s", what, sender.name, code)
        return "rejected"
    _record(
        uow_factory,
        notification_id,
        lambda n: n.accepted(sender.name, message_id, "accepted", clock.now(), "relay"),
    )
    logger.info("%s sent as %s", what, notification_id)
    return "sent"


#: feedback about an email younger than this that no notification knows yet is asked for again
FEEDBACK_MATCH_WINDOW = timedelta(minutes=5)


def apply_email_feedback(
    cmd: ApplyEmailFeedback, *, uow_factory: UnitOfWorkFactory, clock: Clock
) -> FeedbackReceipt:
    """Apply one SES notification at most once: suppress hard-bounced/complaining addresses, move the
    notification (matched by SES message id) to DELIVERED, BOUNCED or COMPLAINED.

    The receipt holds ``outcome`` (``applied``, ``duplicate``, ``unmatched``, ``ignored``, ``retry``),
    ``kind`` and ``suppressed`` (how many addresses were added to the suppression list).

    ``retry``: SES can report on an email before the service has recorded the message id ``SendEmail``
    returned (the lab's simulator answers within milliseconds). Feedback about an unknown email sent less
    than ``FEEDBACK_MATCH_WINDOW`` ago commits its suppressions but is not marked as seen, so the
    entrypoint answers non-2xx and SNS delivers it again, by which time it matches. Older unknown
    feedback (mail sent by something else) is acknowledged as ``unmatched``.
    """
    feedback = cmd.feedback
    targets = {
        "Bounce": NotificationStatus.BOUNCED,
        "Complaint": NotificationStatus.COMPLAINED,
        "Delivery": NotificationStatus.DELIVERED,
    }
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            if uow.webhook_inbox.seen("sns", cmd.event_id):
                return FeedbackReceipt("duplicate", feedback.kind, 0)
            suppressed = 0
            if feedback.suppresses:
                reason = "complaint" if feedback.kind == "Complaint" else "bounce"
                detail = (
                    feedback.complaint_type
                    if feedback.kind == "Complaint"
                    else f"{feedback.bounce_type}/{feedback.bounce_sub_type}"
                )
                for address in dict.fromkeys(a.strip().lower() for a in feedback.recipients):
                    suppressed += int(uow.suppressions.add(address, reason, detail))
            notification = uow.notifications.get_by_provider_ref("ses", feedback.message_id)
            if feedback.kind not in targets:
                outcome = "ignored"
            elif notification is None:
                outcome = "unmatched"
            else:
                word = {"Bounce": f"bounce:{feedback.bounce_type}", "Complaint": "complaint"}.get(
                    feedback.kind, "delivery"
                )
                code = feedback.bounce_sub_type if feedback.kind == "Bounce" else feedback.complaint_type
                moved = notification.record(targets[feedback.kind], word.lower(), clock.now(), "ses", code)
                outcome = "applied" if moved else "stale"
            young = feedback.sent_at is not None and clock.now() - feedback.sent_at < FEEDBACK_MATCH_WINDOW
            if outcome == "unmatched" and young:
                uow.commit()  # the suppressions, without marking the event as seen
                return FeedbackReceipt("retry", feedback.kind, suppressed)
            if suppressed and outcome in ("unmatched", "ignored"):
                outcome = "applied"
            uow.webhook_inbox.record(
                "sns",
                cmd.event_id,
                f"ses.{feedback.kind}",
                outcome,
                notification.id if notification else None,
            )
            try:
                uow.commit()
            except DuplicateWebhookEvent:
                return FeedbackReceipt("duplicate", feedback.kind, 0)
            return FeedbackReceipt(outcome, feedback.kind, suppressed)
    raise AssertionError("unreachable")  # pragma: no cover


# -- SMS ------------------------------------------------------------------------------------------------


def send_sms(
    cmd: SendSms, *, uow_factory: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, router: SmsRouter
) -> Created[SentSms]:
    """Send one SMS through the router and record where it went (or why it went nowhere)."""
    number, _region = router.normalize(cmd.phone)  # InvalidPhoneNumber before anything is recorded
    notification = Notification.create(
        ids.new_id("ntf"), Channel.SMS, "SMS", number, clock.now(), body=cmd.message
    )
    try:
        dispatch = router.send(number, cmd.message)
    except SmsRecipientRejected as rejected:
        notification.not_sent(
            NotificationStatus.REJECTED,
            rejected.code,
            clock.now(),
            "api",
            provider=rejected.provider,
            tried=tuple(rejected.tried),
        )
        rejected.notification_id = notification.id
        _add(uow_factory, notification)
        raise
    except AllSmsProvidersFailedException as failed:
        notification.not_sent(
            NotificationStatus.FAILED, "ALL_PROVIDERS_FAILED", clock.now(), "api", tried=tuple(failed.tried)
        )
        failed.notification_id = notification.id
        _add(uow_factory, notification)
        raise
    except SmsRegionUnsupported:
        raise
    notification.accepted(
        dispatch.provider, dispatch.message_id, dispatch.status, clock.now(), "api", tried=dispatch.tried
    )
    _add(uow_factory, notification)
    return Created(SentSms(notification, dispatch.region))


def _add(uow_factory: UnitOfWorkFactory, notification: Notification) -> None:
    with uow_factory() as uow:
        uow.notifications.add(notification)
        uow.commit()


def apply_sms_status(
    cmd: ApplySmsStatus, *, uow_factory: UnitOfWorkFactory, clock: Clock
) -> SmsStatusReceipt:
    """Apply one delivery report at most once; ``outcome`` is ``applied``, ``stale``, ``duplicate``,
    ``unmatched`` (no notification has that message id: not recorded, so a redelivery can still match) or
    ``ignored`` (a status word the service does not know)."""
    target = SMS_STATUSES.get(cmd.provider_status)
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            if uow.webhook_inbox.seen(cmd.provider, cmd.event_id):
                return SmsStatusReceipt("duplicate")
            notification = uow.notifications.get_by_provider_ref(cmd.provider, cmd.message_id)
            if notification is None:
                return SmsStatusReceipt("unmatched")
            if target is None:
                outcome = "ignored"
            else:
                moved = notification.record(
                    target, cmd.provider_status, clock.now(), cmd.provider, cmd.error_code
                )
                applied = notification.history[-1].applied
                outcome = "applied" if moved or applied else "stale"
            uow.webhook_inbox.record(
                cmd.provider, cmd.event_id, f"sms.{cmd.provider_status}"[:100], outcome, notification.id
            )
            try:
                uow.commit()
            except DuplicateWebhookEvent:
                return SmsStatusReceipt("duplicate")
            return SmsStatusReceipt(outcome, notification.id, notification.status.value)
    raise AssertionError("unreachable")  # pragma: no cover


def resend_undelivered_sms(
    event: SmsDeliveryFailed,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    router: SmsRouter,
    enabled: bool,
    transient_codes: Collection[int],
) -> str:
    """Resend an SMS a provider could not deliver through another provider, once, when the error code is
    transient (``SMS_TRANSIENT_DELIVERY_CODES``) and ``SMS_RETRY_UNDELIVERED_ON_OTHER_PROVIDER`` is on.

    The resend is a new notification (``retry_of`` = the original), reserved under
    ``sms-resend:<original id>`` so a relay retry never sends it twice. If every other provider is down
    the relay retries later.
    """
    if not enabled:
        return "disabled"
    code = event.error_code
    if code is None or not code.isdigit() or int(code) not in transient_codes:
        return "permanent"
    dedupe_key = f"sms-resend:{event.notification_id}"

    def build(uow: UnitOfWork) -> tuple[Notification, dict[str, Any]] | str:
        original = uow.notifications.get(event.notification_id)
        if original is None or original.body is None:
            return "missing"
        if original.retry_of is not None:
            return "already_a_resend"  # one resend per message: no ping-pong between providers
        resend = Notification.create(
            ids.new_id("ntf"),
            Channel.SMS,
            original.kind,
            original.recipient,
            clock.now(),
            body=original.body,
            order_id=original.order_id,
            dedupe_key=dedupe_key,
            retry_of=original.id,
        )
        return resend, {"body": original.body}

    reserved = _reserve(uow_factory, dedupe_key, build)
    if isinstance(reserved, str):
        return reserved
    notification_id = reserved.notification_id
    try:
        dispatch = router.send(reserved.recipient, str(reserved.context["body"]), exclude={event.provider})
    except (SmsRecipientRejected, SmsRegionUnsupported) as error:
        error_code = getattr(error, "code", "UNSUPPORTED_REGION")
        _record(
            uow_factory,
            notification_id,
            lambda n: n.not_sent(NotificationStatus.REJECTED, str(error_code), clock.now(), "relay"),
        )
        return "rejected"
    except AllSmsProvidersFailedException as failed:
        if failed.tried or "circuit_open" in failed.skipped.values():
            raise  # another provider exists but is failing now: the relay retries later
        _record(
            uow_factory,
            notification_id,
            lambda n: n.not_sent(NotificationStatus.FAILED, "NO_OTHER_PROVIDER", clock.now(), "relay"),
        )
        return "no_other_provider"
    _record(
        uow_factory,
        notification_id,
        lambda n: n.accepted(
            dispatch.provider,
            dispatch.message_id,
            dispatch.status,
            clock.now(),
            "relay",
            tried=dispatch.tried,
        ),
    )
    logger.info("sms %s resent as %s through %s", event.notification_id, notification_id, dispatch.provider)
    return "resent"


# -- delivery status updates -------------------------------------------------------------------------------

DELIVERY_UPDATE = "DELIVERY_UPDATE"
#: delivery status -> (title, sentence) the customer reads; other statuses are not notified
DELIVERY_NEWS: dict[str, tuple[str, str]] = {
    "IN_TRANSIT": ("Your order has shipped", "is on its way."),
    "OUT_FOR_DELIVERY": ("Your order is out for delivery", "will be delivered today."),
    "DELIVERED": ("Your order has been delivered", "has been delivered. Enjoy!"),
    "RETURNED": ("Your order is coming back to us", "could not be delivered and is being returned to us."),
    "FAILED": ("We could not deliver your order", "could not be delivered; the carrier will contact you."),
}


def delivery_update_variables(
    order: Order, event: DeliveryStatusChanged, estimated: str | None
) -> dict[str, Any]:
    """The DELIVERY_UPDATE variables (the order's contact must be set)."""
    assert order.customer is not None
    title, message = DELIVERY_NEWS[event.status]
    variables: dict[str, Any] = {
        "customerName": order.customer.name,
        "orderNumber": order.id,
        "statusTitle": title,
        "statusMessage": message,
        "carrier": event.carrier or "the carrier",
        "trackingNumber": event.tracking_number or "-",
    }
    if estimated is not None:
        variables["estimatedDelivery"] = estimated
    return variables


def delivery_sms_text(variables: dict[str, Any]) -> str:
    """The SMS of a delivery update (one GSM-7 segment when the numbers allow)."""
    return (
        f"{variables['statusTitle']}: order {variables['orderNumber']} {variables['statusMessage']} "
        f"{variables['carrier']} {variables['trackingNumber']}"
    )


def send_delivery_update(
    event: DeliveryStatusChanged,
    *,
    channel: Channel,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    templates: EmailTemplates,
    sender: EmailSender,
    router: SmsRouter,
) -> str:
    """Tell the customer about a delivery's new status on ``channel``, exactly once per (delivery, status,
    channel): the notification is reserved under ``delivery:<id>:<status>:<channel>``, so a repeated webhook
    (a new event of the same status is stale and records no event) or a relay retry never sends twice.

    Returns ``sent``, ``duplicate``, ``not_notified`` (a status customers are not told about), ``no_contact``,
    ``no_phone``, ``suppressed``, ``rejected``...; a transient provider failure raises (the relay retries).
    """
    if event.status not in DELIVERY_NEWS:
        return "not_notified"
    dedupe_key = f"delivery:{event.delivery_id}:{event.status}:{channel.value.lower()}"

    def build(uow: UnitOfWork) -> tuple[Notification, dict[str, Any]] | str:
        order = uow.orders.get(event.order_id)
        if order is None or order.customer is None:
            return "no_contact"
        delivery = uow.deliveries.get(event.delivery_id)
        estimated = None
        if delivery is not None and delivery.est_delivery_at is not None and event.status != "DELIVERED":
            estimated = delivery.est_delivery_at.date().isoformat()
        variables = delivery_update_variables(order, event, estimated)
        if channel == Channel.SMS:
            if not order.customer.phone:
                return "no_phone"
            text = delivery_sms_text(variables)
            sms = Notification.create(
                ids.new_id("ntf"),
                Channel.SMS,
                DELIVERY_UPDATE,
                order.customer.phone,
                clock.now(),
                body=text,
                order_id=order.id,
                dedupe_key=dedupe_key,
            )
            return sms, {"body": text}
        email = Notification.create(
            ids.new_id("ntf"),
            Channel.EMAIL,
            DELIVERY_UPDATE,
            order.customer.email,
            clock.now(),
            order_id=order.id,
            dedupe_key=dedupe_key,
        )
        if uow.suppressions.get(order.customer.email) is not None:
            email.not_sent(NotificationStatus.SUPPRESSED, "SUPPRESSED", clock.now(), "relay")
        return email, variables

    reserved = _reserve(uow_factory, dedupe_key, build)
    what = f"delivery update {event.delivery_id} {event.status} ({channel.value})"
    if isinstance(reserved, str):
        logger.info("%s: %s", what, reserved)
        return reserved
    if channel == Channel.EMAIL:
        return _send_reserved_email(
            reserved,
            DELIVERY_UPDATE,
            reserved.context,
            what,
            uow_factory=uow_factory,
            clock=clock,
            templates=templates,
            sender=sender,
        )
    try:
        dispatch = router.send(reserved.recipient, str(reserved.context["body"]))
    except (SmsRecipientRejected, SmsRegionUnsupported) as error:
        error_code = getattr(error, "code", "UNSUPPORTED_REGION")
        _record(
            uow_factory,
            reserved.notification_id,
            lambda n: n.not_sent(NotificationStatus.REJECTED, str(error_code), clock.now(), "relay"),
        )
        return "rejected"
    _record(
        uow_factory,
        reserved.notification_id,
        lambda n: n.accepted(
            dispatch.provider,
            dispatch.message_id,
            dispatch.status,
            clock.now(),
            "relay",
            tried=dispatch.tried,
        ),
    )
    logger.info("%s sent through %s", what, dispatch.provider)
    return "sent"
