"""Service configuration: one pydantic-settings ``Settings`` read from the environment.

Variable names follow the integration design where it gives them (``STRIPE_SECRET_KEY``,
``PAYPAL_CLIENT_ID``, ``MSK_BOOTSTRAP_SERVERS`` …) plus ``DATABASE_URL``. Every default points at the
local lab (SQLite under ``./var/``, simulators on their default ports), so the service runs with no
environment at all. ``load_settings()`` turns a bad value into ``SettingsError`` whose message names
the environment variable, e.g. ``DATABASE_URL: unsupported database 'mysql'``.

Print the effective settings (secrets masked) with ``genai-demo config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DATABASES = ("sqlite", "postgresql")


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class PayPalEnvironment(StrEnum):
    SANDBOX = "sandbox"
    LIVE = "live"


PAYPAL_BASE_URLS = {
    PayPalEnvironment.SANDBOX: "https://api-m.sandbox.paypal.com",
    PayPalEnvironment.LIVE: "https://api-m.paypal.com",
}


class SettingsError(ValueError):
    """A configuration value is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    """All service settings. Field ``foo_bar`` is read from environment variable ``FOO_BAR``."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # --- service -------------------------------------------------------------------------------
    service_host: str = "127.0.0.1"
    service_port: int = Field(8000, ge=1, le=65535)
    #: the URL providers use to reach this service (webhooks, status callbacks)
    service_public_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///./var/genai-demo.db"
    log_level: LogLevel = LogLevel.INFO
    max_request_bytes: int = Field(1_048_576, ge=1024)
    idempotency_ttl_hours: float = Field(24.0, gt=0)
    outbox_relay_enabled: bool = True
    outbox_poll_seconds: float = Field(1.0, gt=0)
    outbox_max_attempts: int = Field(10, ge=1)
    health_check_timeout_seconds: float = Field(2.0, gt=0)
    ratelimit_storage_uri: str = "memory://"
    #: Fernet key (urlsafe base64, 32 bytes) encrypting PII at rest; the default is a lab-only key
    pii_encryption_key: SecretStr = SecretStr("Z2VuYWktZGVtby1sYWItb25seS1waWkta2V5LTMyYnk=")

    # --- calls to providers (seed: retry_policy) ---------------------------------------------------
    provider_retry_max_attempts: int = Field(3, ge=1, le=10)
    provider_retry_initial_seconds: float = Field(1.0, ge=0)
    provider_retry_max_seconds: float = Field(30.0, ge=0)
    provider_timeout_seconds: float = Field(10.0, gt=0)
    #: how long a provider health check result is reused, so /health does not hammer providers
    provider_health_cache_seconds: float = Field(5.0, ge=0)

    # --- Stripe (seed: "Stripe Integration") ----------------------------------------------------
    stripe_api_base: str = "http://127.0.0.1:12111"
    stripe_api_version: str = "2023-10-16"
    stripe_secret_key: SecretStr = SecretStr("sk_test_genaidemo0000000000000000")
    stripe_publishable_key: str = "pk_test_genaidemo0000000000000000"
    #: one ``whsec_`` secret, or several separated by commas while a secret rotates
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_tolerance_seconds: int = Field(300, ge=1)

    # --- PayPal (seed: "PayPal Integration") ----------------------------------------------------
    paypal_environment: PayPalEnvironment = PayPalEnvironment.SANDBOX
    #: overrides the environment's base URL; the default points at the local simulator
    paypal_base_url: str | None = "http://127.0.0.1:12112"
    paypal_client_id: str = "genai-demo-client"
    paypal_client_secret: SecretStr = SecretStr("genai-demo-secret")
    paypal_webhook_id: str | None = None
    #: ``self``: verify the RSA signature locally with the certificate from PAYPAL-CERT-URL;
    #: ``postback``: ask PayPal's POST /v1/notifications/verify-webhook-signature
    paypal_webhook_verification: Literal["self", "postback"] = "self"
    #: hosts PAYPAL-CERT-URL may point at (the lab's simulator runs on 127.0.0.1)
    paypal_cert_hosts: str = (
        "api.paypal.com,api.sandbox.paypal.com,api-m.paypal.com,api-m.sandbox.paypal.com,127.0.0.1,localhost"
    )
    #: reject a delivery whose PAYPAL-TRANSMISSION-TIME is older than this (replays)
    paypal_webhook_tolerance_seconds: int = Field(600, ge=1)
    #: forward a caller's ``PayPal-Mock-Response`` on capture (negative testing); only ever in the sandbox
    paypal_negative_testing: bool = True
    #: capture automatically when CHECKOUT.ORDER.APPROVED arrives
    paypal_capture_on_approval: bool = False

    # --- Twilio (seed: "SMS Service Integration") -----------------------------------------------
    twilio_base_url: str = "http://127.0.0.1:12113"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr("genai-demo-twilio-token")
    twilio_from_number: str = "+15005550006"

    # --- AWS: SES, SNS, S3 (moto locally) -------------------------------------------------------
    aws_endpoint_url: str | None = "http://127.0.0.1:12115"
    aws_region: str = "us-east-1"
    aws_access_key_id: SecretStr = SecretStr("testing")
    aws_secret_access_key: SecretStr = SecretStr("testing")
    ses_sender: str = "no-reply@genai-demo.example"
    s3_bucket: str = "genai-demo-files"

    # --- notifications: email through SES, SMS through SNS then Twilio (docs/notifications.md) -------
    #: whether SES feedback is wired to this service (SES_SENDER's Bounce/Complaint/Delivery notifications
    #: -> SES_FEEDBACK_TOPIC -> /api/v1/webhooks/ses): ``genai-demo up`` does that wiring against the lab's
    #: AWS, and ``/health`` shows ``ses_feedback`` pending until the subscription is confirmed. Unset: only
    #: when AWS_ENDPOINT_URL is set (a simulated AWS); never by default against real AWS
    aws_provision_on_start: bool | None = None
    ses_feedback_topic: str = Field("genai-demo-ses-feedback", pattern=r"^[A-Za-z0-9_-]{1,256}$")
    #: hosts SNS SigningCertURL/SubscribeURL may use besides AWS's own sns.<region>.amazonaws.com
    #: (loopback hosts may use http: the lab's AWS simulator)
    sns_cert_hosts: str = "127.0.0.1,localhost"
    #: send ORDER_CONFIRMATION when an order becomes PAID (from the outbox relay)
    email_order_confirmation: bool = True
    #: SMS providers in the order the router tries them
    sms_providers: str = Field("sns,twilio", pattern=r"^\s*(sns|twilio)\s*(,\s*(sns|twilio)\s*)?$")
    #: ISO 3166 regions each provider may send to (``*`` = any), e.g. ``US,CA,GB``
    sms_sns_regions: str = "*"
    sms_twilio_regions: str = "*"
    sms_provider_timeout_seconds: float = Field(5.0, gt=0)
    #: attempts per provider before the router fails over (1: failing over is the retry)
    sms_retry_max_attempts: int = Field(1, ge=1, le=10)
    #: consecutive failures that open a provider's circuit, and how long it stays open
    sms_circuit_failure_threshold: int = Field(5, ge=1)
    sms_circuit_reset_seconds: float = Field(30.0, gt=0)
    #: resend an SMS through another provider when Twilio reports it undelivered/failed with one of
    #: SMS_TRANSIENT_DELIVERY_CODES
    sms_retry_undelivered_on_other_provider: bool = False
    sms_transient_delivery_codes: str = Field("30001,30002,30003,30008", pattern=r"^[0-9, ]*$")
    #: SNS ``AWS.SNS.SMS.SenderID`` (3-11 alphanumeric; unset: none)
    sms_sender_id: str | None = Field(None, pattern=r"^[A-Za-z0-9]{3,11}$")

    # --- logistics carrier (seed: "Logistics Service Integration"; EasyPost) ----------------------
    logistics_api_base: str = "http://127.0.0.1:12114/v2"
    logistics_api_key: SecretStr = SecretStr("EZTK_genaidemo")
    #: EasyPost webhook secrets (comma-separated while rotating); ``genai-demo up`` registers the webhook
    logistics_webhook_secret: SecretStr | None = None
    #: where parcels ship from (JSON: name, street1, city, state, zip, country...)
    logistics_ship_from: dict[str, str] = Field(
        default_factory=lambda: {
            "name": "genai-demo warehouse",
            "street1": "388 Townsend St",
            "city": "San Francisco",
            "state": "CA",
            "zip": "94107",
            "country": "US",
        }
    )
    #: tell the customer about each delivery status (DELIVERY_UPDATE email; SMS when the order has a phone)
    delivery_notifications: bool = True
    #: the channels of those updates
    delivery_notification_channels: str = Field(
        "email,sms", pattern=r"^\s*(email|sms)\s*(,\s*(email|sms)\s*)?$"
    )

    # --- Kafka / MSK (seed: "Amazon MSK Integration"); unset = in-process bus ---------------------
    msk_bootstrap_servers: str | None = None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        backend = url.get_backend_name()
        if backend not in SUPPORTED_DATABASES:
            raise ValueError(f"unsupported database {backend!r}; use one of {', '.join(SUPPORTED_DATABASES)}")
        return value

    @field_validator(
        "service_public_url",
        "stripe_api_base",
        "paypal_base_url",
        "twilio_base_url",
        "aws_endpoint_url",
        "logistics_api_base",
    )
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("pii_encryption_key")
    @classmethod
    def _check_fernet_key(cls, value: SecretStr) -> SecretStr:
        from cryptography.fernet import Fernet

        try:
            for key in value.get_secret_value().split(","):  # several while a key rotates
                Fernet(key.strip())
        except ValueError:
            raise ValueError("must be Fernet keys (32 url-safe base64 bytes each)") from None
        return value

    @field_validator("stripe_secret_key")
    @classmethod
    def _check_stripe_key(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_")):
            raise ValueError("must be a Stripe secret key (sk_test_… or sk_live_…)")
        return value

    @property
    def stripe_webhook_secrets(self) -> list[str]:
        """The webhook signing secrets to accept (more than one during a rotation)."""
        if self.stripe_webhook_secret is None:
            return []
        return [s.strip() for s in self.stripe_webhook_secret.get_secret_value().split(",") if s.strip()]

    @property
    def logistics_webhook_secrets(self) -> list[str]:
        """The EasyPost webhook secrets to accept (more than one during a rotation)."""
        if self.logistics_webhook_secret is None:
            return []
        return [s.strip() for s in self.logistics_webhook_secret.get_secret_value().split(",") if s.strip()]

    @property
    def provision_aws(self) -> bool:
        """Whether to provision SES feedback at start-up (``AWS_PROVISION_ON_START``, see above)."""
        if self.aws_provision_on_start is None:
            return bool(self.aws_endpoint_url)
        return self.aws_provision_on_start

    @property
    def sms_provider_order(self) -> list[str]:
        """``SMS_PROVIDERS`` as a list of provider names, first choice first (each once)."""
        return list(dict.fromkeys(p.strip() for p in self.sms_providers.split(",") if p.strip()))

    @property
    def sms_transient_codes(self) -> frozenset[int]:
        """``SMS_TRANSIENT_DELIVERY_CODES`` as integers."""
        return frozenset(int(c) for c in self.sms_transient_delivery_codes.replace(" ", "").split(",") if c)

    @property
    def paypal_negative_testing_enabled(self) -> bool:
        """PayPal negative testing is allowed: requested and never against the live environment."""
        return self.paypal_negative_testing and self.paypal_environment == PayPalEnvironment.SANDBOX

    @property
    def paypal_api_base(self) -> str:
        """The PayPal base URL: ``PAYPAL_BASE_URL`` when set, else the environment's official host."""
        return self.paypal_base_url or PAYPAL_BASE_URLS[self.paypal_environment]

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with every secret shown as ``********`` (safe to print or log)."""
        out: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name.upper()] = "********"
            else:
                out[name.upper()] = value.value if isinstance(value, StrEnum) else value
        return out


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read ``Settings`` from the process environment (or ``env``), naming the variable on error."""
    try:
        if env is not None:
            lowered = {k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
            return Settings.model_validate({**lowered, **overrides})
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            var = str(err["loc"][0]).upper() if err["loc"] else "?"
            problems.append(f"{var}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
