"""SNS HTTP/S subscriptions as AWS runs them: confirmation handshake and signed deliveries.

* A new http/https subscription is *pending*: its ``PendingConfirmation`` attribute is true and the
  endpoint receives a signed ``SubscriptionConfirmation`` whose ``SubscribeURL``
  (``{simulator}/?Action=ConfirmSubscription&TopicArn=...&Token=...``) confirms it with a plain GET, as
  does the ``ConfirmSubscription`` API with the token. Pending subscriptions receive nothing.
* A publish to the topic reaches each confirmed http/s subscriber as a signed ``Notification`` (the
  JSON of "HTTP/HTTPS notification JSON format" in the SNS developer guide), or as the bare message
  with ``RawMessageDelivery``. ``SignatureVersion`` follows the topic attribute of that name (default
  ``1``, as AWS); ``SigningCertURL`` is ``{simulator}/SimpleNotificationService-<id>.pem``;
  ``UnsubscribeURL`` is ``{simulator}/?Action=Unsubscribe&SubscriptionArn=...``.
* Unsubscribing a confirmed endpoint sends it an ``UnsubscribeConfirmation``.

Every message is a kernel webhook delivery (``GET /_sim/webhooks/deliveries?event_type=Notification``),
retried on SNS's default HTTP delivery policy (3 retries, 20 s apart, linear; moto's
``DEFAULT_EFFECTIVE_DELIVERY_POLICY``). Headers as AWS sends them: ``x-amz-sns-message-type``,
``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``, ``x-amz-sns-subscription-arn`` (notifications),
``Content-Type: text/plain; charset=UTF-8``, ``User-Agent: Amazon Simple Notification Service Agent``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from simulators.aws.sns_signing import SnsSigningKey
from simulators.kernel.webhooks import Delivery, WebhookTarget

if TYPE_CHECKING:
    from simulators.aws.context import RequestContext
    from simulators.kernel.app import SimulatorRuntime

CONTENT_TYPE = "text/plain; charset=UTF-8"
USER_AGENT = "Amazon Simple Notification Service Agent"
HEADER_TYPE = "x-amz-sns-message-type"
HEADER_ID = "x-amz-sns-message-id"
HEADER_TOPIC = "x-amz-sns-topic-arn"
HEADER_SUBSCRIPTION = "x-amz-sns-subscription-arn"
HEADER_RAW = "x-amz-sns-rawdelivery"


def iso_timestamp(epoch: float) -> str:
    """``2012-05-02T00:54:06.655Z`` (SNS ``Timestamp``)."""
    dt = datetime.fromtimestamp(epoch, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class PendingToken:
    """What a confirmation token confirms (``subscription_arn`` is ``None`` after an unsubscribe:
    confirming then subscribes the endpoint again)."""

    token: str
    topic_arn: str
    endpoint: str
    protocol: str
    account_id: str
    region: str
    subscription_arn: str | None


class SnsDeliveries:
    """Builds, signs and sends SNS messages to http/https endpoints; keeps confirmation tokens."""

    def __init__(self, runtime: SimulatorRuntime, key: SnsSigningKey) -> None:
        self.runtime = runtime
        self.key = key
        self._tokens: dict[str, PendingToken] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget confirmation tokens."""
        with self._lock:
            self._tokens.clear()

    def tokens(self) -> list[PendingToken]:
        """Tokens handed out (control API)."""
        return list(self._tokens.values())

    def cert_url(self, ctx: RequestContext) -> str:
        """Where receivers fetch the signing certificate."""
        return f"{ctx.base_url}/{self.key.file_name}"

    # -- building messages ---------------------------------------------------------------------------------
    def _signed(self, payload: dict[str, Any], version: str, ctx: RequestContext) -> dict[str, Any]:
        payload["SignatureVersion"] = version
        payload["Signature"] = self.key.sign(payload, version)
        payload["SigningCertURL"] = self.cert_url(ctx)
        return payload

    @staticmethod
    def signature_version(topic: Any) -> str:
        """The topic's ``SignatureVersion`` attribute (``1`` unless set to ``2``)."""
        version = str(getattr(topic, "signature_version", "1") or "1")
        return version if version in ("1", "2") else "1"

    def _send(
        self,
        ctx: RequestContext,
        url: str,
        payload: dict[str, Any] | str,
        *,
        message_type: str,
        message_id: str,
        topic_arn: str,
        subscription_arn: str | None,
        raw: bool = False,
    ) -> Delivery:
        body = payload if isinstance(payload, str) else json.dumps(payload, indent=2)
        headers = {
            HEADER_TYPE: message_type,
            HEADER_ID: message_id,
            HEADER_TOPIC: topic_arn,
            "User-Agent": USER_AGENT,
        }
        if subscription_arn is not None:
            headers[HEADER_SUBSCRIPTION] = subscription_arn
        if raw:
            headers[HEADER_RAW] = "true"
        return self.runtime.webhooks.send(
            WebhookTarget(url, account=ctx.access_key),
            body.encode("utf-8"),
            event_id=message_id,
            event_type=message_type,
            content_type=CONTENT_TYPE,
            headers=headers,
            metadata={"topic_arn": topic_arn, "subscription_arn": subscription_arn},
        )

    # -- notifications ---------------------------------------------------------------------------------------
    def deliver_notification(
        self,
        ctx: RequestContext,
        subscription: Any,
        message: Any,
        message_id: str,
        subject: str | None,
        message_attributes: Mapping[str, Any] | None,
        message_structure: str | None,
    ) -> Delivery | None:
        """What moto's ``Subscription.publish`` does for http/https, signed and through the dispatcher."""
        matcher = subscription._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = subscription._parse_message_structure(message, subscription.protocol)
        if subscription.attributes.get("PendingConfirmation") is True:
            return None  # AWS delivers nothing to a subscription that is not confirmed
        if not isinstance(message, str):
            message = json.dumps(message)
        topic = subscription.topic
        if subscription.attributes.get("RawMessageDelivery") in (True, "true"):
            return self._send(
                ctx,
                subscription.endpoint,
                message,
                message_type="Notification",
                message_id=message_id,
                topic_arn=topic.arn,
                subscription_arn=subscription.arn,
                raw=True,
            )
        payload: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn}
        if subject is not None:
            payload["Subject"] = subject
        payload["Message"] = message
        payload["Timestamp"] = iso_timestamp(self.runtime.clock.now())
        self._signed(payload, self.signature_version(topic), ctx)
        payload["UnsubscribeURL"] = (
            f"{ctx.base_url}/?Action=Unsubscribe&SubscriptionArn={quote(subscription.arn, safe='')}"
        )
        if message_attributes:
            payload["MessageAttributes"] = dict(message_attributes)
        return self._send(
            ctx,
            subscription.endpoint,
            payload,
            message_type="Notification",
            message_id=message_id,
            topic_arn=topic.arn,
            subscription_arn=subscription.arn,
        )

    # -- confirmation handshake ------------------------------------------------------------------------
    def _confirmation(
        self, ctx: RequestContext, kind: str, pending: PendingToken, topic: Any, text: str
    ) -> Delivery:
        message_id = self.runtime.ids.uuid4()
        payload: dict[str, Any] = {
            "Type": kind,
            "MessageId": message_id,
            "Token": pending.token,
            "TopicArn": pending.topic_arn,
            "Message": text,
            "SubscribeURL": (
                f"{ctx.base_url}/?Action=ConfirmSubscription&TopicArn={quote(pending.topic_arn, safe='')}"
                f"&Token={pending.token}"
            ),
            "Timestamp": iso_timestamp(self.runtime.clock.now()),
        }
        self._signed(payload, self.signature_version(topic), ctx)
        return self._send(
            ctx,
            pending.endpoint,
            payload,
            message_type=kind,
            message_id=message_id,
            topic_arn=pending.topic_arn,
            subscription_arn=None,
        )

    def _token(self, subscription_arn: str | None, topic: Any, endpoint: str, protocol: str) -> PendingToken:
        backend = topic.sns_backend
        pending = PendingToken(
            token=self.runtime.ids.hex(256),
            topic_arn=topic.arn,
            endpoint=endpoint,
            protocol=protocol,
            account_id=backend.account_id,
            region=backend.region_name,
            subscription_arn=subscription_arn,
        )
        with self._lock:
            self._tokens[pending.token] = pending
        return pending

    def start_confirmation(self, ctx: RequestContext, subscription: Any, *, new: bool) -> Delivery:
        """Mark a new http/s subscription pending and send its ``SubscriptionConfirmation``."""
        topic = subscription.topic
        subscription.confirmed = False
        subscription.attributes["PendingConfirmation"] = True
        subscription.attributes["ConfirmationWasAuthenticated"] = False
        if new:
            topic.subscriptions_pending += 1
        pending = self._token(subscription.arn, topic, subscription.endpoint, subscription.protocol)
        text = (
            f"You have chosen to subscribe to the topic {topic.arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
        return self._confirmation(ctx, "SubscriptionConfirmation", pending, topic, text)

    def confirm(self, token: str | None, topic_arn: str | None, *, authenticated: bool) -> str:
        """Confirm the subscription of ``token`` (``ConfirmSubscription``); returns its ARN. An unknown
        token, or one for another topic, is SNS's ``InvalidParameter``."""
        from moto.sns.exceptions import SNSInvalidParameter
        from moto.sns.models import sns_backends

        from simulators.aws.patches import original

        pending = self._tokens.get(token or "")
        if pending is None or (topic_arn and topic_arn != pending.topic_arn):
            raise SNSInvalidParameter("Invalid parameter: Token")
        backend = sns_backends[pending.account_id][pending.region]
        subscription = (
            backend.subscriptions.get(pending.subscription_arn) if pending.subscription_arn else None
        )
        if subscription is None:
            # A token from an UnsubscribeConfirmation: confirming restores the subscription.
            subscription = original("SNSBackend.subscribe")(
                backend, pending.topic_arn, pending.endpoint, pending.protocol
            )
            subscription.attributes["PendingConfirmation"] = True
            subscription.topic.subscriptions_pending += 1
        if subscription.attributes.get("PendingConfirmation") is True:
            subscription.attributes["PendingConfirmation"] = False
            subscription.attributes["ConfirmationWasAuthenticated"] = authenticated
            subscription.confirmed = True
            topic = subscription.topic
            topic.subscriptions_pending = max(0, topic.subscriptions_pending - 1)
            topic.subscriptions_confimed += 1  # sic: moto's attribute name
        return str(subscription.arn)

    def on_unsubscribed(self, ctx: RequestContext, subscription: Any) -> Delivery | None:
        """After ``Unsubscribe``: update topic counters; a confirmed endpoint gets an
        ``UnsubscribeConfirmation`` whose ``SubscribeURL`` would restore the subscription."""
        topic = subscription.topic
        if subscription.attributes.get("PendingConfirmation") is True:
            topic.subscriptions_pending = max(0, topic.subscriptions_pending - 1)
            topic.subscriptions_deleted += 1
            return None
        topic.subscriptions_confimed = max(0, topic.subscriptions_confimed - 1)
        topic.subscriptions_deleted += 1
        pending = self._token(None, topic, subscription.endpoint, subscription.protocol)
        text = (
            f"You have chosen to deactivate subscription {subscription.arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL included in "
            "this message."
        )
        return self._confirmation(ctx, "UnsubscribeConfirmation", pending, topic, text)


class SnsHeaderSigner:
    """The kernel's :class:`~simulators.kernel.webhooks.Signer` for this provider.

    SNS signs the *body* (``Signature`` is a JSON field, computed once when the message is built), so
    there is no per-attempt header signature; this only supplies the ``x-amz-sns-*`` headers when a
    delivery lacks them (raw ``/_sim/webhooks/events`` payloads that look like SNS messages)."""

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """Headers derived from an SNS-shaped JSON body, unless the delivery already has them."""
        if HEADER_TYPE in delivery.headers:
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        if not isinstance(data, dict) or "Type" not in data:
            return {}
        headers = {HEADER_TYPE: str(data["Type"]), "User-Agent": USER_AGENT}
        if "MessageId" in data:
            headers[HEADER_ID] = str(data["MessageId"])
        if "TopicArn" in data:
            headers[HEADER_TOPIC] = str(data["TopicArn"])
        return headers
