"""The notification settings: provisioning only against a simulated AWS unless told, the SMS provider
order, transient delivery codes, and bad values named by their variable."""

from __future__ import annotations

import pytest

from reference_service.config import SettingsError, load_settings


def test_provisioning_defaults_to_on_only_against_a_simulated_aws() -> None:
    assert load_settings(env={}).provision_aws is True  # the lab's moto endpoint is the default
    assert load_settings(env={"AWS_ENDPOINT_URL": ""}).provision_aws is False  # real AWS
    assert load_settings(env={"AWS_ENDPOINT_URL": "", "AWS_PROVISION_ON_START": "true"}).provision_aws is True
    assert load_settings(env={"AWS_PROVISION_ON_START": "false"}).provision_aws is False


def test_sms_settings() -> None:
    s = load_settings(env={"SMS_PROVIDERS": "twilio, sns", "SMS_TRANSIENT_DELIVERY_CODES": "30003, 30008"})
    assert s.sms_provider_order == ["twilio", "sns"]
    assert s.sms_transient_codes == frozenset({30003, 30008})
    assert load_settings(env={}).sms_provider_order == ["sns", "twilio"]
    assert load_settings(env={"SMS_PROVIDERS": "sns,sns"}).sms_provider_order == ["sns"]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SMS_PROVIDERS": "sns,carrier-pigeon"}, "SMS_PROVIDERS"),
        ({"SMS_CIRCUIT_FAILURE_THRESHOLD": "0"}, "SMS_CIRCUIT_FAILURE_THRESHOLD"),
        ({"SMS_SENDER_ID": "way-too-long-sender"}, "SMS_SENDER_ID"),
        ({"SES_FEEDBACK_TOPIC": "bad topic"}, "SES_FEEDBACK_TOPIC"),
    ],
)
def test_bad_values_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env=env)
