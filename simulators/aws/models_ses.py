"""SES on moto: the mailbox simulator's feedback notifications and what was sent, bodies included.

**Mailbox simulator** (SES developer guide, "Using the mailbox simulator",
docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html). Mail to these recipients (a
``+label`` before the ``@`` is allowed, as in SES) produces feedback:

==========================================  =========================================================
``success@simulator.amazonses.com``         delivered (``Delivery`` notification)
``bounce@simulator.amazonses.com``          hard bounce: ``Bounce``, ``bounceType`` ``Permanent``,
                                            ``bounceSubType`` ``General``, SMTP 550 5.1.1
``complaint@simulator.amazonses.com``       delivered, then the recipient marks it as spam:
                                            ``Delivery`` and ``Complaint`` (``abuse``)
``suppressionlist@simulator.amazonses.com`` ``Bounce`` ``Permanent`` / ``Suppressed``
``ooto@simulator.amazonses.com``            delivered (the out-of-office reply is not modelled)
==========================================  =========================================================

Any other recipient counts as delivered. Notifications go to the SNS topics set with
``SetIdentityNotificationTopic`` (``Bounce``, ``Complaint``, ``Delivery``) on the sending *address*, or
else on its *domain* (an address's settings win, as in SES). Each is one SNS publish whose ``Message`` is
SES's notification JSON ("Amazon SES notification contents": ``notificationType``, ``bounce``/
``complaint``/``delivery`` and ``mail`` with ``messageId``, ``source``, ``sourceArn``, ``destination``,
``headers``, ``commonHeaders``), so an HTTP/S subscriber receives it as a signed SNS ``Notification``.

moto keeps only one body of ``SendEmail`` (the HTML one when both are given); :class:`SesFeedback` keeps
the text and HTML parts from the request too, for ``GET /_sim/aws/sent-emails``.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from simulators.aws.webhooks import iso_timestamp

if TYPE_CHECKING:
    from simulators.aws.patches import RequestContext
    from simulators.kernel.app import SimulatorRuntime

SIMULATOR_DOMAIN = "simulator.amazonses.com"
MAILBOXES = ("success", "bounce", "complaint", "suppressionlist", "ooto")
REPORTING_MTA = "a8-70.smtp-out.amazonses.com"
MAX_CAPTURED = 10_000  # bodies kept for the newest sends; older ones fall back to moto's single body


def mailbox(address: str) -> str | None:
    """The mailbox-simulator kind of a recipient (``bounce``, ``complaint``...) or ``None``."""
    _, addr = parseaddr(address)
    local, _, domain = addr.lower().partition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    kind = local.partition("+")[0]
    return kind if kind in MAILBOXES else None


def recipients_of(message: Any) -> list[str]:
    """Every recipient address of a moto SES message (dict destinations or a raw list)."""
    destinations = getattr(message, "destinations", [])
    if isinstance(destinations, dict):
        keys = ("ToAddresses", "CcAddresses", "BccAddresses")
        return [a for k in keys for a in destinations.get(k, [])]
    return list(destinations or [])


@dataclass
class CapturedEmail:
    """What the simulator kept of one send beyond moto's ``sent_messages`` entry."""

    message_id: str
    time: float
    access_key: str | None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    reply_to: list[str] = field(default_factory=list)
    configuration_set: str | None = None
    feedback: list[str] = field(default_factory=list)


def _members(form: dict[str, list[str]], prefix: str) -> list[str]:
    items = sorted(
        (
            (int(k[len(prefix) :]), v[0])
            for k, v in form.items()
            if k.startswith(prefix) and k[len(prefix) :].isdigit()
        )
    )
    return [v for _, v in items]


def _mime_parts(raw: str) -> tuple[str | None, str | None, str | None]:
    """Subject, text and HTML of a raw MIME message."""
    parsed = email.message_from_string(raw, policy=email.policy.default)
    text = html = None
    for part in parsed.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        try:
            content = part.get_content()
        except (LookupError, KeyError):
            continue
        if ctype == "text/plain" and text is None and isinstance(content, str):
            text = content
        elif ctype == "text/html" and html is None and isinstance(content, str):
            html = content
    subject = parsed.get("Subject")
    return (str(subject) if subject is not None else None), text, html


class SesFeedback:
    """Captures sent bodies and publishes feedback notifications (see the module docstring)."""

    def __init__(self, runtime: SimulatorRuntime) -> None:
        self.runtime = runtime
        self._captured: dict[str, CapturedEmail] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget captured bodies."""
        with self._lock:
            self._captured.clear()

    def captured(self, message_id: str) -> CapturedEmail | None:
        """What was kept for a message id."""
        return self._captured.get(message_id)

    # -- capture ---------------------------------------------------------------------------------------------
    def _capture(self, ctx: RequestContext, message: Any) -> CapturedEmail:
        item = CapturedEmail(message.id, self.runtime.clock.now(), ctx.access_key)
        raw = getattr(message, "raw_data", None)
        body = ctx.json if isinstance(ctx.json, dict) else None
        if isinstance(raw, str):
            item.subject, item.text, item.html = _mime_parts(raw)
        elif body is not None:  # SES v2: Content.Simple
            simple = (body.get("Content") or {}).get("Simple") or {}
            item.subject = (simple.get("Subject") or {}).get("Data")
            parts = simple.get("Body") or {}
            item.text = (parts.get("Text") or {}).get("Data")
            item.html = (parts.get("Html") or {}).get("Data")
            item.reply_to = list(body.get("ReplyToAddresses") or [])
            item.configuration_set = body.get("ConfigurationSetName")
        else:
            item.subject = ctx.param("Message.Subject.Data")
            item.text = ctx.param("Message.Body.Text.Data")
            item.html = ctx.param("Message.Body.Html.Data")
            item.reply_to = _members(ctx.form, "ReplyToAddresses.member.")
            item.configuration_set = ctx.param("ConfigurationSetName")
        with self._lock:
            self._captured[item.message_id] = item
            while len(self._captured) > MAX_CAPTURED:
                del self._captured[next(iter(self._captured))]
        return item

    # -- feedback --------------------------------------------------------------------------------------------
    @staticmethod
    def _topics(backend: Any, source: str) -> dict[str, Any]:
        _, address = parseaddr(source)
        domain = address.partition("@")[2]
        topics = dict(backend.sns_topics.get(domain, {}))
        topics.update(backend.sns_topics.get(address, {}))
        return topics

    def _mail(self, backend: Any, message: Any, item: CapturedEmail, recipients: list[str]) -> dict[str, Any]:
        source = str(getattr(message, "source", "") or "")
        _, address = parseaddr(source)
        identity = address if address in backend.email_identities else address.partition("@")[2]
        timestamp = iso_timestamp(item.time)
        headers = [
            {"name": "From", "value": source},
            {"name": "To", "value": ", ".join(recipients)},
            {"name": "Subject", "value": item.subject or ""},
            {"name": "MIME-Version", "value": "1.0"},
        ]
        return {
            "timestamp": timestamp,
            "messageId": message.id,
            "source": source,
            "sourceArn": f"arn:aws:ses:{backend.region_name}:{backend.account_id}:identity/{identity}",
            "sourceIp": "127.0.0.1",
            "callerIdentity": item.access_key or "",
            "sendingAccountId": backend.account_id,
            "destination": recipients,
            "headersTruncated": False,
            "headers": headers,
            "commonHeaders": {
                "from": [source],
                "to": recipients,
                "messageId": message.id,
                "subject": item.subject or "",
            },
        }

    def _feedback_id(self) -> str:
        ids = self.runtime.ids
        return f"{ids.hex(16)}-{ids.uuid4()}-000000"

    def _publish(self, topic_arn: str, notification: dict[str, Any]) -> None:
        from moto.sns.models import sns_backends
        from moto.utilities.arns import parse_arn

        arn = parse_arn(topic_arn)
        sns_backends[arn.account][arn.region].publish(json.dumps(notification), arn=topic_arn)

    def after_send(self, ctx: RequestContext, backend: Any, message: Any) -> None:
        """Keep the bodies of a sent message and publish its feedback notifications."""
        item = self._capture(ctx, message)
        recipients = recipients_of(message)
        topics = self._topics(backend, str(getattr(message, "source", "") or ""))
        if not topics:
            return
        kinds = {r: mailbox(r) for r in recipients}
        bounced = [r for r in recipients if kinds[r] in ("bounce", "suppressionlist")]
        complained = [r for r in recipients if kinds[r] == "complaint"]
        delivered = [r for r in recipients if r not in bounced]
        now = iso_timestamp(self.runtime.clock.now())
        mail = self._mail(backend, message, item, recipients)
        if bounced and topics.get("Bounce"):
            suppressed = all(kinds[r] == "suppressionlist" for r in bounced)
            bounce = {
                "feedbackId": self._feedback_id(),
                "bounceType": "Permanent",
                "bounceSubType": "Suppressed" if suppressed else "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": r,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                        if kinds[r] == "bounce"
                        else "Amazon SES has suppressed sending to this address because it has a recent "
                        "history of bouncing as an invalid address.",
                    }
                    for r in bounced
                ],
                "timestamp": now,
                "remoteMtaIp": "127.0.2.0",
                "reportingMTA": f"dsn; {REPORTING_MTA}",
            }
            self._publish(topics["Bounce"], {"notificationType": "Bounce", "bounce": bounce, "mail": mail})
            item.feedback.append("Bounce")
        if delivered and topics.get("Delivery"):
            delivery = {
                "timestamp": now,
                "processingTimeMillis": 546,
                "recipients": delivered,
                "smtpResponse": "250 2.6.0 Message received",
                "remoteMtaIp": "127.0.2.0",
                "reportingMTA": REPORTING_MTA,
            }
            self._publish(
                topics["Delivery"], {"notificationType": "Delivery", "mail": mail, "delivery": delivery}
            )
            item.feedback.append("Delivery")
        if complained and topics.get("Complaint"):
            complaint = {
                "feedbackId": self._feedback_id(),
                "complaintSubType": None,
                "complainedRecipients": [{"emailAddress": r} for r in complained],
                "timestamp": now,
                "userAgent": "Amazon SES Mailbox Simulator",
                "complaintFeedbackType": "abuse",
                "arrivalDate": now,
            }
            self._publish(
                topics["Complaint"], {"notificationType": "Complaint", "complaint": complaint, "mail": mail}
            )
            item.feedback.append("Complaint")

    # -- inspection ------------------------------------------------------------------------------------------
    def sent_emails(self) -> list[dict[str, Any]]:
        """Every message in moto's SES backends (all accounts and regions), oldest first, with the
        bodies and feedback the simulator kept."""
        from moto.ses.models import ses_backends

        out: list[dict[str, Any]] = []
        for account_id, regions in list(ses_backends.items()):
            for region, backend in list(regions.items()):
                for message in list(backend.sent_messages):
                    out.append(self._render(account_id, region, message))
        out.sort(key=lambda m: m["time"] or 0)
        return out

    def _render(self, account_id: str, region: str, message: Any) -> dict[str, Any]:
        item = self._captured.get(getattr(message, "id", ""))
        destinations = getattr(message, "destinations", None)
        data: dict[str, Any] = {
            "id": getattr(message, "id", None),
            "account_id": account_id,
            "region": region,
            "kind": type(message).__name__,
            "source": getattr(message, "source", None),
            "destinations": destinations if isinstance(destinations, dict) else {"ToAddresses": destinations},
            "recipients": recipients_of(message),
            "subject": getattr(message, "subject", None) or (item.subject if item else None),
            "text": item.text if item else None,
            "html": item.html if item else None,
            "body": getattr(message, "body", None),
            "raw": getattr(message, "raw_data", None),
            "template": getattr(message, "template", None),
            "template_data": getattr(message, "template_data", None),
            "reply_to": item.reply_to if item else [],
            "configuration_set": item.configuration_set if item else None,
            "feedback": item.feedback if item else [],
            "access_key": item.access_key if item else None,
            "time": item.time if item else None,
        }
        return data
