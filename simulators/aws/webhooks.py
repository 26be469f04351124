"""SNS HTTP/S messages as AWS sends them: envelopes, signatures, headers, the retry schedule, and the one
place they are sent from (:class:`SnsMessages`).

* A ``Notification`` is the JSON of "HTTP/HTTPS notification JSON format" in the SNS developer guide (or
  the bare message with ``RawMessageDelivery``); a ``SubscriptionConfirmation`` / ``UnsubscribeConfirmation``
  carries the ``Token`` and the ``SubscribeURL`` that confirms it. ``SignatureVersion`` follows the topic
  attribute of that name (default ``1``, as AWS); ``SigningCertURL``, ``SubscribeURL`` and
  ``UnsubscribeURL`` point back at the simulator (the paths of :mod:`simulators.aws.urls`); the signature
  is :mod:`simulators.aws.webhooks_signing`'s.
* Headers as AWS sends them: ``x-amz-sns-message-type``, ``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``,
  ``x-amz-sns-subscription-arn`` (notifications), ``Content-Type: text/plain; charset=UTF-8``,
  ``User-Agent: Amazon Simple Notification Service Agent``.
* **Retries** (:data:`RETRY_SCHEDULE`): SNS's default HTTP/S delivery policy, 3 retries 20 s apart (linear;
  moto's ``DEFAULT_EFFECTIVE_DELIVERY_POLICY``), divided by ``time_scale``.

Every message is a kernel webhook delivery: ``GET /_sim/webhooks/deliveries?event_type=Notification``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simulators.aws import urls
from simulators.aws.webhooks_signing import SnsSigningKey
from simulators.kernel.clock import iso_utc
from simulators.kernel.webhooks import Delivery, WebhookTarget

if TYPE_CHECKING:
    from simulators.aws.patches import RequestContext
    from simulators.kernel.app import SimulatorRuntime

RETRY_SCHEDULE: tuple[float, ...] = (20.0, 20.0, 20.0)
CONTENT_TYPE = "text/plain; charset=UTF-8"
USER_AGENT = "Amazon Simple Notification Service Agent"
HEADER_TYPE = "x-amz-sns-message-type"
HEADER_ID = "x-amz-sns-message-id"
HEADER_TOPIC = "x-amz-sns-topic-arn"
HEADER_SUBSCRIPTION = "x-amz-sns-subscription-arn"
HEADER_RAW = "x-amz-sns-rawdelivery"


def iso_timestamp(epoch: float) -> str:
    """``2012-05-02T00:54:06.655Z`` (SNS ``Timestamp``)."""
    return iso_utc(epoch, millis=True)


def signature_version(topic: Any) -> str:
    """The topic's ``SignatureVersion`` attribute (``1`` unless set to ``2``)."""
    version = str(getattr(topic, "signature_version", "1") or "1")
    return version if version in ("1", "2") else "1"


class SnsMessages:
    """Builds, signs and sends SNS messages to http/https endpoints."""

    def __init__(self, runtime: SimulatorRuntime, key: SnsSigningKey) -> None:
        self.runtime = runtime
        self.key = key

    def _signed(self, payload: dict[str, Any], version: str, ctx: RequestContext) -> dict[str, Any]:
        payload["SignatureVersion"] = version
        payload["Signature"] = self.key.sign(payload, version)
        payload["SigningCertURL"] = urls.certificate_url(ctx.base_url, self.key.file_name)
        return payload

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

    def notification(
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
        self._signed(payload, signature_version(topic), ctx)
        payload["UnsubscribeURL"] = urls.unsubscribe_url(ctx.base_url, subscription.arn)
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

    def confirmation(
        self, ctx: RequestContext, kind: str, token: str, endpoint: str, topic: Any, text: str
    ) -> Delivery:
        """A signed ``SubscriptionConfirmation`` or ``UnsubscribeConfirmation`` carrying ``token``."""
        message_id = self.runtime.ids.uuid4()
        payload: dict[str, Any] = {
            "Type": kind,
            "MessageId": message_id,
            "Token": token,
            "TopicArn": topic.arn,
            "Message": text,
            "SubscribeURL": urls.subscribe_url(ctx.base_url, topic.arn, token),
            "Timestamp": iso_timestamp(self.runtime.clock.now()),
        }
        self._signed(payload, signature_version(topic), ctx)
        return self._send(
            ctx,
            endpoint,
            payload,
            message_type=kind,
            message_id=message_id,
            topic_arn=topic.arn,
            subscription_arn=None,
        )


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
