"""Settings: embedded defaults, the seed's variable names, and errors that name the variable."""

from __future__ import annotations

import pytest

from reference_service.config import Settings, SettingsError, load_settings


def test_defaults_point_at_the_local_lab() -> None:
    s = load_settings(env={})
    assert s.database_url.startswith("sqlite:///")
    assert s.stripe_api_base == "http://127.0.0.1:12111"
    assert s.paypal_api_base == "http://127.0.0.1:12112"
    assert s.twilio_base_url == "http://127.0.0.1:12113"
    assert s.aws_endpoint_url == "http://127.0.0.1:12115"
    assert s.msk_bootstrap_servers is None


def test_reads_the_seed_variable_names() -> None:
    s = load_settings(
        env={
            "STRIPE_SECRET_KEY": "sk_test_abc",
            "PAYPAL_CLIENT_ID": "cid",
            "MSK_BOOTSTRAP_SERVERS": "b1:9098",
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
        }
    )
    assert s.stripe_secret_key.get_secret_value() == "sk_test_abc"
    assert (s.paypal_client_id, s.msk_bootstrap_servers) == ("cid", "b1:9098")


def test_paypal_environment_selects_the_official_host_when_no_override() -> None:
    s = load_settings(env={"PAYPAL_BASE_URL": "", "PAYPAL_ENVIRONMENT": "live"})
    assert s.paypal_api_base == "https://api-m.paypal.com"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"SERVICE_PORT": "eighty"}, "SERVICE_PORT"),
        ({"SERVICE_PORT": "70000"}, "SERVICE_PORT"),
        ({"STRIPE_API_BASE": "ftp://x"}, "STRIPE_API_BASE"),
        ({"STRIPE_SECRET_KEY": "pk_test_nope"}, "STRIPE_SECRET_KEY"),
        ({"PAYPAL_ENVIRONMENT": "prod"}, "PAYPAL_ENVIRONMENT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(env=env)


def test_masked_hides_every_secret() -> None:
    masked = load_settings(env={"STRIPE_SECRET_KEY": "sk_test_supersecret"}).masked()
    assert masked["STRIPE_SECRET_KEY"] == "********"
    assert "supersecret" not in repr(masked)
    assert "sk_test_supersecret" not in repr(load_settings(env={"STRIPE_SECRET_KEY": "sk_test_supersecret"}))


def test_settings_are_immutable() -> None:
    s = Settings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        s.service_port = 1  # type: ignore[misc]
