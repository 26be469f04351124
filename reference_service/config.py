"""Service configuration: one pydantic-settings ``Settings`` read from the environment.

Variable names follow the integration design where it gives them (``STRIPE_SECRET_KEY``,
``PAYPAL_CLIENT_ID``, ``MSK_BOOTSTRAP_SERVERS`` …) plus ``DATABASE_URL``. Every default points at the
local lab (SQLite under ``./var/``, simulators on their default ports), so the service runs with no
environment at all. ``load_settings()`` turns a bad value into ``SettingsError`` whose message names
the environment variable, e.g. ``DATABASE_URL: unsupported database 'mysql'``.

Print the effective settings (secrets masked) with ``genai-demo config``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DATABASES = ("sqlite", "postgresql")
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
FILE_SUFFIX = "_FILE"


#: how long Stripe and PayPal keep retrying a webhook (days)
WEBHOOK_RETRY_WINDOW_DAYS = 3


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


def file_variables(env: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, str]:
    """``{field: contents}`` for every ``<FIELD>_FILE`` variable of ``env`` naming a file (Docker and
    Kubernetes secrets), trailing newline stripped; a variable set directly wins over its ``_FILE``."""
    lowered = {k.lower() for k in env}
    out: dict[str, str] = {}
    for key, path in env.items():
        if not key.upper().endswith(FILE_SUFFIX):
            continue
        name = key[: -len(FILE_SUFFIX)].lower()
        if name not in fields or name in lowered:
            continue
        try:
            out[name] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SettingsError(f"{key.upper()}: cannot read {path}: {exc.strerror}") from None
    return out


class _FileVariables(PydanticBaseSettingsSource):
    """The settings source for ``<FIELD>_FILE`` variables of the process environment."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once in __call__

    def __call__(self) -> dict[str, Any]:
        return file_variables(os.environ, self.settings_cls.model_fields)


class Settings(BaseSettings):
    """All service settings. Field ``foo_bar`` is read from environment variable ``FOO_BAR``, or from the
    file named by ``FOO_BAR_FILE`` (secrets mounted as files never pass through the environment)."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then variables, then ``*_FILE`` variables."""
        return (
            init_settings,
            env_settings,
            _FileVariables(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    # --- service -------------------------------------------------------------------------------
    service_host: str = "127.0.0.1"
    service_port: int = Field(8000, ge=1, le=65535)
    #: the URL providers use to reach this service (webhooks, status callbacks)
    service_public_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///./var/genai-demo.db"
    log_level: LogLevel = LogLevel.INFO
    max_request_bytes: int = Field(1_048_576, ge=1024)
    #: open connections one service process holds (idle and slow ones included); above it, new ones wait
    service_max_connections: int = Field(20_000, ge=64)
    #: the listen queue (the kernel caps it at net.core.somaxconn)
    service_backlog: int = Field(4096, ge=64)
    #: a connection that has not sent complete request headers by then is closed (slowloris)
    service_header_read_timeout_seconds: float = Field(10.0, gt=0, le=300)
    idempotency_ttl_hours: float = Field(24.0, gt=0)
    outbox_relay_enabled: bool = True
    outbox_poll_seconds: float = Field(1.0, gt=0)
    #: after a commit wakes the relay it waits this long for more commits before claiming, so under load
    #: one claim serves several requests' events (0: claim at once); events reach Kafka this much later
    outbox_linger_seconds: float = Field(0.01, ge=0, le=1)
    outbox_max_attempts: int = Field(10, ge=1)
    #: rows the relay claims per pass (one lease UPDATE, then one produce + delivery-report wait per batch)
    outbox_batch_size: int = Field(500, ge=1, le=5000)
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
    #: a CA bundle to trust for Stripe's API (the lab's own CA under ``genai-demo up --tls``); unset: the
    #: SDK's bundled CAs. The SDK reads it process-wide (``stripe.ca_bundle_path``)
    stripe_ca_bundle: str | None = None
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

    # --- files on S3 (seed: "AWS S3 Integration"; docs/files.md) ---------------------------------------
    #: server-side encryption requested on every object: ``AES256`` (SSE-S3) or ``aws:kms``
    s3_sse: Literal["AES256", "aws:kms"] = "AES256"
    s3_sse_kms_key_id: str | None = None
    #: create the bucket if missing and set its lifecycle rules when the service starts (unset: only
    #: against a simulated AWS, i.e. when AWS_ENDPOINT_URL is set; lifecycle is still checked in /health)
    s3_provision_on_start: bool | None = None
    #: how long a presigned GET or POST is valid (seed: 1 hour)
    files_url_expiry_seconds: int = Field(3600, ge=1, le=604_800)
    #: uploads larger than this go up in parts of this size (S3's minimum part is 5 MiB)
    files_multipart_threshold_bytes: int = Field(8 * 1024 * 1024, ge=5 * 1024 * 1024)
    files_timeout_seconds: float = Field(30.0, gt=0)
    #: largest file per category in bytes (JSON object: category -> bytes), over the defaults of
    #: ``domain/files.py``, e.g. ``{"return_documents": 10485760}``
    files_max_bytes: dict[str, int] = Field(default_factory=dict)
    #: a PENDING file row (an upload in progress) older than this is abandoned: ``reconcile files``
    #: removes it and its object; an object with no row is removed after the same grace
    files_orphan_grace_seconds: int = Field(3600, ge=60)
    #: store the invoice PDF of an order when it becomes PAID (from the outbox relay)
    files_invoice_on_paid: bool = True
    #: store the carrier's label of a delivery when it is bought (from the outbox relay)
    files_label_on_delivery: bool = True

    # --- data retention (docs/retention.md): days per data class; 0 keeps forever -------------------
    #: order PII (contact, shipping address) is anonymised this long after the order closed
    retention_order_pii_days: int = Field(365, ge=0)
    #: notification records, their encrypted recipients and their delivery events
    retention_notifications_days: int = Field(180, ge=0)
    #: webhook dedupe rows: must outlive every provider's retry window (Stripe, PayPal: 3 days)
    retention_webhook_inbox_days: int = Field(30, ge=0)
    #: outbox rows already published
    retention_outbox_sent_days: int = Field(7, ge=0)
    #: the Kafka consumer's inbox: must outlive the topics' retention, or a re-read could apply twice
    retention_consumer_inbox_days: int = Field(14, ge=0)
    #: inventory reservations once released or consumed
    retention_reservations_days: int = Field(90, ge=0)
    #: files per category (object and row); ``null`` or 0 keeps forever. Also set as S3 lifecycle rules
    retention_files_days: dict[str, int] = Field(
        default_factory=lambda: {"invoices": 3650, "shipping_labels": 365, "return_documents": 730}
    )
    #: rows removed or anonymised per transaction (each batch commits on its own: a run is resumable)
    retention_batch_size: int = Field(500, ge=1, le=10_000)
    #: run retention inside the service every this many seconds (0: only ``genai-demo retention run``)
    retention_interval_seconds: float = Field(3600.0, ge=0)

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
    #: where circuit-breaker state is shared by every worker and instance: ``redis://...``; unset: the
    #: rate limit's Redis when ``RATELIMIT_STORAGE_URI`` is one, else per process; ``memory://``: per process
    circuit_breaker_storage_uri: str | None = Field(None, pattern=r"^(memory://|rediss?://\S+)$")
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
    #: ``PLAINTEXT`` for the lab's mock cluster and a local Apache Kafka; ``SASL_SSL`` for MSK (IAM auth)
    msk_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    #: the seed's ``AWS_MSK_IAM``: SASL OAUTHBEARER with a token signed by aws-msk-iam-sasl-signer-python
    msk_sasl_mechanism: Literal["AWS_MSK_IAM"] = "AWS_MSK_IAM"
    #: the region MSK IAM tokens are signed for (unset: AWS_REGION)
    msk_region: str | None = None
    #: partitions and replication of the topics the admin step creates on a real cluster (the lab's mock
    #: cluster auto-creates 4 partitions on first produce)
    kafka_topic_partitions: int = Field(4, ge=1, le=1000)
    kafka_replication_factor: int = Field(3, ge=1, le=10)
    kafka_consumer_group: str = Field("genai-demo-consumer-group", min_length=1, max_length=200)
    #: attempts of a handler on one message before it goes to ``<topic>.DLQ``
    #: how soon the group notices a consumer that died without leaving (its partitions then move)
    kafka_session_timeout_seconds: float = Field(10.0, ge=1, le=300)
    kafka_handler_attempts: int = Field(3, ge=1, le=20)
    kafka_retry_backoff_seconds: float = Field(0.2, ge=0, le=60)
    #: how long the relay waits for a batch's delivery reports (librdkafka's message.timeout.ms follows it)
    kafka_delivery_timeout_seconds: float = Field(10.0, gt=0, le=300)

    # --- security (docs/security.md) --------------------------------------------------------------
    #: ``lab`` (the default: local simulators, /health and /metrics open) or ``production`` (refuses the
    #: lab's built-in secrets and in-memory rate limits; /health and /metrics need a credential)
    deployment: Literal["lab", "production"] = "lab"
    #: the token issuer, by URL: the lab's identity simulator, Cognito, Auth0, Keycloak... (``iss``)
    auth_issuer: str = "http://127.0.0.1:12116"
    #: where the issuer's keys are; unset: ``jwks_uri`` of ``<AUTH_ISSUER>/.well-known/openid-configuration``
    auth_jwks_url: str | None = None
    #: a pinned JWK Set (JSON) used instead of fetching one (air-gapped deployments, tests)
    auth_jwks: str | None = None
    #: the ``aud`` tokens must carry; empty: no ``aud`` check, and AUTH_CLIENT_IDS must be set (Cognito
    #: access tokens carry ``client_id`` instead)
    auth_audience: str = "genai-demo-api"
    #: comma-separated ``client_id`` values accepted (empty: any client of the issuer)
    auth_client_ids: str = Field("", pattern=r"^[A-Za-z0-9._:@|+, -]*$")
    #: asymmetric algorithms accepted (never ``none`` or HS*: RFC 8725 §3.1-3.2)
    auth_algorithms: str = "RS256,ES256"
    #: clock skew allowed on ``exp``, ``nbf`` and ``iat``
    auth_leeway_seconds: int = Field(30, ge=0, le=300)
    #: the claim holding the caller's roles (Cognito: ``cognito:groups``)
    auth_roles_claim: str = Field("roles", min_length=1, max_length=100)
    #: how long a fetched JWK Set is used before it is fetched again (an unknown ``kid`` refetches at
    #: most once per AUTH_JWKS_REFRESH_COOLDOWN_SECONDS)
    auth_jwks_cache_seconds: float = Field(300.0, gt=0)
    auth_jwks_refresh_cooldown_seconds: float = Field(10.0, ge=0)
    auth_jwks_timeout_seconds: float = Field(3.0, gt=0)
    #: /health and /metrics without credentials (unset: open in the lab, closed in production)
    health_public: bool | None = None
    metrics_public: bool | None = None
    #: ``Strict-Transport-Security`` max-age on HTTPS responses
    hsts_max_age_seconds: int = Field(31_536_000, ge=0)
    #: rate limits (flask-limiter notation) per client: API key, else token subject, else IP
    ratelimit_default: str = Field("1000/minute", pattern=r"^\d+\s*(/|per)\s*\d*\s*[a-z]+$")
    #: the providers' webhooks, per sending IP, on their own budget
    ratelimit_webhooks: str = Field("6000/minute", pattern=r"^\d+\s*(/|per)\s*\d*\s*[a-z]+$")
    ratelimit_strategy: Literal["moving-window", "fixed-window", "sliding-window-counter"] = "moving-window"
    #: when the rate-limit storage (Redis) fails: ``open`` serves the request (counted in
    #: ``ratelimit_storage_errors_total``, alert RateLimitStorageDown) or ``closed`` answers 503
    ratelimit_on_storage_error: Literal["open", "closed"] = "open"
    ratelimit_key_prefix: str = Field("genai-demo", pattern=r"^[A-Za-z0-9:_-]{1,64}$")
    #: ``RateLimit-*`` on every limited answer, not only on 429s (costs a second Redis round trip)
    ratelimit_headers_always: bool = False
    #: how long the audit trail keeps an entry
    audit_retention_days: int = Field(400, ge=1)

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

    @field_validator("retention_webhook_inbox_days")
    @classmethod
    def _check_webhook_window(cls, value: int) -> int:
        # Stripe retries a webhook for up to 3 days, PayPal too: a dedupe row dropped sooner would let a
        # late retry apply twice (https://docs.stripe.com/webhooks#retries)
        if 0 < value <= WEBHOOK_RETRY_WINDOW_DAYS:
            raise ValueError(
                f"must outlive the providers' {WEBHOOK_RETRY_WINDOW_DAYS}-day webhook retry window "
                f"(more than {WEBHOOK_RETRY_WINDOW_DAYS} days, or 0 to keep forever)"
            )
        return value

    @field_validator("auth_algorithms")
    @classmethod
    def _check_algorithms(cls, value: str) -> str:
        names = [a.strip() for a in value.split(",") if a.strip()]
        refused = [a for a in names if a not in ASYMMETRIC_ALGORITHMS]
        if refused or not names:
            raise ValueError(
                f"only asymmetric algorithms ({', '.join(ASYMMETRIC_ALGORITHMS)}) are accepted, got {value!r}"
            )
        return ",".join(names)

    @field_validator("auth_issuer")
    @classmethod
    def _check_issuer(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("auth_jwks")
    @classmethod
    def _check_jwks(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            keys = json.loads(value)["keys"]
        except (ValueError, KeyError, TypeError):
            raise ValueError('must be a JWK Set: {"keys": [...]}') from None
        if not isinstance(keys, list) or not keys:
            raise ValueError("the JWK Set has no keys")
        return value

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

    @model_validator(mode="after")
    def _check_security(self) -> Settings:
        if not self.auth_audience and not self.auth_client_id_list:
            raise ValueError(
                "AUTH_AUDIENCE or AUTH_CLIENT_IDS must be set: tokens must be meant for this API"
            )
        if self.deployment == "production":
            lab_values = [
                name.upper()
                for name in ("pii_encryption_key",)
                if getattr(self, name) == type(self).model_fields[name].default
            ]
            if self.ratelimit_storage_uri.startswith("memory://"):
                lab_values.append("RATELIMIT_STORAGE_URI (memory:// is per process)")
            if lab_values:
                raise ValueError(f"DEPLOYMENT=production refuses lab defaults: {', '.join(lab_values)}")
        return self

    @property
    def circuit_breaker_redis_url(self) -> str | None:
        """The Redis URL circuit breakers share their state through, or None for per-process state."""
        uri = self.circuit_breaker_storage_uri
        if uri is None:
            uri = self.ratelimit_storage_uri
        return uri if uri.startswith(("redis://", "rediss://")) else None

    @property
    def auth_client_id_list(self) -> list[str]:
        """``AUTH_CLIENT_IDS`` as a list."""
        return [c.strip() for c in self.auth_client_ids.split(",") if c.strip()]

    @property
    def auth_algorithm_list(self) -> list[str]:
        """``AUTH_ALGORITHMS`` as a list."""
        return self.auth_algorithms.split(",")

    @property
    def health_is_public(self) -> bool:
        """Whether /health answers without credentials."""
        return self.health_public if self.health_public is not None else self.deployment == "lab"

    @property
    def metrics_are_public(self) -> bool:
        """Whether /metrics answers without credentials."""
        return self.metrics_public if self.metrics_public is not None else self.deployment == "lab"

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
    def provision_s3(self) -> bool:
        """Whether to create the bucket and set its lifecycle at start (``S3_PROVISION_ON_START``)."""
        if self.s3_provision_on_start is None:
            return bool(self.aws_endpoint_url)
        return self.s3_provision_on_start

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
            files = file_variables(env, Settings.model_fields)
            return Settings.model_validate({**files, **lowered, **overrides})
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{str(err['loc'][0]).upper()}: {message}" if err["loc"] else message)
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
