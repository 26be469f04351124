"""SNS HTTP/S subscriptions as AWS runs them: the confirmation handshake (no HTTP here).

* A new http/https subscription is *pending*: its ``PendingConfirmation`` attribute is true and the
  endpoint receives a signed ``SubscriptionConfirmation`` whose ``SubscribeURL``
  (``{simulator}/?Action=ConfirmSubscription&TopicArn=...&Token=...``) confirms it with a plain GET, as
  does the ``ConfirmSubscription`` API with the token. Pending subscriptions receive nothing.
* Unsubscribing a confirmed endpoint sends it an ``UnsubscribeConfirmation``; confirming its token
  restores the subscription.

The messages themselves (envelopes, signatures, sending) are :mod:`simulators.aws.webhooks`'.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulators.aws.webhooks import SnsMessages
from simulators.kernel.webhooks import Delivery

if TYPE_CHECKING:
    from simulators.aws.patches import RequestContext
    from simulators.kernel.app import SimulatorRuntime


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


class SnsSubscriptions:
    """Confirmation tokens and the subscription state changes of the handshake."""

    def __init__(self, runtime: SimulatorRuntime, messages: SnsMessages) -> None:
        self.runtime = runtime
        self.messages = messages
        self._tokens: dict[str, PendingToken] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget confirmation tokens."""
        with self._lock:
            self._tokens.clear()

    def tokens(self) -> list[PendingToken]:
        """Tokens handed out (control API)."""
        return list(self._tokens.values())

    # -- confirmation handshake ------------------------------------------------------------------------
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
        return self.messages.confirmation(
            ctx, "SubscriptionConfirmation", pending.token, pending.endpoint, topic, text
        )

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
        return self.messages.confirmation(
            ctx, "UnsubscribeConfirmation", pending.token, pending.endpoint, topic, text
        )
