"""boto3 clients for SES and SNS, and how their errors are classified for ``ProviderCall``.

Clients take ``AWS_ENDPOINT_URL`` (the lab's moto simulator; unset for real AWS), ``AWS_REGION`` and the
access keys from settings. botocore's own retries are off (``total_max_attempts=1``): the service applies
the shared retry policy itself, so every attempt is counted in ``external_api_requests_total`` and a
retry never hides a failing provider from the alerts.

What is transient (retried, and for SMS a reason to fail over): connection errors and timeouts, HTTP 5xx,
429, and the throttling codes (``Throttling``, ``ThrottlingException``, ``TooManyRequestsException``;
SES and SNS answer these with HTTP 400, so the code, not the status, decides). SES's
``Throttling: Daily message quota exceeded`` is not transient: the quota resets only the next day.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from reference_service.config import Settings

THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "ThrottledException", "SlowDown"}
)
SERVER_CODES = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout"})


def client(service: str, settings: Settings, timeout: float) -> Any:
    """A boto3 client for ``service`` ("ses", "sns") from settings, one attempt per call. boto3 and
    botocore.config are imported here, not with this module: half a second of every service start-up."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client(
        service,  # type: ignore[call-overload]
        endpoint_url=settings.aws_endpoint_url or None,
        region_name=settings.aws_region,
        aws_access_key_id=settings.aws_access_key_id.get_secret_value(),
        aws_secret_access_key=settings.aws_secret_access_key.get_secret_value(),
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
            max_pool_connections=32,
        ),
    )


class LazyClient:
    """A boto3 client built on first use (building one costs ~50 ms; most containers never send)."""

    def __init__(self, service: str, settings: Settings, timeout: float) -> None:
        self._args = (service, settings, timeout)
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = client(*self._args)
        return getattr(self._client, name)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ``ClientError`` (``MessageRejected``, ``Throttling``...)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(exc: BaseException) -> str:
    """The AWS error message (may hold an address: never log it)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", ""))
    return ""


def http_status(exc: BaseException) -> int:
    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def is_throttling(exc: BaseException) -> bool:
    if error_code(exc) not in THROTTLING_CODES and http_status(exc) != 429:
        return False
    return "quota" not in error_message(exc).lower()  # SES's daily quota: not before tomorrow


def is_network(exc: BaseException) -> bool:
    """No answer from AWS: refused, reset, timed out (botocore wraps them all)."""
    return isinstance(exc, (ConnectionError, HTTPClientError)) or (
        isinstance(exc, BotoCoreError) and not isinstance(exc, ClientError)
    )


def classify(exc: BaseException) -> str:
    """``ProviderCall`` outcome label of an SES/SNS error."""
    if is_network(exc):
        return "network_error"
    if is_throttling(exc):
        return "rate_limited"
    status = http_status(exc)
    if status >= 500 or error_code(exc) in SERVER_CODES:
        return "server_error"
    return "client_error" if isinstance(exc, ClientError) else "network_error"


def retryable(exc: BaseException) -> bool:
    """Network errors, throttling and 5xx."""
    if is_network(exc) or is_throttling(exc):
        return True
    return isinstance(exc, ClientError) and (http_status(exc) >= 500 or error_code(exc) in SERVER_CODES)


def retry_after(exc: BaseException) -> float | None:
    """AWS sends no Retry-After on these APIs; the policy's backoff decides."""
    return None
