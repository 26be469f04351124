"""How the lab connects the reference service and the simulators, as a user would in each provider's
dashboard or with infrastructure code.

* :data:`SIMULATOR_URL_SETTINGS`: the service setting that points at each simulator;
* :func:`credential_env`: the credentials the service will use, given to the simulators so that they accept
  exactly these;
* the providers' ``wire`` hooks (``simulators.registry``) run once a simulator is healthy and before the
  service starts: they register the service's webhook URLs (Stripe, PayPal, the EasyPost carrier) and return
  settings such as ``STRIPE_WEBHOOK_SECRET`` and ``LOGISTICS_WEBHOOK_SECRET``;
* :func:`wire_ses_feedback` runs once the service itself is healthy, because SNS asks the endpoint to confirm
  a subscription the moment it is created. It points SES's bounce, complaint and delivery notifications at
  an SNS topic and subscribes the service's ``/api/v1/webhooks/ses`` to it, then waits until the service has
  confirmed. Inspect the result at the service's ``GET /health`` (check ``ses_feedback``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from reference_service.config import Settings

#: the service setting that points at each simulator (and the path suffix its client expects)
SIMULATOR_URL_SETTINGS = {
    "stripe": ("STRIPE_API_BASE", ""),
    "paypal": ("PAYPAL_BASE_URL", ""),
    "twilio": ("TWILIO_BASE_URL", ""),
    "aws": ("AWS_ENDPOINT_URL", ""),
    "logistics": ("LOGISTICS_API_BASE", "/v2"),
    "identity": ("AUTH_ISSUER", ""),
}

SES_WEBHOOK_PATH = "/api/v1/webhooks/ses"
FEEDBACK_TYPES: tuple[Literal["Bounce", "Complaint", "Delivery"], ...] = ("Bounce", "Complaint", "Delivery")
#: the service's defaults, used when ``env`` does not say otherwise
DEFAULT_SES_SENDER = "no-reply@genai-demo.example"
DEFAULT_FEEDBACK_TOPIC = "genai-demo-ses-feedback"


class WiringError(RuntimeError):
    """A provider refused a wiring step, or the service did not confirm in time (the message says which)."""


def credential_env(settings: Settings) -> dict[str, str]:
    """The credentials the service will use, given to the simulators so that they accept exactly these."""
    return {
        "STRIPE_SECRET_KEY": settings.stripe_secret_key.get_secret_value(),
        "STRIPE_PUBLISHABLE_KEY": settings.stripe_publishable_key,
        "PAYPAL_CLIENT_ID": settings.paypal_client_id,
        "PAYPAL_CLIENT_SECRET": settings.paypal_client_secret.get_secret_value(),
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value(),
        "LOGISTICS_API_KEY": settings.logistics_api_key.get_secret_value(),
    }


def feedback_env(settings: Settings) -> dict[str, str]:
    """The service settings :func:`wire_ses_feedback` needs (sender, topic, region, AWS credentials)."""
    return {
        "SES_SENDER": settings.ses_sender,
        "SES_FEEDBACK_TOPIC": settings.ses_feedback_topic,
        "AWS_REGION": settings.aws_region,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id.get_secret_value(),
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key.get_secret_value(),
    }


def _confirmed(sns: Any, topic_arn: str, endpoint: str) -> str | None:
    """The ARN of ``endpoint``'s confirmed subscription to ``topic_arn``, if there is one."""
    for sub in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", []):
        arn = str(sub.get("SubscriptionArn", ""))
        if sub.get("Endpoint") != endpoint or not arn.startswith("arn:"):
            continue
        attributes = sns.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {})
        if str(attributes.get("PendingConfirmation", "false")).lower() == "false":
            return arn
    return None


def wire_ses_feedback(
    sim_url: str, service_url: str, env: Mapping[str, str], *, timeout: float = 15.0
) -> dict[str, str]:
    """Wire SES feedback to the running service through the AWS simulator (boto3), idempotently:

    1. ``VerifyEmailIdentity(SES_SENDER)``;
    2. ``CreateTopic(SES_FEEDBACK_TOPIC)`` (the existing topic when there is one);
    3. ``SetIdentityNotificationTopic`` for Bounce, Complaint and Delivery on the sender;
    4. ``Subscribe(topic, http(s), <service_url>/api/v1/webhooks/ses)`` unless the service's subscription
       is already confirmed, then wait up to ``timeout`` seconds for the service to confirm it (it GETs the
       ``SubscribeURL`` of the signed ``SubscriptionConfirmation`` SNS sent it).

    Returns ``SES_FEEDBACK_TOPIC_ARN`` and ``SES_FEEDBACK_SUBSCRIPTION_ARN``; raises :class:`WiringError`
    when the service did not confirm.
    """
    import boto3

    options: dict[str, Any] = {
        "endpoint_url": sim_url,
        "region_name": env.get("AWS_REGION") or "us-east-1",
        "aws_access_key_id": env.get("AWS_ACCESS_KEY_ID") or "testing",
        "aws_secret_access_key": env.get("AWS_SECRET_ACCESS_KEY") or "testing",
    }
    ses, sns = boto3.client("ses", **options), boto3.client("sns", **options)
    sender = env.get("SES_SENDER") or DEFAULT_SES_SENDER
    endpoint = service_url.rstrip("/") + SES_WEBHOOK_PATH
    ses.verify_email_identity(EmailAddress=sender)
    topic_arn = str(
        sns.create_topic(Name=env.get("SES_FEEDBACK_TOPIC") or DEFAULT_FEEDBACK_TOPIC)["TopicArn"]
    )
    for kind in FEEDBACK_TYPES:
        ses.set_identity_notification_topic(Identity=sender, NotificationType=kind, SnsTopic=topic_arn)
    subscription = _confirmed(sns, topic_arn, endpoint)
    if subscription is None:
        protocol = "https" if endpoint.startswith("https://") else "http"
        sns.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True)
        deadline = time.monotonic() + timeout
        while (subscription := _confirmed(sns, topic_arn, endpoint)) is None:
            if time.monotonic() > deadline:
                raise WiringError(
                    f"the service at {service_url} did not confirm the SES feedback subscription"
                )
            time.sleep(0.1)
    return {"SES_FEEDBACK_TOPIC_ARN": topic_arn, "SES_FEEDBACK_SUBSCRIPTION_ARN": subscription}
