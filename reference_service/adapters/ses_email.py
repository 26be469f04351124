"""Email through Amazon SES v1 ``SendEmail`` (boto3, ``endpoint_url`` from settings).

Each email goes from ``SES_SENDER`` (a verified identity) with a UTF-8 subject and both bodies: the
autoescaped HTML part and the plain-text part. Calls run through ``ProviderCall`` (provider ``ses``):
throttling, 5xx and network errors are retried by the shared policy; the rest fails at once.

SES errors become service errors (the SES developer guide, "Amazon SES API v1 errors"):

================================================  ======================  =========  ======
SES                                               service code            retried    status
================================================  ======================  =========  ======
``MessageRejected`` "... not verified ..."         SENDER_NOT_VERIFIED     no         502
``MailFromDomainNotVerifiedException``            SENDER_NOT_VERIFIED     no         502
``MessageRejected`` (other: content, recipient)   EMAIL_REJECTED          no         502
``AccountSendingPausedException``,                SENDING_PAUSED          no         503
``ConfigurationSetSendingPausedException``
``Throttling`` (rate)                             RATE_LIMITED            yes        503
``Throttling`` "Daily message quota exceeded"      QUOTA_EXCEEDED          no         503
5xx, ``ServiceUnavailable``, network errors       EMAIL_PROVIDER_ERROR    yes        503
anything else                                     EMAIL_PROVIDER_ERROR    no         502
================================================  ======================  =========  ======

Inspect what was sent in the lab: ``GET <aws simulator>/_sim/aws/sent-emails`` (subject, text, html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reference_service.adapters import aws
from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import RenderedEmail
from reference_service.service_layer.errors import ProviderError

PROVIDER = "ses"
CHARSET = "UTF-8"


def to_service_error(exc: Exception) -> ProviderError:
    """Translate a boto3 SES error (table in the module docstring). The message never holds an address."""
    code = aws.error_code(exc)
    message = aws.error_message(exc).lower()
    if code in ("MessageRejected", "MailFromDomainNotVerifiedException") and (
        "not verified" in message or code == "MailFromDomainNotVerifiedException"
    ):
        return ProviderError(
            PROVIDER,
            "SENDER_NOT_VERIFIED",
            "The sending address is not verified in SES; verify SES_SENDER",
            provider_code=code,
        )
    if code == "MessageRejected":
        return ProviderError(PROVIDER, "EMAIL_REJECTED", "SES rejected the email", provider_code=code)
    if code in ("AccountSendingPausedException", "ConfigurationSetSendingPausedException"):
        return ProviderError(
            PROVIDER,
            "SENDING_PAUSED",
            "Email sending is paused for this account",
            status=503,
            provider_code=code,
        )
    if code in aws.THROTTLING_CODES:
        if aws.is_throttling(exc):
            return ProviderError(
                PROVIDER,
                "RATE_LIMITED",
                "Too many emails, please try again later",
                retryable=True,
                status=503,
                provider_code=code,
            )
        return ProviderError(
            PROVIDER, "QUOTA_EXCEEDED", "The daily email quota is used up", status=503, provider_code=code
        )
    transient = aws.retryable(exc)
    return ProviderError(
        PROVIDER,
        "EMAIL_PROVIDER_ERROR",
        "The email provider failed, please try again later" if transient else "The email provider failed",
        retryable=transient,
        status=503 if transient else 502,
        provider_code=code,
    )


class SesEmailSender:
    """``EmailSender`` through SES ``SendEmail``. Traffic: the AWS simulator's ``/_sim/journal``."""

    name = PROVIDER

    def __init__(
        self, settings: Settings, metrics: ServiceMetrics, retry: RetryPolicy, client: Any = None
    ) -> None:
        self._client = client or aws.LazyClient("ses", settings, settings.provider_timeout_seconds)
        self._sender = settings.ses_sender
        self._region = settings.aws_region
        self._call = ProviderCall(
            PROVIDER, metrics, retry, ErrorPolicy(aws.classify, aws.retryable, aws.retry_after)
        )

    def _run(self, operation: str, fn: Any, *, retry: bool = True) -> Any:
        try:
            return self._call(operation, fn, retry=retry)
        except (ClientError, BotoCoreError) as exc:
            raise to_service_error(exc) from None

    def send(self, to: str, email: RenderedEmail) -> str:
        response = self._run(
            "send_email",
            lambda: self._client.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": CHARSET},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": CHARSET},
                        "Html": {"Data": email.html, "Charset": CHARSET},
                    },
                },
            ),
        )
        return str(response["MessageId"])

    def check_health(self) -> dict[str, Any]:
        quota = self._run("get_send_quota", self._client.get_send_quota, retry=False)
        return {"region": self._region, "max_24_hour_send": quota.get("Max24HourSend")}
