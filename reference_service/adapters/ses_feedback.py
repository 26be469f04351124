"""Wiring SES feedback to the service: the lab's provisioning, and confirming the SNS subscription.

SES reports bounces, complaints and deliveries to an SNS topic, and SNS POSTs them to the service's
``/api/v1/webhooks/ses``. In production that wiring is infrastructure code; in the lab ``genai-demo up``
does it (``simulators.lab.wiring``), and the service runs the same steps again on
``POST /api/v1/admin/notifications/provision`` (an operator's re-run, e.g. after resetting the
simulator). Every step is idempotent:

1. ``VerifyEmailIdentity(SES_SENDER)`` (moto verifies at once; real SES mails a link);
2. ``CreateTopic(SES_FEEDBACK_TOPIC)`` (returns the existing topic when it exists);
3. ``SetIdentityNotificationTopic`` for Bounce, Complaint and Delivery on the sender;
4. ``Subscribe(topic, http(s), SERVICE_PUBLIC_URL/api/v1/webhooks/ses)`` unless an endpoint subscription
   is already confirmed (subscribing again re-sends a pending confirmation).

SNS then POSTs a signed ``SubscriptionConfirmation``; the webhook verifies it and GETs its
``SubscribeURL`` (``confirm``). State: ``GET /health`` (check ``ses_feedback``, not critical) and
``POST /api/v1/admin/notifications/provision`` to run it again (e.g. after resetting the simulator).
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from reference_service.adapters import aws
from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.service_layer.errors import ProviderError

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/v1/webhooks/ses"
FEEDBACK_TYPES = ("Bounce", "Complaint", "Delivery")


@dataclass
class FeedbackState:
    """What the service knows about its SES feedback wiring (shown by ``/health``)."""

    state: str = "disabled"  # disabled, pending, provisioning, subscribed, confirmed, failed
    topic_arn: str | None = None
    endpoint: str | None = None
    subscription_arn: str | None = None
    attempts: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "state": self.state,
                "topic_arn": self.topic_arn,
                "endpoint": self.endpoint,
                "subscription_arn": self.subscription_arn,
                "attempts": self.attempts,
                "error": self.error,
            }

    def update(self, **values: Any) -> None:
        with self.lock:
            for key, value in values.items():
                setattr(self, key, value)


class SesFeedbackProvisioner:
    """Provisions the lab's SES → SNS → service feedback path (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        state: FeedbackState,
        *,
        ses: Any = None,
        sns: Any = None,
    ) -> None:
        timeout = settings.provider_timeout_seconds
        self._ses = ses or aws.LazyClient("ses", settings, timeout)
        self._sns = sns or aws.LazyClient("sns", settings, timeout)
        self._sender = settings.ses_sender
        self._topic = settings.ses_feedback_topic
        self.endpoint = settings.service_public_url + WEBHOOK_PATH
        self.state = state
        policy = ErrorPolicy(aws.classify, aws.retryable, aws.retry_after)
        self._ses_call = ProviderCall("ses", metrics, RetryPolicy(1), policy)
        self._sns_call = ProviderCall("sns", metrics, RetryPolicy(1), policy)

    def provision(self) -> dict[str, Any]:
        """Run the four steps once and return the state snapshot; ``ProviderError`` when AWS fails."""
        try:
            return self._provision()
        except (ClientError, BotoCoreError) as exc:
            code = aws.error_code(exc) or type(exc).__name__
            self.state.update(state="failed", error=code)
            raise ProviderError(
                "aws",
                "PROVISIONING_FAILED",
                "SES feedback could not be provisioned",
                retryable=aws.retryable(exc),
                status=503,
                provider_code=code,
            ) from None

    def _provision(self) -> dict[str, Any]:
        self.state.update(state="provisioning", endpoint=self.endpoint, error=None)
        self._ses_call(
            "verify_email_identity", lambda: self._ses.verify_email_identity(EmailAddress=self._sender)
        )
        topic_arn = str(
            self._sns_call("create_topic", lambda: self._sns.create_topic(Name=self._topic))["TopicArn"]
        )
        for kind in FEEDBACK_TYPES:
            notify = functools.partial(self._notify, kind, topic_arn)
            self._ses_call("set_identity_notification_topic", notify)
        subs = self._sns_call(
            "list_subscriptions_by_topic", lambda: self._sns.list_subscriptions_by_topic(TopicArn=topic_arn)
        )
        confirmed = next(
            (
                s["SubscriptionArn"]
                for s in subs.get("Subscriptions", [])
                if s.get("Endpoint") == self.endpoint
                and str(s.get("SubscriptionArn", "")).startswith("arn:")
                and not self._pending(str(s["SubscriptionArn"]))
            ),
            None,
        )
        if confirmed is not None:
            self.state.update(state="confirmed", topic_arn=topic_arn, subscription_arn=confirmed)
            return self.state.snapshot()
        protocol = "https" if self.endpoint.startswith("https://") else "http"
        response = self._sns_call(
            "subscribe",
            lambda: self._sns.subscribe(
                TopicArn=topic_arn, Protocol=protocol, Endpoint=self.endpoint, ReturnSubscriptionArn=True
            ),
        )
        with self.state.lock:
            self.state.topic_arn = topic_arn
            self.state.subscription_arn = str(response.get("SubscriptionArn") or "") or None
            if self.state.state != "confirmed":  # the confirmation may have arrived already
                self.state.state = "subscribed"
        logger.info("ses feedback: topic %s, subscription pending confirmation", topic_arn)
        return self.state.snapshot()

    def _notify(self, kind: str, topic_arn: str) -> Any:
        return self._ses.set_identity_notification_topic(
            Identity=self._sender, NotificationType=kind, SnsTopic=topic_arn
        )

    def _pending(self, subscription_arn: str) -> bool:
        attrs = self._sns_call(
            "get_subscription_attributes",
            lambda: self._sns.get_subscription_attributes(SubscriptionArn=subscription_arn),
        )
        return str(attrs.get("Attributes", {}).get("PendingConfirmation", "false")).lower() == "true"


def _classify(exc: BaseException) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return "server_error" if exc.response.status_code >= 500 else "client_error"
    return "network_error"


def _never(_exc: BaseException) -> bool:
    return False


def _none(_exc: BaseException) -> float | None:
    return None


class SubscriptionConfirmer:
    """GETs a verified ``SubscribeURL`` (counted as ``sns`` ``confirm_subscription`` calls)."""

    def __init__(self, metrics: ServiceMetrics, state: FeedbackState, timeout: float = 5.0) -> None:
        self._state = state
        self._timeout = timeout
        self._call = ProviderCall("sns", metrics, RetryPolicy(1), ErrorPolicy(_classify, _never, _none))

    def _get(self, url: str) -> str:
        resp = requests.get(url, timeout=self._timeout, allow_redirects=False)
        resp.raise_for_status()
        return resp.text

    def confirm(self, subscribe_url: str) -> str | None:
        """Confirm the subscription; returns its ARN when the answer holds one. Raises ``requests`` errors."""
        text = self._call("confirm_subscription", lambda: self._get(subscribe_url))
        arn = None
        if "<SubscriptionArn>" in text:
            arn = text.split("<SubscriptionArn>", 1)[1].split("</SubscriptionArn>", 1)[0]
        self._state.update(state="confirmed", subscription_arn=arn or self._state.subscription_arn)
        return arn
