"""SMS through Amazon SNS ``Publish`` to a phone number (boto3, ``endpoint_url`` from settings).

Every message is ``Transactional`` (``AWS.SNS.SMS.SMSType``: SNS routes it for reliability, not cost)
and carries ``AWS.SNS.SMS.SenderID`` when ``SMS_SENDER_ID`` is set. SNS has no delivery callbacks, so
an SMS through SNS ends ``ACCEPTED`` in the service.

Errors (the SNS API reference, "Publish" errors): ``InvalidParameter``/``InvalidParameterValue`` (a
number SNS will not take, a text over 1,600 bytes) are permanent and become ``SmsRecipientRejected``:
the router does not fail over. Throttling, 5xx and network errors are transient; they and every other
error (``AuthorizationError``...) make the router try the next provider. In the lab, see what SNS took
at ``GET <aws simulator>/_sim/aws/sms``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reference_service.adapters import aws
from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.sms_providers import GuardedProvider, RegionFilter
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports import SmsResult
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import SmsRecipientRejected

PROVIDER = "sns"
PERMANENT_CODES = frozenset({"InvalidParameter", "InvalidParameterValue"})


def classify(exc: BaseException) -> str:
    """``declined`` for a permanent refusal (a business answer), else the AWS classification."""
    if aws.error_code(exc) in PERMANENT_CODES:
        return "declined"
    return aws.classify(exc)


def to_service_error(exc: Exception) -> ProviderError:
    code = aws.error_code(exc)
    if code in PERMANENT_CODES:
        message = aws.error_message(exc).lower()
        if "phone" in message or "e164" in message or "e.164" in message:
            return SmsRecipientRejected(
                PROVIDER, "INVALID_NUMBER", "SNS does not accept this phone number", provider_code=code
            )
        return SmsRecipientRejected(
            PROVIDER, "INVALID_MESSAGE", "SNS does not accept this message", provider_code=code
        )
    if aws.is_throttling(exc):
        return ProviderError(
            PROVIDER, "RATE_LIMITED", "SNS is throttling SMS", retryable=True, status=503, provider_code=code
        )
    transient = aws.retryable(exc)
    return ProviderError(
        PROVIDER,
        "SMS_PROVIDER_ERROR",
        "SNS could not send the SMS",
        retryable=transient,
        status=503 if transient else 502,
        provider_code=code or ("network" if aws.is_network(exc) else None),
    )


class AwsSnsProvider(GuardedProvider):
    """``SmsProvider`` through SNS. Traffic: the AWS simulator's ``/_sim/journal?operation=Publish``."""

    name = PROVIDER

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        client: Any = None,
    ) -> None:
        super().__init__(breaker, RegionFilter(settings.sms_sns_regions))
        self._client = client or aws.LazyClient("sns", settings, settings.sms_provider_timeout_seconds)
        self._attributes: dict[str, Any] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if settings.sms_sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": settings.sms_sender_id,
            }
        self._call = ProviderCall(
            PROVIDER, metrics, retry, ErrorPolicy(classify, aws.retryable, aws.retry_after)
        )

    def _publish(self, phone: str, message: str) -> SmsResult:
        try:
            response = self._call(
                "publish_sms",
                lambda: self._client.publish(
                    PhoneNumber=phone, Message=message, MessageAttributes=self._attributes
                ),
            )
        except (ClientError, BotoCoreError) as exc:
            raise to_service_error(exc) from None
        return SmsResult(PROVIDER, str(response["MessageId"]), "accepted")

    def send(self, phone: str, message: str) -> SmsResult:
        return self.guarded(lambda: self._publish(phone, message))
