"""How the SES, SNS and Twilio adapters classify and translate provider errors (no sockets): what is
retried by the shared policy, what makes the SMS router fail over, and what is a permanent refusal."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from twilio.base.exceptions import TwilioRestException

from reference_service.adapters import aws, ses_email, sns_sms, twilio_sms
from reference_service.service_layer.notification_errors import SmsRecipientRejected


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message, "Type": "Sender"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "SendEmail")


@pytest.mark.parametrize(
    ("exc", "outcome", "retryable"),
    [
        (client_error("Throttling", "Maximum sending rate exceeded."), "rate_limited", True),
        (client_error("Throttling", "Daily message quota exceeded."), "client_error", False),
        (client_error("ServiceUnavailable", "down", 503), "server_error", True),
        (client_error("InternalFailure", "oops", 500), "server_error", True),
        (client_error("MessageRejected", "Email address is not verified."), "client_error", False),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "network_error", True),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), "network_error", True),
    ],
)
def test_aws_errors_are_classified_for_provider_call(exc: Exception, outcome: str, retryable: bool) -> None:
    assert aws.classify(exc) == outcome
    assert aws.retryable(exc) is retryable


@pytest.mark.parametrize(
    ("exc", "code", "retryable", "status"),
    [
        (
            client_error("MessageRejected", "Email address not verified no-reply@x.example"),
            "SENDER_NOT_VERIFIED",
            False,
            502,
        ),
        (client_error("MailFromDomainNotVerifiedException", "no"), "SENDER_NOT_VERIFIED", False, 502),
        (client_error("MessageRejected", "Illegal content"), "EMAIL_REJECTED", False, 502),
        (client_error("AccountSendingPausedException", "paused"), "SENDING_PAUSED", False, 503),
        (client_error("Throttling", "Maximum sending rate exceeded."), "RATE_LIMITED", True, 503),
        (client_error("Throttling", "Daily message quota exceeded."), "QUOTA_EXCEEDED", False, 503),
        (client_error("ServiceUnavailable", "down", 503), "EMAIL_PROVIDER_ERROR", True, 503),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "EMAIL_PROVIDER_ERROR", True, 503),
    ],
)
def test_ses_errors_map_to_service_errors(exc: Exception, code: str, retryable: bool, status: int) -> None:
    error = ses_email.to_service_error(exc)
    assert (error.provider, error.code, error.retryable, error.status) == ("ses", code, retryable, status)
    assert "@" not in error.message  # never an address in a message that reaches logs and problems


def test_sns_invalid_parameter_is_a_permanent_refusal() -> None:
    error = sns_sms.to_service_error(
        client_error(
            "InvalidParameter", "Invalid parameter: PhoneNumber Reason: +1x does not meet the E164 format"
        )
    )
    assert isinstance(error, SmsRecipientRejected) and error.code == "INVALID_NUMBER"
    long = sns_sms.to_service_error(
        client_error("InvalidParameter", "SMS message must be less than 1600 bytes")
    )
    assert isinstance(long, SmsRecipientRejected) and long.code == "INVALID_MESSAGE"
    assert sns_sms.classify(client_error("InvalidParameter")) == "declined"


@pytest.mark.parametrize(
    ("exc", "code", "retryable"),
    [
        (client_error("Throttling", "Rate exceeded"), "RATE_LIMITED", True),
        (client_error("InternalError", "boom", 500), "SMS_PROVIDER_ERROR", True),
        (client_error("AuthorizationError", "not allowed", 403), "SMS_PROVIDER_ERROR", False),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "SMS_PROVIDER_ERROR", True),
    ],
)
def test_other_sns_errors_fail_over(exc: Exception, code: str, retryable: bool) -> None:
    error = sns_sms.to_service_error(exc)
    assert not isinstance(error, SmsRecipientRejected)
    assert (error.code, error.retryable) == (code, retryable)


def twilio_error(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(
        status, "https://api.twilio.com/x", "The 'To' number +15005550001 is not valid", code
    )


@pytest.mark.parametrize(
    ("code", "service_code"),
    [(21211, "INVALID_NUMBER"), (21610, "RECIPIENT_OPTED_OUT"), (21614, "NOT_SMS_CAPABLE")],
)
def test_twilio_permanent_codes_do_not_fail_over(code: int, service_code: str) -> None:
    error = twilio_sms.to_service_error(twilio_error(400, code))
    assert isinstance(error, SmsRecipientRejected)
    assert (error.code, error.provider_code, error.status) == (service_code, str(code), 422)
    assert "+1500" not in error.message
    assert twilio_sms.classify(twilio_error(400, code)) == "declined"
    assert not twilio_sms.retryable(twilio_error(400, code))


@pytest.mark.parametrize(
    ("exc", "code", "retryable", "outcome"),
    [
        (twilio_error(429, 20429), "RATE_LIMITED", True, "rate_limited"),
        (twilio_error(429, None), "RATE_LIMITED", True, "rate_limited"),
        (twilio_error(500, 20500), "SMS_PROVIDER_ERROR", True, "server_error"),
        (twilio_error(503, None), "SMS_PROVIDER_ERROR", True, "server_error"),
        (twilio_error(401, 20003), "SMS_PROVIDER_ERROR", False, "client_error"),
        (twilio_error(400, 21212), "SMS_PROVIDER_ERROR", False, "client_error"),
        (twilio_error(400, 21408), "SMS_PROVIDER_ERROR", False, "client_error"),
        (requests.ConnectTimeout("timed out"), "SMS_PROVIDER_ERROR", True, "network_error"),
        (requests.ConnectionError("refused"), "SMS_PROVIDER_ERROR", True, "network_error"),
    ],
)
def test_other_twilio_errors_fail_over(exc: Exception, code: str, retryable: bool, outcome: str) -> None:
    error = twilio_sms.to_service_error(exc)
    assert not isinstance(error, SmsRecipientRejected)
    assert (error.code, error.retryable) == (code, retryable)
    assert twilio_sms.classify(exc) == outcome and twilio_sms.retryable(exc) is retryable
